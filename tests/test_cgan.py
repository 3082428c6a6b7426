"""Conditional GAN: the label reaches G and D, and `lightgan sample --label` draws that class."""

from __future__ import annotations

import pytest
import torch
from helpers import fit, last_checkpoint
from variant_helpers import tiny_images

from lightgan.app.cli import main
from lightgan.core.checkpoint import load_gan
from lightgan.models import CGAN


def tiny_cgan() -> CGAN:
    torch.manual_seed(0)
    return CGAN(data_shape=(1, 16, 16), num_classes=10, latent_dim=8, base_channels=4)


def test_the_label_changes_what_g_draws_from_the_same_noise() -> None:
    model = tiny_cgan()
    z = model.sample_noise(4, torch.Generator().manual_seed(0))
    threes, fours = model.sample(4, labels=3, z=z), model.sample(4, labels=4, z=z)
    assert not torch.allclose(threes, fours)
    assert torch.equal(threes, model.sample(4, labels=3, z=z))


def test_the_label_changes_how_d_judges_the_same_image() -> None:
    model = tiny_cgan()
    x = torch.rand(4, 1, 16, 16) * 2 - 1
    as_zero = model.discriminate(x, torch.zeros(4, dtype=torch.long))
    as_seven = model.discriminate(x, torch.full((4,), 7))
    assert not torch.allclose(as_zero, as_seven)


def test_unconditional_call_is_refused() -> None:
    with pytest.raises(ValueError, match="conditional"):
        tiny_cgan().generate(torch.zeros(2, 8))


def test_sample_command_draws_the_requested_classes(mnist_root, tmp_path, capsys) -> None:
    fit("--model=CGAN", *tiny_images(mnist_root), "--trainer.max_steps=2", "--trainer.default_root_dir=run")
    ckpt = last_checkpoint(tmp_path / "run")
    assert main(["sample", "--ckpt", str(ckpt), "--n", "4", "--label", "3", "--out", "threes.pt", "--seed", "5"]) == 0
    assert main(["sample", "--ckpt", str(ckpt), "--n", "4", "--labels", "3,4", "--out", "mixed.pt", "--seed", "5"]) == 0
    assert main(["sample", "--ckpt", str(ckpt), "--n", "4", "--label", "4", "--out", "fours.pt", "--seed", "5"]) == 0
    threes, mixed, fours = (torch.load(f"{name}.pt") for name in ("threes", "mixed", "fours"))

    model = load_gan(ckpt)
    assert isinstance(model, CGAN)
    z = model.sample_noise(4, torch.Generator().manual_seed(5))
    assert torch.equal(threes, model.sample(4, labels=3, z=z))
    assert torch.equal(mixed, model.sample(4, labels=torch.tensor([3, 4, 3, 4]), z=z))
    assert torch.equal(mixed[0::2], threes[0::2]) and torch.equal(mixed[1::2], fours[1::2])
    assert not torch.allclose(threes, fours)

    assert main(["sample", "--ckpt", str(ckpt), "--label", "10", "--out", "x.pt"]) == 2
    assert "out of range" in capsys.readouterr().err
