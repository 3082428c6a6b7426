"""DRAGAN: a gradient penalty at points around the real data."""

from __future__ import annotations

import torch
from torch import nn
from variant_helpers import RecordInputs, hand_penalty, variant_discriminator_loss

from lightgan.core.hooks import DiscriminatorStep
from lightgan.models import DRAGAN


def test_dragan_defaults_follow_the_authors() -> None:
    model = DRAGAN(data_shape=(1, 16, 16), base_channels=4)
    for opt in model.configure_optimizers():
        assert opt.param_groups[0]["lr"] == 1e-4 and opt.param_groups[0]["betas"] == (0.5, 0.9)
    assert model.penalty_weight == 10.0 and model.perturb_scale == 0.5
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.discriminator.modules())


def test_dragan_penalises_gradients_near_real_data_whatever_the_fakes() -> None:
    model = DRAGAN(data_shape=(3, 4, 4), architecture="mlp", hidden_dims=(16,), latent_dim=4)
    inputs = RecordInputs(model.discriminator)
    real = torch.randn(8, 3, 4, 4)
    state = model.noise_rng.get_state()
    points, losses = [], []
    for fake in (torch.randn(8, 3, 4, 4), torch.randn(8, 3, 4, 4) * 100):
        model.noise_rng.set_state(state)
        step = DiscriminatorStep(batch={}, real=real, fake=fake)
        losses.append(variant_discriminator_loss(model, step))
        points.append(inputs.inputs[-1])
        penalty = hand_penalty(model.discriminate, points[-1])
        assert torch.allclose(step.logs["train/gradient_penalty"], penalty)
        adversarial = model.loss.discriminator_loss(model.discriminate(real), model.discriminate(fake))
        assert torch.allclose(losses[-1], adversarial + 10.0 * penalty)

    assert torch.equal(points[0], points[1])  # the penalty points do not depend on the fakes
    offset = points[0] - real
    assert (offset >= 0).all() and (offset <= 0.5 * real.std() + 1e-6).all() and offset.abs().max() > 0
