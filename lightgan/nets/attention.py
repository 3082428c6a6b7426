"""Self-attention over feature-map positions (SAGAN, Zhang et al., 2019, section 3).

A convolution sees only its kernel's neighbourhood, so a generator built of them struggles with
structure that spans the image (a dog's four legs). Self-attention lets every position read every
other one: with ``f``, ``g``, ``h`` 1x1 convolutions to C/8 channels and ``v`` one back to C,

    s_ij = f(x_i)^T g(x_j),  beta_ji = softmax_i(s_ij),  o_j = v(sum_i beta_ji h(x_i)),  y = gamma o + x.

``gamma`` starts at 0, so the block starts as the identity and the network first relies on local
cues, then learns to weigh in the non-local ones. This is the paper's plain form; its code also
max-pools keys and values to save memory, which is left out here.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class SelfAttention(nn.Module):
    """SAGAN's attention block on ``channels`` feature maps; keys, queries and values have ``channels // 8``.

    Args:
        channels: C, the feature maps in and out.
        reduction: C / C-bar, the paper's k (8 in all its experiments); at least one channel is kept.
    """

    def __init__(self, channels: int, reduction: int = 8) -> None:
        super().__init__()
        inner = max(channels // reduction, 1)
        self.f = nn.Conv2d(channels, inner, 1, bias=False)
        self.g = nn.Conv2d(channels, inner, 1, bias=False)
        self.h = nn.Conv2d(channels, inner, 1, bias=False)
        self.v = nn.Conv2d(inner, channels, 1, bias=False)
        self.gamma = nn.Parameter(torch.zeros(()))

    def attention_map(self, x: Tensor) -> Tensor:
        """beta of shape (N, HW, HW): row j is how much position j attends to each position i (sums to 1)."""
        keys = self.f(x).flatten(2)  # (N, C', HW): f(x_i)
        queries = self.g(x).flatten(2)  # (N, C', HW): g(x_j)
        return torch.softmax(queries.transpose(1, 2) @ keys, dim=-1)

    def forward(self, x: Tensor) -> Tensor:
        beta = self.attention_map(x)
        values = self.h(x).flatten(2)  # (N, C', HW): h(x_i)
        attended = (values @ beta.transpose(1, 2)).view(x.shape[0], -1, *x.shape[2:])
        return self.gamma * self.v(attended) + x
