"""Maxout discriminator (Goodfellow et al., 2013), the discriminator of PacGAN's 2-D experiments."""

from __future__ import annotations

import math
from collections.abc import Sequence

from torch import Tensor, nn


class Maxout(nn.Module):
    """A linear layer with ``pieces`` outputs per unit that keeps the largest of them."""

    def __init__(self, in_features: int, units: int, pieces: int) -> None:
        super().__init__()
        self.units, self.pieces = units, pieces
        self.linear = nn.Linear(in_features, units * pieces)

    def forward(self, x: Tensor) -> Tensor:
        return self.linear(x).unflatten(-1, (self.units, self.pieces)).amax(-1)


class MaxoutDiscriminator(nn.Module):
    """Flattened sample -> maxout layers -> one logit; PacGAN uses three layers of 200 units, 5 pieces.

    ``features`` is the last hidden representation and ``head`` the output layer.
    """

    def __init__(self, data_shape: Sequence[int], hidden_dims: Sequence[int] = (200, 200, 200), pieces: int = 5):
        super().__init__()
        layers: list[nn.Module] = [nn.Flatten()]
        width = math.prod(data_shape)
        for hidden in hidden_dims:
            layers.append(Maxout(width, hidden, pieces))
            width = hidden
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(width, 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x)).view(-1)
