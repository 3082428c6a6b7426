"""ProGAN's networks (Karras et al., 2018), built for the final resolution and used up to the current one.

Every block exists from the start, so the optimizers see every parameter from the first step and
checkpoints have the same keys at every stage; a forward pass runs the blocks up to the
resolution it is given. G grows from a 4x4 block (latent -> dense -> 3x3 conv) by blocks of
nearest upsampling and two 3x3 convolutions, each followed by LeakyReLU 0.2 and pixel norm, with
a 1x1 ``to_rgb`` per resolution. D mirrors it: a 1x1 ``from_rgb`` per resolution, blocks of two
3x3 convolutions and 2x average pooling, and a final 4x4 block that appends the minibatch
standard deviation. Every weight layer has the equalised learning rate.

While a new resolution fades in, the new block is mixed with the path it replaces, weighted by
``alpha`` (0 to 1): G outputs ``(1 - alpha) * upsample(to_rgb_prev(h_prev)) + alpha * to_rgb(h)``,
D takes ``(1 - alpha) * from_rgb_prev(avgpool(x)) + alpha * block(from_rgb(x))``.
"""

from __future__ import annotations

import itertools
import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lightgan.errors import ConfigError
from lightgan.nets.equalized import EqualizedConv2d, EqualizedLinear, MinibatchStdDev, PixelNorm

#: The smallest resolution, that of the first block.
START = 4


def growth_resolutions(size: int) -> list[int]:
    """4, 8, ... up to ``size``; a ConfigError naming the size unless it is a power of two >= 4."""
    if size < START or size & (size - 1):
        raise ConfigError(
            f"Progressive growing doubles a 4x4 image up to the data's size, which must be a power of two >= 4 "
            f"(4, 8, 16, 32, 64, ...), got {size}x{size}. Set data.init_args.image_size to e.g. 32."
        )
    return [START * 2**level for level in range(size.bit_length() - START.bit_length() + 1)]


def channels_at(resolution: int, base_channels: int, channel_base: int) -> int:
    """The paper's widths: ``channel_base / resolution`` feature maps, at most ``base_channels`` (512 in it)."""
    return max(1, min(base_channels, channel_base // resolution))


def downsample(images: Tensor, resolution: int) -> Tensor:
    """``images`` average-pooled to ``resolution`` (as the paper shows D its real images at each stage)."""
    factor = images.shape[-1] // resolution
    return F.avg_pool2d(images, factor) if factor > 1 else images


def _conv(in_channels: int, out_channels: int, kernel_size: int = 3, padding: int | None = None) -> list[nn.Module]:
    return [EqualizedConv2d(in_channels, out_channels, kernel_size, padding=padding), nn.LeakyReLU(0.2)]


def _level(network: nn.Module, resolution: int) -> int:
    """Which block of ``network`` works at ``resolution``: 0 for 4x4, 1 for 8x8, ..."""
    if resolution not in network.resolutions:
        raise ValueError(f"{type(network).__name__} works at {network.resolutions}, not at {resolution}x{resolution}.")
    return network.resolutions.index(resolution)


class ProgressiveGenerator(nn.Module):
    """z -> an image of ``resolution`` (one of 4, 8, ... up to the final size), faded by ``alpha``."""

    def __init__(
        self, latent_dim: int, channels: int, size: int, base_channels: int = 512, channel_base: int = 16384
    ) -> None:
        super().__init__()
        self.resolutions = growth_resolutions(size)
        widths = [channels_at(r, base_channels, channel_base) for r in self.resolutions]
        first = [
            PixelNorm(),  # the latent, normalised onto the hypersphere
            EqualizedLinear(latent_dim, widths[0] * START * START, gain=math.sqrt(2) / 4),
            nn.Unflatten(1, (widths[0], START, START)),
            nn.LeakyReLU(0.2),
            PixelNorm(),
            *_conv(widths[0], widths[0]),
            PixelNorm(),
        ]
        growing = [
            nn.Sequential(
                nn.Upsample(scale_factor=2, mode="nearest"),
                *_conv(smaller, larger),
                PixelNorm(),
                *_conv(larger, larger),
                PixelNorm(),
            )
            for smaller, larger in itertools.pairwise(widths)
        ]
        self.blocks = nn.ModuleList([nn.Sequential(*first), *growing])
        self.to_rgb = nn.ModuleList(EqualizedConv2d(width, channels, 1, gain=1.0) for width in widths)

    def forward(self, z: Tensor, resolution: int, alpha: float = 1.0) -> Tensor:
        level = _level(self, resolution)
        h = previous = self.blocks[0](z)
        for block in self.blocks[1 : level + 1]:
            previous, h = h, block(h)
        image = self.to_rgb[level](h)
        if level == 0 or alpha >= 1:
            return image
        faded = F.interpolate(self.to_rgb[level - 1](previous), scale_factor=2, mode="nearest")
        return torch.lerp(faded, image, alpha)  # (1 - alpha) * faded + alpha * image


class ProgressiveDiscriminator(nn.Module):
    """Images of any resolution of the schedule -> one score each; ``features`` is the final block up to the
    linear ``head`` (the penultimate representation, as in the other lightgan discriminators)."""

    def __init__(
        self, channels: int, size: int, base_channels: int = 512, channel_base: int = 16384, group_size: int = 4
    ) -> None:
        super().__init__()
        self.resolutions = growth_resolutions(size)
        widths = [channels_at(r, base_channels, channel_base) for r in self.resolutions]
        self.from_rgb = nn.ModuleList(nn.Sequential(*_conv(channels, width, 1)) for width in widths)
        #: ``blocks[i]`` takes level i + 1 (8x8 for i = 0) down to level i.
        self.blocks = nn.ModuleList(
            nn.Sequential(*_conv(larger, larger), *_conv(larger, smaller), nn.AvgPool2d(2))
            for smaller, larger in itertools.pairwise(widths)
        )
        self.features = nn.Sequential(
            MinibatchStdDev(group_size),
            *_conv(widths[0] + 1, widths[0]),
            *_conv(widths[0], widths[0], START, padding=0),
            nn.Flatten(),
        )
        self.head = EqualizedLinear(widths[0], 1, gain=1.0)

    def forward(self, x: Tensor, alpha: float = 1.0) -> Tensor:
        level = _level(self, x.shape[-1])
        h = self.from_rgb[level](x)
        if level > 0:
            h = self.blocks[level - 1](h)
            if alpha < 1:
                previous = self.from_rgb[level - 1](F.avg_pool2d(x, 2))
                h = torch.lerp(previous, h, alpha)  # (1 - alpha) * previous + alpha * h
        for block in reversed(self.blocks[: max(level - 1, 0)]):
            h = block(h)
        return self.head(self.features(h)).view(-1)
