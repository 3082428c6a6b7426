"""The generator of an image-to-image model, by name: pix2pix's U-Net or CycleGAN's ResNet blocks."""

from __future__ import annotations

from typing import Any

from torch import nn

from lightgan.nets.resnet_generator import ResNetGenerator
from lightgan.nets.unet import UNetGenerator


def translator_generator(
    kind: str,
    in_channels: int,
    out_channels: int,
    *,
    depth: int | None = None,
    blocks: int | None = None,
    **common: Any,
) -> nn.Module:
    """``unet`` (``depth``) or ``resnet`` (``blocks``) from ``in_channels`` to ``out_channels``; ``common`` holds
    the arguments both take (image_size, base_channels, norm, dropout)."""
    if kind == "unet":
        return UNetGenerator(in_channels, out_channels, depth=depth, **common)
    return ResNetGenerator(in_channels, out_channels, blocks=blocks, **common)
