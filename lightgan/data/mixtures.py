"""Gaussian mixtures: the 2-D ones of the mode-collapse literature (PacGAN, VEEGAN, Unrolled GAN) and 1-D ones.

Ring: 8 modes evenly spaced on a circle of radius 1, std 0.01. Grid: 25 modes at
{-4, -2, 0, 2, 4}^2, std 0.05. Mixture1D: modes on a line (one mode is a single Gaussian), the
setting of the classic picture of p_data, p_g and D(x). Samples are generated once from
``sample_seed``; labels hold each sample's mode index, and ``mode_centers``/``mode_std`` let
plots and metrics find modes.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor

from lightgan.data.base import GANDataModule, InMemoryDataset
from lightgan.errors import ConfigError


class ToyMixture(GANDataModule):
    """Equal-weight isotropic Gaussians around ``mode_centers``.

    Args:
        num_samples: training samples (100,000 gives 1,000 steps per epoch at batch size 100).
        val_samples: held-out samples for validation.
        std: standard deviation of every mode.
        sample_seed: seed of the generated points (fixed, so every run sees the same data).
    """

    def __init__(
        self,
        num_samples: int = 100_000,
        val_samples: int = 2_500,
        std: float = 0.01,
        sample_seed: int = 0,
        batch_size: int = 100,
        **kwargs: Any,
    ) -> None:
        super().__init__(batch_size=batch_size, **kwargs)
        if num_samples < batch_size:
            raise ConfigError(
                f"data.init_args.num_samples ({num_samples}) must be at least the batch size ({batch_size})."
            )
        if std <= 0:
            raise ConfigError(f"data.init_args.std must be positive, got {std}.")
        self.num_samples, self.val_samples, self.mode_std, self.sample_seed = num_samples, val_samples, std, sample_seed
        self.mode_centers = self.centers()
        self.data_shape = (self.mode_centers.shape[1],)
        # Mode labels exist for metrics and plots; the data is treated as unconditional.
        self.num_classes = 0

    def centers(self) -> Tensor:
        """(modes, dimensions) float centres."""
        raise NotImplementedError

    def _draw(self, n: int, rng: torch.Generator) -> InMemoryDataset:
        modes = torch.randint(0, len(self.mode_centers), (n,), generator=rng)
        points = self.mode_centers[modes] + self.mode_std * torch.randn(n, *self.data_shape, generator=rng)
        return InMemoryDataset(points.float(), modes)

    def setup(self, stage: str) -> None:
        if self.train_set is None:
            rng = torch.Generator().manual_seed(self.sample_seed)
            self.train_set = self._draw(self.num_samples, rng)
            self.val_set = self.test_set = self._draw(self.val_samples, rng)


class RingMixture(ToyMixture):
    """``num_modes`` Gaussians evenly spaced on a circle."""

    def __init__(self, num_modes: int = 8, radius: float = 1.0, std: float = 0.01, **kwargs: Any) -> None:
        self.num_modes, self.radius = num_modes, radius
        super().__init__(std=std, **kwargs)

    def centers(self) -> Tensor:
        angles = torch.arange(self.num_modes, dtype=torch.float64) * (2 * math.pi / self.num_modes)
        return (self.radius * torch.stack([angles.cos(), angles.sin()], dim=1)).float()


class GridMixture(ToyMixture):
    """Gaussians on a square grid; the default 5x5 grid spans {-4, -2, 0, 2, 4}^2."""

    def __init__(self, grid_size: int = 5, spacing: float = 2.0, std: float = 0.05, **kwargs: Any) -> None:
        self.grid_size, self.spacing = grid_size, spacing
        super().__init__(std=std, **kwargs)

    def centers(self) -> Tensor:
        offset = (self.grid_size - 1) / 2
        coords = (torch.arange(self.grid_size, dtype=torch.float32) - offset) * self.spacing
        xs, ys = torch.meshgrid(coords, coords, indexing="ij")
        return torch.stack([xs.flatten(), ys.flatten()], dim=1)


class Mixture1D(ToyMixture):
    """Equal-weight Gaussians on a line, ``centers=[0]`` a single one: 1-D data whose densities can be drawn.

    Args:
        centers: the modes' positions (the default two modes, far apart for their spread, show a
            generator that covers only one of them, or the mass it leaves between them).
        std: standard deviation of every mode.
    """

    def __init__(self, centers: tuple[float, ...] = (-2.0, 2.0), std: float = 0.5, **kwargs: Any) -> None:
        if not centers:
            raise ConfigError("data.init_args.centers must list at least one mode position, e.g. [-2.0, 2.0].")
        self.positions = tuple(float(c) for c in centers)
        super().__init__(std=std, **kwargs)

    def centers(self) -> Tensor:
        return torch.tensor(self.positions, dtype=torch.float32).view(-1, 1)
