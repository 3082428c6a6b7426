"""f-GAN losses: each is the variational bound of its divergence (Nowozin et al., 2016, Table 2)."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
import torch
from helpers import TINY_RING, fit
from torch import Tensor

from lightgan import registry
from lightgan.core.f_divergences import DIVERGENCES, FDivergenceLoss
from lightgan.errors import ConfigError

#: name -> (f(u), f'(u), the paper's conjugate f*(t), the inverse of the output activation g_f)
PAPER: dict[str, tuple[Callable, Callable, Callable, Callable]] = {
    "kl": (lambda u: u * u.log(), lambda u: 1 + u.log(), lambda t: (t - 1).exp(), lambda t: t),
    "reverse_kl": (lambda u: -u.log(), lambda u: -1 / u, lambda t: -1 - (-t).log(), lambda t: -(-t).log()),
    "pearson": (lambda u: (u - 1) ** 2, lambda u: 2 * (u - 1), lambda t: t * t / 4 + t, lambda t: t),
    "hellinger": (
        lambda u: (u.sqrt() - 1) ** 2,
        lambda u: 1 - 1 / u.sqrt(),
        lambda t: t / (1 - t),
        lambda t: -(1 - t).log(),
    ),
    "jensen_shannon": (
        lambda u: -(u + 1) * ((1 + u) / 2).log() + u * u.log(),
        lambda u: (2 * u / (1 + u)).log(),
        lambda t: -(2 - t.exp()).log(),
        lambda t: -((math.log(2) - t).exp() - 1).log(),
    ),
    "gan": (
        lambda u: u * u.log() - (u + 1) * (u + 1).log(),
        lambda u: (u / (u + 1)).log(),
        lambda t: -(1 - t.exp()).log(),
        lambda t: -((-t).exp() - 1).log(),
    ),
}

#: Two distributions on three points, as equally weighted samples (P: a a b c, Q: a b c c).
P_SAMPLES, Q_SAMPLES = torch.tensor([0, 0, 1, 2]), torch.tensor([0, 1, 2, 2])
P, Q = torch.tensor([0.5, 0.25, 0.25], dtype=torch.float64), torch.tensor([0.25, 0.25, 0.5], dtype=torch.float64)


def test_every_divergence_of_the_paper_is_registered_as_a_loss() -> None:
    assert set(PAPER) == set(DIVERGENCES)
    for name in DIVERGENCES:
        loss = registry.load("loss", f"f_{name}")()
        assert isinstance(loss, FDivergenceLoss) and loss.divergence == name


@pytest.mark.parametrize("name", sorted(PAPER))
def test_closed_form_matches_the_papers_conjugate_of_the_activation(name: str) -> None:
    activation, conjugate_of_activation = DIVERGENCES[name]
    conjugate = PAPER[name][2]
    v = torch.linspace(-3, 3, 61, dtype=torch.float64)
    assert torch.allclose(conjugate_of_activation(v), conjugate(activation(v)), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("name", sorted(PAPER))
def test_the_optimal_discriminator_attains_the_divergence(name: str) -> None:
    """sup_T E_P[T] - E_Q[f*(T)] = D_f(P || Q), reached at T = f'(p / q): D's loss there is -D_f."""
    f, derivative, _, inverse_activation = PAPER[name]
    ratio = P / Q
    divergence = (Q * f(ratio)).sum()
    v_at_points = inverse_activation(derivative(ratio))
    loss = registry.load("loss", f"f_{name}")()
    d_loss = loss.discriminator_loss(v_at_points[P_SAMPLES], v_at_points[Q_SAMPLES])
    assert d_loss.item() == pytest.approx(-divergence.item(), rel=1e-9)
    # any other discriminator is a worse bound
    worse = loss.discriminator_loss(v_at_points[P_SAMPLES] + 0.3, v_at_points[Q_SAMPLES] + 0.3)
    assert worse.item() > d_loss.item()


@pytest.mark.parametrize("name", sorted(PAPER))
def test_generator_objectives_reward_fakes_d_calls_real(name: str) -> None:
    fake_out = torch.linspace(-1.5, 2, 8, requires_grad=True)  # where g_f(v) is some f'(u), u >= 0
    for objective in ("activation", "conjugate"):
        fake_out.grad = None
        FDivergenceLoss(name, generator_objective=objective).generator_loss(fake_out).backward()
        assert (fake_out.grad < 0).all(), f"{name}/{objective}: G's loss must fall as D's output rises"


@pytest.mark.parametrize("name", sorted(PAPER))
def test_losses_stay_finite_for_large_outputs(name: str) -> None:
    out: Tensor = torch.tensor([-30.0, 0.0, 30.0])
    loss = FDivergenceLoss(name)
    assert torch.isfinite(loss.discriminator_loss(out, out))
    assert torch.isfinite(loss.generator_loss(out))


def test_unknown_divergence_names_the_valid_ones() -> None:
    with pytest.raises(ConfigError, match=r"Unknown f-divergence 'chi'.*kl, reverse_kl, pearson"):
        FDivergenceLoss("chi")
    with pytest.raises(ConfigError, match="generator_objective must be activation or conjugate"):
        FDivergenceLoss("kl", generator_objective="both")


@pytest.mark.parametrize("loss", ["f_pearson", "f_reverse_kl"])
def test_a_variant_trains_with_an_f_divergence_from_the_cli(loss: str, tmp_path) -> None:
    cli = fit(
        *TINY_RING,
        f"--model.init_args.loss={loss}",
        "--trainer.max_steps=6",
        f"--trainer.default_root_dir={tmp_path}",
    )
    assert cli.trainer.global_step == 6
    assert repr(cli.model.loss).startswith(f"FDivergenceLoss('{loss[2:]}'")
