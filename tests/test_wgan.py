"""WGAN (weight clipping, critic without sigmoid) and WGAN-GP (per-sample gradient penalty)."""

from __future__ import annotations

import pytest
import torch
from helpers import QUIET, TINY_RING, assert_same_weights, fit, state_of
from torch import nn
from variant_helpers import (
    TINY_2D,
    RecordDiscriminatorSteps,
    RecordInputs,
    hand_penalty,
    tiny_ring,
    train,
    variant_discriminator_loss,
)

from lightgan.app.cli import main
from lightgan.core.hooks import DiscriminatorStep, GANCallback
from lightgan.core.losses import WassersteinLoss
from lightgan.errors import ConfigError
from lightgan.models import WGAN, WGANGP


class CheckCriticAfterEachStep(GANCallback):
    """Counts critic steps and records the largest critic weight right after each one."""

    def __init__(self) -> None:
        self.largest: list[float] = []

    def on_after_discriminator_step(self, trainer, pl_module, step) -> None:
        self.largest.append(max(p.abs().max().item() for p in pl_module.discriminator.parameters()))


def test_wgan_defaults_are_the_papers() -> None:
    model = WGAN(**TINY_2D)
    opt_g, opt_d = model.configure_optimizers()
    assert isinstance(opt_g, torch.optim.RMSprop) and isinstance(opt_d, torch.optim.RMSprop)
    assert opt_d.param_groups[0]["lr"] == opt_g.param_groups[0]["lr"] == 5e-5
    assert model.n_critic == 5 and model.clip_value == 0.01
    assert isinstance(model.loss, WassersteinLoss)


def test_wgan_clips_critic_weights_after_every_critic_step_and_uses_no_log() -> None:
    # A large critic learning rate would push weights far beyond the clip range without clipping.
    model = WGAN(**TINY_2D, clip_value=0.005, lr_d=0.5)
    check, record = CheckCriticAfterEachStep(), RecordDiscriminatorSteps()
    trainer = train(model, tiny_ring(), 2, check, record)
    assert trainer.global_step == 2 and len(check.largest) == 2 * 5  # n_critic = 5 critic steps per G step
    assert all(largest <= 0.005 for largest in check.largest)
    assert any(torch.isclose(p.abs(), torch.tensor(0.005)).any() for p in model.discriminator.parameters())
    for step in record.steps:  # the critic loss is the plain difference of mean scores
        assert torch.equal(step.loss, step.fake_out.mean() - step.real_out.mean())
        assert torch.equal(step.logs["train/wasserstein_estimate"], (step.real_out.mean() - step.fake_out.mean()))


