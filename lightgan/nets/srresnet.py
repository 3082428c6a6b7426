"""SRGAN's networks (Ledig et al., 2017): the SRResNet generator and the VGG-style discriminator.

G works at the low resolution and enlarges only at its end: a 9x9 convolution, residual blocks
(conv-BN-PReLU-conv-BN plus the block's input), one skip over all of them, then x2 stages of
sub-pixel convolution (a convolution to 4 times the channels, rearranged by ``PixelShuffle``
into twice the height and width), a 9x9 convolution to tanh. D is a stack of 3x3 convolutions
that alternate stride 1 and 2 while the width doubles every second layer, then a dense layer of
1024 units and a logit.
"""

from __future__ import annotations

from torch import Tensor, nn

from lightgan.errors import ConfigError

#: D's feature map at the paper's 96-pixel crops is 6x6; larger images are pooled down to it.
PAPER_GRID = 6
#: Width multiples of D's eight convolutions, and their strides.
D_WIDTHS = (1, 1, 2, 2, 4, 4, 8, 8)
D_STRIDES = (1, 2, 1, 2, 1, 2, 1, 2)


def upsampling_stages(scale: int) -> int:
    """How many x2 pixel-shuffle stages enlarge by ``scale``; a one-line error unless it is a power of two."""
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 2 or scale & (scale - 1):
        raise ConfigError(
            f"model.init_args.scale must be a power of two >= 2 (2, 4, 8: one x2 pixel-shuffle stage each; "
            f"4 in the paper), got {scale!r}."
        )
    return scale.bit_length() - 1


class ResidualBlock(nn.Module):
    """x + (3x3 convolution, BN, PReLU, 3x3 convolution, BN)(x)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.block = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(channels),
            nn.PReLU(),
            nn.Conv2d(channels, channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(channels),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.block(x)


class PixelShuffleUpsample(nn.Sequential):
    """x2 enlargement learnt at the low resolution: a 3x3 convolution to 4x the channels, PixelShuffle(2), PReLU."""

    def __init__(self, channels: int) -> None:
        super().__init__(nn.Conv2d(channels, 4 * channels, 3, padding=1), nn.PixelShuffle(2), nn.PReLU())


class SRResNetGenerator(nn.Module):
    """Low-resolution images (N, C, H, W) in [-1, 1] to (N, C, scale x H, scale x W) in [-1, 1].

    Args:
        channels: channels of the input and of the output images.
        scale: enlargement, a power of two (4 in the paper).
        width: feature maps of the blocks (64 in the paper).
        blocks: residual blocks (16 in the paper).
    """

    def __init__(self, channels: int, scale: int = 4, width: int = 64, blocks: int = 16) -> None:
        super().__init__()
        self.scale = scale
        self.head = nn.Sequential(nn.Conv2d(channels, width, 9, padding=4), nn.PReLU())
        self.body = nn.Sequential(
            *(ResidualBlock(width) for _ in range(blocks)),
            nn.Conv2d(width, width, 3, padding=1, bias=False),
            nn.BatchNorm2d(width),
        )
        self.upsample = nn.Sequential(*(PixelShuffleUpsample(width) for _ in range(upsampling_stages(scale))))
        self.tail = nn.Sequential(nn.Conv2d(width, channels, 9, padding=4), nn.Tanh())

    def forward(self, x: Tensor) -> Tensor:
        features = self.head(x)
        return self.tail(self.upsample(features + self.body(features)))


def _strided_side(side: int) -> int:
    """A side after a 3x3 convolution of stride 2 and padding 1."""
    return (side + 1) // 2


class SRGANDiscriminator(nn.Module):
    """Eight 3x3 convolutions (LeakyReLU 0.2, BN after all but the first), dense 1024, a logit per image.

    The map after the four strided layers is average-pooled to at most the paper's 6x6, so the
    dense layer stays the paper's size on large images and small images keep their whole map.
    ``features`` ends with the 1024 units and ``head`` is the logit: the names the
    feature-matching and minibatch-discrimination tricks look for.

    Args:
        channels: channels of the images.
        image_size: (height, width).
        base_channels: width of the first layers (64 in the paper); it doubles every second layer.
        hidden: units of the dense layer (1024 in the paper).
    """

    def __init__(self, channels: int, image_size: tuple[int, int], base_channels: int = 64, hidden: int = 1024) -> None:
        super().__init__()
        widths = [base_channels * multiple for multiple in D_WIDTHS]
        layers: list[nn.Module] = [nn.Conv2d(channels, widths[0], 3, padding=1), nn.LeakyReLU(0.2)]
        for i in range(1, len(widths)):
            layers += [
                nn.Conv2d(widths[i - 1], widths[i], 3, D_STRIDES[i], 1, bias=False),
                nn.BatchNorm2d(widths[i]),
                nn.LeakyReLU(0.2),
            ]
        grid = list(image_size)
        for _ in range(D_STRIDES.count(2)):
            grid = [_strided_side(side) for side in grid]
        pooled = tuple(min(side, PAPER_GRID) for side in grid)
        self.features = nn.Sequential(
            *layers,
            nn.AdaptiveAvgPool2d(pooled),
            nn.Flatten(),
            nn.Linear(widths[-1] * pooled[0] * pooled[1], hidden),
            nn.LeakyReLU(0.2),
        )
        self.head = nn.Linear(hidden, 1)

    def forward(self, x: Tensor) -> Tensor:
        """(N, C, H, W) -> (N,) logits."""
        return self.head(self.features(x)).view(-1)
