"""FID, KID and IS (torchmetrics) computed from features that were extracted once.

torchmetrics' metrics run their own feature network on images; here each receives an identity
module instead, so the expensive extraction happens once per sample set, with any extractor,
and the real set's features can be reused across evaluations. Random subsets (KID, IS splits)
are drawn from a seeded generator that leaves the global RNG alone.

Under DDP every rank scores the same seeded samples, so the metrics do not gather their states
across ranks (that would add copies of every sample, biasing KID and IS, and fails for CPU states
under NCCL).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import TypeVar

import torch
from torch import Tensor, nn
from torchmetrics.image.fid import FrechetInceptionDistance
from torchmetrics.image.inception import InceptionScore
from torchmetrics.image.kid import KernelInceptionDistance

T = TypeVar("T")


class UnreliableScoreWarning(UserWarning):
    """A score was computed, but from too few samples to be trusted."""


class _Precomputed(nn.Module):
    """Hands already-extracted features to a torchmetrics metric unchanged."""

    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.num_features = num_features

    def forward(self, features: Tensor) -> Tensor:
        return features


def _seeded(seed: int, fn: Callable[[], T]) -> T:
    """Run ``fn`` with the CPU RNG seeded, restoring the caller's RNG state afterwards."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return fn()


def _quiet(fn: Callable[[], T]) -> T:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*will save all extracted features in buffer.*")
        warnings.filterwarnings("ignore", message=".*degrees of freedom is <= 0.*")  # std of a single split
        return fn()


def fid(real: Tensor, fake: Tensor) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (lower is better, 0 for identical sets).

    Warns with ``UnreliableScoreWarning`` when either set has fewer samples than feature
    dimensions: the covariance estimate is then rank-deficient and FID biased.
    """
    dim = real.shape[1]
    n = min(len(real), len(fake))
    if n < dim:
        warnings.warn(
            f"FID from {n} samples of {dim}-d features is unreliable: the covariance needs more samples than "
            f"dimensions. Use n >= {dim} (10,000 or more is usual for Inception features).",
            UnreliableScoreWarning,
            stacklevel=2,
        )
    metric = FrechetInceptionDistance(feature=_Precomputed(dim), sync_on_compute=False)
    metric.update(real.double(), real=True)
    metric.update(fake.double(), real=False)
    return float(metric.compute())


def kid(
    real: Tensor,
    fake: Tensor,
    subsets: int = 100,
    subset_size: int = 1000,
    seed: int = 0,
    device: str | torch.device | None = None,
) -> tuple[float, float]:
    """Kernel distance (polynomial MMD²): mean and std over random subsets; 0 in expectation for equal sets.

    ``device`` is where the kernels are computed; the subsets are the same on every device.
    """
    size = min(subset_size, len(real), len(fake))
    features = _Precomputed(real.shape[1])
    metric = _quiet(
        lambda: KernelInceptionDistance(feature=features, subsets=subsets, subset_size=size, sync_on_compute=False)
    )
    metric.update(real.to(device).double(), real=True)
    metric.update(fake.to(device).double(), real=False)
    mean, std = _seeded(seed, metric.compute)
    return float(mean), float(std)


def inception_score(logits: Tensor, splits: int = 10, seed: int = 0) -> tuple[float, float]:
    """exp(E[KL(p(y|x) || p(y))]) over ``splits`` parts: 1 for uninformative logits, up to the class count."""
    metric = _quiet(
        lambda: InceptionScore(
            feature=_Precomputed(logits.shape[1]), splits=min(splits, len(logits)), sync_on_compute=False
        )
    )
    metric.update(logits.double())
    mean, std = _quiet(lambda: _seeded(seed, metric.compute))
    return float(mean), float(std)
