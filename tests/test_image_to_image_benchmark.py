"""benchmarks/image_to_image.py: its measures on known cases, the L1-only baseline, and a tiny run of every task."""

from __future__ import annotations

import importlib
import json
import math
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import torch
from PIL import Image

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
TINY = [
    "--steps",
    "2",
    "--n",
    "16",
    "--classifier-epochs",
    "1",
    "--set",
    "model.init_args.base_channels=4",
    "--set",
    "data.init_args.batch_size=8",
]


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(BENCHMARKS))  # as when run as a script: it imports mixtures beside it
    return importlib.import_module("image_to_image")


def test_psnr_and_ssim_of_the_bicubic_baseline_match_a_hand_computation(bench) -> None:
    low = torch.tensor([[-1.0, 1.0], [1.0, -1.0]]).view(1, 1, 2, 2)
    source = torch.cat([low, -low])  # two 2x2 checkerboards
    up = bench.bicubic(source, (4, 4))
    assert up.shape == (2, 1, 4, 4) and up.min() >= -1 and up.max() <= 1  # bicubic overshoots; the images are clipped
    target = torch.zeros(2, 1, 4, 4)
    target[1] = 0.5  # the two images miss their targets by different amounts
    mse = (((up + 1) / 2 - (target + 1) / 2) ** 2).mean()  # over all pixels of both images, in [0, 1]
    assert bench.psnr(up, target) == pytest.approx(float(10 * torch.log10(1 / mse)), rel=1e-5)
    per_image = [float(10 * torch.log10(1 / (((up[i] - target[i]) / 2) ** 2).mean())) for i in range(2)]
    assert bench.psnr(up, target) != pytest.approx(sum(per_image) / 2, rel=1e-3)  # not the mean of per-image PSNRs
    images = torch.rand(2, 1, 16, 16) * 2 - 1
    assert bench.ssim(images, images) == pytest.approx(1.0)
    assert bench.ssim(images, -images) < 0  # SSIM's structure term sees the negative


def test_the_share_labelled_is_the_argmax_share_and_cycle_l1_the_mean_absolute_error(bench) -> None:
    logits = torch.full((4, 10), -1.0)
    for row, label in enumerate([9, 7, 9, 0]):
        logits[row, label] = 2.0
    assert bench.share_labelled(logits, bench.ANKLE_BOOT) == 0.5
    assert bench.share_labelled(logits, bench.SNEAKER) == 0.25
    assert bench.share_labelled(logits, 3) == 0.0
    original = torch.zeros(2, 1, 4, 4)
    assert bench.cycle_l1(original + 0.25, original) == pytest.approx(0.25)


def test_the_l1_only_unet_trains_pix2pix_generator_on_l1_alone(bench) -> None:
    model = bench.L1OnlyUNet(data_shape=(1, 16, 16), source_channels=1, base_channels=4, l1_weight=100.0)
    assert [player.name for player in model.declared_players] == ["generator"]
    batch = {"real": torch.rand(4, 1, 16, 16) * 2 - 1, "source": torch.rand(4, 1, 16, 16) * 2 - 1}
    step = model.generator_step(batch, generator=torch.Generator().manual_seed(0), hooks=False)
    l1 = (step.fake - batch["real"]).abs().mean()
    assert torch.allclose(step.loss, 100 * l1) and torch.equal(step.logs["train/g_l1"], l1.detach())


def test_claims_compare_the_right_direction_of_each_measure(bench) -> None:
    def row(name: str, **scores: float):
        return bench.Row("t", name, [scores])

    rows = {
        "SRGAN": row("SRGAN", fid=3.0, psnr=20.0),
        "SRResNet": row("SRResNet", fid=5.0, psnr=25.0),
        "bicubic": row("bicubic", fid=9.0, psnr=21.0),
    }
    lines = bench.claims(rows)
    assert lines[0].startswith("PASS: SRGAN beats SRResNet on domain FID")  # lower FID is better
    assert lines[1].startswith("FAIL: SRGAN beats bicubic up-sampling on PSNR")  # higher PSNR is better
    assert len(lines) == 2  # no pix2pix rows: its claim is not printed


