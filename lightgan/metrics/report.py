"""Scores as people read them: a plain-text table next to the real-data floor, and a JSON record."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from lightgan.metrics.evaluator import Evaluation, Score

#: Which way is better, for the table's header hints.
LOWER_IS_BETTER = {"fid", "kid", "reverse_kl", "class_kl"}


def format_value(value: float | None, std: float | None = None) -> str:
    if value is None:
        return "-"
    if math.isinf(value) or math.isnan(value):
        text = str(value)
    elif float(value).is_integer() and abs(value) >= 1:
        text = f"{int(value)}"
    else:
        text = f"{value:.4g}"
    if std is not None and not math.isnan(std):
        text += f" ± {std:.2g}"
    return text


def format_table(evaluation: Evaluation, reference: Evaluation | None = None) -> str:
    """One row per score: value, the real-vs-real floor, and the setup that produced the value."""
    header = ("metric", "value", "real floor", "n gen", "n real", "vs split", "computed in")
    rows = [header]
    for name, score in evaluation.scores.items():
        floor = reference.scores.get(name) if reference else None
        arrow = "↓" if name in LOWER_IS_BETTER else "↑"
        rows.append(
            (
                f"{name} {arrow}",
                format_value(score.value, score.std),
                format_value(floor.value, floor.std) if floor else "-",
                str(score.n),
                str(score.n_real),
                score.split,
                score.basis,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    if reference is not None:
        lines.append(f"real floor: {reference.samples} samples scored the same way as the generator's")
    lines += [f"note: {note}" for note in evaluation.notes]
    return "\n".join(lines)


def report_dict(evaluation: Evaluation, reference: Evaluation | None = None, **context: Any) -> dict[str, Any]:
    """The JSON record: every score with its setup, the floor and whatever ``context`` names (checkpoint, ...)."""
    scores: dict[str, Any] = {}
    for name, score in evaluation.scores.items():
        entry = _score_dict(score)
        floor = reference.scores.get(name) if reference else None
        entry["real_floor"] = floor.value if floor else None
        scores[name] = entry
    return {
        **context,
        "samples": evaluation.samples,
        "scores": scores,
        "reference": reference.to_dict() if reference else None,
        "notes": evaluation.notes,
    }


def _score_dict(score: Score) -> dict[str, Any]:
    return {
        "value": score.value,
        "std": score.std,
        "computed_in": score.basis,
        "n_generated": score.n,
        "n_real": score.n_real,
        "split": score.split,
    }


def write_json(record: dict[str, Any], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2, default=str) + "\n")
    return path
