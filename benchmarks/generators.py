"""Style-based, progressive and attention generators on Fashion-MNIST at 32x32, measured against DCGAN.

Trains DCGAN, ProGAN, StyleGAN and SAGAN from their configs (``configs/<name>_fashion_mnist.yaml``)
with one batch size (``--batch``, so equal steps are equal images seen), 32x32 images and each
config's own widths (DCGAN's base width set to 32 like the others), one torch thread per run, for
``--steps`` generator steps. ProGAN's growth schedule is scaled to the budget: each fade-in and each
stable phase takes 1/8 of the images, so 32x32 fades in over the sixth eighth and trains at full
weight for the last quarter. Every ``--eval-every`` steps ``QualityMetrics`` scores ``--n`` samples
against the validation split in the features of a Fashion-MNIST classifier the benchmark trains itself (domain FID and
improved precision/recall, k=3; Inception would need a download). Three tables come out:

- **equal images**: every method at the end of its run (``--steps`` x ``--batch`` images);
- **equal CPU time**: every method read at its last measurement within the CPU time DCGAN's whole
  run took (CPU time with one thread, so runs sharing the machine are charged only for their own
  work; a run's time per step is taken as even);
- **truncation**: StyleGAN (in W) and DCGAN (z truncation) at psi 1.0, 0.9, 0.7 and 0.5, the
  trade-off Karras et al. and Brock et al. describe: precision should rise and recall fall.

CPU milliseconds per generator step come with the first table, relative to DCGAN's. Pictures
(``--pictures DIR``): the same seed's samples of every method, one row each, and each truncated
model's samples with one row per psi.

    python benchmarks/generators.py --steps 20 --eval-every 10 --n 200 --out runs/gen_smoke      # smoke test
    python benchmarks/generators.py --steps 600 --eval-every 100 --out runs/benchmarks/generators \\
        --pictures docs/images                                                                 # the README's table

Runs write ``<out>/<method>/seed=<s>.json``; finished runs are reused and stopped ones continue
from their last checkpoint (as in ``mixtures.py``).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from image_to_image import classifier_for, markdown
from mixtures import (
    at_cpu_budget,
    config_path,
    find_last_checkpoint,
    fit_in_sittings,
    measured_history,
    quiet_fit,
    run_times,
)

from lightgan.app.commands import evaluate as evaluate_command
from lightgan.app.commands.data_config import load_datamodule

SCORES = ("fid", "precision", "recall")
PSIS = (1.0, 0.9, 0.7, 0.5)


@dataclass(frozen=True)
class Method:
    """A config and what the benchmark sets beside the common settings (``key=value`` as ``lightgan fit`` takes)."""

    name: str
    config: str
    overrides: tuple[str, ...] = ()
    truncates: bool = False


METHODS = {
    "dcgan": Method("DCGAN", "dcgan_fashion_mnist", ("model.init_args.base_channels=32",), truncates=True),
    "progan": Method("ProGAN", "progan_fashion_mnist"),
    "stylegan": Method("StyleGAN", "stylegan_fashion_mnist", truncates=True),
    "sagan": Method("SAGAN", "sagan_fashion_mnist"),
}


def method_list(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in METHODS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown method(s) {unknown or text!r}: choose from {', '.join(METHODS)}")
    return names


def progan_schedule(images: int) -> tuple[str, ...]:
    """Fade-in and stable phases of 1/8 of the budget each: 4x4 stable, then three fades to 32x32, and the last
    quarter at 32x32 with alpha 1."""
    phase = max(1, images // 8)
    return (f"model.init_args.fade_images={phase}", f"model.init_args.stable_images={phase}")


def fit_arguments(key: str, seed: int, classifier: Path, run_dir: Path, options: dict[str, Any]) -> list[str]:
    method = METHODS[key]
    extra = progan_schedule(options["steps"] * options["batch"]) if key == "progan" else ()
    return [
        "fit",
        f"--config={config_path(method.config)}",
        *(f"--{item}" for item in (*method.overrides, *extra)),
        "--data.init_args.image_size=32",
        f"--data.init_args.batch_size={options['batch']}",
        *(f"--{item}" for item in options["set"]),
        *quiet_fit(seed, options["steps"], run_dir),
        "--trainer.callbacks+=QualityMetrics",
        "--trainer.callbacks.metrics=fid,pr",
        f"--trainer.callbacks.features=domain:{classifier}",
        "--trainer.callbacks.every_n_epochs=0",
        f"--trainer.callbacks.every_n_steps={options['eval_every']}",
        f"--trainer.callbacks.num_samples={options['n']}",
        "--trainer.callbacks.reference=false",
    ]


def train(key: str, seed: int, classifier: Path, options: dict[str, Any]) -> dict[str, Any]:
    """Train one method with one seed (continuing a stopped run), measured every ``eval_every`` steps."""
    record_path = Path(options["out"]) / key / f"seed={seed}.json"
    run_dir = record_path.parent / f"seed={seed}"
    print(f"training {METHODS[key].name}, seed {seed}, to step {options['steps']:,}", flush=True)
    cli = fit_in_sittings(run_dir, fit_arguments(key, seed, classifier, run_dir, options))
    record = {
        "method": METHODS[key].name,
        "config": METHODS[key].config,
        "seed": seed,
        "steps": cli.trainer.global_step,
        "batch": options["batch"],
        "n": options["n"],
        "overrides": options["set"],
        "history": measured_history(run_dir, SCORES),
        "checkpoint": str(find_last_checkpoint(run_dir)),
        **run_times(run_dir, cli.trainer.global_step),
    }
    record_path.write_text(json.dumps(record, indent=2))
    return record


def cached_record(key: str, seed: int, options: dict[str, Any]) -> dict[str, Any] | None:
    """A finished run of the same method, seed, budget and measurement, if one was written before."""
    path = Path(options["out"]) / key / f"seed={seed}.json"
    if not path.is_file():
        return None
    record = json.loads(path.read_text())
    same = (record["steps"], record["batch"], record["n"], record.get("overrides", []))
    return record if same == (options["steps"], options["batch"], options["n"], options["set"]) else None


def truncation_curve(record: dict[str, Any], classifier: Path, options: dict[str, Any]) -> list[dict[str, Any]]:
    """Domain FID, precision and recall of a run's last checkpoint at each psi (cached beside its record)."""
    path = Path(options["out"]) / f"truncation_{record['method'].lower()}_seed={record['seed']}.json"
    if path.is_file() and json.loads(path.read_text())["steps"] == record["steps"]:
        return json.loads(path.read_text())["curve"]
    curve = []
    for psi in PSIS:
        argv = ["--ckpt_path", record["checkpoint"], "--metrics", "fid,pr", "--features", f"domain:{classifier}"]
        argv += ["--n", str(options["n"]), "--no-reference", "--no-progress", "--device", "cpu"]
        argv += ["--out", str(path.with_suffix(f".psi{psi}.json"))] + (["--truncation", str(psi)] if psi < 1 else [])
        scores = evaluate_command.run(evaluate_command.build_parser().parse_args(argv), [])["scores"]
        curve.append({"psi": psi, **{name: scores[name]["value"] for name in SCORES}})
    path.write_text(json.dumps({"steps": record["steps"], "curve": curve}, indent=2))
    return curve


