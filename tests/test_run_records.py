"""Every run keeps its metrics in ``metrics.csv`` beside it, resumed runs included."""

from __future__ import annotations

import csv
from pathlib import Path

from helpers import TINY_RING, fit

from lightgan.app.records import RunRecords, read_records


def test_a_run_and_its_resumption_keep_every_step_in_metrics_csv() -> None:
    steps = ["--trainer.log_every_n_steps=1", "--trainer.limit_val_batches=0"]
    first = fit(*TINY_RING, *steps, "--trainer.max_steps=3", logger=True)
    assert (first.run_dir / "metrics.csv").is_file()
    assert sorted(read_records(first.run_dir)["train/g_loss"]) == [0, 1, 2]
    resumed = fit(*TINY_RING, *steps, "--trainer.max_steps=5", "--ckpt_path=last", logger=True)
    assert resumed.run_dir == first.run_dir
    records = read_records(first.run_dir)
    assert sorted(records["train/g_loss"]) == [0, 1, 2, 3, 4]  # the first run's rows are still there
    assert sorted(records["train/d_loss"]) == [0, 1, 2, 3, 4]


def test_a_metric_that_appears_later_widens_the_file_and_keeps_earlier_rows(tmp_path: Path) -> None:
    records = RunRecords(tmp_path)
    records.log_metrics({"train/g_loss": 1.0}, step=0)
    records.log_metrics({"train/g_loss": 2.0}, step=1)
    records.log_metrics({"val/g_loss": 3.0}, step=1)
    records.log_metrics({"train/g_loss": 4.0}, step=1)  # a resumed run logs step 1 again: the last value wins
    with (tmp_path / "metrics.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert list(rows[0]) == ["step", "train/g_loss", "val/g_loss"] and len(rows) == 4
    assert read_records(tmp_path) == {"train/g_loss": {0: 1.0, 1: 4.0}, "val/g_loss": {1: 3.0}}


def test_a_run_without_loggers_writes_no_records() -> None:
    cli = fit(*TINY_RING, "--trainer.max_steps=2")
    assert not (cli.run_dir / "metrics.csv").exists()
