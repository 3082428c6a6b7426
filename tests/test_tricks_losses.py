"""Tricks that change a loss: feature matching, gradient penalties, historical averaging."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from trick_steps import (
    changed_fields,
    d_step,
    g_step,
    params_of,
    run_d_step,
    run_g_step,
    snapshot,
    tiny_dcgan,
    tiny_gan,
)

from lightgan.callbacks import FeatureMatching, GradientPenalty, HistoricalAveraging, R1Penalty, R2Penalty
from lightgan.core.hooks import GANCallback
from lightgan.errors import ConfigError
from lightgan.models import InfoGAN


# ---------------------------------------------------------------- feature matching
def _feature_distance(module, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    d = module.discriminator
    return ((d.features(real).flatten(1).mean(0) - d.features(fake).flatten(1).mean(0)) ** 2).sum()


@pytest.mark.parametrize("adversarial_weight", [0.0, 0.5])
def test_feature_matching_loss_is_the_feature_distance(adversarial_weight: float) -> None:
    module = tiny_dcgan()
    callback = FeatureMatching(layer="features", weight=2.0, adversarial_weight=adversarial_weight)
    callback.setup(None, module, "fit")
    callback.on_fit_start(None, module)
    step = g_step(module)
    before = snapshot(step)
    stats_before = params_of(module.discriminator)

    run_g_step(module, [callback], step)

    stats_after = params_of(module.discriminator)
    adversarial = module.loss.generator_loss(step.fake_out)
    expected = adversarial_weight * adversarial + 2.0 * _feature_distance(module, step.batch["real"], step.fake)
    assert torch.allclose(step.loss, expected, rtol=1e-5)
    assert float(step.logs["train/feature_matching"]) > 0
    assert changed_fields(before, step) == {"loss", "fake_out", "adversarial_loss", "logs"}
    step.loss.backward()
    assert all(p.grad is not None for p in module.generator.parameters())
    # the extra pass over reals leaves D's batch-norm statistics as a plain G step leaves them
    module.discriminator.load_state_dict(stats_before)
    module.discriminate(step.fake)
    assert all(torch.equal(v, stats_after[k]) for k, v in params_of(module.discriminator).items())
    callback.on_fit_end(None, module)


class FlipReals(GANCallback):
    """Stands in for an augmentation of D's inputs."""

    def on_discriminator_inputs(self, trainer, pl_module, step) -> None:
        step.real = -step.real


class AddToLoss(GANCallback):
    def on_generator_loss(self, trainer, pl_module, step) -> None:
        step.loss = step.loss + 3.0


def test_feature_matching_compares_with_the_reals_d_saw_and_keeps_other_terms() -> None:
    module = tiny_dcgan()
    callback = FeatureMatching(layer="features", weight=2.0, adversarial_weight=0.0)
    callback.setup(None, module, "fit")
    callback.on_fit_start(None, module)
    d = run_d_step(module, [FlipReals(), callback], d_step(module))
    step = run_g_step(module, [AddToLoss(), callback], g_step(module))

    expected = 3.0 + 2.0 * _feature_distance(module, d.real, step.fake)  # the flipped reals; the +3 stays
    assert torch.allclose(step.loss, expected, rtol=1e-5)
    callback.on_fit_end(None, module)


def test_feature_matching_keeps_a_variants_own_generator_terms() -> None:
    torch.manual_seed(0)
    module = InfoGAN(data_shape=(1, 16, 16), latent_dim=8, categorical_codes=[3], continuous_codes=1, base_channels=4)
    callback = FeatureMatching(layer="features", weight=1.0, adversarial_weight=0.0)
    callback.setup(None, module, "fit")
    callback.on_fit_start(None, module)
    step = run_g_step(module, [callback], g_step(module))

    expected = step.logs["train/info_loss"] + _feature_distance(module, step.batch["real"], step.fake)
    assert torch.allclose(step.loss, expected, rtol=1e-5)
    callback.on_fit_end(None, module)


def test_feature_matching_on_a_named_inner_layer() -> None:
    module = tiny_dcgan()
    callback = FeatureMatching(layer="features.0")
    callback.setup(None, module, "fit")
    callback.on_fit_start(None, module)
    step = run_g_step(module, [callback], g_step(module))
    conv = module.discriminator.features[0]
    expected = ((conv(step.batch["real"]).flatten(1).mean(0) - conv(step.fake).flatten(1).mean(0)) ** 2).sum()
    assert torch.allclose(step.loss, expected, rtol=1e-5)


def test_feature_matching_lists_the_layers_of_d_when_the_name_is_wrong() -> None:
    with pytest.raises(ConfigError, match=r"layer 'penultimate'.*Valid layers: features, features\.0, .*head"):
        FeatureMatching(layer="penultimate").setup(None, tiny_gan(), "fit")


