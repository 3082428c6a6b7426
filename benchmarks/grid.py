"""A local grid search, without W&B: train every combination of values, then compare their final metrics.

``--vary KEY=V1,V2`` (any ``lightgan fit`` key; repeat it for more keys) trains every combination of
the values on each config; ``--set KEY=VALUE`` applies to every run. Each combination is a
``lightgan fit`` run in a folder of its own, ``<out>/<config>/<combination>/``, and the table lists the
last value of each metric it logged, read from the run's ``metrics.csv`` (written whatever the
logger, so keep one: ``trainer.logger=false`` leaves nothing to compare).

    python benchmarks/grid.py --configs gan_ring --set trainer.max_epochs=1 \\
        --vary model.init_args.lr_g=1e-4,2e-4 --vary model.init_args.hidden_dims=[64,64],[128,128]

A combination that fails (a bad value, a diverging run) is reported in its row and the grid goes on.
lightgan refuses to train into a folder that holds a run: give another ``--out`` to train a grid again.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from mixtures import Recipe, config_path, own_argv, recipes

from lightgan.app import cli
from lightgan.app.records import read_records


def run_dir(recipe: Recipe, out: Path) -> Path:
    """``<out>/<config>/<combination>``: the config's name is the run's W&B group."""
    return out / Path(recipe.config).stem / recipe.slug


def train(recipe: Recipe, fixed: list[str], out: Path) -> int:
    """One combination through ``lightgan fit`` in this process: its exit status (errors print in one line)."""
    overrides = [*(item.split("=", 1) for item in fixed), *recipe.overrides]
    argv = ["fit", f"--config={config_path(recipe.config)}", *(f"--{key}={value}" for key, value in overrides)]
    with own_argv():
        return cli.main([*argv, f"--trainer.default_root_dir={run_dir(recipe, out)}"])


def final_metrics(folder: Path) -> dict[str, float]:
    """Each metric's value at the last step it was logged, and that step as ``step``."""
    series = read_records(folder)
    steps = [max(values) for values in series.values()]
    return {"step": max(steps), **{name: values[max(values)] for name, values in series.items()}} if steps else {}


def table(rows: list[tuple[Recipe, int, dict[str, float]]], metrics: list[str]) -> str:
    """Markdown: one row per combination, its exit status and its final metrics (all, or ``metrics``)."""
    names = ["step", *(metrics or sorted({name for *_, values in rows for name in values} - {"step"}))]
    lines = ["| " + " | ".join(["combination", "exit", *names]) + " |", "|" + "---|" * (len(names) + 2)]
    for recipe, status, values in rows:
        cells = [f"{values[name]:.4g}" if name in values else "-" for name in names]
        lines.append("| " + " | ".join([recipe.name, str(status), *cells]) + " |")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", required=True, help="config names (configs/<name>.yaml) or paths, comma-separated")
    parser.add_argument("--vary", action="append", default=[], metavar="KEY=V1,V2", help="grid over values")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override for every run")
    parser.add_argument("--metrics", default="", help="columns of the table, comma-separated (default: all)")
    parser.add_argument("--out", default="runs/grid", help="where the runs go (default runs/grid)")
    return parser


def main(argv: list[str] | None = None) -> list[tuple[Recipe, int, dict[str, float]]]:
    args = build_parser().parse_args(argv)
    out = Path(args.out).resolve()
    configs = [name.strip() for name in args.configs.split(",") if name.strip()]
    rows = []
    for recipe in recipes(configs, [], args.vary):
        print(f"training {recipe.name} into {run_dir(recipe, out)}", flush=True)
        status = train(recipe, args.set, out)
        rows.append((recipe, status, final_metrics(run_dir(recipe, out))))
    print("\n" + table(rows, [name.strip() for name in args.metrics.split(",") if name.strip()]))
    return rows


if __name__ == "__main__":
    main()
