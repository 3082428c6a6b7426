"""Configuration checks shared by the convolutional variants."""

from __future__ import annotations

from collections.abc import Sequence

from lightgan.errors import ConfigError


def require_images(model: str, data_shape: Sequence[int]) -> None:
    """Convolutional variants need (channels, height, width) data; say so before building anything."""
    if len(data_shape) != 3:
        raise ConfigError(
            f"{model} needs image data (channels, height, width), got data_shape={tuple(data_shape)}. "
            "Pick an image dataset (MNIST, FashionMNIST, CIFAR10), or the GAN model for vector data."
        )
