"""``lightgan evaluate --all``: a run's checkpoints scored one per step, as a table, CSV/JSON and curves.

The files land in ``<run>/evaluation/`` (``metrics_over_steps.csv``, ``metrics_over_steps.json``
and ``<score>.png``), where ``lightgan compare`` finds them. ``--best SCORE`` names the checkpoint
with the best value and ``--link-best`` makes it ``<run>/checkpoints/best.ckpt``.
"""

from __future__ import annotations

import csv
import json
import math
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from lightgan.app.commands.checkpoint_arg import resolve_checkpoint
from lightgan.app.run_dir import checkpoint_candidates, run_dir_of_checkpoint
from lightgan.core.safe_files import load_weights_only
from lightgan.errors import ConfigError
from lightgan.metrics.evaluator import SCORE_NAMES
from lightgan.metrics.report import LOWER_IS_BETTER, format_value, write_json
from lightgan.monitors.render import figure_to_array, pyplot, save_png

#: The folder of a run that ``--all`` writes into.
EVALUATION_DIR = "evaluation"
#: The stem of its table files.
OVER_STEPS = "metrics_over_steps"
#: What ``--link-best`` writes beside the run's checkpoints.
BEST_CHECKPOINT = "best.ckpt"
#: Every score ``--best`` may name; lower is better for those in ``LOWER_IS_BETTER``, higher for the others.
SCORES = tuple(name for names in SCORE_NAMES.values() for name in names)

Series = Mapping[int, float]


class StepCheckpoint(NamedTuple):
    step: int
    path: Path


def checkpoint_step(path: Path) -> int:
    """The generator step a checkpoint was saved at: its ``global_step``, which renaming the file does not change."""
    step = load_weights_only(path, mmap=True).get("global_step")
    if step is None:
        raise ConfigError(f"{path} has no global_step: it is not a checkpoint written by lightgan fit")
    return int(step)


def _preference(path: Path) -> tuple[bool, str]:
    """Step checkpoints before ``last*.ckpt`` of the same step: training rewrites ``last``, not them."""
    return path.name.startswith("last"), path.name


def run_checkpoints(given: str, configs: Sequence[str] | None) -> tuple[Path, list[StepCheckpoint]]:
    """The run ``--ckpt_path`` names and one checkpoint per distinct step of it, in step order
    (``best.ckpt`` is left out: it is one of the others)."""
    newest = resolve_checkpoint(given, configs)
    run_dir = run_dir_of_checkpoint(newest)
    if run_dir is None:
        raise ConfigError(
            f"--all scores the checkpoints of a run, and {newest} is not in a run's checkpoints/ folder: "
            "give a run folder such as runs/NAME/version_N"
        )
    chosen: dict[int, Path] = {}
    for path in sorted(checkpoint_candidates(run_dir), key=_preference):
        if path.name != BEST_CHECKPOINT:
            chosen.setdefault(checkpoint_step(path), path)
    return run_dir, [StepCheckpoint(step, chosen[step]) for step in sorted(chosen)]


def check_best(score: str | None, metrics: Sequence[str]) -> None:
    """``--best`` must name a score the chosen metrics report: said before any checkpoint is scored."""
    if score is None or any(score in SCORE_NAMES[metric] for metric in metrics):
        return
    metric = next(metric for metric, names in SCORE_NAMES.items() if score in names)
    raise ConfigError(f"--best {score}: --metrics {','.join(metrics)} does not score it; add {metric} to --metrics")


def best_record(records: Sequence[dict[str, Any]], score: str) -> dict[str, Any] | None:
    """The record with the best ``score`` (lower or higher, as the score goes); a later step wins a tie, NaN never
    wins (None when every value is NaN)."""
    sign = -1 if score in LOWER_IS_BETTER else 1
    scored = [record for record in records if not math.isnan(record["scores"][score]["value"])]
    return max(scored, key=lambda record: (sign * record["scores"][score]["value"], record["step"]), default=None)


def link_best(checkpoint: Path) -> Path:
    """``best.ckpt`` beside ``checkpoint``: a relative symlink (the run folder may move), or a copy where the file
    system has none or the best is a ``last*.ckpt``, which resuming would rewrite under the link."""
    target = checkpoint.with_name(BEST_CHECKPOINT)
    partial = checkpoint.with_name(f"{BEST_CHECKPOINT}.partial")
    partial.unlink(missing_ok=True)
    linked = not checkpoint.name.startswith("last") and _symlink(partial, checkpoint.name)
    if not linked:
        shutil.copy2(checkpoint, partial)
    partial.replace(target)  # an earlier best.ckpt is replaced whole, never half-written
    return target