# ---------------------------------------------------------------------------------------------- tables
def equal_images_table(records: dict[str, dict[str, Any]]) -> str:
    base = records.get("dcgan")
    base_ms = base["cpu_s"] / base["steps"] * 1000 if base else None
    lines = []
    for record in records.values():
        final, ms = record["history"][-1], record["cpu_s"] / record["steps"] * 1000
        relative = f"{ms / base_ms:.2f}x" if base_ms else "-"
        images = record["steps"] * record["batch"]
        scores = [f"{final['fid']:.1f}", f"{final['precision']:.3f}", f"{final['recall']:.3f}"]
        lines.append([record["method"], f"{record['steps']:,}", f"{images:,}", *scores, f"{ms:,.0f}", relative])
    header = ["method", "steps", "images", "domain FID", "precision", "recall", "CPU ms / step", "vs DCGAN"]
    return markdown(header, lines)


def equal_time_table(records: dict[str, dict[str, Any]]) -> str:
    budget = records["dcgan"]["cpu_s"]
    lines = []
    for record in records.values():
        found = at_cpu_budget(record, budget)
        entry, affordable = found["entry"], min(found["affordable_steps"], record["steps"])
        scores = [f"{entry['fid']:.1f}", f"{entry['precision']:.3f}", f"{entry['recall']:.3f}"] if entry else ["-"] * 3
        lines.append([record["method"], f"{affordable:,.0f}", str(entry["step"]) if entry else "none yet", *scores])
    header = ["method", "steps in DCGAN's CPU time", "measured at step", "domain FID", "precision", "recall"]
    return f"DCGAN's run: {budget:,.0f} CPU s.\n\n" + markdown(header, lines)


def truncation_table(curves: dict[str, list[dict[str, Any]]]) -> str:
    lines = [
        [name, f"{point['psi']:g}", f"{point['fid']:.1f}", f"{point['precision']:.3f}", f"{point['recall']:.3f}"]
        for name, curve in curves.items()
        for point in curve
    ]
    return markdown(["method", "psi", "domain FID", "precision", "recall"], lines)


