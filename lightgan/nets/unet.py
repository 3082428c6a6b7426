"""pix2pix's U-Net generator (Isola et al., 2017; Ronneberger et al., 2015).

An encoder halves the image ``depth`` times and a decoder doubles it back; each decoder layer
also takes the encoder's features of its size (skip connections), so what the bottleneck
cannot carry (where edges are, fine detail) reaches the output directly. In translation the
input and the output share that structure, which is why pix2pix prefers it to a plain
encoder-decoder.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from lightgan.errors import ConfigError
from lightgan.nets.dcgan import init_dcgan_weights
from lightgan.nets.norm import NoiseDropout, Norm, bias_before, norm_layer

#: Channels stop doubling after the fourth encoder layer (base x 8), as in pix2pix.
MAX_WIDTH_MULTIPLE = 8


def deepest(height: int, width: int) -> int:
    """How many times both sides halve exactly: the deepest U-Net images of this size allow."""
    depth = 0
    while height % 2 == 0 and width % 2 == 0:
        height, width, depth = height // 2, width // 2, depth + 1
    return depth


def unet_depth(height: int, width: int, depth: int | None) -> int:
    """``depth``, or the deepest when None; a ConfigError naming the largest valid depth if the size cannot carry it."""
    largest = deepest(height, width)
    if largest == 0:
        raise ConfigError(
            f"A U-Net halves the image at least once, but {height}x{width} images have an odd side. "
            "Resize them to even sides, e.g. 32 or 256 (data.init_args.image_size)."
        )
    if depth is None:
        return largest
    if depth > largest:
        raise ConfigError(
            f"model.init_args.depth={depth}: a U-Net of that depth halves {height}x{width} images {depth} times, "
            f"which needs sides divisible by {2**depth}. The largest depth these images allow is {largest}: "
            f"set depth to at most {largest}, or leave it out."
        )
    return depth


class UNetGenerator(nn.Module):
    """Encoder-decoder with skip connections between layers of the same size; tanh outputs.

    Encoder layers are 4x4 convolutions of stride 2 with LeakyReLU(0.2) (normalised but for the
    first and the bottleneck), decoder layers 4x4 transposed convolutions with ReLU before them.
    The first ``dropout_layers`` decoder layers drop units in training, as in the paper: the
    generator's noise (see ``lightgan.nets.norm``).

    Args:
        in_channels, out_channels: channels of the input and of the output images.
        image_size: (height, width) of both.
        base_channels: width of the first encoder layer; it doubles per layer up to 8 times that.
        depth: encoder layers; None: as many as the size allows (8 at 256 px: a 1x1 bottleneck).
        norm: ``batch`` or ``instance``.
        dropout: probability of dropping a unit in the first decoder layers.
        dropout_layers: how many decoder layers (from the bottleneck) have dropout (3 in the paper).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        image_size: tuple[int, int],
        base_channels: int = 64,
        depth: int | None = None,
        norm: Norm = "batch",
        dropout: float = 0.5,
        dropout_layers: int = 3,
    ) -> None:
        super().__init__()
        self.depth = unet_depth(*image_size, depth)
        widths = [base_channels * min(2**i, MAX_WIDTH_MULTIPLE) for i in range(self.depth)]
        bias = bias_before(norm)
        bottleneck = self.depth - 1
        self.encoder = nn.ModuleList()
        for i, width in enumerate(widths):
            normalised = 0 < i < bottleneck
            conv = nn.Conv2d(widths[i - 1] if i else in_channels, width, 4, 2, 1, bias=bias or not normalised)
            layers: list[nn.Module] = [conv, norm_layer(norm, width)] if normalised else [conv]
            if i != bottleneck:
                layers.append(nn.LeakyReLU(0.2))
            self.encoder.append(nn.Sequential(*layers))
        self.decoder = nn.ModuleList()
        for i in reversed(range(self.depth)):  # from the bottleneck up: layer i undoes encoder layer i's halving
            width_in = widths[i] if i == bottleneck else 2 * widths[i]  # below the bottleneck, with the skip
            if i == 0:
                layers = [nn.ReLU(), nn.ConvTranspose2d(width_in, out_channels, 4, 2, 1), nn.Tanh()]
            else:
                up = nn.ConvTranspose2d(width_in, widths[i - 1], 4, 2, 1, bias=bias)
                layers = [nn.ReLU(), up, norm_layer(norm, widths[i - 1])]
                if bottleneck - i < dropout_layers:
                    layers.append(NoiseDropout(dropout))
            self.decoder.append(nn.Sequential(*layers))
        self.apply(init_dcgan_weights)

    def forward(self, x: Tensor) -> Tensor:
        features = []
        for layer in self.encoder:
            x = layer(x)
            features.append(x)
        x = features.pop()
        for layer in self.decoder:
            x = layer(x)
            if features:
                x = torch.cat([x, features.pop()], 1)
        return x