def _symlink(link: Path, target: str) -> bool:
    try:
        link.symlink_to(target)
    except OSError:
        return False
    return True


def score_names(records: Sequence[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(name for record in records for name in record["scores"]))


def _floors(records: Sequence[dict[str, Any]]) -> dict[str, float | None]:
    return {name: score["real_floor"] for name, score in records[0]["scores"].items()}


def aligned(rows: Sequence[Sequence[str]]) -> str:
    """Rows of cells as left-aligned columns, a rule under the first (the header)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def format_over_steps(records: Sequence[dict[str, Any]]) -> str:
    """One row per checkpoint, one column per score, and the real floor under them when it was computed."""
    names = score_names(records)
    header = ["step", "checkpoint", *(f"{name} {'↓' if name in LOWER_IS_BETTER else '↑'}" for name in names)]
    rows = [header]
    for record in records:
        values = (format_value(record["scores"][name]["value"]) for name in names)
        rows.append([str(record["step"]), Path(record["checkpoint"]).name, *values])
    floors = _floors(records)
    if any(floor is not None for floor in floors.values()):
        rows.append(["real floor", "", *(format_value(floors.get(name)) for name in names)])
    return aligned(rows)


def write_over_steps(summary: dict[str, Any], folder: Path) -> list[Path]:
    """``metrics_over_steps.csv`` (step, checkpoint, a column per score), the JSON of every record and a PNG curve
    per score, with its real floor dashed."""
    records = summary["steps"]
    names = score_names(records)
    folder.mkdir(parents=True, exist_ok=True)
    table = folder / f"{OVER_STEPS}.csv"
    with table.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["step", "checkpoint", *names])
        for record in records:
            values = [record["scores"][name]["value"] for name in names]
            writer.writerow([record["step"], Path(record["checkpoint"]).name, *values])
    written = [table, write_json(summary, folder / f"{OVER_STEPS}.json")]
    floors = _floors(records)
    for name in names:
        series = {record["step"]: record["scores"][name]["value"] for record in records}
        written.append(draw_curves({name: {"generator": series}}, folder / f"{name}.png", floors))
    return written


def read_evaluations(run_dir: Path) -> dict[str, dict[int, float]]:
    """The scores ``evaluate --all`` wrote for a run, ``{score: {step: value}}`` (empty when it has not run)."""
    path = run_dir / EVALUATION_DIR / f"{OVER_STEPS}.json"
    if not path.is_file():
        return {}
    series: dict[str, dict[int, float]] = {}
    for record in json.loads(path.read_text())["steps"]:
        for name, score in record["scores"].items():
            series.setdefault(name, {})[int(record["step"])] = float(score["value"])
    return series


def draw_curves(
    panels: Mapping[str, Mapping[str, Series]],
    path: Path,
    floors: Mapping[str, float | None] | None = None,
    *,
    log_steps: bool = False,
) -> Path:
    """A PNG with one panel per metric and, in each, one line per label over generator steps (a metric's real
    floor dashed); values that are not finite leave gaps. ``log_steps`` spaces the steps by doublings, for
    runs whose later steps would otherwise crowd out their start."""
    plt = pyplot()
    from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter  # after pyplot has chosen the backend

    cols = min(len(panels), 3)
    rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 3.5 * rows), dpi=100, squeeze=False)
    for ax, (metric, lines) in zip(axes.flat, panels.items(), strict=False):
        for label, series in lines.items():
            steps = sorted(series)
            values = [series[step] if math.isfinite(series[step]) else math.nan for step in steps]
            ax.plot(steps, values, marker="o" if len(steps) <= 20 else None, markersize=3, label=label)
        floor = (floors or {}).get(metric)
        if floor is not None and math.isfinite(floor):
            ax.axhline(floor, color="grey", linestyle="--", label="real floor")
        ax.set_title(metric)
        ax.set_xlabel("generator step")
        if log_steps:
            ax.set_xscale("log")
            low, high = ax.get_xlim()
            decades = range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
            ax.set_xticks([t for k in decades for t in (10**k, 2 * 10**k, 5 * 10**k) if low <= t <= high])
            ax.xaxis.set_major_formatter(FuncFormatter(lambda step, _: f"{step:,.0f}"))
            ax.xaxis.set_minor_formatter(NullFormatter())
        else:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    for ax in axes.flat[len(panels) :]:
        ax.axis("off")
    fig.tight_layout()
    return save_png(figure_to_array(fig), path)
