"""Pictures of vector samples that are not 2-D points: histograms, scatter matrices, and runs that go on
when samples cannot be drawn at all."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from helpers import fit, last_checkpoint
from PIL import Image
from trick_steps import tiny_gan

from lightgan.app.cli import main
from lightgan.callbacks import FixedNoiseSamples
from lightgan.monitors import render
from lightgan.monitors.render import render_samples

BLUE, ORANGE, RED = np.array([31, 119, 180]), np.array([255, 127, 14]), np.array([214, 39, 40])  # tab10


def _has(picture: np.ndarray, colour: np.ndarray) -> bool:
    return bool((np.abs(picture.reshape(-1, 3).astype(int) - colour).sum(1) < 60).any())


def _vector_run(shape: str, *extra: str) -> Path:
    """Train a tiny GAN on ``GaussianBlobs`` of ``shape`` for one epoch (3 steps); its run directory."""
    cli = fit(
        "--model=GAN",
        "--model.init_args.latent_dim=2",
        "--model.init_args.hidden_dims=[8, 8]",
        "--data=vector_data.GaussianBlobs",
        f"--data.init_args.shape={shape}",
        "--trainer.max_epochs=1",
        *extra,
    )
    return cli.run_dir


@pytest.fixture
def figures(monkeypatch: pytest.MonkeyPatch) -> Iterator[list]:
    """The matplotlib figures ``render_samples`` draws, kept open to be inspected instead of turned into pixels."""
    import matplotlib.pyplot as plt

    kept = []
    monkeypatch.setattr(render, "figure_to_array", lambda fig: kept.append(fig) or np.zeros((1, 1, 3), np.uint8))
    yield kept
    for fig in kept:
        plt.close(fig)


# ---------------------------------------------------------------- render_samples by shape
def test_many_dimensions_give_a_scatter_matrix_of_the_first_four(figures: list) -> None:
    render_samples(torch.randn(200, 8), centers=torch.randn(5, 8), title="epoch=001-step=0000010")
    render_samples(torch.randn(200, 3))
    wide, narrow = figures
    assert wide._suptitle.get_text() == "epoch=001-step=0000010, dims 0-3 of 8"
    assert len(wide.axes) == 16 and wide.axes[-1].get_xlabel() == "dim 3" and wide.axes[12].get_ylabel() == "dim 3"
    assert narrow._suptitle.get_text() == "dims 0-2 of 3" and len(narrow.axes) == 9
    centre_marks = [c for c in wide.axes[1].collections if c.get_label() == "mode centres"]
    assert len(centre_marks) == 1 and len(centre_marks[0].get_offsets()) == 5  # centres in the off-diagonal panels


def test_scatter_matrix_colours_the_points_by_generator() -> None:
    points = torch.randn(400, 5)
    by_generator = render_samples(points, sources=torch.arange(400) % 2)
    plain = render_samples(points)
    assert by_generator.dtype == np.uint8 and by_generator.shape[2] == 3 and by_generator.shape[0] > 400
    assert _has(by_generator, BLUE) and _has(by_generator, ORANGE)
    assert _has(plain, BLUE) and not _has(plain, ORANGE)


def test_one_dimension_gives_a_histogram_with_the_mode_centres(figures: list) -> None:
    samples = torch.cat([torch.randn(300, 1) - 3, torch.randn(100, 1) + 3])
    render_samples(samples, centers=torch.tensor([[-3.0], [3.0]]), title="t")
    (fig,) = figures
    (ax,) = fig.axes
    assert ax.get_title() == "t"
    (bars,) = [patch for patch in ax.patches if patch.get_label() == "samples"]
    xs, ys = bars.get_xy().T
    assert np.isclose(xs.min(), samples.min()) and np.isclose(xs.max(), samples.max())  # spans these samples
    assert ys.max() == np.histogram(samples.numpy(), bins=render.HISTOGRAM_BINS)[0].max()
    lines = [c for c in ax.collections if c.get_label() == "mode centres"]
    assert len(lines) == 1 and len(lines[0].get_segments()) == 2


def test_histogram_colours_bars_by_generator_and_marks_centres_in_red() -> None:
    samples = torch.randn(400, 1)
    with_centres = render_samples(samples, centers=torch.zeros(1, 1), sources=torch.arange(400) % 2)
    half_blue, half_orange = (BLUE + 255) // 2, (ORANGE + 255) // 2  # half-transparent bars on white
    assert _has(with_centres, RED) and _has(with_centres, half_blue) and _has(with_centres, half_orange)
    assert not _has(render_samples(samples, sources=torch.zeros(400, dtype=torch.long)), half_orange)
    assert not _has(render_samples(samples), RED)


def test_samples_of_a_diverged_generator_are_still_drawn() -> None:
    samples = torch.randn(100, 1)
    samples[::7] = float("nan")
    assert render_samples(samples).shape[2] == 3
    assert render_samples(torch.full((50, 3), float("nan"))).shape[2] == 3


def test_other_shapes_are_refused_in_one_line() -> None:
    assert render.drawable((1,)) and render.drawable((8,)) and render.drawable((3, 16, 16))
    assert not render.drawable((2, 4)) and not render.drawable((0,)) and not render.drawable(())
    with pytest.raises(ValueError, match=r"cannot draw samples of shape \(2, 4\)"):
        render_samples(torch.randn(10, 2, 4))


# ---------------------------------------------------------------- the callback
def test_fixed_noise_samples_skip_what_cannot_be_drawn_with_one_warning(tmp_path: Path) -> None:
    trainer = SimpleNamespace(
        datamodule=None, loggers=[], default_root_dir=str(tmp_path), global_step=3, current_epoch=0
    )
    module = tiny_gan(data_shape=(2, 4))
    callback = FixedNoiseSamples()
    with pytest.warns(UserWarning, match=r"samples of shape \(2, 4\) cannot be drawn") as caught:
        callback.setup(trainer, module, "fit")
        assert callback.draw(trainer, module) is None
        assert callback.draw(trainer, module) is None
    assert len(caught) == 1
    assert not (tmp_path / "samples").exists()


# ---------------------------------------------------------------- end to end
@pytest.mark.parametrize("dims", [1, 3])
def test_training_on_vectors_draws_samples_and_writes_checkpoints(dims: int) -> None:
    run_dir = _vector_run(f"[{dims}]")
    pictures = sorted((run_dir / "samples").glob("epoch=*.png"))
    assert [p.name for p in pictures] == ["epoch=000-step=0000003.png"]  # drawn at the end of the epoch
    assert Image.open(pictures[0]).size[0] > 300
    ckpt = last_checkpoint(run_dir)
    assert ckpt.is_file()
    assert main(["sample", "--ckpt_path", str(ckpt), "--n", "100", "--out", "x.png"]) == 0
    assert Image.open("x.png").size[0] > 300


def test_a_run_on_samples_that_cannot_be_drawn_goes_on(capsys: pytest.CaptureFixture) -> None:
    with pytest.warns(UserWarning, match=r"samples of shape \(2, 4\) cannot be drawn"):
        run_dir = _vector_run("[2, 4]")
    assert last_checkpoint(run_dir).is_file()
    assert not list(run_dir.glob("samples/*.png"))
    assert main(["sample", "--ckpt_path", str(last_checkpoint(run_dir)), "--out", "x.png"]) == 2
    assert "samples of shape (2, 4) cannot be drawn" in capsys.readouterr().err and not Path("x.png").exists()
