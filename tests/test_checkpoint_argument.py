"""``--ckpt_path`` of lightgan's own commands: files, run folders, folders of runs and ``last``."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml
from helpers import TINY_RING, fit

from lightgan.app.cli import main
from lightgan.app.commands.checkpoint_arg import resolve_checkpoint
from lightgan.errors import ConfigError


@pytest.fixture
def two_runs(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Two runs of one config under runs/tiny/: (config, first run folder, second run folder)."""
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump({"trainer": {"max_steps": 2, "limit_val_batches": 0}}))
    first = fit(f"--config={config}", *TINY_RING).run_dir
    second = fit(f"--config={config}", *TINY_RING, "--trainer.max_steps=3").run_dir
    return config, first, second


def test_a_checkpoint_is_named_by_file_run_folder_folder_of_runs_or_last(two_runs: tuple[Path, Path, Path]) -> None:
    config, first, second = two_runs
    assert first.parent == second.parent and first.parent.name == "tiny"
    newest = second / "checkpoints" / "last.ckpt"
    assert resolve_checkpoint(first / "checkpoints" / "last.ckpt") == first / "checkpoints" / "last.ckpt"
    assert resolve_checkpoint(first).resolve() == (first / "checkpoints" / "last.ckpt").resolve()
    assert resolve_checkpoint(first.parent).resolve() == newest.resolve()
    assert resolve_checkpoint("last", [str(config)]).resolve() == newest.resolve()


def test_sample_and_evaluate_take_ckpt_path_and_keep_ckpt(two_runs: tuple[Path, Path, Path]) -> None:
    _, first, second = two_runs
    assert main(["sample", "--ckpt_path", str(second.parent), "--n", "8", "--out", "new.pt"]) == 0
    assert main(["sample", "--ckpt", str(second / "checkpoints" / "last.ckpt"), "--n", "8", "--out", "old.pt"]) == 0
    assert torch.equal(torch.load("new.pt"), torch.load("old.pt"))
    assert main(["evaluate", "--ckpt-path", str(first), "--n", "64", "--no-progress", "--no-reference"]) == 0
    assert (first / "checkpoints" / "last.metrics.json").is_file()


@pytest.mark.parametrize(
    ("given", "configs", "message"),
    [
        ("nowhere.ckpt", None, "--ckpt_path nowhere.ckpt does not exist"),
        ("last", None, "--ckpt_path last needs the run's config"),
        (".", None, "--ckpt_path .: no checkpoint under ."),
    ],
)
def test_a_checkpoint_that_names_nothing_is_one_line(given: str, configs: list[str] | None, message: str) -> None:
    with pytest.raises(ConfigError, match="^" + message.replace(".", r"\.")) as error:
        resolve_checkpoint(given, configs)
    assert "\n" not in str(error.value)


def test_own_commands_take_dashes_or_underscores(two_runs: tuple[Path, Path, Path]) -> None:
    _, first, _ = two_runs
    assert main(["sample", "--ckpt_path", str(first), "--n", "8", "--no_ema", "--out", "under.pt"]) == 0
    assert main(["sample", "--ckpt-path", str(first), "--n", "8", "--no-ema", "--out", "dash.pt"]) == 0
    assert torch.equal(torch.load("under.pt"), torch.load("dash.pt"))
    assert main(["evaluate", "--ckpt_path", str(first), "--n", "64", "--no_progress", "--no_reference"]) == 0
    assert main(["evaluate", "--ckpt_path", str(first), "--no_such_option"]) == 2
