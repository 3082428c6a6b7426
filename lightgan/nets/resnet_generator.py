"""CycleGAN's ResNet-block generator (Zhu et al., 2017, after Johnson et al.'s style-transfer network).

Two stride-2 convolutions bring the image to a quarter of its size, residual blocks transform
it there, two transposed convolutions bring it back. Each block adds a correction to its input,
so the network starts close to passing the (encoded) image through, which suits translations
that change appearance more than layout. Reflection padding keeps the borders free of artifacts.
"""

from __future__ import annotations

from torch import Tensor, nn

from lightgan.errors import ConfigError
from lightgan.nets.dcgan import init_dcgan_weights
from lightgan.nets.norm import NoiseDropout, Norm, bias_before, norm_layer

#: Image side from which CycleGAN uses 9 blocks instead of 6.
NINE_BLOCKS_FROM = 256


def default_blocks(height: int, width: int) -> int:
    """CycleGAN's choice: 9 residual blocks for 256-pixel images and larger, 6 for smaller ones."""
    return 9 if min(height, width) >= NINE_BLOCKS_FROM else 6


class ResidualBlock(nn.Module):
    """x + (reflect-padded 3x3 convolution, norm, ReLU, [dropout], 3x3 convolution, norm)(x)."""

    def __init__(self, channels: int, norm: Norm, dropout: float) -> None:
        super().__init__()
        bias = bias_before(norm)
        layers: list[nn.Module] = [
            nn.Conv2d(channels, channels, 3, padding=1, padding_mode="reflect", bias=bias),
            norm_layer(norm, channels),
            nn.ReLU(),
        ]
        if dropout:
            layers.append(NoiseDropout(dropout))
        layers += [
            nn.Conv2d(channels, channels, 3, padding=1, padding_mode="reflect", bias=bias),
            norm_layer(norm, channels),
        ]
        self.block = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.block(x)


class ResNetGenerator(nn.Module):
    """7x7 convolution, two downsamplings, ``blocks`` residual blocks, two upsamplings, 7x7 convolution to tanh.

    Args:
        in_channels, out_channels: channels of the input and of the output images.
        image_size: (height, width) of both; sides must be multiples of 4, at least 8.
        base_channels: width of the first layer (64 in CycleGAN); the blocks have 4 times that.
        blocks: residual blocks; None: 9 from 256 px on, else 6.
        norm: ``instance`` (CycleGAN) or ``batch``.
        dropout: probability of dropping a unit inside each block in training (0: none, CycleGAN's default).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        image_size: tuple[int, int],
        base_channels: int = 64,
        blocks: int | None = None,
        norm: Norm = "instance",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        height, width = image_size
        if height % 4 or width % 4 or min(height, width) < 8:
            raise ConfigError(
                f"The ResNet generator halves images twice and pads its blocks by reflection, which needs sides that "
                f"are multiples of 4 and at least 8, got {height}x{width}. Resize the images (e.g. 128 or 256)."
            )
        self.blocks = default_blocks(height, width) if blocks is None else blocks
        bias = bias_before(norm)
        layers: list[nn.Module] = [
            nn.Conv2d(in_channels, base_channels, 7, padding=3, padding_mode="reflect", bias=bias),
            norm_layer(norm, base_channels),
            nn.ReLU(),
        ]
        for multiple in (1, 2):
            channels = base_channels * multiple
            layers += [nn.Conv2d(channels, 2 * channels, 3, 2, 1, bias=bias), norm_layer(norm, 2 * channels), nn.ReLU()]
        layers += [ResidualBlock(4 * base_channels, norm, dropout) for _ in range(self.blocks)]
        for multiple in (4, 2):
            channels = base_channels * multiple
            layers += [
                nn.ConvTranspose2d(channels, channels // 2, 3, 2, 1, output_padding=1, bias=bias),
                norm_layer(norm, channels // 2),
                nn.ReLU(),
            ]
        layers += [nn.Conv2d(base_channels, out_channels, 7, padding=3, padding_mode="reflect"), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.apply(init_dcgan_weights)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)
