"""Projection: latents found by optimisation, the encoder start, a model's own space, latent arithmetic, the command."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from helpers import fit
from PIL import Image

from lightgan.app.cli import main
from lightgan.app.commands.project import target_label
from lightgan.errors import ConfigError
from lightgan.inspection.projection import class_direction, parse_edit, project
from lightgan.models import CGAN, DCGAN, GAN, BiGAN, Pix2Pix

FASHION = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


def linear_gan(**kwargs) -> GAN:
    """G(z) = Wz + b, 4 -> 4, W orthogonal: invertible and well conditioned, every target has exactly one latent."""
    torch.manual_seed(0)
    model = GAN(data_shape=(4,), latent_dim=4, hidden_dims=(), output_activation="identity", **kwargs)
    torch.nn.init.orthogonal_(model.generator.net[0].weight)
    return model.eval()


def test_an_invertible_generator_is_inverted_exactly() -> None:
    model = linear_gan()
    z = torch.randn(3, 4, generator=torch.Generator().manual_seed(1))
    target = model.sample(z=z)
    found = project(model, target, steps=600, restarts=2, lr=0.05, feature_weight=0.0)
    assert found.mse.max() < 1e-8 and (found.random_mse > 1e-3).all()
    assert torch.allclose(found.latents, z, atol=1e-3)
    assert found.space == "z" and not found.used_features and not found.used_encoder


def test_projection_gets_far_closer_than_a_random_latent_on_a_conv_generator() -> None:
    torch.manual_seed(0)
    model = DCGAN(data_shape=(1, 28, 28), latent_dim=8, base_channels=4)
    target = model.sample(3, generator=torch.Generator().manual_seed(5))
    found = project(model, target, steps=150, restarts=2, lr=0.1)
    assert found.used_features  # DCGAN's D has penultimate features
    assert (found.mse < 0.25 * found.random_mse).all()
    assert torch.allclose(found.samples, model.sample(z=found.latents), atol=1e-5)  # samples are G(latents)


def test_an_encoder_gives_the_first_start() -> None:
    torch.manual_seed(0)
    model = BiGAN(data_shape=(1, 28, 28), latent_dim=8, base_channels=4)
    target = torch.rand(2, 1, 28, 28) * 2 - 1
    found = project(model, target, steps=0, restarts=1)
    assert found.used_encoder
    assert torch.allclose(found.latents, model.eval().encode(target), atol=1e-6)


@dataclass
class ZeroStartSpace:
    """A space of the model's own (as a style-based generator offers W), starting at zero."""

    model: GAN
    name: str = "W"

    def initial(self, n: int, generator: torch.Generator) -> torch.Tensor:
        return torch.zeros(n, self.model.latent_dim)

    def generate(self, latents: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        return self.model.generator(latents)


class SpaceGAN(GAN):
    def projection_space(self) -> ZeroStartSpace:
        return ZeroStartSpace(self)


def test_a_model_s_own_space_is_searched_from_its_own_start() -> None:
    model = SpaceGAN(data_shape=(4,), latent_dim=4, hidden_dims=(), output_activation="identity")
    target = torch.randn(2, 4)
    untouched = project(model, target, steps=0, restarts=1)
    assert untouched.space == "W" and torch.equal(untouched.latents, torch.zeros(2, 4))
    assert project(model, target, steps=100, restarts=1).mse.max() < untouched.mse.min()


def test_without_d_features_projection_uses_pixels_and_says_why() -> None:
    packed = linear_gan(pack=2)
    found = project(packed, torch.randn(2, 4), steps=2, restarts=1)
    assert not found.used_features and "packs of 2 samples" in found.note


def test_models_without_a_latent_are_refused() -> None:
    translator = Pix2Pix(data_shape=(3, 16, 16), source_channels=1, base_channels=4)
    with pytest.raises(ConfigError, match="generates from data, not from a latent alone"):
        project(translator, torch.zeros(1, 3, 16, 16), steps=1)


def test_the_class_direction_is_the_difference_of_the_class_means() -> None:
    a = torch.tensor([[1.0, 2.0], [3.0, 4.0]])  # mean (2, 3)
    b = torch.tensor([[0.0, 0.0], [2.0, 2.0], [1.0, 1.0]])  # mean (1, 1)
    assert torch.equal(class_direction(a, b), torch.tensor([1.0, 2.0]))


def test_edits_name_classes_by_number_or_name() -> None:
    assert parse_edit("7-9", 10) == (7, 9)
    assert parse_edit("sneaker - Ankle boot", 10, FASHION) == (7, 9)
    assert parse_edit("sneaker-boot", 10, FASHION) == (7, 9)  # a word of a name, when only one name has it
    assert parse_edit("T-shirt/top-trouser", 10, FASHION) == (0, 1)  # the dash inside a name is not the minus
    with pytest.raises(ConfigError, match=r"--edit 'cat-dog' does not name two classes: .*\(0 T-shirt/top, 1 Trouser"):
        parse_edit("cat-dog", 10, FASHION)
    with pytest.raises(ConfigError, match=r"--edit '3-12' does not name two classes: .*\(0 to 9\)"):
        parse_edit("3-12", 10)


def test_a_conditional_model_projects_the_image_as_a_class_it_is_told() -> None:
    model = CGAN(data_shape=(1, 28, 28), num_classes=10, base_channels=4)
    asked = SimpleNamespace(label=None)
    assert target_label(model, asked, (3, 5)).tolist() == [5]  # --edit 3-5: the image is a 5
    assert target_label(model, SimpleNamespace(label=2), None).tolist() == [2]
    with pytest.raises(ConfigError, match="CGAN is conditional: give the image's class with --label"):
        target_label(model, asked, None)


def test_the_command_writes_target_reconstruction_and_edit(mnist_root: Path, capsys) -> None:
    fit(
        "--model=DCGAN",
        "--model.init_args.latent_dim=8",
        "--model.init_args.base_channels=4",
        "--data=MNIST",
        f"--data.init_args.root={mnist_root}",
        "--data.init_args.batch_size=32",
        "--trainer.max_steps=2",
        "--trainer.limit_val_batches=0",
        "--trainer.default_root_dir=run",
        "--seed_everything=0",
    )
    Image.fromarray(np.full((40, 40), 200, dtype=np.uint8)).save("image.png")  # resized to 28x28
    capsys.readouterr()
    argv = ["project", "--ckpt_path", "run", "--image", "image.png", "--steps", "5", "--restarts", "2"]
    assert main([*argv, "--edit", "1-2", "--per-class", "2", "--out", "out"]) == 0
    printed = capsys.readouterr().out
    assert "projection in z (pixel MSE + D-feature distance): pixel MSE" in printed and "a random z" in printed
    assert "edit 1-2 (class 1 - class 2): added the mean difference of 2 projected held-out images" in printed
    with Image.open("out/projection.png") as picture:
        assert picture.size == (3 * 28 + 4 * 2, 28 + 2 * 2)  # target | reconstruction | edit, 2-pixel padding
    saved = torch.load("out/latent.pt")
    assert saved["space"] == "z" and saved["latent"].shape == saved["edited"].shape == (1, 8)
    assert main([*argv, "--edit", "1-12"]) == 2
    assert "--edit '1-12' does not name two classes" in capsys.readouterr().err