def trend_lines(curves: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Whether precision rises and recall falls as psi goes from 1.0 to 0.5, per method."""
    out = []
    for name, curve in curves.items():
        first, last = curve[0], curve[-1]
        rises, falls = last["precision"] > first["precision"], last["recall"] < first["recall"]
        verdict = "as the papers describe" if rises and falls else "NOT as the papers describe"
        out.append(
            f"{name}: precision {first['precision']:.3f} -> {last['precision']:.3f}, recall {first['recall']:.3f} -> "
            f"{last['recall']:.3f} from psi 1.0 to {last['psi']:g}: {verdict}"
        )
    return out


# ---------------------------------------------------------------------------------------------- pictures
def draw(records: dict[str, dict[str, Any]], out: Path, seed: int = 0) -> list[Path]:
    """One row of the same seed's samples per method, and one row per psi for each truncating method."""
    from lightgan.core.checkpoint import load_gan
    from lightgan.monitors.render import render_samples, save_png

    out.mkdir(parents=True, exist_ok=True)
    rows, written = [], []
    for key, record in records.items():
        model = load_gan(record["checkpoint"], map_location="cpu")
        torch.manual_seed(seed)
        rows.append((record["method"], model.sample(12).cpu()))
        if METHODS[key].truncates:
            grid = []
            for psi in PSIS:
                torch.manual_seed(seed)
                grid.append((f"psi {psi:g}", model.sample(12, truncation=psi if psi < 1 else None).cpu()))
            path = out / f"generators_truncation_{key}.png"
            written.append(save_png(render_samples(grid[-1][1], rows=grid, nrow=12), path))
    path = save_png(render_samples(rows[-1][1], rows=rows, nrow=12), out / "generators_samples.png")
    return [path, *written]


# ---------------------------------------------------------------------------------------------- main
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--methods", type=method_list, default=list(METHODS), help=f"of {', '.join(METHODS)}")
    parser.add_argument("--steps", type=int, default=600, help="generator steps per run (default 600)")
    parser.add_argument("--batch", type=int, default=32, help="batch size of every method (default 32)")
    parser.add_argument("--eval-every", type=int, default=100, help="measure every K steps (default 100)")
    parser.add_argument("--n", type=int, default=2000, help="samples per measurement (default 2000)")
    parser.add_argument("--seed", type=int, default=0, help="seed of every run (default 0)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--classifier-epochs", type=int, default=1, help="epochs of the domain classifier (1)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override for every run")
    parser.add_argument("--out", default="runs/benchmarks/generators", help="where runs and results go")
    parser.add_argument("--pictures", help="folder for the pictures (default: none)")
    return parser


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = build_parser().parse_args(argv)
    if "dcgan" not in args.methods:
        sys.exit("--methods must include dcgan: the other methods are read at its CPU time")
    torch.set_num_threads(args.threads)
    options = {"steps": args.steps, "batch": args.batch, "eval_every": args.eval_every, "n": args.n, "out": args.out}
    options["set"] = args.set
    data = load_datamodule([config_path("dcgan_fashion_mnist")], ["--data.init_args.image_size=32"])
    classifier = classifier_for(data, Path(args.out), args.classifier_epochs).resolve()
    records = {key: cached_record(key, args.seed, options) for key in args.methods}
    records = {key: record or train(key, args.seed, classifier, options) for key, record in records.items()}
    curves = {
        records[key]["method"]: truncation_curve(records[key], classifier, options)
        for key in args.methods
        if METHODS[key].truncates
    }
    images = f"{args.steps:,} steps x batch {args.batch} = {args.steps * args.batch:,} images"
    report = [
        f"Fashion-MNIST 32x32, seed {args.seed}, {images}; {args.n:,} samples per measurement, domain features of "
        f"{classifier.name}; torch {torch.__version__}, {args.threads} thread(s).",
        "## Equal images\n\n" + equal_images_table(records),
        "## Equal CPU time\n\n" + equal_time_table(records),
        "## Truncation\n\n" + truncation_table(curves) + "\n\n" + "\n".join(trend_lines(curves)),
    ]
    if args.pictures:
        report.append("Pictures: " + ", ".join(str(path) for path in draw(records, Path(args.pictures), args.seed)))
    text = "\n\n".join(report)
    print(text)
    Path(args.out, "summary.md").write_text(text + "\n")
    return {"records": records, "curves": curves}


if __name__ == "__main__":
    main()
