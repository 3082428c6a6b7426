from __future__ import annotations

import pytest
import torch

from lightgan.core.regularizers import dragan_penalty, gradient_penalty, r1_penalty


def linear_critic(weight: torch.Tensor):
    return lambda x: (x * weight).flatten(1).sum(1)


def test_gradient_penalty_of_a_linear_critic_is_exact() -> None:
    # grad of <w, x> is w everywhere: penalty = (||w|| - 1)^2 whatever the interpolation
    w = torch.full((1, 2, 2), 0.5)  # ||w|| = 1
    real, fake = torch.randn(4, 1, 2, 2), torch.randn(4, 1, 2, 2)
    assert gradient_penalty(linear_critic(w), real, fake).item() == pytest.approx(0.0, abs=1e-10)
    assert gradient_penalty(linear_critic(2 * w), real, fake).item() == pytest.approx(1.0)


def test_gradient_penalty_interpolates_with_one_coefficient_per_sample() -> None:
    seen = {}

    def critic(x: torch.Tensor) -> torch.Tensor:
        seen["x"] = x.detach()
        return x.flatten(1).sum(1)

    real = torch.zeros(5, 3, 4, 4)
    fake = torch.ones(5, 3, 4, 4)
    gradient_penalty(critic, real, fake, rng=torch.Generator().manual_seed(0))
    x_hat = seen["x"]  # = 1 - alpha per sample
    per_sample = x_hat.flatten(1)
    assert torch.allclose(per_sample, per_sample[:, :1].expand_as(per_sample))  # constant within a sample
    assert per_sample[:, 0].unique().numel() == 5  # different across samples


def test_penalties_are_differentiable_for_the_critic() -> None:
    w = torch.ones(1, 3, requires_grad=True)
    critic = lambda x: (x * w).sum(1)  # noqa: E731
    real = torch.randn(8, 3)
    (r1_penalty(critic, real) + dragan_penalty(critic, real)).backward()
    assert w.grad is not None and w.grad.abs().sum() > 0


def test_penalties_of_a_packed_critic_use_one_norm_and_one_coefficient_per_pack() -> None:
    # D sees packs of 2 consecutive samples; a linear packed critic with ||w|| = 1 is exactly 1-Lipschitz
    w = torch.full((1, 4), 0.5)
    seen = {}

    def packed_critic(x: torch.Tensor) -> torch.Tensor:
        seen["x"] = x.detach()
        return (x.reshape(x.shape[0] // 2, -1) * w).sum(1)

    real, fake = torch.zeros(6, 2), torch.ones(6, 2)
    assert gradient_penalty(packed_critic, real, fake, pack=2).item() == pytest.approx(0.0, abs=1e-10)
    alphas = seen["x"][:, 0]
    assert torch.equal(alphas[0::2], alphas[1::2]) and alphas[0::2].unique().numel() == 3
    assert gradient_penalty(packed_critic, real, fake).item() > 0.05  # per-sample norms are 1/sqrt(2)
    assert r1_penalty(packed_critic, real, pack=2).item() == pytest.approx(0.5)
    assert dragan_penalty(packed_critic, real, pack=2).item() == pytest.approx(0.0, abs=1e-10)
