"""Paired images for image-to-image tests: each target comes with the input it is to be made from.

Targets are 16x16 colour images of a filled square on black; each input is that square's
outline, one channel (as edges -> photo). The square's place, size and colour are random.
"""

from __future__ import annotations

from typing import Any

import torch
from player_modules import DomainPairs
from torch import Tensor

from lightgan.api import GANDataModule

SIZE = 16


def outlined_squares(n: int, rng: torch.Generator) -> tuple[Tensor, Tensor]:
    """(outlines (n, 1, SIZE, SIZE), filled colour squares (n, 3, SIZE, SIZE)), both in [-1, 1]."""
    outlines = torch.full((n, 1, SIZE, SIZE), -1.0)
    squares = torch.full((n, 3, SIZE, SIZE), -1.0)
    sides = torch.randint(4, 9, (n,), generator=rng)
    colours = torch.rand(n, 3, generator=rng) * 2 - 1
    for i, side in enumerate(sides.tolist()):
        row, col = torch.randint(0, SIZE - side + 1, (2,), generator=rng).tolist()
        box = (slice(row, row + side), slice(col, col + side))
        squares[i][:, box[0], box[1]] = colours[i].view(3, 1, 1)
        outlines[i][:, box[0], box[1]] = 1.0
        outlines[i][:, row + 1 : row + side - 1, col + 1 : col + side - 1] = -1.0
    return outlines, squares


class PairedSquares(GANDataModule):
    """Outlines (batch key ``source``) and the filled squares they outline (``real``)."""

    def __init__(self, num_samples: int = 64, val_samples: int = 16, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.num_samples, self.val_samples = num_samples, val_samples
        self.data_shape = (3, SIZE, SIZE)

    def setup(self, stage: str) -> None:
        if self.train_set is None:
            rng = torch.Generator().manual_seed(0)
            self.train_set = DomainPairs(*outlined_squares(self.num_samples, rng))
            self.val_set = DomainPairs(*outlined_squares(self.val_samples, rng))
