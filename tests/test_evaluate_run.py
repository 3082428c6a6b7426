"""``lightgan evaluate --all``: every checkpoint of a run scored, tabled, drawn, and the best one linked."""

from __future__ import annotations

import csv
import json
import math
import shutil
from pathlib import Path

import pytest
import torch
from helpers import TINY_RING, fit
from PIL import Image

from lightgan.app.cli import main
from lightgan.app.commands.checkpoint_arg import resolve_checkpoint
from lightgan.app.commands.evaluate_run import best_record, run_checkpoints

# checkpoints at steps 2 and 4, and last.ckpt (step 4 as well)
EVERY_TWO_STEPS = [
    "--trainer.max_steps=4",
    "--trainer.callbacks+=ModelCheckpoint",
    "--trainer.callbacks.every_n_train_steps=2",
    "--trainer.callbacks.save_top_k=-1",
]
SCORING = ["--metrics", "fid,modes", "--n", "256", "--no-progress"]


@pytest.fixture
def run_dir() -> Path:
    return fit(*TINY_RING, "--seed_everything=1", *EVERY_TWO_STEPS).run_dir


def _rows(run: Path) -> list[dict[str, str]]:
    with (run / "evaluation" / "metrics_over_steps.csv").open(newline="") as file:
        return list(csv.DictReader(file))


def test_every_step_is_scored_once_as_evaluate_scores_its_checkpoint(run_dir: Path, tmp_path: Path, capsys) -> None:
    cache = ["--cache-dir", str(tmp_path / "cache")]
    assert main(["evaluate", "--ckpt_path", str(run_dir), "--all", *SCORING, *cache]) == 0
    out = capsys.readouterr().out
    assert "[1/2] step 2 (epoch=0-step=2.ckpt): fid " in out and "[2/2] step 4 (epoch=0-step=4.ckpt)" in out
    assert any(line.startswith("real floor") for line in out.splitlines())

    rows = _rows(run_dir)
    steps = [(row["step"], row["checkpoint"]) for row in rows]
    assert steps == [("2", "epoch=0-step=2.ckpt"), ("4", "epoch=0-step=4.ckpt")]
    scores = ["fid", "modes_captured", "high_quality_pct", "reverse_kl"]
    assert list(rows[0]) == ["step", "checkpoint", *scores]
    for row in rows:
        single = run_dir / "checkpoints" / row["checkpoint"]
        assert main(["evaluate", "--ckpt_path", str(single), *SCORING, *cache]) == 0
        record = json.loads(single.with_suffix(".metrics.json").read_text())
        assert {name: float(row[name]) for name in scores} == {name: record["scores"][name]["value"] for name in scores}

    summary = json.loads((run_dir / "evaluation" / "metrics_over_steps.json").read_text())
    assert [record["step"] for record in summary["steps"]] == [2, 4] and summary["best"] is None
    for name in scores:
        with Image.open(run_dir / "evaluation" / f"{name}.png") as picture:
            assert picture.format == "PNG" and picture.width > 100


def test_best_picks_the_lowest_fid_and_links_it_as_a_checkpoint_sample_reads(run_dir: Path, capsys) -> None:
    argv = ["evaluate", "--ckpt_path", str(run_dir.parent), "--all", *SCORING, "--no-reference"]
    assert main([*argv, "--best", "fid", "--link-best"]) == 0
    rows = _rows(run_dir)
    fids = {row["checkpoint"]: float(row["fid"]) for row in rows}
    assert len(set(fids.values())) == len(rows)  # distinct values: the choice below means something
    lowest = min(fids, key=fids.__getitem__)
    best = run_dir / "checkpoints" / "best.ckpt"
    assert best.is_symlink() and best.resolve() == (run_dir / "checkpoints" / lowest).resolve()
    assert "best fid: " in capsys.readouterr().out
    assert json.loads((run_dir / "evaluation" / "metrics_over_steps.json").read_text())["best"]["checkpoint"].endswith(
        lowest
    )

    assert main(["sample", "--ckpt_path", str(best), "--n", "8", "--out", "best.pt"]) == 0
    assert main(["sample", "--ckpt_path", str(run_dir / "checkpoints" / lowest), "--n", "8", "--out", "it.pt"]) == 0
    assert torch.equal(torch.load("best.pt"), torch.load("it.pt"))
    assert resolve_checkpoint(run_dir).name == "last.ckpt"  # the link does not change what a run folder means
    assert [path.name for _, path in run_checkpoints(str(run_dir), None)[1]] == [
        "epoch=0-step=2.ckpt",
        "epoch=0-step=4.ckpt",
    ]