# ---------------------------------------------------------------- gradient penalties
def _linear_critic_module(seed: int = 0):
    """A module whose D is linear, so every input has gradient w: penalties have closed forms."""
    module = tiny_gan(data_shape=(3,))
    torch.manual_seed(seed)
    module.discriminator = nn.Linear(3, 1)
    return module, module.discriminator.weight.detach().flatten()


@pytest.mark.parametrize(
    ("callback", "log", "closed_form"),
    [
        (R1Penalty(gamma=4.0), "r1_penalty", lambda w: 4.0 * 0.5 * w.pow(2).sum()),
        (R2Penalty(gamma=3.0), "r2_penalty", lambda w: 3.0 * 0.5 * w.pow(2).sum()),
        (GradientPenalty(weight=10.0), "gradient_penalty", lambda w: 10.0 * (w.norm() - 1) ** 2),
        (GradientPenalty(weight=2.0, center=0.0), "gradient_penalty", lambda w: 2.0 * w.pow(2).sum()),
    ],
    ids=["R1", "R2", "WGAN-GP", "zero-centred GP"],
)
def test_penalty_adds_its_closed_form_to_d_loss_only(callback, log: str, closed_form) -> None:
    module, w = _linear_critic_module()
    step = d_step(module)
    step.real_out = module.discriminate(step.real)
    step.fake_out = module.discriminate(step.fake)
    step.loss = module.loss.discriminator_loss(step.real_out, step.fake_out)
    adversarial = step.loss.detach().clone()
    before = snapshot(step)
    callback.on_discriminator_loss(None, module, step)
    assert changed_fields(before, step) == {"loss", "logs"}
    assert torch.allclose(step.loss - adversarial, closed_form(w), rtol=1e-5)
    assert f"train/{log}" in step.logs
    step.loss.backward()  # the penalty is differentiable in D's weights (double backprop)
    assert module.discriminator.weight.grad is not None


def test_gradient_penalty_draws_its_interpolation_from_the_noise_rng() -> None:
    module = tiny_gan(data_shape=(3,))
    step = d_step(module)
    state = module.noise_rng.get_state()
    a = GradientPenalty().penalty(module, step)
    module.noise_rng.set_state(state)
    b = GradientPenalty().penalty(module, step)
    assert torch.equal(a, b)
    assert not torch.equal(module.noise_rng.get_state(), state)


# ---------------------------------------------------------------- historical averaging
def test_historical_averaging_penalises_distance_to_the_running_mean() -> None:
    module = tiny_gan(data_shape=(2,))
    callback = HistoricalAveraging(weight=3.0, networks=["discriminator"])
    callback.on_fit_start(None, module)
    step = run_d_step(module, [callback], d_step(module))
    assert float(step.logs["train/historical_averaging_d"]) == 0.0  # start: the mean is the current value

    with torch.no_grad():  # an optimizer step that moves every D parameter by +1
        for p in module.discriminator.parameters():
            p.add_(1.0)
    callback.on_after_discriminator_step(None, module, step)  # mean of (theta0, theta0 + 1) = theta0 + 0.5
    with torch.no_grad():
        for p in module.discriminator.parameters():
            p.add_(1.0)  # now theta0 + 2: distance 1.5 per parameter
    n_params = sum(p.numel() for p in module.discriminator.parameters())
    step = d_step(module)
    step.loss = module.discriminator_loss(step)
    adversarial = step.loss.detach().clone()
    callback.on_discriminator_loss(None, module, step)
    assert float(step.loss.detach() - adversarial) == pytest.approx(3.0 * 1.5**2 * n_params, rel=1e-5)

    gstep = run_g_step(module, [callback], g_step(module))  # G is not among the chosen networks
    assert torch.equal(gstep.loss, module.loss.generator_loss(gstep.fake_out))
    assert gstep.logs == {}


def test_historical_averaging_state_survives_a_round_trip() -> None:
    module = tiny_gan(data_shape=(2,))
    callback = HistoricalAveraging()
    callback.on_fit_start(None, module)
    callback.on_after_generator_step(None, module, g_step(module))
    restored = HistoricalAveraging()
    restored.load_state_dict(callback.state_dict())
    restored.on_fit_start(None, module)
    assert restored.counts == {"generator": 2, "discriminator": 1}
    pairs = zip(restored.averages["generator"], callback.averages["generator"], strict=True)
    assert all(torch.equal(a, b) for a, b in pairs)


def test_historical_averaging_rejects_unknown_networks() -> None:
    with pytest.raises(ConfigError, match="choose generator, discriminator or both"):
        HistoricalAveraging(networks=["critic"])
