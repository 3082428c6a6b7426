"""Mode coverage on the 2-D ring and grid: lightgan's variants next to PacGAN's Table 1.

Trains each config (``configs/<name>.yaml``) for ``--steps`` generator steps with ``--seeds``
seeds and measures, on ``--n`` samples (2,500 in the papers), the three metrics of VEEGAN and
PacGAN: modes captured, high-quality samples % (within 3 std of the nearest mode) and the
reverse KL of the high-quality histogram over modes against uniform. Prints mean ± standard
error per recipe beside the published rows (PacGAN: 400 epochs x 1,000 steps = 400,000 steps).

Recipe search: ``--eval-every K`` also measures every K steps and reports the first step at
which a run captures every mode with at least ``--target-hq`` % high-quality samples;
``--vary KEY=V1,V2`` trains every combination of values (any ``lightgan fit`` key). The summary
is sorted by the median steps to that target, so the first row is the fastest recipe.

    python benchmarks/mixtures.py --configs gan_ring,gan_grid --seeds 1 --steps 200     # smoke test
    python benchmarks/mixtures.py --configs gan_ring,pacgan2_ring,gan_grid,pacgan4_grid --seeds 5 --steps 400000

Each run writes ``<out>/<recipe>/seed=<s>.json``; finished runs are not trained again. A run that
was stopped, or that is asked for more steps than it has, continues from its last checkpoint
(saved every epoch), so a long benchmark can be spread over several sittings with the same
command. Wall-clock and CPU times are recorded per run. With ``--eval-every``, ``<out>/curves.png``
draws each metric over steps, one line per recipe (the mean over its seeds), and runs shorter than
the paper's are projected to its 400,000 steps along each metric's trend per doubling of steps.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import re
import shutil
import statistics
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
#: PacGAN (Lin et al., 2018) Table 1: (modes captured, high-quality %, reverse KL), 400 epochs x 1,000 steps.
PUBLISHED: dict[tuple[str, str], tuple[float, float, float]] = {
    ("ring", "GAN"): (6.3, 98.2, 0.45),
    ("ring", "PacGAN2"): (7.9, 95.6, 0.07),
    ("grid", "GAN"): (17.3, 94.8, 0.70),
    ("grid", "PacGAN4"): (24.8, 93.6, 0.04),
}
PUBLISHED_STEPS = 400_000
METRICS = ("modes_captured", "high_quality_pct", "reverse_kl")


@dataclass(frozen=True)
class Recipe:
    """A config plus command-line overrides (``key=value`` as ``lightgan fit`` takes them)."""

    config: str
    overrides: tuple[tuple[str, str], ...] = ()

    @property
    def name(self) -> str:
        if not self.overrides:
            return self.config
        settings = ",".join(f"{key.rsplit('.', 1)[-1]}={value}" for key, value in self.overrides)
        return f"{self.config}[{settings}]"

    @property
    def slug(self) -> str:
        return re.sub(r"[^A-Za-z0-9_.=,-]+", "_", self.name)

    def setting(self, key: str) -> Any:
        """A value of the resolved recipe: an override, else the config file's entry (dotted ``key``)."""
        for k, v in self.overrides:
            if k == key:
                return yaml.safe_load(v)
        node: Any = yaml.safe_load(config_path(self.config).read_text())
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        return node

    @property
    def dataset(self) -> str:
        data = str(self.setting("data.class_path") or "")
        return "ring" if "Ring" in data else "grid" if "Grid" in data else data.rsplit(".", 1)[-1]

    @property
    def variant(self) -> str:
        pack = self.setting("model.init_args.pack") or 1
        model = str(self.setting("model.class_path") or "?").rsplit(".", 1)[-1]
        loss = self.setting("model.init_args.loss")
        if isinstance(loss, str) and loss.startswith("f_"):
            model = f"f-GAN ({loss.removeprefix('f_')})"
        return f"PacGAN{pack}" if int(pack) > 1 else model


def config_path(name: str) -> Path:
    path = Path(name)
    return path if path.suffix in (".yaml", ".yml") else REPO / "configs" / f"{name}.yaml"


