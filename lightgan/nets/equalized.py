"""Layers of the progressive and style-based generators (Karras et al., 2018 and 2019).

**Equalised learning rate**: weights are drawn N(0, 1) and scaled at run time by He's constant
sqrt(2 / fan_in) (times ``gain / sqrt(2)`` when a gain is given), instead of being drawn at that
scale. Adam's step does not depend on a weight's scale, so drawn-at-scale weights of small
fan-in layers learn relatively faster; scaling at run time gives every layer the same speed.
``lr_multiplier`` scales the run-time factor and divides the stored weights, so that layer learns
that many times slower or faster (StyleGAN's mapping network uses 0.01).

**Pixel norm** normalises each pixel's feature vector to unit length (ProGAN's G, in place of
batch norm). **Minibatch standard deviation** appends the mean standard deviation of features
across groups of samples as one more feature map (ProGAN's D), so D can see a lack of variety.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class EqualizedLinear(nn.Module):
    """A linear layer with the equalised learning rate (and an optional learning-rate multiplier)."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        gain: float = math.sqrt(2),
        lr_multiplier: float = 1.0,
        bias_init: float = 0.0,
    ) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr_multiplier)
        self.bias = nn.Parameter(torch.full((out_features,), bias_init / lr_multiplier)) if bias else None
        self.scale = gain / math.sqrt(in_features) * lr_multiplier
        self.lr_multiplier = lr_multiplier

    def forward(self, x: Tensor) -> Tensor:
        bias = self.bias * self.lr_multiplier if self.bias is not None else None
        return F.linear(x, self.weight * self.scale, bias)


class EqualizedConv2d(nn.Module):
    """A convolution with the equalised learning rate; ``padding`` keeps the size for odd kernels by default."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        bias: bool = True,
        gain: float = math.sqrt(2),
        padding: int | None = None,
    ) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.scale = gain / math.sqrt(in_channels * kernel_size * kernel_size)
        self.padding = kernel_size // 2 if padding is None else padding

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(x, self.weight * self.scale, self.bias, padding=self.padding)


class PixelNorm(nn.Module):
    """Each pixel's feature vector divided by its root mean square (over channels)."""

    def __init__(self, epsilon: float = 1e-8) -> None:
        super().__init__()
        self.epsilon = epsilon

    def forward(self, x: Tensor) -> Tensor:
        return x * torch.rsqrt(x.square().mean(dim=1, keepdim=True) + self.epsilon)


class MinibatchStdDev(nn.Module):
    """Appends one feature map: the standard deviation of each feature over a group of ``group_size``
    samples, averaged over features and pixels, for every sample of the group (ProGAN's D)."""

    def __init__(self, group_size: int = 4, epsilon: float = 1e-8) -> None:
        super().__init__()
        self.group_size, self.epsilon = group_size, epsilon

    def forward(self, x: Tensor) -> Tensor:
        n, channels, height, width = x.shape
        group = math.gcd(self.group_size, n)  # a batch the group size does not divide uses smaller groups
        grouped = x.view(group, n // group, channels, height, width)
        std = (grouped.var(dim=0, unbiased=False) + self.epsilon).sqrt()  # (n / group, C, H, W)
        feature = std.mean(dim=(1, 2, 3)).view(1, n // group, 1, 1, 1).expand(group, -1, 1, height, width)
        return torch.cat([x, feature.reshape(n, 1, height, width)], dim=1)
