"""Mode coverage: the 2-D mixture metrics of VEEGAN/PacGAN and class histograms for labelled data.

Mixtures (Srivastava et al., 2017; Lin et al., 2018): a sample is *high quality* when it lies
within 3 standard deviations of its nearest mode centre; a mode is *captured* when at least one
high-quality sample belongs to it; the *reverse KL* is KL(q || uniform) for q the histogram of
high-quality samples over the modes. The papers use 2,500 generated samples.

Labelled data: a classifier assigns each generated sample a class; *classes covered* counts the
classes that receive at least one sample, and KL(generated || real) compares the generated
class histogram with the real label histogram.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor


def _kl(p: Tensor, q: Tensor) -> float:
    """KL(p || q) in nats for histograms given as probabilities; terms with p = 0 contribute nothing."""
    p, q = p.double(), q.double()
    support = p > 0
    if bool((q[support] == 0).any()):
        return math.inf
    return float((p[support] * (p[support] / q[support]).log()).sum())


@dataclass(frozen=True)
class MixtureCoverage:
    modes_captured: int
    high_quality_fraction: float
    reverse_kl: float
    counts: tuple[int, ...]  # high-quality samples per mode


def mixture_coverage(samples: Tensor, centers: Tensor, std: float, threshold: float = 3.0) -> MixtureCoverage:
    """The three mixture metrics for ``samples`` (N, D) against modes at ``centers`` (K, D) of equal ``std``.

    With no high-quality sample at all the reverse KL is undefined and reported as infinity.
    """
    samples, centers = samples.detach().double().cpu().flatten(1), centers.double().cpu()
    distances = torch.cdist(samples, centers)
    nearest_distance, nearest_mode = distances.min(dim=1)
    high_quality = nearest_distance < threshold * std
    counts = torch.bincount(nearest_mode[high_quality], minlength=len(centers))
    total = int(counts.sum())
    uniform = torch.full((len(centers),), 1.0 / len(centers))
    reverse_kl = _kl(counts / total, uniform) if total else math.inf
    return MixtureCoverage(
        modes_captured=int((counts > 0).sum()),
        high_quality_fraction=total / max(1, len(samples)),
        reverse_kl=reverse_kl,
        counts=tuple(int(c) for c in counts),
    )


@dataclass(frozen=True)
class ClassCoverage:
    classes_covered: int
    kl: float  # KL(generated class histogram || real label histogram)
    histogram: tuple[int, ...]


def class_coverage(predicted: Tensor, real_labels: Tensor, num_classes: int) -> ClassCoverage:
    """How generated samples (their predicted classes) spread over the classes, against the real labels."""
    generated = torch.bincount(predicted.long().cpu(), minlength=num_classes)
    real = torch.bincount(real_labels.long().cpu(), minlength=num_classes)
    return ClassCoverage(
        classes_covered=int((generated > 0).sum()),
        kl=_kl(generated / generated.sum(), real / real.sum()),
        histogram=tuple(int(c) for c in generated),
    )