def split_values(text: str) -> list[str]:
    """``1e-4,[32,32],3`` -> ['1e-4', '[32,32]', '3'] (commas inside brackets stay)."""
    values, depth, current = [], 0, ""
    for char in text:
        depth += char in "[{("
        depth -= char in "]})"
        if char == "," and depth == 0:
            values.append(current)
            current = ""
        else:
            current += char
    return [*values, current]


def recipes(configs: list[str], fixed: list[str], vary: list[str]) -> list[Recipe]:
    """Every config crossed with every combination of ``--vary`` values, plus the ``--set`` overrides."""
    base = tuple(tuple(item.split("=", 1)) for item in fixed)
    grid = [[(key, v) for v in split_values(values)] for key, values in (item.split("=", 1) for item in vary)]
    return [Recipe(c, base + combo) for c in configs for combo in itertools.product(*grid)]


# ---------------------------------------------------------------------------------------------- one run
@contextmanager
def own_argv() -> Iterator[None]:
    """Hide this script's arguments while a run parses its own: Lightning warns when it sees both."""
    saved_argv, sys.argv = sys.argv, sys.argv[:1]
    try:
        yield
    finally:
        sys.argv = saved_argv


def first_step_meeting(history: list[dict[str, Any]], num_modes: int, target_hq: float) -> int | None:
    """The first measured step with every mode captured and at least ``target_hq`` % high-quality samples."""
    for entry in history:
        if entry["modes_captured"] == num_modes and entry["high_quality_pct"] >= target_hq:
            return int(entry["step"])
    return None