def test_a_step_only_last_ckpt_holds_is_scored_and_a_best_last_is_copied(run_dir: Path) -> None:
    checkpoints = run_dir / "checkpoints"
    (checkpoints / "epoch=0-step=4.ckpt").unlink()
    steps = run_checkpoints(str(run_dir), None)[1]
    assert [(step, path.name) for step, path in steps] == [(2, "epoch=0-step=2.ckpt"), (4, "last.ckpt")]
    shutil.copy(checkpoints / "last.ckpt", checkpoints / "renamed.ckpt")  # the step is read from the file
    assert [path.name for _, path in run_checkpoints(str(run_dir), None)[1]] == ["epoch=0-step=2.ckpt", "renamed.ckpt"]
    for name in ("renamed.ckpt", "epoch=0-step=2.ckpt"):
        (checkpoints / name).unlink()

    argv = ["evaluate", "--ckpt_path", str(run_dir), "--all", *SCORING, "--no-reference", "--best", "fid"]
    assert main([*argv, "--link-best"]) == 0
    best = checkpoints / "best.ckpt"  # training rewrites last.ckpt: best.ckpt is a copy of it, not a link
    assert not best.is_symlink() and best.read_bytes() == (checkpoints / "last.ckpt").read_bytes()


def _record(step: int, **values: float) -> dict:
    return {"step": step, "checkpoint": f"step={step}.ckpt", "scores": {k: {"value": v} for k, v in values.items()}}


def test_best_goes_by_the_direction_of_the_score_skips_nan_and_prefers_later_steps_on_ties() -> None:
    records = [
        _record(1, fid=3.0, precision=0.2, reverse_kl=math.nan),
        _record(2, fid=1.0, precision=0.7, reverse_kl=math.nan),
        _record(3, fid=2.0, precision=0.7, reverse_kl=math.nan),
    ]
    assert best_record(records, "fid")["step"] == 2  # lower is better
    assert best_record(records, "precision")["step"] == 3  # higher is better; the tie goes to the later step
    assert best_record(records, "reverse_kl") is None
    records[0]["scores"]["reverse_kl"]["value"] = math.inf
    assert best_record(records, "reverse_kl")["step"] == 1  # the only number, if the worst one


def test_bad_options_fail_in_one_line(run_dir: Path, capsys) -> None:
    run = ["evaluate", "--ckpt_path", str(run_dir)]
    cases = {
        "--best nope": ([*run, "--all", "--best", "nope"], "invalid choice: 'nope' (choose from 'fid', 'kid'"),
        "unscored": ([*run, "--all", "--metrics", "modes", "--best", "fid"], "--metrics modes does not score it"),
        "--best alone": ([*run, "--best", "fid"], "--best fid picks among a run's checkpoints: add --all"),
        "--link-best alone": ([*run, "--all", "--link-best"], "--link-best links the best checkpoint by a score"),
        "no run": (["evaluate", "--ckpt_path", "elsewhere.ckpt", "--all"], "--ckpt_path elsewhere.ckpt does not exist"),
    }
    Path("loose.ckpt").write_bytes((run_dir / "checkpoints" / "last.ckpt").read_bytes())
    cases["loose file"] = (["evaluate", "--ckpt_path", "loose.ckpt", "--all"], "is not in a run's checkpoints/ folder")
    for name, (argv, message) in cases.items():
        assert main(argv) == 2, name
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0], (name, err)
    assert not (run_dir / "evaluation").exists()


def test_curves_can_space_the_steps_by_doublings(tmp_path: Path) -> None:
    from lightgan.app.commands.evaluate_run import draw_curves

    panels = {"modes": {"gan": {step: math.log2(step) for step in (1_000, 2_000, 4_000, 8_000, 64_000)}}}
    linear = draw_curves(panels, tmp_path / "linear.png")
    doublings = draw_curves(panels, tmp_path / "doublings.png", log_steps=True)
    with Image.open(linear) as a, Image.open(doublings) as b:
        assert (a.size, a.tobytes()) != (b.size, b.tobytes())  # the same line, drawn on another axis
