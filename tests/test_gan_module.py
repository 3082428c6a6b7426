from __future__ import annotations

import csv
from typing import Any

import lightning as L
import pytest
import torch
from helpers import quiet_trainer
from lightning.pytorch.loggers import CSVLogger

from lightgan.core.hooks import GANCallback, GeneratorStep
from lightgan.core.losses import NonSaturatingLoss
from lightgan.data import RingMixture
from lightgan.errors import ConfigError
from lightgan.models import ACGAN, GAN, GANModule, InfoGAN, UnrolledGAN


def tiny_gan(**kwargs: Any) -> GAN:
    return GAN(data_shape=(2,), latent_dim=2, hidden_dims=(8,), **kwargs)


def tiny_data(**kwargs: Any) -> RingMixture:
    return RingMixture(num_samples=96, val_samples=32, batch_size=16, seed=0, **kwargs)  # 6 batches an epoch


def trainer(**kwargs: Any) -> L.Trainer:
    return quiet_trainer(**{"limit_val_batches": 0, **kwargs})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"latent_dim": 0}, "latent_dim must be a positive integer, got 0"),
        ({"latent_dim": -3}, "latent_dim must be a positive integer, got -3"),
        ({"n_critic": 0}, "n_critic must be an integer >= 1"),
        ({"lr_g": 0.0}, "lr_g must be positive"),
    ],
)
def test_bad_hyperparameters_are_rejected_with_the_fix(kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        GAN(**{"data_shape": (2,), **kwargs})


class CountSteps(GANCallback):
    def __init__(self) -> None:
        self.d_steps = self.g_steps = 0
        self.order: list[str] = []

    def on_discriminator_inputs(self, trainer, pl_module, step) -> None:
        self.order.append("d_inputs")

    def on_discriminator_targets(self, trainer, pl_module, step) -> None:
        self.order.append("d_targets")

    def on_discriminator_loss(self, trainer, pl_module, step) -> None:
        self.order.append("d_loss")

    def on_after_discriminator_step(self, trainer, pl_module, step) -> None:
        self.d_steps += 1
        self.order.append("d_after")

    def on_generator_loss(self, trainer, pl_module, step) -> None:
        self.order.append("g_loss")

    def on_after_generator_step(self, trainer, pl_module, step) -> None:
        self.g_steps += 1
        self.order.append("g_after")


def test_n_critic_discriminator_steps_per_generator_step_and_global_step_counts_generator_steps() -> None:
    counter = CountSteps()
    model = tiny_gan(n_critic=3)
    trainer(max_epochs=2, callbacks=[counter]).fit(model, tiny_data())  # 12 batches
    assert (counter.d_steps, counter.g_steps) == (12, 4)
    assert model.global_step == 4
    opt_g, opt_d = (opt.optimizer for opt in model.optimizers())
    assert opt_d.state[next(iter(model.discriminator.parameters()))]["step"].item() == 12
    assert opt_g.state[next(iter(model.generator.parameters()))]["step"].item() == 4
    assert counter.order[:9] == ["d_inputs", "d_targets", "d_loss", "d_after"] * 2 + ["d_inputs"]


class CountBatches(L.Callback):
    """Data batches the training steps took (a step of n_critic > 1 takes them as a list)."""

    def __init__(self) -> None:
        self.completed = 0

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self.completed += len(batch) if isinstance(batch, list) else 1


def test_max_steps_counts_generator_steps() -> None:
    model = tiny_gan(n_critic=2)
    batches = CountBatches()
    t = trainer(max_steps=5, callbacks=[batches])
    t.fit(model, tiny_data())
    assert t.global_step == 5
    assert batches.completed == 10  # 2 batches per generator step


def test_logged_step_axis_is_generator_steps(tmp_path) -> None:
    model = tiny_gan(n_critic=2)
    t = trainer(max_steps=6, logger=CSVLogger(tmp_path), log_every_n_steps=1)
    t.fit(model, tiny_data())
    with open(t.logger.experiment.metrics_file_path) as f:
        rows = list(csv.DictReader(f))
    steps = [int(r["step"]) for r in rows if r.get("train/g_loss")]
    assert steps == [0, 1, 2, 3, 4, 5]  # Lightning's convention: step i is logged at x = i


def test_sample_is_reproducible_and_does_not_touch_training_noise() -> None:
    model = tiny_gan()
    state = model.noise_rng.get_state()
    a = model.sample(5, generator=torch.Generator().manual_seed(1))
    b = model.sample(5, generator=torch.Generator().manual_seed(1))
    c = model.sample(5, generator=torch.Generator().manual_seed(2))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert torch.equal(model.noise_rng.get_state(), state)
    assert model.generator.training  # restored after sampling in eval mode


def test_uniform_noise_prior() -> None:
    z = tiny_gan(noise="uniform").sample_noise(1000, torch.Generator().manual_seed(0))
    assert z.min() >= -1 and z.max() <= 1 and z.std() > 0.5


def test_each_network_is_clipped_to_its_own_threshold() -> None:
    norms: dict[str, list[float]] = {"g": [], "d": []}
    model = tiny_gan(gradient_clip_val_g=1e-4, gradient_clip_val_d=1e-2)
    clip = model.on_before_optimizer_step

    def clip_then_record(optimizer: torch.optim.Optimizer) -> None:
        clip(optimizer)
        grads = [p.grad for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
        norms["g" if optimizer is model.trainer.optimizers[0] else "d"].append(
            torch.nn.utils.get_total_norm(grads).item()
        )

    model.on_before_optimizer_step = clip_then_record
    trainer(max_steps=3).fit(model, tiny_data())
    assert len(norms["g"]) == len(norms["d"]) == 3
    assert max(norms["g"]) <= 1e-4 * 1.001 and max(norms["d"]) <= 1e-2 * 1.001
    assert max(norms["d"]) > 1e-4 * 1.001  # D was clipped to its own, larger threshold


def test_lr_scheduler_steps_once_per_generator_step() -> None:
    from functools import partial

    model = tiny_gan(n_critic=2, lr_scheduler=partial(torch.optim.lr_scheduler.StepLR, step_size=1, gamma=0.5))
    trainer(max_steps=3).fit(model, tiny_data())
    for opt in model.trainer.optimizers:
        assert opt.param_groups[0]["lr"] == pytest.approx(2e-4 * 0.5**3)


def test_label_needing_variant_fails_on_unlabelled_data() -> None:
    class NeedsLabels(GAN):
        requires_labels = True

    model = NeedsLabels(data_shape=(2,), latent_dim=2, hidden_dims=(8,))
    with pytest.raises(ConfigError, match="NeedsLabels needs class labels, but RingMixture provides none"):
        trainer(max_steps=1).fit(model, tiny_data())


class RelativeToReal(NonSaturatingLoss):
    """A loss whose generator objective needs D's output on real data (as relativistic losses do)."""

    generator_needs_real = True

    def __init__(self) -> None:
        self.seen: list[torch.Tensor | None] = []

    def generator_loss(self, fake_out, real_out=None):
        self.seen.append(real_out)
        return super().generator_loss(fake_out - real_out.mean())


@pytest.mark.parametrize("variant", [GAN, UnrolledGAN])
def test_losses_that_need_real_outputs_get_them_in_the_generator_step(variant: type[GAN]) -> None:
    loss = RelativeToReal()
    trainer(max_steps=2).fit(variant(data_shape=(2,), latent_dim=2, hidden_dims=(8,), loss=loss), tiny_data())
    assert len(loss.seen) == 2 and all(r is not None and r.shape == (16,) for r in loss.seen)


@pytest.mark.parametrize("variant", [ACGAN, InfoGAN])
def test_variants_with_terms_of_their_own_pass_real_outputs_too(variant: type[GANModule]) -> None:
    loss = RelativeToReal()
    codes = {"categorical_codes": [3], "continuous_codes": 1} if variant is InfoGAN else {}
    model = variant(data_shape=(1, 16, 16), num_classes=3, latent_dim=8, base_channels=4, loss=loss, **codes)
    z = model.sample_noise(4)
    labels = model.sample_labels(4)
    batch = {"real": torch.rand(4, 1, 16, 16) * 2 - 1, "label": torch.tensor([0, 1, 2, 0])}
    step = GeneratorStep(batch=batch, z=z, fake=model.generate(z, labels), fake_labels=labels)
    model.generator_loss(step)
    assert len(loss.seen) == 1 and loss.seen[0].shape == (4,)
    assert step.adversarial_loss is not None
