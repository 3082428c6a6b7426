from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import TINY_RING, fit
from PIL import Image

from lightgan.app.cli import main
from lightgan.app.commands import sample as sample_command
from lightgan.core.checkpoint import load_gan


@pytest.fixture
def dcgan_checkpoint(mnist_root: Path) -> Path:
    cli = fit(
        "--model=DCGAN",
        "--model.init_args.base_channels=4",
        "--model.init_args.latent_dim=8",
        "--data=MNIST",
        "--data.init_args.download=false",
        "--data.init_args.batch_size=16",
        "--trainer.max_steps=2",
        "--trainer.limit_val_batches=0",
    )
    return cli.run_dir / "checkpoints" / "last.ckpt"


def test_sample_writes_a_grid_and_is_reproducible(dcgan_checkpoint: Path) -> None:
    assert main(["sample", "--ckpt", str(dcgan_checkpoint), "--n", "16", "--nrow", "4", "--out", "a.png"]) == 0
    assert main(["sample", "--ckpt", str(dcgan_checkpoint), "--n", "16", "--nrow", "4", "--out", "b.png"]) == 0
    assert (
        main(["sample", "--ckpt", str(dcgan_checkpoint), "--n", "16", "--nrow", "4", "--seed", "1", "--out", "c.png"])
        == 0
    )
    a, b, c = (np.asarray(Image.open(name)) for name in ("a.png", "b.png", "c.png"))
    assert a.shape == (2 + 4 * 30, 2 + 4 * 30, 3)  # 4x4 grid of 28x28 images with 2-pixel padding
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_sample_writes_a_jpeg_when_asked(dcgan_checkpoint: Path) -> None:
    assert main(["sample", "--ckpt", str(dcgan_checkpoint), "--n", "4", "--out", "grid.jpg"]) == 0
    assert Image.open("grid.jpg").format == "JPEG" and not list(Path().glob("*partial*"))


def test_sample_writes_the_raw_tensor(dcgan_checkpoint: Path) -> None:
    assert main(["sample", "--ckpt", str(dcgan_checkpoint), "--n", "10", "--out", "out/samples.pt"]) == 0
    samples = torch.load("out/samples.pt")
    assert samples.shape == (10, 1, 28, 28) and samples.min() >= -1 and samples.max() <= 1
    model = load_gan(dcgan_checkpoint)
    expected = model.sample(10, generator=torch.Generator().manual_seed(0))
    assert torch.equal(samples, expected)


def test_sample_generates_in_chunks_with_the_same_result(dcgan_checkpoint: Path, monkeypatch) -> None:
    monkeypatch.setattr(sample_command, "CHUNK", 3)
    assert main(["sample", "--ckpt", str(dcgan_checkpoint), "--n", "10", "--out", "chunked.pt"]) == 0
    expected = load_gan(dcgan_checkpoint).sample(10, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(
        torch.load("chunked.pt"), expected, atol=1e-6
    )  # convolution sums may round differently per batch size


def test_sample_writes_a_folder_of_one_image_per_sample(dcgan_checkpoint: Path, monkeypatch) -> None:
    monkeypatch.setattr(sample_command, "CHUNK", 4)  # written chunk by chunk as they are generated
    assert main(["sample", "--ckpt", str(dcgan_checkpoint), "--n", "10", "--out", "images/"]) == 0
    files = sorted(Path("images").iterdir())
    assert [f.name for f in files] == [f"{i:06d}.png" for i in range(10)]
    expected = load_gan(dcgan_checkpoint).sample(10, generator=torch.Generator().manual_seed(0))
    pixels = np.asarray(Image.open(files[7]))[..., 0].astype(np.float32) / 127.5 - 1
    assert pixels.shape == (28, 28) and np.abs(pixels - expected[7, 0].numpy()).max() < 2 / 255 + 1e-6


def test_sample_of_2d_data_is_a_scatter_plot() -> None:
    ckpt = fit(*TINY_RING, "--trainer.max_steps=2").run_dir / "checkpoints" / "last.ckpt"
    assert main(["sample", "--ckpt", str(ckpt), "--n", "200", "--out", "ring.png"]) == 0
    assert Image.open("ring.png").size[0] > 300
    assert load_gan(ckpt).mode_centers.shape == (8, 2)  # kept in the checkpoint for the plot


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--label", "3"], "need a conditional model"),
        (["--n", "0"], "--n must be at least 1"),
        (["--out", "x.gif"], "must end in .png, .jpg or .pt"),
        (["--labels", "a,b"], "give class numbers separated by commas"),
        (["--labels", ","], "give class numbers separated by commas"),
        (["--device", "gpu"], "--device 'gpu' is not a device"),
    ],
)
def test_sample_rejects_bad_input(dcgan_checkpoint: Path, args: list[str], message: str, capsys) -> None:
    assert main(["sample", "--ckpt", str(dcgan_checkpoint), *args]) == 2
    assert message in capsys.readouterr().err


def test_missing_checkpoint_is_named(capsys) -> None:
    assert main(["sample", "--ckpt", "nope.ckpt"]) == 2
    assert "--ckpt_path nope.ckpt does not exist" in capsys.readouterr().err


def test_a_file_that_is_not_a_checkpoint_is_named(capsys) -> None:
    Path("notes.ckpt").write_text("not a checkpoint")
    assert main(["sample", "--ckpt", "notes.ckpt"]) == 2
    assert "notes.ckpt is not a readable checkpoint" in capsys.readouterr().err


def test_sample_and_evaluate_draw_the_same_samples_for_a_seed() -> None:
    from lightgan.metrics.sources import generator_batches

    ckpt = fit(*TINY_RING, "--trainer.max_steps=2", "--trainer.limit_val_batches=0").run_dir / "checkpoints/last.ckpt"
    assert main(["sample", "--ckpt_path", str(ckpt), "--n", "100", "--seed", "3", "--out", "drawn.pt"]) == 0
    model = load_gan(ckpt)
    drawn = torch.load("drawn.pt")
    for batch_size in (64, 100):  # evaluate's default batches (the last one partial), and sample's one chunk
        evaluated = torch.cat([batch["real"] for batch in generator_batches(model, 100, batch_size, seed=3)])
        assert torch.equal(evaluated, drawn), batch_size
    # other batch sizes: the same inputs, the generator's arithmetic may round differently per batch shape
    odd = torch.cat([batch["real"] for batch in generator_batches(model, 100, 7, seed=3)])
    torch.testing.assert_close(odd, drawn, rtol=1e-5, atol=1e-6)
