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


def reject_packing(model: str, pack: int, reason: str) -> None:
    """PacGAN's ``pack`` concatenates samples before D; variants whose D must read each sample alone refuse it."""
    if pack > 1:
        raise ConfigError(f"model.init_args.pack={pack}: {model} cannot pack samples ({reason}). Use pack: 1.")