def test_a_tiny_inpainting_run_scores_its_rows_draws_them_and_is_not_trained_again(
    bench, fashion_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    argv = [*TINY, "--tasks", "inpainting", "--out", str(tmp_path / "bench"), "--pictures", str(tmp_path)]
    rows = bench.main(argv)["inpainting"]
    printed = capsys.readouterr().out
    assert [row.name for row in rows] == ["masked input", "inpainting", "real (train split)"]
    assert "| inpainting | masked input |" in printed and "| inpainting | inpainting |" in printed
    assert "PASS" not in printed and "FAIL" not in printed  # no claim is about inpainting

    # the masked input's row by hand: the hole (mid-grey) is its only error, over the same held-out pairs
    _, held = bench.held_out("inpainting", 16, ["--data.init_args.batch_size=8"])
    assert torch.equal(held["source"] * (1 - held["mask"]), held["target"] * (1 - held["mask"]))
    mse = (((held["source"] - held["target"]) / 2) ** 2).mean()
    assert rows[0].mean("psnr") == pytest.approx(float(10 * torch.log10(1 / mse)), rel=1e-5)
    assert math.isnan(rows[-1].mean("psnr")) and rows[-1].mean("fid") >= 0  # the floor row has FID only

    record = json.loads((tmp_path / "bench" / "inpainting" / "inpainting" / "seed=0.json").read_text())
    assert record["steps"] == 2 and record["cpu_s"] > 0 and record["threads"] == 1
    picture = np.asarray(Image.open(tmp_path / "image_to_image_inpainting.png"))
    assert picture.shape == (3 * 34 + 2, 8 * 34 + 2, 3)  # masked | output | target, 8 samples of 32 px
    assert picture[2 + 16, 2 + 16, 0] == 128  # the masked input's mid-grey hole

    monkeypatch.setattr(bench, "train", lambda *args: pytest.fail("a finished run was trained again"))
    assert [row.scores for row in bench.main(argv)["inpainting"]] == [row.scores for row in rows]


@pytest.mark.slow
def test_a_tiny_run_of_every_task_prints_every_row_claim_and_picture(
    bench, fashion_root: Path, tmp_path: Path, capsys
) -> None:
    out, pictures = tmp_path / "bench", tmp_path / "pictures"
    tables = bench.main([*TINY, "--out", str(out), "--pictures", str(pictures)])
    printed = capsys.readouterr().out
    assert [row.name for row in tables["sr"]] == [
        "bicubic",
        "SRResNet",
        "SRResNet, 2x steps",
        "SRGAN",
        "real (train split)",
    ]
    assert [row.name for row in tables["pix2pix"]] == ["L1-only U-Net", "pix2pix", "real (train split)"]
    assert len(tables["cyclegan"]) == 6
    for name in ("| sr | bicubic |", "| pix2pix | L1-only U-Net |", "| A->B | G(A) |", "| B->A | F(B) |"):
        assert name in printed
    assert sum(line.startswith(("PASS: ", "FAIL: ")) for line in printed.splitlines()) == 4

    # the bicubic row is the hand-computable one: PSNR of the clipped up-sampled inputs on the same held-out pairs
    _, held = bench.held_out("sr", 16, ["--data.init_args.batch_size=8"])
    up = bench.bicubic(held["source"], (28, 28))
    mse = (((up + 1) / 2 - (held["target"] + 1) / 2) ** 2).mean()
    assert tables["sr"][0].mean("psnr") == pytest.approx(float(10 * torch.log10(1 / mse)), rel=1e-5)

    assert json.loads((out / "sr" / "SRGAN" / "seed=0.json").read_text())["steps"] == 2
    assert json.loads((out / "sr" / "SRResNet_2x_steps" / "seed=0.json").read_text())["steps"] == 4
    srresnet = json.loads((out / "sr" / "SRResNet" / "seed=0.json").read_text())
    assert Path(srresnet["checkpoint"]).is_file()  # SRGAN started from it
    heights = {task: Image.open(pictures / f"image_to_image_{task}.png").size[1] for task in bench.TASKS}
    rows_of = {"sr": (6, 28), "pix2pix": (4, 32), "inpainting": (3, 32), "cyclegan": (6, 32)}
    for task, (rows, side) in rows_of.items():
        assert heights[task] == rows * (side + 2) + 2, task  # one row of images per method
