"""``metrics.csv`` beside every run: its curves without W&B, an account or a network.

Lightning's ``CSVLogger`` deletes an existing ``metrics.csv`` when it starts in a folder that
holds one, so a resumed run would lose its history; ``RunRecords`` appends instead. One row per
logging call: ``step`` (the generator step), then the metrics, blank where a row has none. A
resumed run may log a step twice (from its checkpoint to where it stopped): readers take the
last row (``read_records``).
"""

from __future__ import annotations

import csv
import math
from argparse import Namespace
from pathlib import Path
from typing import Any

from lightning.pytorch.loggers import Logger
from lightning.pytorch.utilities import rank_zero_only

RECORDS_FILE = "metrics.csv"


class RunRecords(Logger):
    """Appends every logged metric to ``<run dir>/metrics.csv``.

    Args:
        save_dir: the run directory (lightgan points it at the run's folder).
    """

    def __init__(self, save_dir: str | Path = ".") -> None:
        super().__init__()
        self._save_dir = Path(save_dir)
        self._header: list[str] | None = None  # the file's header, read once (a resumed run's file has one)

    @property
    def name(self) -> str:
        return ""

    @property
    def version(self) -> str:
        return ""

    @property
    def save_dir(self) -> str:
        return str(self._save_dir)

    @property
    def log_dir(self) -> str:
        return str(self._save_dir)

    @property
    def path(self) -> Path:
        return self._save_dir / RECORDS_FILE

    @rank_zero_only
    def log_hyperparams(self, params: dict[str, Any] | Namespace, *args: Any, **kwargs: Any) -> None:
        """The run's config is config.yaml beside the records."""

    @rank_zero_only
    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        row = {"step": step if step is not None else ""}
        row.update({key: float(value) for key, value in metrics.items()})
        self._append(row)

    def _append(self, row: dict[str, Any]) -> None:
        if self._header is None:
            self._save_dir.mkdir(parents=True, exist_ok=True)
            self._header = _header(self.path)
        header = self._header
        if set(row) <= set(header):
            with self.path.open("a", newline="") as file:
                csv.DictWriter(file, fieldnames=header).writerow(row)
            return
        rows = _rows(self.path)  # a new metric: the file is written again with the wider header
        header = ["step", *sorted(({key for r in rows for key in r} | set(row)) - {"step"})]
        partial = self.path.with_suffix(".partial.csv")
        with partial.open("w", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=header)
            writer.writeheader()
            writer.writerows([*rows, row])
        partial.replace(self.path)
        self._header = header


def _header(path: Path) -> list[str]:
    if not path.is_file():
        return []
    with path.open(newline="") as file:
        return next(csv.reader(file), [])


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with path.open(newline="") as file:
        return list(csv.DictReader(file))


def read_records(run_dir: str | Path) -> dict[str, dict[int, float]]:
    """A run's metrics as ``{metric: {step: value}}``, the last value logged at a step winning."""
    series: dict[str, dict[int, float]] = {}
    for row in _rows(Path(run_dir) / RECORDS_FILE):
        if not row.get("step"):
            continue
        step = int(float(row["step"]))
        for key, text in row.items():
            if key != "step" and text not in ("", None):
                value = float(text)
                if not math.isnan(value):
                    series.setdefault(key, {})[step] = value
    return series
