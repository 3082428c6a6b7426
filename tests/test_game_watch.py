"""GameWatch: singular values, gradient norms and the alarm when D wins outright, on tiny 2-D GANs."""

from __future__ import annotations

import pytest
import torch
from helpers import quiet_trainer
from variant_helpers import TINY_2D, tiny_ring

from lightgan.errors import ConfigError
from lightgan.models import GAN, GMAN
from lightgan.monitors import GameWatch
from lightgan.monitors.game import largest_singular_value
from lightgan.tricks import SpectralNorm


@pytest.mark.parametrize("shape", [(7, 5), (5, 40), (8, 3, 4, 4)])
def test_power_iteration_finds_the_largest_singular_value(shape: tuple[int, ...]) -> None:
    weight = torch.randn(*shape, generator=torch.Generator().manual_seed(1))
    exact = torch.linalg.matrix_norm(weight.flatten(1), ord=2).item()
    assert largest_singular_value(weight, iterations=200) == pytest.approx(exact, rel=1e-4)


def _watch(model, steps: int, watch: GameWatch, *callbacks) -> dict[str, torch.Tensor]:
    trainer = quiet_trainer(max_steps=steps, limit_val_batches=0, log_every_n_steps=1, callbacks=[watch, *callbacks])
    trainer.fit(model, tiny_ring(num_samples=640, batch_size=32))
    return trainer.callback_metrics


def test_logs_each_discriminator_layers_singular_value_and_each_players_gradient_norm() -> None:
    torch.manual_seed(0)
    logged = _watch(GMAN(num_discriminators=2, **TINY_2D), 3, GameWatch(every_n_steps=1))
    for player in ("d0", "d1"):
        layers = [key for key in logged if key.startswith(f"game/{player}_sigma/")]
        assert len(layers) == 3, layers  # two hidden layers and the head
        assert all(logged[key] > 0 for key in layers)
        assert logged[f"game/{player}_grad_norm"] > 0
    assert logged["game/g_grad_norm"] > 0 and logged["game/d_wins"] == 0


def test_spectral_norm_shows_as_singular_values_of_one() -> None:
    torch.manual_seed(0)
    logged = _watch(GAN(**TINY_2D), 30, GameWatch(every_n_steps=10), SpectralNorm())
    sigmas = [value.item() for key, value in logged.items() if key.startswith("game/d_sigma/")]
    assert sigmas and all(s == pytest.approx(1.0, abs=0.05) for s in sigmas)


def test_alarm_when_d_wins_outright_naming_the_step_and_what_to_try() -> None:
    torch.manual_seed(0)
    strong_d = GAN(**TINY_2D, lr_d=2e-2, lr_g=1e-6)  # G barely moves, D separates it from the data
    watch = GameWatch(every_n_steps=5, patience=2)
    with pytest.warns(UserWarning, match=r"GameWatch: at generator step \d+ the discriminator wins outright.*Try:"):
        logged = _watch(strong_d, 60, watch)
    assert watch.alarm_step is not None and logged["game/d_wins"] == 1
    d_losses = [d for d, _ in watch.windows]
    assert d_losses[-1] < 0.05 and watch.windows[-1][1] > watch.windows[0][1]


def test_no_alarm_for_a_balanced_game() -> None:
    torch.manual_seed(0)
    watch = GameWatch(every_n_steps=5, patience=2)
    logged = _watch(GAN(**TINY_2D), 40, watch)
    assert watch.alarm_step is None and logged["game/d_wins"] == 0
    assert all(d > 0.5 for d, _ in watch.windows)


def test_bad_settings_are_one_line() -> None:
    with pytest.raises(ConfigError, match="every_n_steps must be an integer >= 1"):
        GameWatch(every_n_steps=0)
    with pytest.raises(ConfigError, match="d_loss_floor must be positive"):
        GameWatch(d_loss_floor=0)