def test_wgan_rejects_a_loss_that_reads_the_critic_as_a_logit(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ConfigError, match=r"without sigmoid.*loss: wasserstein"):
        WGAN(**TINY_2D, loss="non_saturating")
    args = ["fit", *QUIET, "--trainer.logger=false", "--model=WGAN", "--model.init_args.loss=non_saturating"]
    assert main([*args, "--data=RingMixture"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("lightgan: error: WGAN needs a critic without sigmoid")


def test_wgan_with_a_sigmoid_ending_critic_is_rejected_before_training() -> None:
    class SigmoidCriticWGAN(WGAN):
        def __init__(self, **kwargs) -> None:
            super().__init__(**kwargs)
            self.discriminator = nn.Sequential(self.discriminator, nn.Sigmoid())

    model = SigmoidCriticWGAN(**TINY_2D)
    with pytest.raises(ConfigError, match="ends with a Sigmoid"):
        train(model, tiny_ring(), 1)
    assert model.global_step == 0


def test_wgan_gp_defaults_are_the_papers() -> None:
    model = WGANGP(data_shape=(1, 16, 16), base_channels=4)
    opt_g, opt_d = model.configure_optimizers()
    for opt in (opt_g, opt_d):
        assert isinstance(opt, torch.optim.Adam)
        assert opt.param_groups[0]["lr"] == 1e-4 and opt.param_groups[0]["betas"] == (0.0, 0.9)
    assert model.n_critic == 5 and model.gp_weight == 10.0 and isinstance(model.loss, WassersteinLoss)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.discriminator.modules())


@pytest.mark.parametrize("pack", [1, 2])
def test_wgan_gp_interpolates_with_one_coefficient_per_d_input(pack: int) -> None:
    model = WGANGP(data_shape=(3, 4, 4), architecture="mlp", hidden_dims=(16,), latent_dim=4, pack=pack)
    inputs = RecordInputs(model.discriminator)
    real, fake = torch.randn(8, 3, 4, 4), torch.randn(8, 3, 4, 4)
    step = DiscriminatorStep(batch={}, real=real, fake=fake)
    loss = variant_discriminator_loss(model, step)

    interpolated = inputs.inputs[2].reshape(8, 3, 4, 4)  # D saw: real, fake, then the interpolates
    alpha = (interpolated - fake) / (real - fake)
    per_sample = alpha.flatten(1)
    assert torch.allclose(per_sample, per_sample[:, :1].expand_as(per_sample), atol=1e-4)  # one alpha per sample
    assert ((per_sample >= 0) & (per_sample <= 1)).all() and per_sample[:, 0].std() > 0.05  # differs across samples
    per_pack = per_sample[:, 0].reshape(8 // pack, pack)
    assert torch.allclose(per_pack, per_pack[:, :1].expand_as(per_pack), atol=1e-4)  # shared within a pack

    penalty = hand_penalty(model.discriminate, interpolated, pack)
    assert torch.allclose(step.logs["train/gradient_penalty"], penalty)
    assert torch.allclose(loss, mean_score(model, fake) - mean_score(model, real) + 10.0 * penalty)


def mean_score(model: WGANGP, x: torch.Tensor) -> torch.Tensor:
    return model.discriminate(x).mean()


def test_wgan_gp_penalty_pushes_critic_gradients_towards_norm_one() -> None:
    torch.manual_seed(0)
    model = WGANGP(**TINY_2D, gp_weight=10.0, lr_d=1e-2)
    record = RecordDiscriminatorSteps()
    train(model, tiny_ring(num_samples=480), 6, record)
    penalties = [s.logs["train/gradient_penalty"].item() for s in record.steps]
    assert penalties[-1] < 0.5 * penalties[0]


class CountCriticSteps(GANCallback):
    """Critic steps taken before each generator step."""

    def __init__(self) -> None:
        self.per_generator_step: list[int] = []
        self.pending = 0

    def on_after_discriminator_step(self, trainer, pl_module, step) -> None:
        self.pending += 1

    def on_after_generator_step(self, trainer, pl_module, step) -> None:
        self.per_generator_step.append(self.pending)
        self.pending = 0


@pytest.fixture
def short_bursts(monkeypatch: pytest.MonkeyPatch) -> None:
    """The authors' schedule (100 critic steps for 25 steps, then every 500th) scaled down: 20, 2, 4."""
    from lightgan.models import wgan

    monkeypatch.setattr(wgan, "BURST_CRITIC_STEPS", 20)
    monkeypatch.setattr(wgan, "BURST_FIRST_STEPS", 2)
    monkeypatch.setattr(wgan, "BURST_EVERY", 4)


def test_critic_bursts_take_their_steps_first_and_every_kth_without_moving_the_clock(short_bursts) -> None:
    model, count = WGAN(**TINY_2D, critic_schedule="bursts"), CountCriticSteps()
    trainer = train(model, tiny_ring(num_samples=480, batch_size=8), 6, count)
    assert trainer.global_step == 6
    assert count.per_generator_step == [20, 20, 5, 5, 20, 5]  # steps 0 and 1, then every 4th (step 4)
    constant, count = WGAN(**TINY_2D), CountCriticSteps()
    train(constant, tiny_ring(num_samples=480, batch_size=8), 3, count)
    assert count.per_generator_step == [5, 5, 5]


def test_a_run_stopped_inside_a_burst_resumes_exactly(short_bursts) -> None:
    # 320 samples / batch 32 = 10 batches per epoch = 2 items of n_critic 5: a burst of 20 spans 2 epochs,
    # so the epoch-end checkpoint of a run stopped after 3 epochs lies inside the second step's burst.
    common = [*TINY_RING, "--model=WGAN", "--model.init_args.critic_schedule=bursts", "--seed_everything=5"]
    common += ["--trainer.limit_val_batches=1", "--trainer.max_epochs=-1"]
    straight = fit(*common, "--trainer.max_steps=4", "--trainer.default_root_dir=straight")
    stopped = fit(*common, "--trainer.max_epochs=3", "--trainer.default_root_dir=resumed")
    assert stopped.trainer.global_step == 1 and stopped.model._critic_batches_seen == 10
    resumed = fit(*common, "--trainer.max_steps=4", "--trainer.default_root_dir=resumed", "--ckpt_path=last")
    assert resumed.trainer.global_step == 4
    assert_same_weights(state_of(straight.model), state_of(resumed.model))


def test_bursts_need_an_n_critic_that_divides_them() -> None:
    with pytest.raises(ConfigError, match=r"bursts takes 100 critic steps.*n_critic=3 does not divide"):
        WGAN(**TINY_2D, n_critic=3, critic_schedule="bursts")
    with pytest.raises(ConfigError, match="critic_schedule must be constant or bursts, got 'often'"):
        WGAN(**TINY_2D, critic_schedule="often")
