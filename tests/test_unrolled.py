"""Unrolled GAN: G's update looks k differentiable Adam steps of D ahead; the real D is untouched."""

from __future__ import annotations

import copy

import pytest
import torch
from helpers import TINY_RING, fit
from variant_helpers import TINY_2D, tiny_ring, train

from lightgan.core.hooks import GANCallback
from lightgan.errors import ConfigError
from lightgan.models import UnrolledGAN


def _model_and_stepped_optimizer() -> tuple[UnrolledGAN, torch.optim.Adam]:
    """A tiny model whose D optimizer has taken one real step, so its Adam moments are not zero."""
    torch.manual_seed(0)
    model = UnrolledGAN(**TINY_2D, lr_d=1e-2, weight_decay=1e-3)
    _, opt_d = model.configure_optimizers()
    real_out, fake_out = model.discriminate(torch.randn(16, 2)), model.discriminate(torch.randn(16, 2))
    model.loss.discriminator_loss(real_out, fake_out).backward()
    opt_d.step()
    opt_d.zero_grad()
    return model, opt_d


@pytest.mark.parametrize("steps", [1, 3])
def test_unrolled_weights_are_the_weights_real_adam_steps_would_give(steps: int) -> None:
    model, opt_d = _model_and_stepped_optimizer()
    real, fake = torch.randn(16, 2), torch.randn(16, 2)
    unrolled = model.unrolled_discriminator(real, fake, opt_d, steps)

    critic = copy.deepcopy(model.discriminator)
    optimizer = torch.optim.Adam(critic.parameters())
    optimizer.load_state_dict(opt_d.state_dict())
    for _ in range(steps):
        optimizer.zero_grad()
        model.loss.discriminator_loss(critic(real), critic(fake)).backward()
        optimizer.step()
    for name, p in critic.named_parameters():
        assert torch.allclose(unrolled[name], p, atol=1e-6), name
        assert not torch.allclose(unrolled[name], dict(model.discriminator.named_parameters())[name])


def test_generator_gradient_flows_through_the_unrolled_discriminator_updates() -> None:
    model, opt_d = _model_and_stepped_optimizer()
    z, real = torch.randn(16, 2), torch.randn(16, 2)

    def generator_grads(detach_unrolled: bool) -> list[torch.Tensor]:
        model.generator.zero_grad()
        fake = model.generate(z)
        weights = model.unrolled_discriminator(real, fake, opt_d, 3)
        if detach_unrolled:
            weights = {k: v.detach() for k, v in weights.items()}
        model.loss.generator_loss(model.discriminate_with(weights, fake)).backward()
        return [p.grad.clone() for p in model.generator.parameters()]

    through, detached = generator_grads(False), generator_grads(True)
    assert any(not torch.allclose(a, b) for a, b in zip(through, detached, strict=True))
    assert all(p.grad is None for p in model.discriminator.parameters())


class CheckDiscriminatorUntouchedByGeneratorLoss(GANCallback):
    """D's weights at G's loss are those D's own step left, yet G's loss is not the one against them."""

    def __init__(self) -> None:
        self.checked = 0

    def on_after_discriminator_step(self, trainer, pl_module, step) -> None:
        self.after_d_step = copy.deepcopy(pl_module.discriminator.state_dict())

    def on_generator_loss(self, trainer, pl_module, step) -> None:
        for name, value in pl_module.discriminator.state_dict().items():
            assert torch.equal(value, self.after_d_step[name]), name
        against_current_d = pl_module.loss.generator_loss(pl_module.discriminate(step.fake))
        assert torch.isfinite(step.loss) and not torch.allclose(step.loss, against_current_d)
        self.checked += 1


def test_unrolling_during_training_leaves_the_real_discriminator_unchanged() -> None:
    model = UnrolledGAN(**TINY_2D, unroll_steps=3, discriminator_type="maxout")
    check = CheckDiscriminatorUntouchedByGeneratorLoss()
    train(model, tiny_ring(), 3, check)
    assert check.checked == 3


def test_unrolled_gan_needs_adam() -> None:
    with pytest.raises(ConfigError, match="optimizer is 'rmsprop'"):
        UnrolledGAN(**TINY_2D, optimizer="rmsprop")


def test_the_unrolled_steps_run_d_eagerly_so_a_compiled_run_trains() -> None:
    cli = fit(
        *TINY_RING, "--model=UnrolledGAN", "--model.init_args.unroll_steps=2",
        '--model.init_args.compile={"backend": "aot_eager"}', "--trainer.max_steps=2", "--trainer.limit_val_batches=0",
    )  # fmt: skip
    assert cli.trainer.global_step == 2
