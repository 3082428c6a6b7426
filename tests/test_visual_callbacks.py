"""Visual callbacks: latent interpolation, class rows of the fixed-noise grid, the progress GIF, translators' rows."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from helpers import quiet_trainer
from paired_data import PairedSquares
from PIL import Image
from player_modules import TwoDomains
from trick_steps import ConditionalGAN, tiny_gan

from lightgan.callbacks import FixedNoiseSamples, LatentInterpolation, ProgressGIF
from lightgan.data import RingMixture
from lightgan.errors import ConfigError
from lightgan.models import GAN, CycleGAN, Pix2Pix
from lightgan.monitors.interpolation import interpolate
from lightgan.monitors.render import render_samples


def _trainer_stub(root: Path, callbacks: list | None = None) -> SimpleNamespace:
    return SimpleNamespace(
        log_dir=str(root), default_root_dir=str(root), global_step=7, current_epoch=0, loggers=[], datamodule=None,
        callbacks=callbacks or [],
    )  # fmt: skip


# ---------------------------------------------------------------- interpolation
def test_slerp_keeps_the_norm_and_linear_passes_through_the_midpoint() -> None:
    a, b = torch.tensor([3.0, 0.0]), torch.tensor([0.0, 3.0])
    t = torch.linspace(0, 1, 5)
    spherical = interpolate(a, b, t, "slerp")
    assert torch.allclose(spherical[0], a) and torch.allclose(spherical[-1], b)
    assert torch.allclose(spherical.norm(dim=1), torch.full((5,), 3.0))
    assert torch.allclose(spherical[2], torch.tensor([1.0, 1.0]) * 3 / 2**0.5)
    linear = interpolate(a, b, t, "linear")
    assert torch.allclose(linear[2], torch.tensor([1.5, 1.5]))
    assert torch.allclose(interpolate(a, 2 * a, t, "slerp"), interpolate(a, 2 * a, t, "linear"))  # parallel
    assert torch.allclose(interpolate(a, -a, t, "slerp"), interpolate(a, -a, t, "linear"))  # opposite


def test_latent_interpolation_rows_run_between_the_chosen_endpoints(tmp_path: Path) -> None:
    module = tiny_gan()  # latent_dim 4
    ends = [([1.0, 0, 0, 0], [0, 1.0, 0, 0]), ([0, 0, 2.0, 0], [0, 0, 0, 2.0])]
    callback = LatentInterpolation(endpoints=ends, num_steps=5, method="linear")
    callback.setup(_trainer_stub(tmp_path), module, "fit")
    assert callback.z.shape == (10, 4)
    assert torch.equal(callback.z[0], torch.tensor(ends[0][0])) and torch.equal(callback.z[4], torch.tensor(ends[0][1]))
    assert torch.allclose(callback.z[7], torch.tensor([0, 0, 1.0, 1.0]))

    path = callback.draw(_trainer_stub(tmp_path), module)
    assert path == tmp_path / "interpolations" / "epoch=000-step=0000007.png"
    assert Image.open(path).size == (5 * 18 + 2, 2 * 18 + 2)  # 5 columns, 2 rows of 16 px with 2 px padding
    first_row = interpolate(callback.z[0], callback.z[4], torch.linspace(0, 1, 5), "linear")
    assert torch.allclose(module.sample(10, z=callback.z)[:5], module.sample(5, z=first_row))


def test_latent_interpolation_seeded_rows_and_classes(tmp_path: Path) -> None:
    module = ConditionalGAN(data_shape=(1, 16, 16), num_classes=3, latent_dim=4, hidden_dims=(8,), seed=0)
    callback = LatentInterpolation(num_rows=4, num_steps=3, seed=5)
    callback.setup(_trainer_stub(tmp_path), module, "fit")
    again = LatentInterpolation(num_rows=4, num_steps=3, seed=5)
    again.setup(_trainer_stub(tmp_path), module, "fit")
    assert torch.equal(callback.z, again.z)
    assert callback.labels.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2, 0, 0, 0]


def test_latent_interpolation_rejects_bad_endpoints_and_point_data(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="length latent_dim=4"):
        LatentInterpolation(endpoints=[([1.0, 2.0], [3.0, 4.0])]).setup(_trainer_stub(tmp_path), tiny_gan(), "fit")
    with pytest.raises(ConfigError, match="Use FixedNoiseSamples for 2-D data"):
        LatentInterpolation().setup(_trainer_stub(tmp_path), tiny_gan(data_shape=(2,)), "fit")


# ---------------------------------------------------------------- class rows
def test_fixed_noise_grid_has_one_row_per_class(tmp_path: Path) -> None:
    module = ConditionalGAN(data_shape=(1, 16, 16), num_classes=10, latent_dim=4, hidden_dims=(8,), seed=0)
    callback = FixedNoiseSamples(nrow=8)
    callback.setup(_trainer_stub(tmp_path), module, "fit")
    rows = callback.labels.view(10, 8)
    assert rows.tolist() == [[c] * 8 for c in range(10)]  # every class, each on its own row
    path = callback.draw(_trainer_stub(tmp_path), module)
    assert Image.open(path).size == (8 * 18 + 2, 10 * 18 + 2)


def test_class_rows_need_a_conditional_model(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"GAN is not conditional .*or set class_rows: false"):
        FixedNoiseSamples(class_rows=True).setup(_trainer_stub(tmp_path), tiny_gan(), "fit")
    plain = FixedNoiseSamples(class_rows=False, num_images=12)
    module = ConditionalGAN(data_shape=(1, 16, 16), num_classes=3, latent_dim=4, hidden_dims=(8,), seed=0)
    plain.setup(_trainer_stub(tmp_path), module, "fit")
    assert plain.labels.tolist() == [0, 1, 2] * 4


# ---------------------------------------------------------------- progress GIF
def test_progress_gif_animates_every_grid_and_the_final_step(tmp_path: Path) -> None:
    data = RingMixture(num_samples=320, val_samples=32, batch_size=32)
    model = GAN(data_shape=data.data_shape, latent_dim=2, hidden_dims=(8, 8), seed=0)
    samples = FixedNoiseSamples(every_n_epochs=0, every_n_steps=2, num_points=100)
    gif = ProgressGIF(frame_ms=100)
    trainer = quiet_trainer(max_steps=5, callbacks=[samples, gif], default_root_dir=tmp_path, limit_val_batches=0)
    trainer.fit(model, data)
    pngs = sorted((tmp_path / "samples").glob("*.png"))
    assert [p.name.split("-")[1] for p in pngs] == [f"step={s:07d}.png" for s in (2, 4, 5)]  # 5: drawn at the end
    assert gif.path == tmp_path / "samples" / "progress.gif"
    with Image.open(gif.path) as image:
        assert image.n_frames == 3
        assert image.info["loop"] == 0


def test_progress_gif_needs_fixed_noise_samples(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"Add FixedNoiseSamples to trainer\.callbacks"):
        ProgressGIF().setup(_trainer_stub(tmp_path), tiny_gan(), "fit")


# ---------------------------------------------------------------- translators' rows
def _tile(picture: np.ndarray, size: int, row: int, col: int) -> np.ndarray:
    """Image ``(row, col)`` of a grid of ``size``-pixel images with make_grid's 2-pixel padding."""
    top, left = 2 + row * (size + 2), 2 + col * (size + 2)
    return picture[top : top + size, left : left + size].astype(int)


