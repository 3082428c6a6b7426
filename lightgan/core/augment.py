"""Differentiable image augmentations for discriminator inputs (DiffAugment, ADA).

Each operation transforms a batch of (N, C, H, W) images in [-1, 1] with parameters drawn per
sample from ``rng`` and stays differentiable in the images, so G's gradient passes through it.
``color``, ``translation`` and ``cutout`` follow Zhao et al. (2020, DiffAugment); ``flip`` and
``rotate90`` are the pixel-blitting part of Karras et al. (2020, ADA).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from lightgan.errors import ConfigError

Rng = torch.Generator | None
Op = Callable[[Tensor, Rng], Tensor]


def _uniform(x: Tensor, rng: Rng) -> Tensor:
    return torch.rand(x.shape[0], 1, 1, 1, generator=rng, device=x.device, dtype=x.dtype)


def brightness(x: Tensor, rng: Rng) -> Tensor:
    return x + (_uniform(x, rng) - 0.5)


def saturation(x: Tensor, rng: Rng) -> Tensor:
    mean = x.mean(dim=1, keepdim=True)
    return (x - mean) * (_uniform(x, rng) * 2) + mean


def contrast(x: Tensor, rng: Rng) -> Tensor:
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (_uniform(x, rng) + 0.5) + mean


def translation(x: Tensor, rng: Rng, ratio: float = 0.125) -> Tensor:
    """Shift by up to ``ratio`` of the size in each direction; uncovered pixels become 0."""
    n, _, h, w = x.shape
    max_dy, max_dx = int(h * ratio + 0.5), int(w * ratio + 0.5)
    dy = torch.randint(-max_dy, max_dy + 1, (n, 1, 1), generator=rng, device=x.device)
    dx = torch.randint(-max_dx, max_dx + 1, (n, 1, 1), generator=rng, device=x.device)
    batch, rows, cols = torch.meshgrid(
        torch.arange(n, device=x.device),
        torch.arange(h, device=x.device),
        torch.arange(w, device=x.device),
        indexing="ij",
    )
    rows = (rows + dy + 1).clamp(0, h + 1)
    cols = (cols + dx + 1).clamp(0, w + 1)
    padded = F.pad(x, [1, 1, 1, 1]).permute(0, 2, 3, 1)
    return padded[batch, rows, cols].permute(0, 3, 1, 2)


def cutout(x: Tensor, rng: Rng, ratio: float = 0.5) -> Tensor:
    """Zero one square of ``ratio`` times the size at a random place (it may hang over the border)."""
    n, _, h, w = x.shape
    size_h, size_w = int(h * ratio + 0.5), int(w * ratio + 0.5)
    off_y = torch.randint(0, h + (1 - size_h % 2), (n, 1, 1), generator=rng, device=x.device)
    off_x = torch.randint(0, w + (1 - size_w % 2), (n, 1, 1), generator=rng, device=x.device)
    batch, rows, cols = torch.meshgrid(
        torch.arange(n, device=x.device),
        torch.arange(size_h, device=x.device),
        torch.arange(size_w, device=x.device),
        indexing="ij",
    )
    rows = (rows + off_y - size_h // 2).clamp(0, h - 1)
    cols = (cols + off_x - size_w // 2).clamp(0, w - 1)
    mask = torch.ones(n, h, w, device=x.device, dtype=x.dtype)
    mask[batch, rows, cols] = 0
    return x * mask.unsqueeze(1)


def flip(x: Tensor, rng: Rng) -> Tensor:
    """Mirror left-right with probability 1/2."""
    return torch.where(_uniform(x, rng) < 0.5, x.flip(3), x)


def rotate90(x: Tensor, rng: Rng) -> Tensor:
    """Rotate by 0, 90, 180 or 270 degrees (square images)."""
    k = torch.randint(0, 4, (x.shape[0], 1, 1, 1), generator=rng, device=x.device)
    out = x
    for turns in (1, 2, 3):
        out = torch.where(k == turns, torch.rot90(x, turns, dims=(2, 3)), out)
    return out


OPERATIONS: dict[str, tuple[Op, ...]] = {
    "color": (brightness, saturation, contrast),
    "translation": (translation,),
    "cutout": (cutout,),
    "flip": (flip,),
    "rotate90": (rotate90,),
}


def parse_policy(policy: str | Sequence[str], owner: str) -> tuple[str, ...]:
    """``"color,translation"`` or a list of names -> validated tuple; ConfigError lists the valid names."""
    names = tuple(p.strip() for p in policy.split(",")) if isinstance(policy, str) else tuple(policy)
    unknown = [name for name in names if name not in OPERATIONS]
    if unknown or not names:
        raise ConfigError(
            f"{owner} policy {policy!r}: unknown augmentation(s) {unknown}. "
            f"Choose from {', '.join(OPERATIONS)} (comma-separated)."
        )
    return names


def check_images(data_shape: Sequence[int], policy: Sequence[str], owner: str) -> None:
    """Augmentations act on (C, H, W) images; ``rotate90`` needs square ones."""
    if len(data_shape) != 3:
        raise ConfigError(
            f"{owner} augments images, but the data has shape {tuple(data_shape)}. "
            "Use it with image datasets (MNIST, FashionMNIST, CIFAR10, ...) or remove the callback."
        )
    if "rotate90" in policy and data_shape[1] != data_shape[2]:
        raise ConfigError(f"{owner}: rotate90 needs square images, got {data_shape[1]}x{data_shape[2]}.")


def augment(x: Tensor, policy: Sequence[str], rng: Rng, p: float = 1.0) -> Tensor:
    """Apply each operation of ``policy`` in turn, each to a sample with probability ``p``."""
    if p <= 0:
        return x
    for name in policy:
        for op in OPERATIONS[name]:
            out = op(x, rng)
            x = out if p >= 1 else torch.where(_uniform(x, rng) < p, out, x)
    return x
