"""Residual generator and discriminator in the SNGAN CIFAR-10 layout (Miyato et al., 2018, appendix B.4;
Gulrajani et al., 2017), with class-conditional batch norm in G and a projection D for labelled data.

G: z -> linear to 4x4 x C -> up blocks (BN-ReLU-up-conv3-BN-ReLU-conv3, shortcut up-conv1) to the image
size -> BN-ReLU-conv3-tanh. D: an "optimized" first block (conv3-ReLU-conv3-pool, no ReLU on the
image), down blocks (ReLU-conv3-ReLU-conv3-pool, shortcut conv1-pool) until 8x8, two blocks that keep
8x8, ReLU, a sum over positions, linear. At 32 px that is the paper's 3 up blocks and 2 down + 2 plain
blocks; a 2^k size has k - 2 up blocks and k - 3 down blocks (8 px: one, to 4x4). Every block has C
channels (the paper: 256 in G and 128 in D, WGAN-GP's code 128 in both).

With ``num_classes > 0`` each batch norm of G's blocks takes its scale and shift from the label's row
(conditional BN, as in the projection paper's and SAGAN's generators; the last BN is shared), and D
adds the projection term ``<embed(y), h>`` to ``linear(h)`` (Miyato & Koyama, 2018): the inner product
of a class embedding with D's features, which their paper found better than feeding the label in.

``attention_resolution`` puts SAGAN's ``SelfAttention`` after the first block that outputs that
resolution, in G and in D; the resolutions both reach are 8 up to half the image size.
Weights follow the authors' code: Glorot-uniform, gain sqrt(2) in the residual convolutions, 1
elsewhere, zero biases.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lightgan.errors import ConfigError
from lightgan.nets.attention import SelfAttention

#: Side of G's first feature map and of D's last (above 8 px).
START, END = 4, 8


def resnet_up_blocks(image_size: int) -> int:
    """G's up blocks for ``image_size`` (3 at 32 px); a ConfigError unless it is a power of two >= 8."""
    if image_size < 2 * START or image_size & (image_size - 1):
        raise ConfigError(
            f"The ResNet networks make square images of a power-of-two size >= 8, got {image_size}. "
            "Set data.init_args.image_size to e.g. 32 or 64."
        )
    return int(math.log2(image_size // START))


def generator_resolutions(image_size: int) -> list[int]:
    """The side of G's feature map after each up block: 8, 16, ..., ``image_size``."""
    return [START * 2 ** (i + 1) for i in range(resnet_up_blocks(image_size))]


def discriminator_resolutions(image_size: int) -> list[int]:
    """The side of D's feature map after each block: halved down to 8 (4 for 8 px images), then kept twice."""
    downs = max(resnet_up_blocks(image_size) - 1, 1)
    sides = [image_size // 2 ** (i + 1) for i in range(downs)]
    return [*sides, sides[-1], sides[-1]]


def attention_resolutions(image_size: int) -> list[int]:
    """The feature-map sides both G and D reach, where ``attention_resolution`` may put attention: 8 to size / 2."""
    return sorted(set(generator_resolutions(image_size)) & set(discriminator_resolutions(image_size)))


def check_attention_resolution(resolution: int | None, image_size: int) -> None:
    """One line naming ``resolution`` and the valid ones unless both networks reach it (None: no attention)."""
    valid = attention_resolutions(image_size)
    if resolution is not None and resolution not in valid:
        choices = ", ".join(map(str, valid)) or "none"
        raise ConfigError(
            f"model.init_args.attention_resolution={resolution!r}: the ResNet networks of {image_size} px images "
            f"never reach it in both G and D. Valid resolutions: {choices} (or null for no attention)."
        )


def _glorot(layer: nn.Conv2d | nn.Linear | nn.Embedding, gain: float = 1.0) -> None:
    nn.init.xavier_uniform_(layer.weight, gain)
    if getattr(layer, "bias", None) is not None:
        nn.init.zeros_(layer.bias)


class ConditionalBatchNorm2d(nn.Module):
    """Batch norm whose scale and shift are rows of a per-class table, picked by the label.

    With ``num_classes`` 0 the table has one row shared by all samples: plain batch norm.
    """

    def __init__(self, channels: int, num_classes: int = 0) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.norm = nn.BatchNorm2d(channels, affine=False)
        self.gain = nn.Parameter(torch.ones(max(num_classes, 1), channels))
        self.bias = nn.Parameter(torch.zeros(max(num_classes, 1), channels))

    def forward(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        if not self.num_classes:
            gain, bias = self.gain, self.bias
        elif labels is None:
            raise ValueError("this network is conditional: pass class labels along with the input")
        else:
            gain, bias = self.gain[labels.long()], self.bias[labels.long()]
        return self.norm(x) * gain[:, :, None, None] + bias[:, :, None, None]


class GeneratorBlock(nn.Module):
    """BN-ReLU-up-conv3-BN-ReLU-conv3 plus a 1x1 convolution of the upsampled input."""

    def __init__(self, in_channels: int, out_channels: int, num_classes: int = 0) -> None:
        super().__init__()
        self.norm1 = ConditionalBatchNorm2d(in_channels, num_classes)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, 1, 1, bias=False)  # BN follows: no bias needed
        self.norm2 = ConditionalBatchNorm2d(out_channels, num_classes)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1)
        self.shortcut = nn.Conv2d(in_channels, out_channels, 1)
        for conv, gain in ((self.conv1, math.sqrt(2)), (self.conv2, math.sqrt(2)), (self.shortcut, 1.0)):
            _glorot(conv, gain)

    def forward(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        h = self.conv1(F.interpolate(F.relu(self.norm1(x, labels)), scale_factor=2))
        h = self.conv2(F.relu(self.norm2(h, labels)))
        # a 1x1 convolution commutes with nearest upsampling; convolving first is 4 times cheaper
        return h + F.interpolate(self.shortcut(x), scale_factor=2)


class DiscriminatorBlock(nn.Module):
    """ReLU-conv3-ReLU-conv3 (then 2x2 average pooling when ``downsample``) plus a shortcut.

    The shortcut is a 1x1 convolution (of the pooled input) when the shape changes, else the input.
    ``first``: the optimized block that reads the image, with no ReLU in front.
    """

    def __init__(self, in_channels: int, out_channels: int, downsample: bool, first: bool = False) -> None:
        super().__init__()
        self.downsample, self.first = downsample, first
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, 1, 1)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1)
        learned = downsample or in_channels != out_channels
        self.shortcut = nn.Conv2d(in_channels, out_channels, 1) if learned else nn.Identity()
        for layer, gain in ((self.conv1, math.sqrt(2)), (self.conv2, math.sqrt(2)), (self.shortcut, 1.0)):
            if isinstance(layer, nn.Conv2d):
                _glorot(layer, gain)

    def forward(self, x: Tensor) -> Tensor:
        h = self.conv2(F.relu(self.conv1(x if self.first else F.relu(x))))
        skip = x
        if self.downsample:  # average pooling commutes with the 1x1 convolution; pooling first is cheaper
            h, skip = F.avg_pool2d(h, 2), F.avg_pool2d(x, 2)
        return h + self.shortcut(skip)


class SumPool(nn.Module):
    """The sum over positions of each feature map (SNGAN's global sum pooling): (N, C, H, W) -> (N, C)."""

    def forward(self, x: Tensor) -> Tensor:
        return x.sum(dim=(2, 3))


def _square_size(data_shape: Sequence[int]) -> int:
    _, height, width = data_shape
    if height != width:
        raise ConfigError(f"The ResNet networks need square images, got {height}x{width}.")
    return height


class ResNetGenerator(nn.Module):
    """SNGAN's residual G; ``forward(z, labels)`` (labels only when ``num_classes > 0``)."""

    def __init__(
        self,
        latent_dim: int,
        data_shape: Sequence[int],
        channels: int = 256,
        num_classes: int = 0,
        attention_resolution: int | None = None,
    ) -> None:
        super().__init__()
        size = _square_size(data_shape)
        check_attention_resolution(attention_resolution, size)
        self.channels = channels
        self.linear = nn.Linear(latent_dim, START * START * channels)
        self.blocks = nn.ModuleList()
        for side in generator_resolutions(size):
            self.blocks.append(GeneratorBlock(channels, channels, num_classes))
            if side == attention_resolution:
                self.blocks.append(SelfAttention(channels))
        self.out = nn.Sequential(
            nn.BatchNorm2d(channels), nn.ReLU(), nn.Conv2d(channels, data_shape[0], 3, 1, 1), nn.Tanh()
        )
        _glorot(self.linear)
        _glorot(self.out[2])

    def forward(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        x = self.linear(z.flatten(1)).view(len(z), self.channels, START, START)
        for layer in self.blocks:
            x = layer(x, labels) if isinstance(layer, GeneratorBlock) else layer(x)
        return self.out(x)


class ResNetDiscriminator(nn.Module):
    """SNGAN's residual D: ``features`` gives h (N, C) after the sum pooling, ``head`` the linear score.

    With ``num_classes > 0``, ``forward(x, labels)`` adds the projection ``<embed(y), h>``.
    """

    def __init__(
        self,
        data_shape: Sequence[int],
        channels: int = 128,
        num_classes: int = 0,
        attention_resolution: int | None = None,
    ) -> None:
        super().__init__()
        size = _square_size(data_shape)
        check_attention_resolution(attention_resolution, size)
        layers: list[nn.Module] = []
        previous, in_channels = size, data_shape[0]
        for index, side in enumerate(discriminator_resolutions(size)):
            layers.append(DiscriminatorBlock(in_channels, channels, downsample=side < previous, first=index == 0))
            if side == attention_resolution and previous != side:
                layers.append(SelfAttention(channels))
            previous, in_channels = side, channels
        self.features = nn.Sequential(*layers, nn.ReLU(), SumPool())
        self.head = nn.Linear(channels, 1)
        self.embed = nn.Embedding(num_classes, channels) if num_classes else None
        _glorot(self.head)
        if self.embed is not None:
            _glorot(self.embed)

    def forward(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        h = self.features(x)
        score = self.head(h).view(-1)
        if self.embed is None:
            return score
        if labels is None:
            raise ValueError("this discriminator projects class labels: pass them along with the input")
        return score + (self.embed(labels.long()) * h).sum(dim=1)
