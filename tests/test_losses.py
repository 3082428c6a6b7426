from __future__ import annotations

import math

import pytest
import torch

from lightgan.core.losses import (
    HingeLoss,
    LeastSquaresLoss,
    MinimaxLoss,
    NonSaturatingLoss,
    WassersteinLoss,
    broadcast_target,
    loss_spec,
    resolve_loss,
)
from lightgan.errors import ConfigError

REAL = torch.tensor([2.0, 0.5])
FAKE = torch.tensor([-1.0, 0.0])


def _softplus(x: float) -> float:
    return math.log1p(math.exp(x))


def test_minimax_matches_hand_computation() -> None:
    loss = MinimaxLoss()
    # -log sigmoid(r) = softplus(-r); -log(1 - sigmoid(f)) = softplus(f)
    expected_d = (_softplus(-2.0) + _softplus(-0.5)) / 2 + (_softplus(-1.0) + _softplus(0.0)) / 2
    assert loss.discriminator_loss(REAL, FAKE).item() == pytest.approx(expected_d, rel=1e-6)
    # G minimises log(1 - D(G(z))) = -softplus(f)
    assert loss.generator_loss(FAKE).item() == pytest.approx(-(_softplus(-1.0) + _softplus(0.0)) / 2, rel=1e-6)


def test_non_saturating_generator_keeps_gradient_where_minimax_vanishes() -> None:
    confident_fake = torch.tensor([-8.0], requires_grad=True)
    MinimaxLoss().generator_loss(confident_fake).backward()
    saturating = confident_fake.grad.abs().item()
    confident_fake.grad = None
    NonSaturatingLoss().generator_loss(confident_fake).backward()
    assert confident_fake.grad.abs().item() > 100 * saturating


def test_least_squares_targets_and_overrides() -> None:
    loss = LeastSquaresLoss(a=-1.0, b=1.0, c=0.0)
    assert loss.discriminator_loss(torch.ones(3), -torch.ones(3)).item() == 0.0
    assert loss.generator_loss(torch.zeros(3)).item() == 0.0
    # a smoothed real target replaces b
    assert loss.discriminator_loss(torch.full((3,), 0.9), -torch.ones(3), real_target=0.9).item() == 0.0


def test_wasserstein_and_hinge() -> None:
    assert WassersteinLoss().discriminator_loss(REAL, FAKE).item() == pytest.approx(-0.5 - 1.25)
    assert WassersteinLoss().generator_loss(FAKE).item() == pytest.approx(0.5)
    # hinge: relu(1 - 2) + relu(1 - 0.5) averaged, relu(1 - 1) + relu(1 + 0) averaged
    assert HingeLoss().discriminator_loss(REAL, FAKE).item() == pytest.approx(0.25 + 0.5)
    assert not WassersteinLoss.uses_targets and not HingeLoss.uses_targets


def test_per_sample_targets_broadcast_to_patch_outputs() -> None:
    out = torch.zeros(2, 1, 3, 3)
    target = broadcast_target(torch.tensor([0.7, 0.9]), 1.0, out)
    assert target.shape == out.shape
    assert torch.equal(target[0], torch.full((1, 3, 3), 0.7)) and torch.equal(target[1], torch.full((1, 3, 3), 0.9))


def test_resolve_by_name_path_and_spec() -> None:
    assert isinstance(resolve_loss("hinge"), HingeLoss)
    assert isinstance(resolve_loss("lightgan.core.losses.WassersteinLoss"), WassersteinLoss)
    spec = loss_spec(LeastSquaresLoss(a=-1, b=1, c=0))
    assert spec == {"class_path": "lightgan.core.losses.LeastSquaresLoss", "init_args": {"a": -1, "b": 1, "c": 0}}
    rebuilt = resolve_loss(spec)
    assert (rebuilt.a, rebuilt.b, rebuilt.c) == (-1, 1, 0)


def test_unknown_loss_name_lists_the_registered_ones() -> None:
    with pytest.raises(ConfigError, match=r"Did you mean 'hinge'.*least_squares"):
        resolve_loss("hinje")
