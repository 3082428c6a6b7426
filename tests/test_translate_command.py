"""``lightgan translate``: a translator's checkpoint applied to the user's own image files.

A tiny Pix2Pix and a tiny CycleGAN are trained 2 steps through the CLI; their translations of fabricated
PNG files are compared with the models' own outputs. Inpainting's mask path runs on the model directly.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import TINY_RING, fit
from paired_data import SIZE, PairedSquares
from PIL import Image
from player_modules import SIZE as CYCLE_SIZE

from lightgan.app.cli import main
from lightgan.app.commands.translate import Masks, Translator, model_inputs, translate_files
from lightgan.core.checkpoint import load_gan
from lightgan.data.degrade import MASK_FILL, Degradation
from lightgan.models.inpainting import Inpainting

PIX2PIX = [
    "--model=Pix2Pix",
    "--model.init_args.base_channels=4",
    "--model.init_args.source_channels=1",
    "--data=paired_data.PairedSquares",
    "--data.init_args.batch_size=8",
    "--trainer.limit_val_batches=0",
    "--trainer.callbacks+=GeneratorEMA",
    "--seed_everything=5",
    "--trainer.max_steps=2",
]
CYCLE = [
    "--model=CycleGAN",
    "--model.init_args.base_channels=4",
    "--data=player_modules.TwoDomains",
    "--data.init_args.batch_size=16",
    "--trainer.limit_val_batches=0",
    "--seed_everything=5",
    "--trainer.max_steps=2",
]


@pytest.fixture
def pix2pix_ckpt() -> Path:
    return fit(*PIX2PIX, "--trainer.default_root_dir=p2p").run_dir / "checkpoints" / "last.ckpt"


def gray(size: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (size, size), dtype=np.uint8)


def as_input(pixels: np.ndarray) -> torch.Tensor:
    """(H, W) uint8 -> (1, 1, H, W) in [-1, 1], as the command feeds the model."""
    return torch.tensor(pixels, dtype=torch.float32)[None, None] / 127.5 - 1


def png_of(images: torch.Tensor) -> np.ndarray:
    """What a PNG of the (1, C, H, W) output in [-1, 1] holds: H x W x C bytes, H x W for one channel."""
    pixels = ((images[0].clamp(-1, 1) + 1) * 127.5).round().permute(1, 2, 0).numpy()
    return pixels[..., 0] if pixels.shape[-1] == 1 else pixels


def assert_written(path: Path, expected: torch.Tensor) -> None:
    written = np.asarray(Image.open(path)).astype(float)
    assert written.shape == png_of(expected).shape
    assert np.abs(written - png_of(expected)).max() <= 1  # make_grid's scaling may round the other way


def test_a_folder_is_translated_one_png_per_input_at_a_size_the_network_takes(
    pix2pix_ckpt: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = Path("in")
    (folder / "sub").mkdir(parents=True)
    images = {"a.png": gray(SIZE, 0), "big.png": gray(2 * SIZE, 1), "odd.png": gray(24, 2), "sub/d.png": gray(SIZE, 3)}
    for name, pixels in images.items():
        Image.fromarray(pixels).save(folder / name)
    colour = np.random.default_rng(4).integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)
    Image.fromarray(colour).save(folder / "c.png")
    (folder / "broken.png").write_bytes(b"not an image")

    args = ["translate", "--ckpt_path", str(pix2pix_ckpt), "--input", "in", "--out", "out", "--batch_size", "2"]
    assert main(args) == 0
    out = capsys.readouterr()
    written = sorted(p.relative_to("out").as_posix() for p in Path("out").rglob("*.png"))
    assert written == ["a.png", "big.png", "c.png", "odd.png", "sub/d.png"]
    assert "skipped in/broken.png" in out.err and "skipped 1 unreadable file(s)" in out.err
    assert "resized 1 of 5 images to 16x16" in out.out and "converted 1 images to grayscale" in out.out

    model = load_gan(pix2pix_ckpt)
    assert_written(Path("out/a.png"), model.sample(source=as_input(images["a.png"])))  # the EMA generator's
    assert_written(Path("out/big.png"), model.sample(source=as_input(images["big.png"])))  # 32 px: the U-Net takes it
    resized = np.asarray(Image.fromarray(images["odd.png"]).resize((SIZE, SIZE), Image.Resampling.BILINEAR))
    assert_written(Path("out/odd.png"), model.sample(source=as_input(resized)))  # 24 px: it cannot halve 4 times
    luma = np.asarray(Image.fromarray(colour).convert("L"))
    assert_written(Path("out/c.png"), model.sample(source=as_input(luma)))


def test_the_averaged_generator_translates_unless_no_ema(pix2pix_ckpt: Path) -> None:
    checkpoint = torch.load(pix2pix_ckpt, weights_only=True)
    weights = checkpoint["state_dict"]
    averaged = [key for key in weights if key.startswith("generator_ema.") and weights[key].is_floating_point()]
    for key in averaged:
        weights[key].zero_()
    weights[[key for key in averaged if key.endswith(".bias")][-1]].fill_(1.0)  # the last layer's: tanh(1) everywhere
    torch.save(checkpoint, "ema.ckpt")
    Path("in").mkdir()
    image = gray(SIZE, 0)
    Image.fromarray(image).save("in/a.png")
    assert main(["translate", "--ckpt_path", "ema.ckpt", "--input", "in", "--out", "ema"]) == 0
    assert main(["translate", "--ckpt_path", "ema.ckpt", "--input", "in", "--out", "raw", "--no-ema"]) == 0
    assert_written(Path("ema/a.png"), torch.full((1, 3, SIZE, SIZE), float(np.tanh(1.0))))
    assert_written(Path("raw/a.png"), load_gan("ema.ckpt").sample(source=as_input(image), use_ema=False))


def test_cyclegan_translates_either_way(capsys: pytest.CaptureFixture[str]) -> None:
    ckpt = fit(*CYCLE, "--trainer.default_root_dir=cycle").run_dir / "checkpoints" / "last.ckpt"
    Path("in").mkdir()
    image = gray(CYCLE_SIZE, 5)
    Image.fromarray(image).save("in/x.png")
    assert main(["translate", "--ckpt", str(ckpt), "--input", "in/x.png", "--out", "ab"]) == 0
    assert main(["translate", "--ckpt", str(ckpt), "--input", "in/x.png", "--out", "ba", "--direction", "BtoA"]) == 0
    model, x = load_gan(ckpt), as_input(image)
    assert_written(Path("ab/x.png"), model.sample(source=x))
    assert_written(Path("ba/x.png"), model.translate(x, "ba"))
    assert not np.array_equal(np.asarray(Image.open("ab/x.png")), np.asarray(Image.open("ba/x.png")))


def test_options_and_checkpoints_it_cannot_use_are_one_line_errors(
    pix2pix_ckpt: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("empty").mkdir()
    Path("in").mkdir()
    Image.fromarray(gray(SIZE, 0)).save("in/a.png")
    gan = fit(*TINY_RING, "--trainer.max_steps=1").run_dir / "checkpoints" / "last.ckpt"
    cases = [
        (pix2pix_ckpt, ["--input", "in", "--direction", "BtoA"], "--direction BtoA picks one of CycleGAN's two"),
        (pix2pix_ckpt, ["--input", "in", "--mask", "in/a.png"], "but Pix2Pix takes no mask: leave --mask out"),
        (gan, ["--input", "in"], "GAN generates images from noise; it does not translate them. Draw samples with "
         "`lightgan sample"),
        (pix2pix_ckpt, ["--input", "nope"], "--input nope does not exist: give an image file or a folder"),
        (pix2pix_ckpt, ["--input", "empty"], "--input empty holds no images: looked for .jpg, .jpeg, .png"),
        (pix2pix_ckpt, ["--input", "in", "--batch-size", "0"], "--batch_size must be at least 1"),
    ]  # fmt: skip
    for ckpt, args, message in cases:
        assert main(["translate", "--ckpt_path", str(ckpt), "--out", "out", *args]) == 2, args
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1, err
    assert not Path("out").exists()

    Path("bad").mkdir()
    (Path("bad") / "x.png").write_bytes(b"\x89PNG broken")
    assert main(["translate", "--ckpt_path", str(pix2pix_ckpt), "--input", "bad", "--out", "out"]) == 2
    assert "None of the 1 images of --input bad could be read" in capsys.readouterr().err


def test_sample_without_the_training_data_points_to_translate(
    pix2pix_ckpt: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(pix2pix_ckpt, "moved.ckpt")  # no run folder, so no config.yaml naming the data
    assert main(["sample", "--ckpt", "moved.ckpt", "--out", "t.png"]) == 2
    err = capsys.readouterr().err
    assert "Pix2Pix translates images, and lightgan sample takes them from its training data" in err
    assert "`lightgan translate --ckpt_path moved.ckpt --input IMAGES --out DIR`" in err


def tile(grid: np.ndarray, row: int, col: int) -> np.ndarray:
    top, left = 2 + row * (SIZE + 2), 2 + col * (SIZE + 2)
    return grid[top : top + SIZE, left : left + SIZE].astype(float)


def test_sample_draws_input_output_and_target_rows(pix2pix_ckpt: Path) -> None:
    assert main(["sample", "--ckpt", str(pix2pix_ckpt), "--n", "4", "--nrow", "4", "--out", "t.png"]) == 0
    grid = np.asarray(Image.open("t.png"))
    assert grid.shape[:2] == (3 * (SIZE + 2) + 2, 4 * (SIZE + 2) + 2)
    data = PairedSquares()
    data.setup("fit")
    batch = data.held_out_batch(4)
    outputs = load_gan(pix2pix_ckpt).sample(source=batch["source"])
    for i in range(4):
        for row, images in enumerate((batch["source"].expand(-1, 3, -1, -1), outputs, batch["real"])):
            assert np.abs(tile(grid, row, i) - png_of(images[i : i + 1])).max() <= 1, (row, i)


def test_inpainting_fills_the_hole_of_the_given_mask_and_keeps_the_rest() -> None:
    torch.manual_seed(0)
    model = Inpainting(data_shape=(1, SIZE, SIZE), base_channels=4).eval()
    Path("in").mkdir()
    image = gray(SIZE, 6)
    Image.fromarray(image).save("in/x.png")
    hole = np.zeros((SIZE, SIZE), dtype=np.uint8)
    hole[2:7, 3:12] = 255
    Image.fromarray(hole).save("mask.png")
    files, outs = [Path("in/x.png")], [Path("out/x.png"), Path("default/x.png")]
    counts = translate_files(Translator(model, None), Path("in"), files, outs[:1], Masks("mask.png"), 4)
    translate_files(Translator(model, None), Path("in"), files, outs[1:], Masks(None), 4)
    assert counts.written == 1
    mask = torch.from_numpy(hole > 0).float()[None, None]
    expected = model.sample(**model_inputs(torch.from_numpy(image)[None, None], mask))
    assert_written(outs[0], expected)
    written = np.asarray(Image.open(outs[0]))
    assert np.array_equal(written[hole == 0], image[hole == 0])  # outside the hole: the input, exactly
    filled = model_inputs(torch.full((1, 1, 2, 2), 7, dtype=torch.uint8), torch.ones(1, 1, 2, 2))["source"]
    assert torch.allclose(filled, torch.full((1, 1, 2, 2), MASK_FILL / 127.5 - 1), atol=1e-6)  # mid-grey
    blank = torch.zeros(1, 1, SIZE, SIZE, dtype=torch.uint8)
    centre = Degradation("mask")(blank, torch.zeros(1))["mask"][0, 0].numpy() == 0
    assert np.array_equal(np.asarray(Image.open(outs[1]))[centre], image[centre])  # Degraded's default hole
