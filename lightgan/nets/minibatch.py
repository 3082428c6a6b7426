"""Minibatch discrimination (Salimans et al., 2016): let D compare each sample with the rest of its batch.

A collapsed generator produces batches whose samples are all alike; a discriminator that sees
only one sample at a time cannot tell. The layer projects each sample's features ``f(x_i)`` with
a tensor ``T`` in R^{A x B x C} to ``M_i`` in R^{B x C}, and appends, per kernel ``b``,
``o(x_i)_b = sum_j exp(-||M_i,b - M_j,b||_1)``: how close the sample is to the others.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


class MinibatchDiscriminationLayer(nn.Module):
    """(N, A) features -> (N, B) closeness of each sample to the batch, one value per kernel."""

    def __init__(self, in_features: int, num_kernels: int = 100, kernel_dim: int = 5) -> None:
        super().__init__()
        self.num_kernels, self.kernel_dim = num_kernels, kernel_dim
        self.T = nn.Parameter(torch.empty(in_features, num_kernels * kernel_dim))
        # L1 distances between projections start around 1, where exp(-d) still has a useful gradient
        nn.init.normal_(self.T, std=1.0 / (kernel_dim * math.sqrt(in_features)))

    def forward(self, features: Tensor) -> Tensor:
        m = (features @ self.T).view(-1, self.num_kernels, self.kernel_dim).transpose(0, 1)  # (B, N, C)
        distances = torch.cdist(m, m, p=1)  # (B, N, N) L1 distances between the batch's samples, per kernel
        return torch.exp(-distances).sum(-1).t()


class MinibatchDiscriminationHead(nn.Module):
    """D's output layer with minibatch features appended to its input.

    ``head(f) + P o(f)`` equals a linear head applied to the concatenation ``[f, o(f)]`` (for the
    linear and full-size convolutional heads lightgan's discriminators use), while keeping the
    original head's parameters and names.
    """

    def __init__(self, head: nn.Module, in_features: int, out_features: int, num_kernels: int, kernel_dim: int) -> None:
        super().__init__()
        self.head = head
        self.minibatch = MinibatchDiscriminationLayer(in_features, num_kernels, kernel_dim)
        self.project = nn.Linear(num_kernels, out_features, bias=False)

    def forward(self, features: Tensor) -> Tensor:
        out = self.head(features)
        return out + self.project(self.minibatch(features.flatten(1))).view_as(out)
