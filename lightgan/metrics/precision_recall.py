"""Improved precision and recall (Kynkäänniemi et al., 2019) from k-NN manifolds in feature space.

Each set's manifold is the union of balls around its samples, each ball reaching that sample's
k-th nearest neighbour within the set. Precision: the share of generated samples inside the
real manifold (are fakes realistic?). Recall: the share of real samples inside the generated
manifold (is the data's variety covered?). Identical sets give 1 and 1.
"""

from __future__ import annotations

import torch
from torch import Tensor


def _squared_distances(a: Tensor, b: Tensor) -> Tensor:
    """Pairwise squared Euclidean distances through one matrix product (float64 for exactness)."""
    a, b = a.double(), b.double()
    return (a.square().sum(1, keepdim=True) + b.square().sum(1) - 2 * a @ b.T).clamp_(min=0)


def knn_radii(features: Tensor, k: int = 3, chunk: int = 1024) -> Tensor:
    """Squared distance from each sample to its k-th nearest neighbour in the same set (itself excluded)."""
    if len(features) <= k:
        raise ValueError(f"k-NN radii with k={k} need more than {k} samples, got {len(features)}")
    radii = [
        _squared_distances(part, features).topk(k + 1, dim=1, largest=False).values[:, k]
        for part in features.split(chunk)
    ]
    return torch.cat(radii)


def manifold_coverage(samples: Tensor, manifold: Tensor, radii: Tensor, chunk: int = 1024) -> float:
    """Share of ``samples`` inside at least one ball (centre ``manifold[i]``, squared radius ``radii[i]``)."""
    inside = [(_squared_distances(part, manifold) <= radii).any(dim=1) for part in samples.split(chunk)]
    return float(torch.cat(inside).double().mean())


def precision_recall(
    real: Tensor, fake: Tensor, k: int = 3, device: str | torch.device | None = None
) -> tuple[float, float]:
    """(precision, recall) of ``fake`` against ``real`` with k-NN balls (k = 3 as in the paper).

    ``device`` is where the pairwise distances are computed (a GPU makes 10,000 x 10,000 cheap).
    """
    if device is not None:
        real, fake = real.to(device), fake.to(device)
    precision = manifold_coverage(fake, real, knn_radii(real, k))
    recall = manifold_coverage(real, fake, knn_radii(fake, k))
    return precision, recall