def _drawn(image: torch.Tensor) -> np.ndarray:
    """A (C, H, W) image in [-1, 1] as a grid draws it: H x W x 3 bytes."""
    pixels = ((image.detach().expand(3, -1, -1).clamp(-1, 1) + 1) * 127.5).round()
    return pixels.permute(1, 2, 0).numpy().astype(int)


def _assert_rows(picture: np.ndarray, size: int, rows: list[torch.Tensor]) -> None:
    assert picture.shape[:2] == (len(rows) * (size + 2) + 2, len(rows[0]) * (size + 2) + 2)
    for row, images in enumerate(rows):
        for col, image in enumerate(images):
            assert np.abs(_tile(picture, size, row, col) - _drawn(image)).max() <= 1, (row, col)


def test_cyclegan_pictures_show_a_its_translation_and_its_reconstruction(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = CycleGAN(data_shape=(1, 8, 8), base_channels=4, seed=0)
    data = TwoDomains()
    data.setup("fit")
    batch = data.held_out_batch(4)
    a = batch["source"]
    rows = model.picture_rows({"source": a}, model.sample(source=a), batch["real"])
    with torch.no_grad():
        g_of_a = model.generator.eval()(a)
        f_of_g_of_a = model.generator_ba.eval()(g_of_a)
    assert [name for name, _ in rows] == ["A", "G(A)", "F(G(A))"]  # B is unpaired: no target row
    assert torch.equal(rows[0][1], a) and torch.equal(rows[1][1], g_of_a) and torch.equal(rows[2][1], f_of_g_of_a)

    trainer = _trainer_stub(tmp_path)
    trainer.datamodule = data
    callback = FixedNoiseSamples(num_images=4, nrow=4)
    callback.setup(trainer, model, "fit")
    _assert_rows(callback.render(trainer, model, "t"), 8, [a, g_of_a, f_of_g_of_a])


def test_paired_pictures_show_input_output_and_target_rows_after_a_resume(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = Pix2Pix(data_shape=(3, 16, 16), source_channels=1, base_channels=4)
    data = PairedSquares()
    data.setup("fit")
    trainer = _trainer_stub(tmp_path)
    trainer.datamodule = data
    callback = FixedNoiseSamples(num_images=8, nrow=4)
    callback.setup(trainer, model, "fit")
    resumed = FixedNoiseSamples(num_images=8, nrow=4)
    resumed.load_state_dict(callback.state_dict())  # the targets are in the callback's checkpoint state
    batch = data.held_out_batch(8)
    outputs = model.sample(source=batch["source"])
    blocks = [[batch["source"][part], outputs[part], batch["real"][part]] for part in (slice(0, 4), slice(4, 8))]
    _assert_rows(resumed.render(trainer, model, "t"), 16, [*blocks[0], *blocks[1]])


def test_a_low_resolution_input_row_is_enlarged_with_square_pixels() -> None:
    low, high = torch.rand(2, 3, 4, 4) * 2 - 1, torch.rand(2, 3, 8, 8) * 2 - 1
    picture = render_samples(high, nrow=2, rows=[("input", low), ("output", high)])
    enlarged = low.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)
    _assert_rows(picture, 8, [enlarged, high])
