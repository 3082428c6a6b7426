"""Layer options the image-to-image networks share: normalisation, padding, and dropout as noise.

Batch norm is pix2pix's choice, instance norm CycleGAN's (at batch size 1 they are the same).
A convolution followed by batch norm needs no bias (the norm's shift replaces it); instance norm,
built as pix2pix and CycleGAN build it, has no shift, so convolutions before it keep their bias.
Reflection padding extends an image by its mirror image instead of zeros, so a network cannot
read where the border is (CycleGAN's choice).

pix2pix's generator takes no noise vector: dropout, active in training, is its noise.
``NoiseDropout`` draws its masks from a random source the caller hands over (``noise_from``),
so a run resumed from a checkpoint drops the units the uninterrupted run would have dropped.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Literal, get_args

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lightgan.errors import ConfigError

Norm = Literal["batch", "instance"]
Padding = Literal["zeros", "reflect"]
NORMS: tuple[str, ...] = get_args(Norm)
PADDINGS: tuple[str, ...] = get_args(Padding)


def check_choice(argument: str, value: object, choices: tuple[str, ...]) -> None:
    """One line naming ``model.init_args.<argument>`` when ``value`` is not one of ``choices``."""
    if value not in choices:
        raise ConfigError(f"model.init_args.{argument} must be one of {', '.join(choices)}, got {value!r}.")


def norm_layer(kind: Norm, channels: int) -> nn.Module:
    """Batch or instance normalisation of ``channels`` feature maps."""
    return nn.BatchNorm2d(channels) if kind == "batch" else nn.InstanceNorm2d(channels)


def bias_before(kind: Norm) -> bool:
    """Whether a convolution followed by this normalisation needs a bias of its own."""
    return kind != "batch"


class NoiseDropout(nn.Module):
    """Dropout whose masks come from the random source set by ``noise_from`` (the global RNG otherwise)."""

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p
        self.rng: torch.Generator | None = None

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0:
            return x
        if self.rng is None:
            return F.dropout(x, self.p, training=True)
        keep = torch.rand(x.shape, generator=self.rng, device=self.rng.device).to(x.device) >= self.p
        return x * keep / (1 - self.p)

    def extra_repr(self) -> str:
        return f"p={self.p}"


@contextlib.contextmanager
def noise_from(network: nn.Module, rng: torch.Generator) -> Iterator[None]:
    """Every ``NoiseDropout`` of ``network`` draws its masks from ``rng`` within the block."""
    layers = [module for module in network.modules() if isinstance(module, NoiseDropout)]
    for layer in layers:
        layer.rng = rng
    try:
        yield
    finally:
        for layer in layers:
            layer.rng = None
