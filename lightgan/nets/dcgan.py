"""DCGAN networks (Radford et al.): strided convolutions, batch norm, no pooling.

The generator starts from a small square (4 to 7 pixels) and doubles it with each transposed
convolution, so any size of the form ``start * 2**k`` works: 28 (7 -> 14 -> 28), 32, 64, 128.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from lightgan.errors import ConfigError
from lightgan.nets.initialization import init_layer


def dcgan_layout(image_size: int) -> tuple[int, int]:
    """(start size, number of doublings) that produce ``image_size``; ConfigError if none does."""
    start, doublings = image_size, 0
    while start > 7 and start % 2 == 0:
        start //= 2
        doublings += 1
    if not 4 <= start <= 7 or doublings < 2:
        raise ConfigError(
            f"DCGAN cannot produce {image_size}x{image_size} images: it doubles a 4-7 pixel start at least twice. "
            "Use an image_size such as 28, 32, 64 or 128 (set data.init_args.image_size)."
        )
    return start, doublings


class DCGANGenerator(nn.Module):
    def __init__(self, latent_dim: int, data_shape: Sequence[int], base_channels: int = 64) -> None:
        super().__init__()
        channels, height, width = data_shape
        if height != width:
            raise ConfigError(f"DCGAN needs square images, got {height}x{width}.")
        start, doublings = dcgan_layout(height)
        width_mult = 2 ** (doublings - 1)
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(latent_dim, base_channels * width_mult, start, 1, 0, bias=False),
            nn.BatchNorm2d(base_channels * width_mult),
            nn.ReLU(inplace=True),
        ]
        for _ in range(doublings - 1):
            layers += [
                nn.ConvTranspose2d(base_channels * width_mult, base_channels * width_mult // 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(base_channels * width_mult // 2),
                nn.ReLU(inplace=True),
            ]
            width_mult //= 2
        layers += [nn.ConvTranspose2d(base_channels, channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.apply(init_dcgan_weights)

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z.view(z.shape[0], -1, 1, 1))


class DCGANDiscriminator(nn.Module):
    """Mirror of the generator; ``features`` is the last hidden map, ``head`` the output layer."""

    def __init__(self, data_shape: Sequence[int], base_channels: int = 64, batch_norm: bool = True) -> None:
        super().__init__()
        channels, height, _ = data_shape
        start, doublings = dcgan_layout(height)
        layers: list[nn.Module] = [nn.Conv2d(channels, base_channels, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True)]
        width = base_channels
        for _ in range(doublings - 1):
            layers.append(nn.Conv2d(width, width * 2, 4, 2, 1, bias=False))
            if batch_norm:
                layers.append(nn.BatchNorm2d(width * 2))
            layers.append(nn.LeakyReLU(0.2, inplace=True))
            width *= 2
        self.features = nn.Sequential(*layers)
        self.head = nn.Conv2d(width, 1, start, 1, 0, bias=False)
        self.apply(init_dcgan_weights)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x)).view(-1)


def init_dcgan_weights(module: nn.Module) -> None:
    """N(0, 0.02) convolutions (the ``normal_0.02`` scheme) and N(1, 0.02) batch-norm scales, as in the DCGAN paper."""
    if isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)
    else:
        init_layer(module, "normal_0.02")
