"""``lightgan interpolate``: animations of latent walks from tiny checkpoints trained on the CPU."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import TINY_RING, fit, last_checkpoint
from PIL import Image
from variant_helpers import tiny_images

from lightgan.app.cli import main
from lightgan.app.commands.interpolate import traversal_animation
from lightgan.core.checkpoint import load_gan
from lightgan.errors import ConfigError
from lightgan.models import InfoGAN
from lightgan.monitors.render import image_grid

CELL = 16 + 2  # a 16x16 image and its 2-pixel padding


def trained(*args: str) -> Path:
    return last_checkpoint(fit(*args, "--trainer.max_steps=2", "--trainer.limit_val_batches=0").run_dir)


@pytest.fixture
def dcgan_checkpoint(mnist_root: Path) -> Path:
    return trained("--model=DCGAN", *tiny_images(mnist_root))


def frames_of(folder: str) -> list[np.ndarray]:
    return [np.asarray(Image.open(path)) for path in sorted(Path(folder).glob("*.png"))]


def endpoints(ckpt: Path, count: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """The starts and ends of ``count`` walks: pairs of consecutive draws from the prior, seeded on the CPU."""
    pairs = load_gan(ckpt).sample_noise(2 * count, torch.Generator().manual_seed(seed)).view(count, 2, -1)
    return pairs[:, 0], pairs[:, 1]


def interpolate(ckpt: Path, *args: str) -> int:
    return main(["interpolate", "--ckpt_path", str(ckpt), "--device", "cpu", *args])


def test_gif_has_one_grid_a_frame_and_says_where_it_went(dcgan_checkpoint: Path, capsys) -> None:
    assert interpolate(dcgan_checkpoint, "--out", "walk.gif", "--frames", "5", "--rows", "2", "--cols", "3") == 0
    with Image.open("walk.gif") as gif:
        assert gif.n_frames == 5 and gif.size == (3 * CELL + 2, 2 * CELL + 2) and gif.info["loop"] == 0
    out = capsys.readouterr().out
    assert "frame 5/5" in out and "wrote 5 frames to walk.gif" in out


def test_linear_walks_start_and_end_at_samples_of_the_endpoints(dcgan_checkpoint: Path) -> None:
    args = ["--mode", "linear", "--frames", "4", "--rows", "2", "--cols", "2", "--seed", "3"]
    assert interpolate(dcgan_checkpoint, *args, "--out", "linear/") == 0
    frames = frames_of("linear")
    assert [p.name for p in sorted(Path("linear").iterdir())] == [f"{i:04d}.png" for i in range(4)]
    model, (starts, ends) = load_gan(dcgan_checkpoint), endpoints(dcgan_checkpoint, 4, seed=3)
    assert np.array_equal(frames[0], image_grid(model.sample(z=starts), nrow=2))
    assert np.array_equal(frames[-1], image_grid(model.sample(z=ends), nrow=2))
    assert not np.array_equal(frames[1], frames[0]) and not np.array_equal(frames[1], frames[-1])


def test_slerp_walks_another_path_and_the_seed_decides_the_walks(dcgan_checkpoint: Path) -> None:
    for out, args in (("slerp/", []), ("again/", []), ("linear/", ["--mode", "linear"]), ("seed1/", ["--seed", "1"])):
        assert interpolate(dcgan_checkpoint, "--frames", "3", "--rows", "1", "--cols", "4", *args, "--out", out) == 0
    slerp, again, linear, seed1 = (frames_of(name) for name in ("slerp", "again", "linear", "seed1"))
    assert all(np.array_equal(a, b) for a, b in zip(slerp, again, strict=True))
    assert np.abs(slerp[0].astype(int) - linear[0]).max() <= 1  # the same endpoints, up to rounding
    assert not np.array_equal(slerp[1], linear[1])
    assert not np.array_equal(slerp[0], seed1[0])


def test_conditional_models_walk_the_same_path_in_one_row_per_class(mnist_root: Path, capsys) -> None:
    ckpt = trained("--model=CGAN", *tiny_images(mnist_root))
    assert interpolate(ckpt, "--mode", "linear", "--frames", "3", "--cols", "2", "--out", "classes/") == 0
    first = frames_of("classes")[0]
    assert first.shape[:2] == (10 * CELL + 2, 2 * CELL + 2)
    starts, _ = endpoints(ckpt, 2)
    every_class = torch.arange(10).repeat_interleave(2)
    expected = load_gan(ckpt).sample(z=starts.repeat(10, 1), labels=every_class)
    assert np.array_equal(first, image_grid(expected, nrow=2))

    assert interpolate(ckpt, "--frames", "2", "--rows", "3", "--out", "three.gif") == 0
    assert Image.open("three.gif").size[1] == 3 * CELL + 2
    assert interpolate(ckpt, "--rows", "11", "--out", "x.gif") == 2
    assert "--rows 11: this model knows 10 classes" in capsys.readouterr().err


def test_several_generators_draw_the_same_walks_one_row_each(mnist_root: Path, capsys) -> None:
    ckpt = trained("--model=MADGAN", "--model.init_args.num_generators=2", *tiny_images(mnist_root))
    assert interpolate(ckpt, "--mode", "linear", "--frames", "2", "--cols", "3", "--out", "generators/") == 0
    first = frames_of("generators")[0]
    assert first.shape[:2] == (2 * CELL + 2, 3 * CELL + 2)
    starts, _ = endpoints(ckpt, 3)
    model = load_gan(ckpt).eval()
    with torch.no_grad():
        rows = [image_grid(generator(starts), nrow=3) for generator in model.generator]
    assert np.array_equal(first[: CELL + 2], rows[0][: CELL + 2])  # the top row: the first generator's walks
    assert np.array_equal(first[CELL:], rows[1])  # the bottom row: the second's, from the same noise
    assert not np.array_equal(rows[0], rows[1])
    assert interpolate(ckpt, "--rows", "3", "--out", "x.gif") == 2
    assert "one row per generator (2)" in capsys.readouterr().err


def test_infogan_traverse_sweeps_the_continuous_code(mnist_root: Path) -> None:
    ckpt = trained("--model=InfoGAN", "--model.init_args.traversal_steps=3", *tiny_images(mnist_root, latent_dim=16))
    assert interpolate(ckpt, "--traverse", "--frames", "5", "--out", "codes/") == 0
    frames = frames_of("codes")
    model = load_gan(ckpt)
    z, columns = model.traversal()
    grid = z.view(-1, columns, z.shape[1])
    assert len(frames) == 5 and frames[0].shape[:2] == (10 * CELL + 2, CELL + 2)  # one row per categorical value
    assert np.array_equal(frames[0], image_grid(model.sample(z=grid[:, 0]), nrow=1))
    assert np.array_equal(frames[-1], image_grid(model.sample(z=grid[:, -1]), nrow=1))
    assert not np.array_equal(frames[0], frames[2])


def test_traverse_needs_a_continuous_code_to_sweep() -> None:
    model = InfoGAN(data_shape=(1, 16, 16), latent_dim=8, categorical_codes=[3], continuous_codes=0, base_channels=4)
    with pytest.raises(ConfigError, match="--traverse: InfoGAN has no continuous code to sweep"):
        traversal_animation(model, frames=3, method="linear")


def test_2d_data_walks_as_scatter_plots() -> None:
    ckpt = trained(*TINY_RING)
    assert interpolate(ckpt, "--frames", "3", "--points", "64", "--out", "ring.gif") == 0
    with Image.open("ring.gif") as gif:
        assert gif.n_frames == 3 and gif.size[0] > 300


def test_mp4_without_a_writer_says_what_to_install(monkeypatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # as if it were not installed
    Path("model.ckpt").touch()  # the output is checked before the checkpoint is read
    assert main(["interpolate", "--ckpt_path", "model.ckpt", "--out", "walk.mp4"]) == 2
    err = capsys.readouterr().err
    assert "pip install imageio imageio-ffmpeg, or write a GIF (--out walk.gif)" in err
    assert len(err.strip().splitlines()) == 1 and not Path("walk.mp4").exists()


def test_mp4_has_one_video_frame_a_frame(dcgan_checkpoint: Path) -> None:
    imageio = pytest.importorskip("imageio.v2")
    pytest.importorskip("imageio_ffmpeg")
    assert interpolate(dcgan_checkpoint, "--out", "walk.mp4", "--frames", "6", "--rows", "2", "--cols", "4") == 0
    video = imageio.mimread("walk.mp4")
    assert len(video) == 6 and video[0].shape[:2] == (2 * CELL + 2, 4 * CELL + 2)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--frames", "1"], "--frames must be at least 2, got 1."),
        (["--cols", "0"], "--cols must be at least 1, got 0."),
        (["--out", "walk.png"], "--out walk.png must end in .gif or .mp4, or be a folder"),
        (["--mode", "cubic"], "invalid choice: 'cubic'"),
        (["--traverse", "--rows", "2"], "--traverse draws the rows of the model's own traversal"),
    ],
)
def test_bad_arguments_stop_in_one_line_before_the_checkpoint_is_read(args: list[str], message: str, capsys) -> None:
    Path("model.ckpt").touch()
    assert main(["interpolate", "--ckpt_path", "model.ckpt", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_traverse_needs_a_model_with_latent_codes(dcgan_checkpoint: Path, capsys) -> None:
    assert interpolate(dcgan_checkpoint, "--traverse") == 2
    assert "--traverse sweeps a model's latent codes, but DCGAN has none (InfoGAN has)." in capsys.readouterr().err
