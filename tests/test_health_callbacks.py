"""Health callbacks: NaN/Inf guard, mode-collapse alarm, discriminator overfitting signal."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import lightning as L
import pytest
import torch
from helpers import quiet_trainer
from lightning.pytorch.callbacks import ModelCheckpoint
from trick_steps import params_of, real_batch, tiny_dcgan, tiny_gan

from lightgan.callbacks import DiscriminatorOverfitting, ModeCollapseAlarm, NaNGuard, NonFiniteLossError
from lightgan.core.hooks import DiscriminatorStep, GANCallback, GeneratorStep
from lightgan.data import RingMixture
from lightgan.errors import ConfigError
from lightgan.models import GAN


def _ring_fit(tmp_path: Path, callbacks: list[L.Callback], model: GAN | None = None, **trainer: Any) -> tuple:
    data = RingMixture(num_samples=320, val_samples=64, batch_size=32, sample_seed=0)
    model = model or GAN(data_shape=data.data_shape, latent_dim=2, hidden_dims=(8, 8), seed=0)
    settings = dict(max_steps=5, limit_val_batches=0, default_root_dir=tmp_path)
    settings.update(trainer)
    fitted = quiet_trainer(callbacks=callbacks, **settings)
    fitted.fit(model, data)
    return fitted, model


class PoisonLoss(GANCallback):
    """Makes one loss NaN at one generator step (optionally through a logged penalty term)."""

    def __init__(self, network: str, at_step: int, term: str | None = None) -> None:
        self.network, self.at_step, self.term = network, at_step, term
        self.state_after: dict[str, torch.Tensor] | None = None

    def _poison(self, pl_module: Any, step: DiscriminatorStep | GeneratorStep) -> None:
        if pl_module.global_step == self.at_step:
            bad = torch.tensor(float("nan"))
            step.loss = step.loss * bad  # NaN gradients too, as a real divergence gives
            if self.term:
                step.logs[self.term] = bad

    def on_discriminator_loss(self, trainer, pl_module, step) -> None:
        if self.network == "discriminator":
            self._poison(pl_module, step)

    def on_generator_loss(self, trainer, pl_module, step) -> None:
        if self.network == "generator":
            self._poison(pl_module, step)

    def on_train_batch_end(self, trainer, pl_module, *args) -> None:
        if trainer.global_step == self.at_step + 1:
            self.state_after = params_of(pl_module)


# ---------------------------------------------------------------- NaN guard
def test_nan_guard_stops_naming_the_loss_and_the_step(tmp_path: Path) -> None:
    with pytest.raises(NonFiniteLossError, match=r"train/g_loss is nan in a generator step at generator step 2\."):
        _ring_fit(tmp_path, [PoisonLoss("generator", at_step=2), NaNGuard()])


def test_nan_guard_names_the_non_finite_term_and_keeps_the_weights_finite(tmp_path: Path) -> None:
    model = GAN(data_shape=(2,), latent_dim=2, hidden_dims=(8, 8), seed=0)
    poison = PoisonLoss("discriminator", at_step=3, term="train/r1_penalty")
    with pytest.raises(
        NonFiniteLossError, match=r"train/d_loss is nan .* step 3 \(non-finite parts: train/r1_penalty\)"
    ):
        _ring_fit(tmp_path, [poison, NaNGuard()], model=model)
    assert all(bool(torch.isfinite(p).all()) for p in model.parameters())


def test_without_the_guard_the_same_nan_reaches_the_weights(tmp_path: Path) -> None:
    model = GAN(data_shape=(2,), latent_dim=2, hidden_dims=(8, 8), seed=0, divergence="ignore")
    _, model = _ring_fit(tmp_path, [PoisonLoss("generator", at_step=2)], model=model)
    assert not all(bool(torch.isfinite(p).all()) for p in model.generator.parameters())


def test_every_run_has_the_guard_unless_it_opts_out(tmp_path: Path) -> None:
    """With default settings a diverging run stops naming the step; no checkpoint of NaN weights is written."""
    with pytest.raises(NonFiniteLossError, match=r"train/g_loss is nan in a generator step at generator step 2\."):
        _ring_fit(tmp_path, [PoisonLoss("generator", at_step=2)])


class CountAfterGeneratorSteps(GANCallback):
    def __init__(self) -> None:
        self.count = 0

    def on_after_generator_step(self, trainer, pl_module, step) -> None:
        self.count += 1


def test_nan_guard_restores_the_newest_checkpoint(tmp_path: Path) -> None:
    checkpoints = ModelCheckpoint(dirpath=tmp_path / "ckpt", every_n_train_steps=2, save_top_k=-1)
    poison = PoisonLoss("generator", at_step=4)
    guard, after = NaNGuard(action="restore"), CountAfterGeneratorSteps()
    trainer, model = _ring_fit(tmp_path, [checkpoints, poison, guard, after], enable_checkpointing=True, max_steps=5)
    assert guard.restores == 1
    assert after.count == trainer.global_step - 1, "what follows an update (EMA, k_t) must not see the skipped one"
    saved = torch.load(tmp_path / "ckpt" / "epoch=0-step=4.ckpt", weights_only=False)
    # right after the poisoned step: the weights of step 4 (D's step of that batch undone, G's step skipped)
    assert poison.state_after.keys() == saved["state_dict"].keys()
    assert all(torch.equal(poison.state_after[k], v) for k, v in saved["state_dict"].items())
    assert all(bool(torch.isfinite(p).all()) for p in model.parameters())
    for optimizer, state in zip(trainer.optimizers, saved["optimizer_states"], strict=True):  # restored, not stepped
        for now, then in zip(optimizer.state_dict()["state"].values(), state["state"].values(), strict=True):
            assert all(torch.equal(now[k], then[k]) for k in then)


def test_nan_guard_restore_without_a_checkpoint_stops(tmp_path: Path) -> None:
    with pytest.raises(NonFiniteLossError, match="no checkpoint yet to restore"):
        _ring_fit(tmp_path, [PoisonLoss("generator", at_step=1), NaNGuard(action="restore")])


# ---------------------------------------------------------------- mode-collapse alarm
def _collapse(model: GAN) -> GAN:
    last = model.generator.net[-1]
    with torch.no_grad():
        last.weight.zero_()  # every z maps to the same point
    return model


def test_diversity_ratio_is_zero_for_a_collapsed_generator() -> None:
    model = tiny_gan(data_shape=(2,))
    alarm = ModeCollapseAlarm(num_samples=64)
    alarm.real_diversity = 1.0
    assert alarm.check(model) > 0.01
    assert alarm.check(_collapse(model)) == 0.0


def test_mode_collapse_alarm_warns_and_stops(tmp_path: Path) -> None:
    model = _collapse(GAN(data_shape=(2,), latent_dim=2, hidden_dims=(8, 8), lr_g=1e-12, seed=0))
    alarm = ModeCollapseAlarm(num_samples=64, every_n_steps=2, stop=True)
    with pytest.warns(UserWarning, match="ModeCollapseAlarm: at step 2 .* the generator may be collapsing"):
        trainer, _ = _ring_fit(tmp_path, [alarm], model=model, max_steps=10)
    assert trainer.global_step == 2  # stopped at the first check
    assert alarm.real_diversity == pytest.approx(1.3, abs=0.2)  # points on a unit ring: about 4/pi apart
    assert float(trainer.callback_metrics["health/diversity_ratio"]) < 0.5


def test_mode_collapse_alarm_waits_for_the_first_generator_step(tmp_path: Path) -> None:
    # n_critic 2: the first batch has a D step only, at global step 0
    model = _collapse(GAN(data_shape=(2,), latent_dim=2, hidden_dims=(8, 8), lr_g=1e-12, n_critic=2, seed=0))
    alarm = ModeCollapseAlarm(num_samples=32, every_n_steps=2, stop=True)
    with pytest.warns(UserWarning, match="ModeCollapseAlarm: at step 2 "):
        trainer, _ = _ring_fit(tmp_path, [alarm], model=model, max_steps=10)
    assert trainer.global_step == 2


def test_mode_collapse_alarm_is_quiet_for_a_diverse_generator(tmp_path: Path, recwarn: pytest.WarningsRecorder) -> None:
    model = GAN(data_shape=(2,), latent_dim=2, hidden_dims=(8, 8), output_activation="identity", seed=0)
    with torch.no_grad():
        model.generator.net[-1].weight.mul_(10)
    alarm = ModeCollapseAlarm(num_samples=64, every_n_steps=2)
    _ring_fit(tmp_path, [alarm], model=model, max_steps=4)
    assert alarm.last_ratio > 0.5
    assert not [w for w in recwarn if "ModeCollapseAlarm" in str(w.message)]


# ---------------------------------------------------------------- discriminator overfitting
class RecordRealOutputs(GANCallback):
    def __init__(self) -> None:
        self.outputs: list[torch.Tensor] = []

    def on_discriminator_loss(self, trainer, pl_module, step) -> None:
        self.outputs.append(step.real_out.detach().clone())


def test_overfitting_signal_compares_training_and_held_out_reals(tmp_path: Path) -> None:
    record = RecordRealOutputs()
    signal = DiscriminatorOverfitting()
    trainer, model = _ring_fit(tmp_path, [record, signal], max_epochs=1, max_steps=-1, limit_val_batches=2)
    metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith("health/")}
    train_outputs = torch.cat(record.outputs)
    assert metrics["health/d_real_train"] == pytest.approx(float(train_outputs.mean()), rel=1e-4)
    assert metrics["health/r_t"] == pytest.approx(float(train_outputs.sign().mean()), rel=1e-4)
    with torch.no_grad():  # validation ran after the last step, on the first two batches of 32
        held_out = model.discriminate(trainer.datamodule.val_set.real[:64])
    assert metrics["health/d_real_val"] == pytest.approx(float(held_out.mean()), rel=1e-4)
    gap = metrics["health/d_real_train"] - metrics["health/d_real_val"]
    assert metrics["health/d_real_gap"] == pytest.approx(gap, abs=1e-6)
    assert "health/r_v" in metrics


def test_held_out_reals_are_judged_as_in_training_without_touching_batch_norm_statistics() -> None:
    module = tiny_dcgan()
    signal = DiscriminatorOverfitting()
    batch = real_batch(module, n=8)
    module.discriminate(torch.randn(8, *module.data_shape))  # running statistics away from their initial values
    running = params_of(module.discriminator)
    module.eval()  # as Lightning leaves it during validation
    signal.on_validation_batch_end(SimpleNamespace(sanity_checking=False), module, None, batch, 0)
    assert not module.discriminator.training
    assert all(torch.equal(v, running[k]) for k, v in params_of(module.discriminator).items())
    module.discriminator.train()
    with torch.no_grad():
        as_in_training = module.discriminate(batch["real"])
    assert signal.real_val.read() == pytest.approx(float(as_in_training.mean()), rel=1e-5)


def test_held_out_reals_in_complete_packs() -> None:
    module = tiny_gan(data_shape=(2,), pack=2)
    signal = DiscriminatorOverfitting()
    batch = {"real": torch.randn(5, 2)}
    signal.on_validation_batch_end(SimpleNamespace(sanity_checking=False), module, None, batch, 0)
    with torch.no_grad():
        assert signal.real_val.read() == pytest.approx(float(module.discriminate(batch["real"][:4]).mean()), rel=1e-5)


def test_overfitting_signal_needs_held_out_data(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="gives no validation data"):
        _ring_fit(tmp_path, [DiscriminatorOverfitting()], limit_val_batches=0)
