"""Latent interpolation: walk the generator between two latent vectors, one row per pair.

Smooth transitions suggest G has learnt a meaningful latent space; abrupt jumps or repeated
images along a row suggest memorisation or collapse. Spherical interpolation (slerp) keeps the
intermediate vectors at the norm Gaussian noise actually has; linear interpolation passes
through the low-norm middle, which G never saw in training.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import lightning as L
import numpy as np
import torch
from torch import Tensor

from lightgan.core.module import GANModule
from lightgan.errors import ConfigError
from lightgan.monitors.pictures import PeriodicPicture
from lightgan.monitors.render import image_grid

Method = Literal["slerp", "linear"]


def interpolate(start: Tensor, end: Tensor, fractions: Tensor, method: Method = "slerp") -> Tensor:
    """(D,) endpoints and (T,) fractions in [0, 1] -> (T, D) points from ``start`` to ``end``."""
    t = fractions.to(start).unsqueeze(1)
    linear = (1 - t) * start + t * end
    if method == "linear":
        return linear
    cos = torch.dot(start, end) / (start.norm() * end.norm()).clamp_min(1e-12)
    omega = torch.arccos(cos.clamp(-1.0, 1.0))
    # parallel vectors: slerp and lerp coincide; opposite ones: no single great circle joins them
    # (slerp's formula gives 0)
    if omega < 1e-6 or math.pi - omega < 1e-6:
        return linear
    return (torch.sin((1 - t) * omega) * start + torch.sin(t * omega) * end) / torch.sin(omega)


def random_pairs(pl_module: GANModule, count: int, seed: int) -> Tensor:
    """(count, 2, latent_dim) endpoint pairs from the model's prior, drawn on the CPU: the same on any device."""
    rng = torch.Generator().manual_seed(seed)
    return pl_module.sample_noise(2 * count, rng).cpu().view(count, 2, -1)


def walks(pairs: Tensor, steps: int, method: Method = "slerp") -> Tensor:
    """(P, 2, D) endpoint pairs -> (P, steps, D): each walk from its start to its end, both included."""
    fractions = torch.linspace(0, 1, steps)
    return torch.stack([interpolate(start, end, fractions, method) for start, end in pairs])


class LatentInterpolation(PeriodicPicture):
    """A grid whose rows go from one latent vector to another in ``num_steps`` images.

    Args:
        every_n_epochs: draw at the end of every N-th epoch (0: never).
        every_n_steps: also draw every N generator steps (None: only per epoch).
        num_rows: number of endpoint pairs drawn from ``seed`` (ignored when ``endpoints`` is given).
        num_steps: images per row, endpoints included.
        method: ``slerp`` (spherical) or ``linear``.
        endpoints: chosen pairs ``[[z_start, z_end], ...]``, each z a list of ``latent_dim`` numbers.
        seed: seed of the random endpoints.
        folder: sub-folder of the run directory for the PNG files.

    Conditional models draw row ``r`` with class ``r mod num_classes``.
    """

    log_key = "interpolation"

    def __init__(
        self,
        every_n_epochs: int = 1,
        every_n_steps: int | None = None,
        num_rows: int = 8,
        num_steps: int = 8,
        method: Method = "slerp",
        endpoints: Sequence[tuple[Sequence[float], Sequence[float]]] | None = None,
        seed: int = 4321,
        folder: str = "interpolations",
    ) -> None:
        super().__init__(every_n_epochs, every_n_steps, folder)
        if method not in ("slerp", "linear"):
            raise ConfigError(f"LatentInterpolation method {method!r}: choose slerp or linear.")
        if num_steps < 2 or num_rows < 1:
            raise ConfigError(
                f"LatentInterpolation needs num_steps >= 2 and num_rows >= 1, got {num_steps}, {num_rows}."
            )
        self.num_rows, self.num_steps, self.method, self.seed = num_rows, num_steps, method, seed
        self.endpoints = endpoints
        self.z: Tensor | None = None
        self.labels: Tensor | None = None

    def setup(self, trainer: L.Trainer, pl_module: GANModule, stage: str) -> None:
        super().setup(trainer, pl_module, stage)
        if not pl_module.takes_noise:
            raise ConfigError(
                f"LatentInterpolation walks between noise vectors, but {type(pl_module).__name__} takes no noise. "
                "Remove the callback."
            )
        if len(pl_module.data_shape) != 3:
            raise ConfigError(
                f"LatentInterpolation draws rows of images, but the data has shape {tuple(pl_module.data_shape)}. "
                "Use FixedNoiseSamples for 2-D data."
            )
        self.z = self.latents(pl_module).cpu()
        rows = len(self.z) // self.num_steps
        if pl_module.conditional:
            self.labels = (torch.arange(rows) % pl_module.num_classes).repeat_interleave(self.num_steps)

    def _pairs(self, pl_module: GANModule) -> Tensor:
        if self.endpoints is None:
            return random_pairs(pl_module, self.num_rows, self.seed)
        pairs = torch.tensor([list(map(list, pair)) for pair in self.endpoints], dtype=torch.float32)
        if pairs.dim() != 3 or pairs.shape[1:] != (2, pl_module.latent_dim):
            raise ConfigError(
                f"LatentInterpolation endpoints must be pairs of latent vectors of length latent_dim="
                f"{pl_module.latent_dim}, i.e. [[z_start, z_end], ...]; got shape {tuple(pairs.shape)}."
            )
        return pairs

    def latents(self, pl_module: GANModule) -> Tensor:
        """(rows * num_steps, latent_dim) latent vectors, row by row."""
        return walks(self._pairs(pl_module), self.num_steps, self.method).flatten(0, 1)

    def render(self, trainer: L.Trainer, pl_module: GANModule, title: str) -> np.ndarray:
        assert self.z is not None
        labels = self.labels.to(pl_module.device) if self.labels is not None else None
        samples = pl_module.sample(len(self.z), labels=labels, z=self.z.to(pl_module.device))
        return image_grid(samples, nrow=self.num_steps)
