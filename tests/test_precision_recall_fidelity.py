"""lightgan's precision/recall against torch-fidelity's on the same features (precision_recall.py says why both)."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor

from lightgan.metrics import precision_recall

metric_prc = pytest.importorskip("torch_fidelity.metric_prc", reason="torch-fidelity 0.3 has no precision/recall")


def features(n: int, d: int, seed: int, scale: float = 1.0, shift: float = 0.0) -> Tensor:
    """Non-negative float32 features near an 8-d manifold, like a network's pooled activations."""
    generator = torch.Generator().manual_seed(seed)
    basis = torch.randn(8, d, generator=torch.Generator().manual_seed(0)) / 4
    codes = torch.randn(n, 8, generator=generator) * scale + shift
    return (codes @ basis + 0.05 * torch.randn(n, d, generator=generator)).relu()


def fidelity(real: Tensor, fake: Tensor, k: int = 3) -> tuple[float, float]:
    out = metric_prc.prc_features_to_metric(fake, real, prc_neighborhood=k, save_cpu_ram=True, verbose=False)
    return out["precision"], out["recall"]


@pytest.mark.parametrize("k", [3, 5])
@pytest.mark.parametrize("d", [64, 256])
def test_torch_fidelity_gives_our_numbers_on_the_same_features(k: int, d: int) -> None:
    real, fake = features(500, d, 1), features(500, d, 2, scale=1.3, shift=0.4)
    ours = precision_recall(real, fake, k)
    assert 0.1 < ours[0] < 0.9 and 0.5 < ours[1] < 1.0  # neither set covers the other: the numbers say something
    assert fidelity(real, fake, k) == pytest.approx(ours, abs=1e-6)


def test_torch_fidelity_gives_our_numbers_for_a_collapsed_generator() -> None:
    real, fake = features(400, 64, 1), features(20, 64, 3).repeat(20, 1)  # 20 images, each drawn 20 times
    ours = precision_recall(real, fake)
    assert ours[1] < 0.5
    assert fidelity(real, fake) == pytest.approx(ours, abs=1e-6)


def test_far_from_the_origin_float32_distances_drift_and_ours_do_not() -> None:
    real, fake = features(300, 64, 1), features(300, 64, 2, scale=1.3, shift=0.4)
    exact = precision_recall(real, fake)
    far_real, far_fake = real + 1000.0, fake + 1000.0  # the same distances
    assert precision_recall(far_real, far_fake) == exact
    assert fidelity(far_real.double(), far_fake.double()) == pytest.approx(exact, abs=1e-6)
    assert fidelity(far_real, far_fake) != pytest.approx(exact, abs=0.05)
