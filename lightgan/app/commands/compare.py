"""``lightgan compare``: runs side by side from their local records, with no W&B: a table of each run's last
values and one PNG of their curves overlaid.

A run's curves are its ``metrics.csv`` (``lightgan.app.records``) and, when ``lightgan evaluate
--all`` has scored its checkpoints, those scores as ``eval/<score>``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from statistics import fmean

from lightgan.app.commands.evaluate_run import aligned, draw_curves, read_evaluations
from lightgan.app.commands.parser import CommandParser
from lightgan.app.config_files import read_config_file
from lightgan.app.records import RECORDS_FILE, read_records
from lightgan.app.run_dir import run_versions
from lightgan.errors import ConfigError
from lightgan.metrics.report import format_value

#: Curves drawn by default besides every ``val/`` and ``eval/`` score.
LOSSES = ("train/g_loss", "train/d_loss")
Series = dict[int, float]


def build_parser(prog: str = "lightgan compare") -> argparse.ArgumentParser:
    parser = CommandParser(
        prog=prog,
        description="Compare runs from the records each keeps beside it (metrics.csv, and the scores of "
        "`lightgan evaluate --all` as eval/<score>): a table of every metric's last value per run and one PNG "
        "of their curves overlaid, a panel per metric. Nothing is read from W&B.",
    )
    parser.add_argument(
        "runs",
        nargs="+",
        metavar="RUN",
        help="run folders (runs/NAME/version_N) or folders of runs (runs/NAME: its newest)",
    )
    parser.add_argument(
        "--metrics",
        help=f"comma-separated curves to draw (default: {', '.join(LOSSES)} and every val/ and eval/ score, "
        "floors aside)",
    )
    parser.add_argument("--out", default="compare.png", help="the PNG of the curves (default compare.png)")
    parser.add_argument(
        "--smooth",
        type=int,
        default=1,
        metavar="K",
        help="moving average over K logged points, curves only (default 1)",
    )
    return parser


def resolve_run(given: str) -> Path:
    """A run folder as given, or a folder of runs' newest ``version_N``."""
    folder = Path(given)
    if not folder.is_dir():
        raise ConfigError(
            f"{given} is not a folder: give a run folder (runs/NAME/version_N) or a folder of runs (runs/NAME)"
        )
    versions = run_versions(folder)
    return versions[-1][1] if versions else folder


def run_label(run_dir: Path) -> str:
    """``NAME/version_N``: how the table and the legend name a run."""
    return "/".join(run_dir.resolve().parts[-2:])


def run_series(run_dir: Path) -> dict[str, Series]:
    """Every curve of a run: its records and its ``evaluate --all`` scores (``eval/<score>``)."""
    if not (run_dir / RECORDS_FILE).is_file():
        raise ConfigError(f"{run_dir} has no records ({RECORDS_FILE}): {_why_no_records(run_dir)}")
    evaluated = {f"eval/{name}": values for name, values in read_evaluations(run_dir).items()}
    return {**read_records(run_dir), **evaluated}


def _why_no_records(run_dir: Path) -> str:
    config = run_dir / "config.yaml"
    trainer = (read_config_file(config).get("trainer") or {}) if config.is_file() else {}
    if trainer.get("logger") is False:
        return "it was trained with --trainer.logger=false, which turns the records off too; train it with a logger"
    return "it logged nothing (a run writes them with a logger on, every --trainer.log_every_n_steps steps)"


def curve_names(given: str | None, recorded: Sequence[str]) -> list[str]:
    """``--metrics``, each recorded by some run, or the losses and quality scores the runs recorded."""
    if given:
        names = [name.strip() for name in given.split(",") if name.strip()]
        missing = [name for name in names if name not in recorded]
        if missing or not names:
            raise ConfigError(f"--metrics {given}: no run recorded {missing or names}; recorded: {', '.join(recorded)}")
        return names
    scores = [name for name in recorded if name.startswith(("val/", "eval/")) and not name.endswith("_floor")]
    names = [*(name for name in LOSSES if name in recorded), *scores]
    if not names:
        raise ConfigError(
            f"the runs recorded no loss, val/ or eval/ score: choose curves with --metrics from {', '.join(recorded)}"
        )
    return names


def smoothed(series: Series, k: int) -> Series:
    """The mean of each value and the ``k - 1`` logged before it."""
    steps = sorted(series)
    values = [series[step] for step in steps]
    return {step: fmean(values[max(0, i - k + 1) : i + 1]) for i, step in enumerate(steps)}


def final_values(runs: dict[str, dict[str, Series]]) -> dict[str, dict[str, float]]:
    """Each run's last logged value of each of its metrics."""
    return {label: {name: series[max(series)] for name, series in curves.items()} for label, curves in runs.items()}


def format_final(finals: dict[str, dict[str, float]], names: Sequence[str]) -> str:
    """A row per metric, a column per run ("-" where a run has not logged it)."""
    rows = [["metric", *finals]]
    rows += [[name, *(format_value(values.get(name)) for values in finals.values())] for name in names]
    return aligned(rows)


def main(argv: list[str]) -> dict[str, dict[str, float]]:
    """Print the table of last values, draw the curves; the table's values are returned (raw, never smoothed)."""
    args = build_parser().parse_args(argv)
    if args.smooth < 1:
        raise ConfigError(f"--smooth {args.smooth}: give K >= 1 logged points to average (1 draws them as logged)")
    runs = {run_label(run_dir): run_series(run_dir) for run_dir in dict.fromkeys(map(resolve_run, args.runs))}
    recorded = sorted({name for curves in runs.values() for name in curves})
    curves = curve_names(args.metrics, recorded)
    finals = final_values(runs)
    print(format_final(finals, recorded))
    panels = {name: _lines(runs, name, args.smooth) for name in curves}
    print(f"wrote {draw_curves(panels, Path(args.out))}")
    return finals


def _lines(runs: dict[str, dict[str, Series]], name: str, smooth: int) -> dict[str, Series]:
    return {label: smoothed(curves[name], smooth) for label, curves in runs.items() if name in curves}
