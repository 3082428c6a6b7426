"""benchmarks/grid.py: every combination of values trained into its own run folder, final metrics in a table."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from lightgan.app.records import read_records

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
TINY = [
    "data.init_args.num_samples=320",
    "data.init_args.batch_size=32",
    "model.init_args.hidden_dims=[16,16]",
    "model.init_args.discriminator_hidden_dims=[16,16]",
    "trainer.max_steps=3",
    "trainer.log_every_n_steps=1",
    "trainer.limit_val_batches=0",
    "trainer.num_sanity_val_steps=0",
    "trainer.accelerator=cpu",
    "trainer.enable_progress_bar=false",
    "trainer.enable_model_summary=false",
]


@pytest.fixture
def grid(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(BENCHMARKS))  # as when run as a script: it imports mixtures beside it
    return importlib.import_module("grid")


def _argv(out: Path, *vary: str) -> list[str]:
    argv = ["--configs", "gan_ring", "--out", str(out), "--metrics", "train/g_loss,train/d_loss"]
    for item in TINY:
        argv += ["--set", item]
    for item in vary:
        argv += ["--vary", item]
    return argv


def test_each_combination_is_a_run_of_its_own_and_the_table_has_its_final_metrics(
    grid: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = grid.main(_argv(tmp_path / "grid", "model.init_args.lr_g=1e-4,3e-3"))
    assert [(recipe.name, status) for recipe, status, _ in rows] == [
        ("gan_ring[lr_g=1e-4]", 0),
        ("gan_ring[lr_g=3e-3]", 0),
    ]
    finals = []
    for recipe, _, values in rows:
        folder = grid.run_dir(recipe, (tmp_path / "grid").resolve())
        assert folder.parent.name == "gan_ring"  # the W&B group
        config = yaml.safe_load((folder / "config.yaml").read_text())
        assert config["model"]["init_args"]["lr_g"] == float(recipe.overrides[0][1])
        g_loss = read_records(folder)["train/g_loss"]
        assert values["step"] == max(g_loss) == 2  # the step of the third batch, counted from 0
        assert values["train/g_loss"] == g_loss[2]
        finals.append(values["train/g_loss"])
    assert finals[0] != finals[1]  # the runs trained with their own learning rates
    table = capsys.readouterr().out.split("\n\n")[-1]
    assert table.splitlines()[0] == "| combination | exit | step | train/g_loss | train/d_loss |"
    assert f"| gan_ring[lr_g=1e-4] | 0 | 2 | {finals[0]:.4g} |" in table


def test_a_combination_that_fails_is_reported_and_the_grid_goes_on(
    grid: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = grid.main(_argv(tmp_path / "grid", "model.init_args.pack=oops"))
    assert [(status, values) for _, status, values in rows] == [(2, {})]
    captured = capsys.readouterr()
    assert "lightgan: error:" in captured.err and "oops" in captured.err
    assert "| gan_ring[pack=oops] | 2 | - | - | - |" in captured.out
