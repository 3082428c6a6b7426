"""LSGAN: least-squares objectives with configurable targets a (fake), b (real), c (generator)."""

from __future__ import annotations

import pytest
import torch
from variant_helpers import TINY_2D

from lightgan.core.hooks import DiscriminatorStep, GeneratorStep
from lightgan.errors import ConfigError
from lightgan.models import LSGAN


@pytest.mark.parametrize(("a", "b", "c"), [(0.0, 1.0, 1.0), (-1.0, 1.0, 0.0)])
def test_lsgan_regresses_scores_to_the_configured_targets(a: float, b: float, c: float) -> None:
    model = LSGAN(**TINY_2D, a=a, b=b, c=c)
    real, fake = torch.randn(8, 2), torch.randn(8, 2)
    real_out, fake_out = model.discriminate(real), model.discriminate(fake)

    d_loss = model.discriminator_loss(DiscriminatorStep(batch={}, real=real, fake=fake))
    expected_d = 0.5 * ((real_out - b) ** 2).mean() + 0.5 * ((fake_out - a) ** 2).mean()
    assert torch.allclose(d_loss, expected_d)

    g_loss = model.generator_loss(GeneratorStep(batch={}, z=torch.randn(8, 2), fake=fake))
    assert torch.allclose(g_loss, 0.5 * ((fake_out - c) ** 2).mean())


def test_lsgan_rebuilds_its_targets_from_its_hyperparameters() -> None:
    model = LSGAN(**TINY_2D, a=-1.0, b=1.0, c=0.0)
    assert "loss" not in model.hparams  # a checkpoint must not pass the loss next to a, b, c
    reloaded = LSGAN(**model.hparams)
    assert (reloaded.loss.a, reloaded.loss.b, reloaded.loss.c) == (-1.0, 1.0, 0.0)


def test_lsgan_rejects_equal_real_and_fake_targets() -> None:
    with pytest.raises(ConfigError, match=r"a = b = 1\.0"):
        LSGAN(**TINY_2D, a=1.0, b=1.0)
