"""``lightgan compare``: runs side by side from their local records, evaluations included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import TINY_RING, fit
from PIL import Image

from lightgan.app.cli import main
from lightgan.app.commands import compare
from lightgan.app.records import read_records

LOG_EVERY_STEP = ["--trainer.log_every_n_steps=1", "--trainer.limit_val_batches=0"]


@pytest.fixture
def two_runs() -> tuple[Path, Path]:
    """runs/gan_ringmixture/version_0 (3 steps) and version_1 (5 steps, its checkpoints scored by evaluate --all)."""
    first = fit(*TINY_RING, "--seed_everything=1", *LOG_EVERY_STEP, "--trainer.max_steps=3", logger=True).run_dir
    second = fit(*TINY_RING, "--seed_everything=2", *LOG_EVERY_STEP, "--trainer.max_steps=5", logger=True).run_dir
    argv = ["evaluate", "--ckpt_path", str(second), "--all", "--metrics", "fid", "--n", "64", "--no-progress"]
    assert main([*argv, "--no-reference"]) == 0
    return first, second


def test_the_table_holds_each_runs_last_values_and_the_curves_are_drawn(two_runs: tuple[Path, Path], capsys) -> None:
    first, second = two_runs
    capsys.readouterr()
    finals = compare.main([str(first), str(second.parent), "--out", "curves.png", "--smooth", "2"])
    labels = ["gan_ringmixture/version_0", "gan_ringmixture/version_1"]  # a folder of runs means its newest
    assert list(finals) == labels
    for label, run in zip(labels, (first, second), strict=True):
        for name, series in read_records(run).items():
            assert finals[label][name] == series[max(series)]
    assert sorted(read_records(first)["train/g_loss"]) == [0, 1, 2]
    evaluation = json.loads((second / "evaluation" / "metrics_over_steps.json").read_text())
    assert finals[labels[1]]["eval/fid"] == evaluation["steps"][-1]["scores"]["fid"]["value"]
    assert "eval/fid" not in finals[labels[0]]

    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["metric", *labels]
    g_loss = next(line for line in out if line.startswith("train/g_loss"))
    assert len(g_loss.split()) == 3
    assert next(line for line in out if line.startswith("eval/fid")).split()[1] == "-"  # the first run has none
    assert out[-1] == "wrote curves.png"
    with Image.open("curves.png") as picture:
        assert picture.format == "PNG" and picture.width > 500


def test_metrics_choose_the_curves_and_smoothing_averages_the_last_k_points(two_runs: tuple[Path, Path]) -> None:
    first, second = two_runs
    assert main(["compare", str(first), str(second), "--metrics", "train/d_loss", "--out", "d.png"]) == 0
    assert Path("d.png").is_file()
    recorded = ["eval/fid", "train/d_loss", "train/g_loss", "val/fid", "val/fid_floor"]
    assert compare.curve_names(None, recorded) == ["train/g_loss", "train/d_loss", "eval/fid", "val/fid"]
    assert compare.smoothed({0: 1.0, 1: 3.0, 4: 5.0, 6: 10.0}, 2) == {0: 1.0, 1: 2.0, 4: 4.0, 6: 7.5}
    assert compare.smoothed({0: 1.0, 1: 3.0}, 1) == {0: 1.0, 1: 3.0}


def test_bad_input_fails_in_one_line(two_runs: tuple[Path, Path], capsys) -> None:
    first, _ = two_runs
    silent = fit(*TINY_RING, "--trainer.max_steps=1", "--trainer.default_root_dir=silent").run_dir
    cases = {
        "logger off": (
            [str(first), str(silent)],
            "silent has no records (metrics.csv): it was trained with --trainer.logger=false",
        ),
        "not a folder": (["nowhere"], "nowhere is not a folder: give a run folder"),
        "unknown metric": ([str(first), "--metrics", "train/g_loss,val/fid"], "--metrics train/g_loss,val/fid: no run"),
        "smooth": ([str(first), "--smooth", "0"], "--smooth 0: give K >= 1"),
        "no runs": ([], "the following arguments are required: RUN"),
    }
    for name, (argv, message) in cases.items():
        assert main(["compare", *argv]) == 2, name
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0], (name, err)
    assert not Path("compare.png").exists()
