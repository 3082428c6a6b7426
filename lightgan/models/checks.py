"""Configuration checks shared by the convolutional variants."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lightgan.errors import ConfigError
from lightgan.nets.norm import NORMS, check_choice


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


def check_count(name: str, value: Any, what: str, minimum: int = 2) -> None:
    """A count of networks given in config: an integer of at least ``minimum``, else one line naming it."""
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ConfigError(f"model.init_args.{name} must be an integer >= {minimum} ({what}), got {value!r}.")


def check_translator_options(
    generator: str,
    kinds: tuple[str, ...],
    norm: str,
    base_channels: int,
    depth: int | None,
    resnet_blocks: int | None,
    dropout: float,
    dropout_note: str,
) -> None:
    """The settings every image-to-image generator takes (``translator_generator``), each named in one line if bad."""
    check_choice("generator", generator, kinds)
    check_choice("norm", norm, NORMS)
    check_count("base_channels", base_channels, "the width of the first layers", minimum=1)
    for argument, value in {"depth": depth, "resnet_blocks": resnet_blocks}.items():
        if value is not None:
            check_count(argument, value, "or leave it out", minimum=1)
    if not isinstance(dropout, int | float) or not 0 <= dropout < 1:
        raise ConfigError(f"model.init_args.dropout must be in [0, 1) ({dropout_note}), got {dropout!r}.")
