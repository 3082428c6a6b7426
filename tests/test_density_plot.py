"""The 1-D picture: ``Mixture1D`` data, ``DensityPlot``'s densities and D(x), its GIF, and D's surface in 2-D."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from helpers import fit
from PIL import Image

from lightgan.data import Mixture1D, RingMixture
from lightgan.errors import ConfigError
from lightgan.models import DCGAN, GAN
from lightgan.monitors import density
from lightgan.monitors.density import DensityPlot, discriminator_values, kernel_density

DENSITY = "lightgan.monitors.density.DensityPlot"
TINY_1D = [
    "--model=GAN",
    "--model.init_args.latent_dim=2",
    "--model.init_args.hidden_dims=[8, 8]",
    "--data=lightgan.data.mixtures.Mixture1D",
    "--data.init_args.num_samples=256",
    "--data.init_args.val_samples=64",
    "--data.init_args.batch_size=32",
    "--trainer.limit_val_batches=0",
    "--trainer.default_root_dir=run",
    "--seed_everything=0",
]


def test_mixture1d_draws_each_mode_around_its_centre_with_its_spread() -> None:
    data = Mixture1D(centers=(-3.0, 1.0), std=0.25, num_samples=4000, val_samples=100, batch_size=100)
    data.setup("fit")
    batch = data.train_set[torch.arange(4000)]
    assert data.data_shape == (1,) and batch["real"].shape == (4000, 1)
    for mode, centre in enumerate((-3.0, 1.0)):
        values = batch["real"][batch["label"] == mode].view(-1)
        assert values.mean().item() == pytest.approx(centre, abs=0.03)
        assert values.std().item() == pytest.approx(0.25, rel=0.1)
    assert data.mode_centers.tolist() == [[-3.0], [1.0]]
    with pytest.raises(ConfigError, match="centers must list at least one mode"):
        Mixture1D(centers=())


def test_the_2d_mixtures_still_draw_points_in_the_plane() -> None:
    ring = RingMixture(num_samples=200, val_samples=10, batch_size=100)
    ring.setup("fit")
    assert ring.data_shape == (2,) and ring.train_set.real.shape == (200, 2)


def test_the_kernel_density_of_standard_normal_samples_is_the_normal_density() -> None:
    samples = torch.randn(20_000, generator=torch.Generator().manual_seed(0))
    at = torch.linspace(-4, 4, 401)
    expected = torch.exp(-0.5 * at.square()) / math.sqrt(2 * math.pi)
    assert torch.allclose(kernel_density(samples, at), expected, atol=0.01)


def test_a_collapsed_generator_s_density_is_a_spike_as_wide_as_the_grid_resolves() -> None:
    at = torch.linspace(-1, 1, 201)  # spacing 0.01
    spike = kernel_density(torch.zeros(100), at)
    assert spike.isfinite().all() and spike.max().item() == pytest.approx(1 / (0.01 * math.sqrt(2 * math.pi)), rel=1e-3)
    assert (spike.sum() * 0.01).item() == pytest.approx(1.0, rel=1e-3)  # still a density


def test_d_is_drawn_as_a_probability_for_logit_losses_and_raw_for_critics() -> None:
    points = torch.linspace(-3, 3, 7).view(-1, 1)
    for loss, squash in (("non_saturating", torch.sigmoid), ("wasserstein", lambda x: x)):
        model = GAN(data_shape=(1,), latent_dim=2, hidden_dims=(8,), loss=loss)
        expected = squash(model.discriminator(points).view(-1))
        assert torch.allclose(discriminator_values(model, points), expected)
    packed = GAN(data_shape=(1,), latent_dim=2, hidden_dims=(8,), pack=2)
    assert discriminator_values(packed, points) is None  # one output per pair of samples: no D(x) to draw


def test_samples_that_are_not_1d_or_2d_are_refused_at_setup() -> None:
    trainer = SimpleNamespace(loggers=[], default_root_dir="run")
    with pytest.raises(ConfigError, match=r"DensityPlot draws densities of 1-D data .* shape \(1, 32, 32\)"):
        DensityPlot().setup(trainer, DCGAN(data_shape=(1, 32, 32), base_channels=4), "fit")


def gif_frames(path: Path) -> int:
    with Image.open(path) as gif:
        return gif.n_frames


def test_a_1d_run_draws_a_picture_every_n_steps_and_animates_them() -> None:
    fit(*TINY_1D, "--trainer.max_steps=6", f"--trainer.callbacks+={DENSITY}", "--trainer.callbacks.every_n_steps=2")
    folder = Path("run/density")
    pictures = sorted(folder.glob("epoch=*-step=*.png"))
    assert [p.name.split("-")[1] for p in pictures] == ["step=0000002.png", "step=0000004.png", "step=0000006.png"]
    assert gif_frames(folder / "density.gif") == 3


def test_a_2d_run_draws_d_under_the_samples() -> None:
    ring = [arg.replace("lightgan.data.mixtures.Mixture1D", "RingMixture") for arg in TINY_1D]
    settings = ["--trainer.callbacks.every_n_steps=2", "--trainer.callbacks.grid_points=20"]
    fit(*ring, "--trainer.max_steps=3", f"--trainer.callbacks+={DENSITY}", *settings)
    folder = Path("run/density")
    # step 2 on schedule, step 3 at the end of fit: the GIF ends on the final weights
    assert [p.name.split("-")[1] for p in sorted(folder.glob("*.png"))] == ["step=0000002.png", "step=0000003.png"]
    assert gif_frames(folder / "density.gif") == 2


def test_the_2d_picture_is_d_over_a_grid_rows_of_y_columns_of_x(monkeypatch: pytest.MonkeyPatch) -> None:
    ring = RingMixture(num_samples=200, val_samples=50, batch_size=50)
    ring.setup("fit")
    model = GAN(data_shape=(2,), latent_dim=2, hidden_dims=(8,))
    drawn: dict = {}

    def capture(real, fake, extent, critic, probability, title, centers):
        drawn.update(real=real, fake=fake, extent=extent, critic=critic, centers=centers)
        return np.zeros((1, 1, 3), dtype=np.uint8)

    monkeypatch.setattr(density, "surface_picture", capture)
    DensityPlot(num_samples=50, grid_points=5).render(SimpleNamespace(datamodule=ring), model, "t")
    side = torch.linspace(-drawn["extent"], drawn["extent"], 5)
    row, col = 1, 3
    at = torch.tensor([[side[col].item(), side[row].item()]])
    assert drawn["critic"].shape == (5, 5)
    assert drawn["critic"][row, col].item() == pytest.approx(discriminator_values(model, at).item(), abs=1e-6)
    assert drawn["real"].shape == drawn["fake"].shape == (50, 2)
    assert drawn["extent"] >= drawn["real"].abs().max().item()
    assert torch.equal(drawn["centers"], ring.mode_centers)
