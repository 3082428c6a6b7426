"""A datamodule of points of any shape, for models of data that is neither images nor 2-D points."""

from __future__ import annotations

from typing import Any

import torch

from lightgan.api import GANDataModule, InMemoryDataset


class GaussianBlobs(GANDataModule):
    """Samples of ``shape`` around ``num_modes`` fixed centres in [-2, 2] (``mode_centers``), std 0.1.

    Args:
        shape: the shape of one sample, e.g. ``[3]`` for 3-D points.
        num_modes: how many centres.
        num_samples: training samples.
        val_samples: held-out samples.
    """

    def __init__(
        self,
        shape: tuple[int, ...] = (3,),
        num_modes: int = 4,
        num_samples: int = 96,
        val_samples: int = 32,
        batch_size: int = 32,
        **kwargs: Any,
    ) -> None:
        super().__init__(batch_size=batch_size, **kwargs)
        self.num_samples, self.val_samples = num_samples, val_samples
        self.data_shape = tuple(shape)
        centres = torch.rand((num_modes, *self.data_shape), generator=torch.Generator().manual_seed(0))
        self.mode_centers = 4 * centres - 2

    def _draw(self, n: int, rng: torch.Generator) -> InMemoryDataset:
        modes = torch.randint(0, len(self.mode_centers), (n,), generator=rng)
        return InMemoryDataset(self.mode_centers[modes] + 0.1 * torch.randn((n, *self.data_shape), generator=rng))

    def setup(self, stage: str) -> None:
        if self.train_set is None:
            rng = torch.Generator().manual_seed(1)
            self.train_set, self.val_set = self._draw(self.num_samples, rng), self._draw(self.val_samples, rng)
