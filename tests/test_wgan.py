"""WGAN (weight clipping, critic without sigmoid) and WGAN-GP (per-sample gradient penalty)."""

from __future__ import annotations

import pytest
import torch
from helpers import QUIET
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
