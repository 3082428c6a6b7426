"""EBGAN and BEGAN: autoencoder discriminators, the margin loss, pulling-away, BEGAN's k_t."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from helpers import assert_same_weights, fit, last_checkpoint, state_of
from variant_helpers import tiny_images

from lightgan.app.cli import main
from lightgan.core.checkpoint import load_gan
from lightgan.core.hooks import DiscriminatorStep, GeneratorStep
from lightgan.models import BEGAN, EBGAN
from lightgan.models.ebgan import EnergyMarginLoss, pulling_away_term


def test_margin_loss_stops_pushing_fakes_above_the_margin() -> None:
    loss = EnergyMarginLoss(margin=1.0)
    real, fake = torch.tensor([0.2, 0.4]), torch.tensor([0.5, 3.0])
    torch.testing.assert_close(loss.discriminator_loss(real, fake), torch.tensor(0.3 + (0.5 + 0.0) / 2))
    torch.testing.assert_close(loss.generator_loss(fake), torch.tensor(1.75))


def test_pulling_away_term_is_the_mean_squared_cosine_between_distinct_codes() -> None:
    assert pulling_away_term(torch.eye(4)).item() == pytest.approx(0.0)
    assert pulling_away_term(torch.ones(3, 5)).item() == pytest.approx(1.0)
    codes = torch.randn(5, 7)
    pairs = [F.cosine_similarity(codes[i], codes[j], dim=0) ** 2 for i in range(5) for j in range(5) if i != j]
    torch.testing.assert_close(pulling_away_term(codes), torch.stack(pairs).mean())


def test_ebgan_energy_is_reconstruction_error_and_pt_joins_g_loss() -> None:
    torch.manual_seed(0)
    model = EBGAN(data_shape=(1, 16, 16), latent_dim=8, base_channels=4, code_dim=6, pullaway_weight=0.25)
    x = torch.rand(4, 1, 16, 16) * 2 - 1
    torch.testing.assert_close(model.discriminate(x), ((model.discriminator(x) - x) ** 2).mean(dim=(1, 2, 3)))
    step = GeneratorStep({}, torch.zeros(4, 8), x)
    expected = model.discriminate(x).mean() + 0.25 * pulling_away_term(model.discriminator.features(x))
    torch.testing.assert_close(model.generator_loss(step), expected)
    assert isinstance(model.loss, EnergyMarginLoss)


def test_the_energy_models_own_their_loss(mnist_root, capsys) -> None:
    # not an option: jsonargparse rejects the key, in one line
    assert main(["fit", "--model=EBGAN", *tiny_images(mnist_root), "--model.init_args.loss=hinge"]) == 2
    assert "model.init_args.loss" in capsys.readouterr().err


def tiny_began(**overrides) -> BEGAN:
    torch.manual_seed(0)
    return BEGAN(**{"data_shape": (1, 16, 16), "latent_dim": 8, "base_channels": 4, "code_dim": 6, **overrides})


def test_began_discriminator_loss_weights_fakes_by_k_and_k_follows_the_balance() -> None:
    model = tiny_began(gamma=0.5, lambda_k=0.1, k_init=0.3)
    real, fake = torch.rand(4, 1, 16, 16) * 2 - 1, torch.rand(4, 1, 16, 16) * 2 - 1
    step = DiscriminatorStep({}, real, fake)
    loss = model.discriminator_loss(step)
    real_error = (model.discriminator(real) - real).abs().mean()
    fake_error = (model.discriminator(fake) - fake).abs().mean()
    torch.testing.assert_close(loss, real_error - 0.3 * fake_error)
    torch.testing.assert_close(step.logs["train/convergence"], real_error + (0.5 * real_error - fake_error).abs())

    model.after_discriminator_step(step)
    torch.testing.assert_close(model.k, (0.3 + 0.1 * (0.5 * real_error - fake_error)).detach())
    model.lambda_k = 1e6  # the controller saturates instead of leaving [0, 1]
    model.after_discriminator_step(step)
    assert model.k.item() in (0.0, 1.0)


BEGAN_RUN = [
    "--model=BEGAN",
    "--model.init_args.code_dim=6",
    "--model.init_args.lambda_k=0.05",
    "--model.init_args.gamma=0.9",
    "--seed_everything=2",
    "--trainer.limit_val_batches=0",
]


def test_began_resumes_exactly_with_its_k(mnist_root) -> None:
    # 192 training images (64 held out for validation) / batch 16 = 12 steps per epoch: the run stops and
    # resumes mid-epoch.
    args = [*BEGAN_RUN, *tiny_images(mnist_root)]
    straight = fit(*args, "--trainer.max_steps=4", "--trainer.default_root_dir=straight")
    fit(*args, "--trainer.max_steps=2", "--trainer.default_root_dir=resumed")
    resumed = fit(*args, "--trainer.max_steps=4", "--trainer.default_root_dir=resumed", "--ckpt_path=last")
    assert straight.model.k.item() > 0, "k must have moved for this test to mean anything"
    assert_same_weights(state_of(straight.model), state_of(resumed.model))  # includes the k buffer
    assert load_gan(last_checkpoint(Path("straight"))).k == straight.model.k
