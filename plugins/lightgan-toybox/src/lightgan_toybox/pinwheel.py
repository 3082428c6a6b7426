"""``Pinwheel``: 2-D points on curved arms, a toy distribution that is not a Gaussian mixture.

The shape of Johnson et al. (2016, "Composing graphical models with neural networks"): a
point starts at (1 + radial noise, tangential noise), is assigned an arm, and is rotated by
the arm's angle plus ``rate * exp(radius)``, which bends the arm outwards. Modes are curved and
anisotropic, so a generator cannot cover them with round blobs.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from lightgan.api import ConfigError, GANDataModule, InMemoryDataset


class Pinwheel(GANDataModule):
    """``num_arms`` curved arms around the origin, generated once from ``sample_seed``.

    Args:
        num_arms: number of arms (classes when ``labelled``).
        radial_std, tangential_std: spread along and across an arm before bending.
        rate: how strongly arms bend with distance from the centre.
        num_samples, val_samples: training and held-out points.
        labelled: give each point its arm as class label, so conditional models can use it.
        sample_seed: seed of the generated points (fixed, so every run sees the same data).
        **kwargs: everything ``GANDataModule`` takes (batch_size, num_workers, seed).
    """

    def __init__(
        self,
        num_arms: int = 5,
        radial_std: float = 0.3,
        tangential_std: float = 0.05,
        rate: float = 0.25,
        num_samples: int = 50_000,
        val_samples: int = 2_500,
        labelled: bool = False,
        sample_seed: int = 0,
        batch_size: int = 100,
        **kwargs: Any,
    ) -> None:
        super().__init__(batch_size=batch_size, **kwargs)
        if num_arms < 1:
            raise ConfigError(f"data.init_args.num_arms must be >= 1, got {num_arms}.")
        if radial_std <= 0 or tangential_std <= 0:
            raise ConfigError(
                f"data.init_args.radial_std and tangential_std must be positive, got {radial_std} and {tangential_std}."
            )
        if num_samples < batch_size:
            raise ConfigError(
                f"data.init_args.num_samples ({num_samples}) must be at least the batch size ({batch_size})."
            )
        self.num_arms, self.radial_std, self.tangential_std, self.rate = num_arms, radial_std, tangential_std, rate
        self.num_samples, self.val_samples, self.sample_seed = num_samples, val_samples, sample_seed
        self.data_shape = (2,)
        self.num_classes = num_arms if labelled else 0

    def arm_angles(self) -> torch.Tensor:
        """Starting angle of each arm, evenly spaced."""
        return torch.arange(self.num_arms, dtype=torch.float64) * (2 * math.pi / self.num_arms)

    def draw(self, n: int, rng: torch.Generator) -> InMemoryDataset:
        """``n`` points and their arm indices."""
        arms = torch.randint(0, self.num_arms, (n,), generator=rng)
        noise = torch.randn(n, 2, generator=rng, dtype=torch.float64)
        radial = 1.0 + self.radial_std * noise[:, 0]
        tangential = self.tangential_std * noise[:, 1]
        angle = self.arm_angles()[arms] + self.rate * radial.exp()
        cos, sin = angle.cos(), angle.sin()
        points = torch.stack([radial * cos - tangential * sin, radial * sin + tangential * cos], dim=1)
        return InMemoryDataset(points.float(), arms if self.num_classes else None)

    def setup(self, stage: str) -> None:
        if self.train_set is None:
            rng = torch.Generator().manual_seed(self.sample_seed)
            self.train_set = self.draw(self.num_samples, rng)
            self.val_set = self.test_set = self.draw(self.val_samples, rng)