def train_one(recipe: Recipe, seed: int, options: dict[str, Any]) -> dict[str, Any]:
    """Train one recipe with one seed, measuring with ``QualityMetrics``; the result is also written as JSON."""
    import torch

    from lightgan.monitors import QualityMetrics

    if options["threads"]:
        torch.set_num_threads(options["threads"])
    steps, every = options["steps"], options["eval_every"] or options["steps"]
    run_dir = Path(options["out"]) / recipe.slug / f"seed={seed}"
    picture_every = max(1, steps // options["pictures"]) if options["pictures"] else steps + 1
    argv = [
        "fit",
        f"--config={config_path(recipe.config)}",
        *(f"--{key}={value}" for key, value in recipe.overrides),
        *quiet_fit(seed, steps, run_dir, options["accelerator"]),
        "--trainer.callbacks+=FixedNoiseSamples",
        "--trainer.callbacks.every_n_epochs=0",
        f"--trainer.callbacks.every_n_steps={picture_every}",
        "--trainer.callbacks+=QualityMetrics",
        "--trainer.callbacks.metrics=modes",
        "--trainer.callbacks.every_n_epochs=0",
        f"--trainer.callbacks.every_n_steps={every}",
        f"--trainer.callbacks.num_samples={options['n']}",
        "--trainer.callbacks.reference=false",
    ]
    cli = fit_in_sittings(run_dir, argv)
    # the benchmark's own tracker is the last one: a config may bring its own with other settings
    tracker = [cb for cb in cli.trainer.callbacks if isinstance(cb, QualityMetrics)][-1]
    history = measured_history(run_dir)
    if not history or history[-1]["step"] != cli.trainer.global_step:
        final = tracker.evaluator.evaluate(cli.model).values()
        history.append({"step": cli.trainer.global_step, **{k: final[k] for k in METRICS}})
    num_modes = len(cli.datamodule.mode_centers)
    result = {
        "recipe": recipe.name,
        "config": recipe.config,
        "overrides": dict(recipe.overrides),
        "dataset": recipe.dataset,
        "variant": recipe.variant,
        "seed": seed,
        "steps": cli.trainer.global_step,
        "samples": options["n"],
        "num_modes": num_modes,
        "final": {k: history[-1][k] for k in METRICS},
        "history": history,
        "first_step_meeting_target": first_step_meeting(history, num_modes, options["target_hq"]),
        "target_hq": options["target_hq"],
        **run_times(run_dir, cli.trainer.global_step),
        "accelerator": options["accelerator"],
    }
    (run_dir.parent / f"seed={seed}.json").write_text(json.dumps(result, indent=2))
    return result


def quiet_fit(seed: int, steps: int, run_dir: Path, accelerator: str = "cpu") -> list[str]:
    """The ``lightgan fit`` settings every benchmark run shares: seeded, ``steps`` generator steps into ``run_dir``
    on one device, with nothing logged, printed or validated besides what the benchmark measures."""
    return [
        f"--seed_everything={seed}",
        f"--trainer.max_steps={steps}",
        "--trainer.max_epochs=-1",
        f"--trainer.default_root_dir={run_dir}",
        f"--trainer.accelerator={accelerator}",
        "--trainer.devices=1",
        "--trainer.logger=false",
        "--trainer.enable_progress_bar=false",
        "--trainer.enable_model_summary=false",
        "--trainer.num_sanity_val_steps=0",
        "--trainer.limit_val_batches=0",
    ]


def fit_in_sittings(run_dir: Path, argv: list[str]) -> Any:
    """``lightgan fit`` into ``run_dir``, continuing from its last checkpoint where a sitting before stopped (or
    trained fewer steps); each sitting that ends appends its steps and times to ``segments.jsonl``."""
    import torch

    from lightgan.app.cli import run_lightning

    resume_from = find_last_checkpoint(run_dir)
    if resume_from is None and run_dir.exists():  # stopped before its first checkpoint: start again
        shutil.rmtree(run_dir)
    first_step = 0
    if resume_from is not None:
        argv = [*argv, f"--ckpt_path={resume_from}"]
        first_step = int(torch.load(resume_from, map_location="cpu", weights_only=False)["global_step"])
    started, cpu_started = time.perf_counter(), time.process_time()
    with own_argv():
        cli = run_lightning(argv)
    segment = {
        "from_step": first_step,
        "to_step": cli.trainer.global_step,
        "wall_s": time.perf_counter() - started,
        "cpu_s": time.process_time() - cpu_started,
    }
    with (run_dir / "segments.jsonl").open("a") as log:
        log.write(json.dumps(segment) + "\n")
    return cli


def find_last_checkpoint(run_dir: Path) -> Path | None:
    """The checkpoint a stopped (or shorter) run of this recipe and seed left, to continue from."""
    found = sorted((run_dir / "checkpoints").glob("last*.ckpt"), key=lambda path: path.stat().st_mtime_ns)
    return found[-1] if found else None


def measured_history(run_dir: Path, scores: tuple[str, ...] = METRICS) -> list[dict[str, Any]]:
    """Every measurement of the run, read from the files QualityMetrics writes, so that the measurements
    of the sittings before a resume count too; a measurement repeated after a resume counts once."""
    by_step: dict[int, dict[str, Any]] = {}
    for path in sorted((run_dir / "metrics").glob("*.json"), key=lambda p: p.stat().st_mtime_ns):
        record = json.loads(path.read_text())
        by_step[int(record["step"])] = {"step": int(record["step"])} | {k: record["scores"][k]["value"] for k in scores}
    return [by_step[step] for step in sorted(by_step)]


def run_times(run_dir: Path, steps: int) -> dict[str, Any]:
    """Wall and CPU seconds for the whole run, from the sittings that ran to their end (``segments.jsonl``).

    A sitting that was killed wrote no record; its steps after the last checkpoint were trained again, and
    its steps before it are charged at the rate of the recorded sittings, so the totals stay comparable.
    """
    segments = [json.loads(line) for line in (run_dir / "segments.jsonl").read_text().splitlines() if line]
    recorded_steps = sum(s["to_step"] - s["from_step"] for s in segments) or 1
    scale = steps / recorded_steps
    return {
        "wall_s": round(sum(s["wall_s"] for s in segments) * scale, 1),
        "cpu_s": round(sum(s["cpu_s"] for s in segments) * scale, 1),
        "sittings": len(segments),
    }


def cached_result(recipe: Recipe, seed: int, options: dict[str, Any]) -> dict[str, Any] | None:
    """A finished run of the same recipe, seed, budget and measurement, if one was written before."""
    path = Path(options["out"]) / recipe.slug / f"seed={seed}.json"
    if not path.is_file():
        return None
    result = json.loads(path.read_text())
    same = (result["steps"], result["samples"], result["target_hq"]) == (
        options["steps"],
        options["n"],
        options["target_hq"],
    )
    measured_every = len(result["history"]) > 1 or not options["eval_every"]
    return result if same and measured_every else None


# ---------------------------------------------------------------------------------------------- summary
@dataclass
class Row:
    recipe: Recipe
    results: list[dict[str, Any]] = field(default_factory=list)

    def stat(self, metric: str) -> tuple[float, float | None]:
        """Mean and standard error over seeds (None with one seed)."""
        values = [float(r["final"][metric]) for r in self.results]
        mean = statistics.fmean(values)
        if len(values) < 2 or any(math.isinf(v) for v in values):
            return mean, None
        return mean, statistics.stdev(values) / math.sqrt(len(values))

    def steps_to_target(self) -> tuple[int, float | None]:
        """(runs that met the target, median first step among them)."""
        steps = [r["first_step_meeting_target"] for r in self.results if r["first_step_meeting_target"] is not None]
        return len(steps), statistics.median(steps) if steps else None


def _mean_se(mean: float, se: float | None, digits: int) -> str:
    if math.isinf(mean):
        return "inf"
    return f"{mean:.{digits}f}" + (f" ± {se:.{digits}f}" if se is not None else "")


def summary_table(rows: list[Row], options: dict[str, Any]) -> str:
    """Markdown table: measured mean ± s.e. beside PacGAN's Table 1 row for the same data and variant."""
    header = [
        "data",
        "recipe",
        "seeds",
        "modes",
        "high-quality %",
        "reverse KL",
        f"all modes & ≥{options['target_hq']:g}% HQ (runs, median step)",
        "PacGAN Table 1 (modes / HQ % / KL)",
        "wall s / run",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        published = PUBLISHED.get((row.recipe.dataset, row.recipe.variant))
        met, median = row.steps_to_target()
        wall = statistics.fmean(r["wall_s"] for r in row.results)
        cells = [
            row.recipe.dataset,
            row.recipe.name,
            str(len(row.results)),
            _mean_se(*row.stat("modes_captured"), 1),
            _mean_se(*row.stat("high_quality_pct"), 1),
            _mean_se(*row.stat("reverse_kl"), 2),
            f"{met}/{len(row.results)}" + (f", {median:,.0f}" if median is not None else ""),
            f"{row.recipe.variant}: {published[0]:.1f} / {published[1]:.1f} / {published[2]:.2f}" if published else "-",
            f"{wall:,.0f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def at_cpu_budget(result: dict[str, Any], budget_s: float) -> dict[str, Any]:
    """The last measurement a run had made when it had used ``budget_s`` CPU seconds.

    CPU time (with one torch thread) rather than wall time: runs that shared the machine with others
    are charged only for their own work. A run's time per step is taken as even over its steps.
    """
    affordable = budget_s / (result["cpu_s"] / result["steps"])
    reached = [entry for entry in result["history"] if entry["step"] <= affordable]
    return {"affordable_steps": affordable, "entry": reached[-1] if reached else None}


def same_time_table(rows: list[Row], baseline: str = "GAN") -> str:
    """Markdown: every recipe measured at the CPU time the baseline variant's longest run took on the same data
    (the longest, so that every baseline run is read at its end)."""
    budgets: dict[str, float] = {}
    for row in rows:
        if row.recipe.variant == baseline and all("cpu_s" in r for r in row.results):
            longest = max(r["cpu_s"] for r in row.results)
            budgets[row.recipe.dataset] = max(budgets.get(row.recipe.dataset, 0.0), longest)
    if not budgets:
        return ""
    header = ["data", "recipe", "CPU s / step", "steps in the budget", "modes", "high-quality %", "reverse KL"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        budget = budgets.get(row.recipe.dataset)
        if budget is None or not all("cpu_s" in r for r in row.results):
            continue
        found = [at_cpu_budget(r, budget) for r in row.results]
        entries = [f["entry"] for f in found if f["entry"] is not None]
        per_step = statistics.fmean(r["cpu_s"] / r["steps"] for r in row.results)
        pairs = list(zip(found, row.results, strict=True))
        affordable = statistics.fmean(min(f["affordable_steps"], r["steps"]) for f, r in pairs)
        capped = " (all its steps)" if all(f["affordable_steps"] >= r["steps"] for f, r in pairs) else ""
        cells = [row.recipe.dataset, row.recipe.name, f"{per_step:.3f}", f"{affordable:,.0f}{capped}"]
        for metric, digits in (("modes_captured", 1), ("high_quality_pct", 1), ("reverse_kl", 2)):
            values = [float(e[metric]) for e in entries]
            cells.append(" / ".join(f"{v:.{digits}f}" for v in values) if values else "no measurement yet")
        lines.append("| " + " | ".join(cells) + " |")
    budget_text = ", ".join(f"{data}: {seconds:,.0f} CPU s" for data, seconds in budgets.items())
    title = f"Same CPU time as {baseline}'s longest run ({budget_text}); per seed, the last measurement within it."
    return title + "\n\n" + "\n".join(lines)


@dataclass(frozen=True)
class Trend:
    """A metric's straight line against log2(step): ``value = level + per_doubling * log2(step)``."""

    per_doubling: float
    level: float

    def at(self, step: float) -> float:
        return self.level + self.per_doubling * math.log2(step)

    def doublings_to(self, value: float) -> float:
        """log2 of the step where the line meets ``value`` (inf where it never rises to it); in doublings, as
        a slow trend's step overflows a float."""
        if self.per_doubling <= 0:
            return math.inf
        return (value - self.level) / self.per_doubling


def doubling_trend(history: list[dict[str, Any]], metric: str) -> Trend | None:
    """A metric's least-squares line against log2(step) over the run's last two doublings (the measurements at
    steps from a quarter of the last on): it reads where the run is now rather than its fast start.
    None with fewer than 3 measurements there."""
    last = history[-1]["step"]
    points = [(math.log2(e["step"]), float(e[metric])) for e in history if 4 * e["step"] >= last]
    points = [(x, y) for x, y in points if math.isfinite(y)]
    if len(points) < 3:
        return None
    slope, intercept = statistics.linear_regression(*zip(*points, strict=True))
    return Trend(slope, intercept)


def _steps_text(doublings: float) -> str:
    """A step given as its log2."""
    if math.isinf(doublings):
        return "never (flat or falling)"
    beyond = 100 * PUBLISHED_STEPS
    return f"beyond {beyond:,}" if doublings > math.log2(beyond) else f"{2**doublings:,.0f}"


def projection_table(rows: list[Row], target_hq: float) -> str:
    """Markdown: each recipe's metrics now, their change per doubling of steps, where that trend would put them
    at PacGAN's 400,000 steps (held to the metric's range, marked "bound" where it would leave it), and the
    step at which it would capture every mode with ``target_hq`` % high-quality samples (median over seeds)."""
    header = ["data", "recipe", "steps reached"]
    header += [f"{m}: now / per doubling / at {PUBLISHED_STEPS:,}" for m in ("modes", "high-quality %", "reverse KL")]
    header.append(f"all modes & ≥{target_hq:g}% HQ by the trend at step")
    lines = []
    for row in rows:
        trends = {metric: [doubling_trend(r["history"], metric) for r in row.results] for metric in METRICS}
        if any(t is None for found in trends.values() for t in found):
            continue
        num_modes = row.results[0]["num_modes"]
        cells = [row.recipe.dataset, row.recipe.name, f"{statistics.fmean(r['steps'] for r in row.results):,.0f}"]
        for metric, (low, high), digits in (
            ("modes_captured", (0.0, float(num_modes)), 1),
            ("high_quality_pct", (0.0, 100.0), 1),
            ("reverse_kl", (0.0, math.inf), 2),
        ):
            slope = statistics.fmean(t.per_doubling for t in trends[metric])
            at_budget = statistics.fmean(t.at(PUBLISHED_STEPS) for t in trends[metric])
            held = min(max(at_budget, low), high)
            end = f"{held:.{digits}f}" + (" (bound)" if held != at_budget else "")
            cells.append(f"{row.stat(metric)[0]:.{digits}f} / {slope:+.{digits}f} / {end}")
        reaching = []
        for result, modes, quality in zip(
            row.results, trends["modes_captured"], trends["high_quality_pct"], strict=True
        ):
            final, now = result["final"], math.log2(result["steps"])
            met_modes = now if final["modes_captured"] >= num_modes else modes.doublings_to(num_modes)
            met_hq = now if final["high_quality_pct"] >= target_hq else quality.doublings_to(target_hq)
            reaching.append(max(met_modes, met_hq))
        cells.append(_steps_text(statistics.median(reaching)))
        lines.append("| " + " | ".join(cells) + " |")
    if not lines:
        return ""
    title = (
        "Projected: each metric's line against log2(step) over the last two doublings of each run, carried on "
        "(an assumption about the curve, not a measurement)."
    )
    return title + "\n\n" + "\n".join(["| " + " | ".join(header) + " |", "|" + "---|" * len(header), *lines])


def curve_panels(rows: list[Row]) -> dict[str, dict[str, dict[int, float]]]:
    """``{"<data>: <metric>": {recipe: {step: value}}}`` for a picture of the metrics over steps, one row of
    panels per dataset: each recipe's mean over its seeds at the steps every seed measured."""
    panels: dict[str, dict[str, dict[int, float]]] = {}
    for row in rows:
        by_seed = [{entry["step"]: entry for entry in result["history"]} for result in row.results]
        shared = sorted(set.intersection(*(set(history) for history in by_seed))) if by_seed else []
        for metric in METRICS:
            panels.setdefault(f"{row.recipe.dataset}: {metric}", {})[row.recipe.name] = {
                step: statistics.fmean(float(history[step][metric]) for history in by_seed) for step in shared
            }
    return dict(sorted(panels.items(), key=lambda item: item[0].split(": ")[0]))


def _sort_key(row: Row) -> tuple[int, float, float]:
    met, median = row.steps_to_target()
    return (-met, median if median is not None else math.inf, -row.stat("high_quality_pct")[0])


# ---------------------------------------------------------------------------------------------- main
def seed_list(text: str) -> list[int]:
    """Seeds named as ``1``, ``3,4`` or ``3-5``, so one recipe's runs can be split over machines."""
    try:
        seeds: list[int] = []
        for part in filter(None, (p.strip() for p in text.split(","))):
            first, _, last = part.partition("-")
            seeds.extend(range(int(first), int(last or first) + 1))
    except ValueError:
        seeds = []
    if not seeds:
        raise argparse.ArgumentTypeError(f"{text!r} names no seeds: give seeds such as 1, 3,4 or 3-5")
    return sorted(set(seeds))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", default="gan_ring,pacgan2_ring,gan_grid,pacgan4_grid", help="config names")
    seeds = parser.add_mutually_exclusive_group()
    seeds.add_argument("--seeds", type=int, default=3, help="seeds per recipe: 0..S-1 (default 3)")
    seeds.add_argument(
        "--only-seeds",
        type=seed_list,
        metavar="LIST",
        help="train only these seeds, e.g. 1 or 3,4 or 3-5 (to split seeds over machines; "
        "a later run with --seeds over the same --out gathers them)",
    )
    parser.add_argument("--steps", type=int, default=PUBLISHED_STEPS, help="generator steps per run (400000)")
    parser.add_argument("--n", type=int, default=2500, help="samples per measurement (default 2500)")
    parser.add_argument("--eval-every", type=int, help="also measure every K steps (finds steps to the target)")
    parser.add_argument("--target-hq", type=float, default=95.0, help="high-quality %% the target needs (95)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override for every run")
    parser.add_argument("--vary", action="append", default=[], metavar="KEY=V1,V2", help="grid over values")
    parser.add_argument("--accelerator", default="cpu", help="cpu or gpu (default cpu)")
    parser.add_argument("--pictures", type=int, default=8, help="scatter plots per run (default 8; 0: none)")
    parser.add_argument("--jobs", type=int, default=1, help="runs in parallel processes (default 1)")
    parser.add_argument(
        "--threads", type=int, help="torch threads per run (default: all cores, divided by --jobs when > 1)"
    )
    parser.add_argument("--out", default="runs/benchmarks/mixtures", help="where runs and results go")
    parser.add_argument("--rerun", action="store_true", help="train again even where a result exists")
    return parser


def main(argv: list[str] | None = None) -> list[Row]:
    args = build_parser().parse_args(argv)
    args.seeds = args.only_seeds or list(range(args.seeds))
    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    missing = [c for c in configs if not config_path(c).is_file()]
    for name in missing:
        print(f"skipping {name}: {config_path(name)} does not exist", file=sys.stderr)
    todo = recipes([c for c in configs if c not in missing], args.set, args.vary)
    options = {
        "steps": args.steps,
        "n": args.n,
        "eval_every": args.eval_every,
        "target_hq": args.target_hq,
        "accelerator": args.accelerator,
        "pictures": args.pictures,
        "out": str(Path(args.out).resolve()),
        "threads": args.threads or (max(1, (os.cpu_count() or 1) // args.jobs) if args.jobs > 1 else 0),
    }
    rows = {recipe: Row(recipe) for recipe in todo}
    jobs = []
    for recipe, seed in itertools.product(todo, args.seeds):
        done = None if args.rerun else cached_result(recipe, seed, options)
        if done is not None:
            rows[recipe].results.append(done)
        else:
            jobs.append((recipe, seed))
    print(f"{len(jobs)} runs to train, {sum(len(r.results) for r in rows.values())} already done", flush=True)
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs, mp_context=get_context("spawn")) as pool:
            futures = {pool.submit(train_one, recipe, seed, options): recipe for recipe, seed in jobs}
            for future, recipe in futures.items():
                rows[recipe].results.append(future.result())
    else:
        for recipe, seed in jobs:
            rows[recipe].results.append(train_one(recipe, seed, options))
    ordered = sorted(rows.values(), key=_sort_key) if args.eval_every else list(rows.values())
    budget = f"{args.steps:,} generator steps per run" + (
        f" (PacGAN: {PUBLISHED_STEPS:,} = 400 epochs x 1,000 steps)" if args.steps != PUBLISHED_STEPS else ""
    )
    table = summary_table(ordered, options)
    seeds = f"{len(args.seeds)} seed(s)"
    print(f"\nBudget: {budget}; {seeds}; {args.n:,} samples per measurement; {args.accelerator}.\n")
    print(table)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    same_time = same_time_table(ordered) if args.eval_every else ""
    projection = projection_table(ordered, args.target_hq) if args.eval_every and args.steps < PUBLISHED_STEPS else ""
    for extra in (same_time, projection):
        if extra:
            print(f"\n{extra}")
    (out / "summary.md").write_text(
        f"Budget: {budget}; {seeds}; {args.n:,} samples.\n\n{table}\n\n{same_time}\n\n{projection}\n"
    )
    if args.eval_every and ordered:
        from lightgan.app.commands.evaluate_run import draw_curves

        panels = curve_panels(ordered)
        steps = [step for lines in panels.values() for series in lines.values() for step in series]
        long_runs = bool(steps) and max(steps) > 10 * min(steps)  # then each doubling gets the same width
        print(f"\nmetrics over steps: {draw_curves(panels, out / 'curves.png', log_steps=long_runs)}")
    if args.eval_every and ordered and ordered[0].steps_to_target()[1] is not None:
        best = ordered[0]
        met, median = best.steps_to_target()
        print(
            f"\nfastest recipe to all modes with >= {args.target_hq:g}% high-quality samples: {best.recipe.name} "
            f"(median step {median:,.0f}; {met} of {len(best.results)} seeds)"
        )
    return ordered


if __name__ == "__main__":
    main()
