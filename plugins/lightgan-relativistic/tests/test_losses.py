"""The relativistic objectives against hand computations."""

from __future__ import annotations

import math

import pytest
import torch
from lightgan.api import ConfigError

from lightgan_relativistic import RelativisticAverageLoss, RelativisticLoss


def softplus(x: float) -> float:
    return math.log1p(math.exp(x))


REAL = torch.tensor([2.0, 0.0])
FAKE = torch.tensor([1.0, -1.0])  # mean(REAL) = 1, mean(FAKE) = 0


def test_rsgan_pairs_real_and_fake_by_position() -> None:
    loss = RelativisticLoss()
    # D: -log sigmoid(r_i - f_i) = softplus(f_i - r_i); pairs (2, 1) and (0, -1)
    expected_d = (softplus(1 - 2) + softplus(-1 - 0)) / 2
    assert loss.discriminator_loss(REAL, FAKE).item() == pytest.approx(expected_d)
    # G: -log sigmoid(f_i - r_i) = softplus(r_i - f_i)
    expected_g = (softplus(2 - 1) + softplus(0 + 1)) / 2
    assert loss.generator_loss(FAKE, REAL).item() == pytest.approx(expected_g)


def test_ragan_compares_with_the_other_sides_mean() -> None:
    loss = RelativisticAverageLoss()
    real_rel = [2 - 0, 0 - 0]  # real minus mean fake
    fake_rel = [1 - 1, -1 - 1]  # fake minus mean real
    expected_d = sum(softplus(-r) for r in real_rel) / 2 + sum(softplus(f) for f in fake_rel) / 2
    expected_g = sum(softplus(-f) for f in fake_rel) / 2 + sum(softplus(r) for r in real_rel) / 2
    assert loss.discriminator_loss(REAL, FAKE).item() == pytest.approx(expected_d)
    assert loss.generator_loss(FAKE, REAL).item() == pytest.approx(expected_g)


def test_ragan_discriminator_targets_can_be_smoothed() -> None:
    loss = RelativisticAverageLoss()
    real_rel = torch.tensor([2.0, 0.0])
    smoothed = loss.discriminator_loss(REAL, FAKE, real_target=0.9)
    # BCE(x, t) = softplus(x) - t x, so the real part changes by (1 - 0.9) * mean(real_rel)
    assert (smoothed - loss.discriminator_loss(REAL, FAKE)).item() == pytest.approx(0.1 * real_rel.mean().item())


@pytest.mark.parametrize("loss", [RelativisticLoss(), RelativisticAverageLoss()], ids=["rsgan", "ragan"])
def test_generator_loss_without_real_outputs_names_the_fix(loss) -> None:
    assert loss.generator_needs_real
    with pytest.raises(ConfigError, match="must pass real_out"):
        loss.generator_loss(FAKE)
