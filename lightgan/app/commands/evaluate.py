"""``lightgan evaluate``: score a checkpoint's generator against real data; table on screen, JSON on disk.

With ``--all``, every checkpoint of a run is scored by one evaluator (``evaluate_run`` writes the
table, the files and the curves).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from lightgan.app.commands.checkpoint_arg import add_checkpoint_argument, resolve_checkpoint
from lightgan.app.commands.data_config import (
    add_config_argument,
    load_datamodule,
    split_data_overrides,
    training_configs,
)
from lightgan.app.commands.device import DEVICE_HELP, resolve_device
from lightgan.app.commands.evaluate_run import (
    EVALUATION_DIR,
    SCORES,
    best_record,
    check_best,
    format_over_steps,
    link_best,
    run_checkpoints,
    write_over_steps,
)
from lightgan.app.commands.parser import CommandParser
from lightgan.core.checkpoint import load_gan
from lightgan.errors import ConfigError
from lightgan.metrics.evaluator import METRICS, Evaluation, Evaluator, has_modes
from lightgan.metrics.features import FEATURE_SPECS
from lightgan.metrics.report import LOWER_IS_BETTER, format_table, format_value, report_dict, write_json

if TYPE_CHECKING:
    from lightgan.core.module import GANModule


def build_parser(prog: str = "lightgan evaluate") -> argparse.ArgumentParser:
    parser = CommandParser(
        prog=prog,
        description="Score a trained generator: FID/KID/IS/precision-recall in a chosen feature space, mode "
        "coverage for 2-D mixtures, class coverage for labelled data, each next to the real-vs-real floor "
        "(train split scored the same way; cached). The data comes from the training config; --data.init_args.* "
        "overrides work as in lightgan fit.",
        epilog="metrics: " + "; ".join(f"{k}: {v}" for k, v in METRICS.items()),
    )
    add_checkpoint_argument(parser)
    add_config_argument(parser, "")
    parser.add_argument("--metrics", help="comma-separated (default: modes for 2-D mixtures, else fid,kid,pr)")
    parser.add_argument("--n", type=int, help="generated samples (default 10000 for images, 2500 for 2-D data)")
    parser.add_argument("--features", default="auto", help=f"feature space: auto, {FEATURE_SPECS} (default auto)")
    parser.add_argument("--classifier", help="classifier file for the classes metric (default: the domain features')")
    parser.add_argument("--split", default="val", choices=("val", "test", "train"), help="real split compared with")
    parser.add_argument("--batch-size", type=int, default=64, help="samples per batch (default 64)")
    parser.add_argument("--device", default="auto", help=DEVICE_HELP)
    parser.add_argument("--seed", type=int, default=0, help="seed of the noise, the real subset and KID/IS subsets")
    parser.add_argument("--kid-subsets", type=int, default=100, help="random subsets KID averages over (default 100)")
    parser.add_argument("--no-reference", action="store_true", help="skip the real-vs-real floor")
    parser.add_argument("--cache-dir", help="where floors are cached (default ~/.cache/lightgan/reference)")
    parser.add_argument(
        "--out",
        help="JSON file to write (default: next to the checkpoint, *.metrics.json); with --all the folder of the "
        f"table and curves (default: {EVALUATION_DIR}/ in the run folder)",
    )
    parser.add_argument("--no-ema", action="store_true", help="score the raw generator even if an EMA copy exists")
    parser.add_argument(
        "--truncation",
        type=float,
        metavar="PSI",
        help="score samples made with the truncation trick, psi in (0, 1] (as lightgan sample --truncation)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument(
        "--all",
        action="store_true",
        help="score every checkpoint of the run --ckpt_path names, one per step (last.ckpt only for a step no other "
        f"has): a table, {EVALUATION_DIR}/metrics_over_steps.csv/.json and a PNG curve per score in the run folder",
    )
    parser.add_argument(
        "--best",
        choices=SCORES,
        metavar="SCORE",
        help=f"with --all, name the checkpoint with the best SCORE ({', '.join(SCORES)}); lower is better for "
        f"{', '.join(sorted(LOWER_IS_BETTER))}, higher for the others; a later step wins a tie",
    )
    parser.add_argument(
        "--link-best",
        action="store_true",
        help="with --best, make that checkpoint checkpoints/best.ckpt of the run (a symlink, else a copy)",
    )
    return parser


class _Sampling:
    """A model view whose ``sample`` skips the EMA generator (``--no-ema``) or truncates (``--truncation``)."""

    def __init__(self, model: Any, use_ema: bool, truncation: float | None) -> None:
        self.model, self.device = model, model.device
        self.use_ema, self.truncation = use_ema, truncation

    def sample(self, n: int, **kwargs: Any) -> torch.Tensor:
        return self.model.sample(n, use_ema=self.use_ema, truncation=self.truncation, **kwargs)

    def sample_inputs(self, n: int, **kwargs: Any) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        return self.model.sample_inputs(n, **kwargs)


def _open(
    args: argparse.Namespace, data_overrides: list[str], ckpt: Path, device: torch.device
) -> tuple[GANModule, Evaluator]:
    """The checkpoint's model and an evaluator of the data it was trained on; one evaluator serves every checkpoint
    of a run, so the real features are extracted once."""
    model = load_gan(ckpt, map_location=device)
    datamodule = load_datamodule(training_configs(ckpt, args.config), data_overrides)
    if tuple(datamodule.data_shape) != tuple(model.data_shape):
        raise ConfigError(
            f"The checkpoint's generator makes {tuple(model.data_shape)} samples but the config's data is "
            f"{tuple(datamodule.data_shape)}: pass the config the model was trained with."
        )
    metrics = args.metrics or ("modes" if has_modes(datamodule) else "fid,kid,pr")
    evaluator = Evaluator(
        datamodule,
        metrics=metrics,
        n=args.n,
        features=args.features,
        split=args.split,
        classifier=args.classifier,
        batch_size=args.batch_size,
        device=device,
        seed=args.seed,
        kid_subsets=args.kid_subsets,
        progress=not args.no_progress,
        cache_dir=args.cache_dir,
    )
    return model, evaluator


def _evaluate(args: argparse.Namespace, evaluator: Evaluator, model: GANModule) -> Evaluation:
    if args.truncation is not None:
        model.check_truncation(args.truncation)
    return evaluator.evaluate(_Sampling(model, not args.no_ema, args.truncation))


def _record(
    args: argparse.Namespace,
    evaluation: Evaluation,
    reference: Evaluation | None,
    ckpt: Path,
    device: torch.device,
    **context: Any,
) -> dict[str, Any]:
    return report_dict(
        evaluation,
        reference,
        checkpoint=str(ckpt),
        device=str(device),
        seed=args.seed,
        ema=not args.no_ema,
        truncation=args.truncation,
        **context,
    )


def run(args: argparse.Namespace, data_overrides: list[str]) -> dict[str, Any]:
    """Score one checkpoint: a table on screen, a JSON record beside it."""
    args.ckpt = resolve_checkpoint(args.ckpt, args.config)
    device = resolve_device(args.device)
    model, evaluator = _open(args, data_overrides, args.ckpt, device)
    evaluation = _evaluate(args, evaluator, model)
    reference = None if args.no_reference else evaluator.reference(device)
    print(format_table(evaluation, reference))
    record = _record(args, evaluation, reference, args.ckpt, device)
    out = Path(args.out) if args.out else Path(args.ckpt).with_suffix(".metrics.json")
    write_json(record, out)
    print(f"wrote {out}")
    return record


def run_all(args: argparse.Namespace, data_overrides: list[str]) -> dict[str, Any]:
    """Score every checkpoint of a run, one per step: a table, CSV/JSON and curves in ``<run>/evaluation``, and
    with ``--best`` the best checkpoint named (and linked as ``best.ckpt`` with ``--link-best``)."""
    run_dir, steps = run_checkpoints(args.ckpt, args.config)
    device = resolve_device(args.device)
    _, evaluator = _open(args, data_overrides, steps[-1].path, device)
    check_best(args.best, evaluator.metrics)
    reference = None if args.no_reference else evaluator.reference(device)
    print(f"{run_dir}: {len(steps)} checkpoints, at steps {', '.join(str(step) for step, _ in steps)}", flush=True)
    records = []
    for number, (step, path) in enumerate(steps, 1):
        evaluation = _evaluate(args, evaluator, load_gan(path, map_location=device))
        values = ", ".join(f"{name} {format_value(value)}" for name, value in evaluation.values().items())
        print(f"[{number}/{len(steps)}] step {step} ({path.name}): {values}", flush=True)
        records.append(_record(args, evaluation, reference, path, device, step=step))
    print(format_over_steps(records))
    summary = {"run": str(run_dir), "best": _best(args, records), "steps": records}
    folder = Path(args.out) if args.out else run_dir / EVALUATION_DIR
    print(f"wrote {folder}: {', '.join(path.name for path in write_over_steps(summary, folder))}")
    return summary


def _best(args: argparse.Namespace, records: list[dict[str, Any]]) -> dict[str, Any] | None:
    """``--best``: the best checkpoint, said and (``--link-best``) linked as ``best.ckpt``."""
    if args.best is None:
        return None
    record = best_record(records, args.best)
    if record is None:
        print(f"best {args.best}: none, every checkpoint scored NaN")
        return None
    value, path = record["scores"][args.best]["value"], Path(record["checkpoint"])
    linked = link_best(path) if args.link_best else None
    print(f"best {args.best}: {format_value(value)} at step {record['step']} ({path.name})")
    if linked is not None:
        kind = "link to" if linked.is_symlink() else "copy of"
        print(f"{linked}: {kind} {path.name}")
    return {
        "score": args.best,
        "value": value,
        "step": record["step"],
        "checkpoint": str(path),
        "linked": str(linked) if linked else None,
    }


def _check_run_options(args: argparse.Namespace) -> None:
    if args.best and not args.all:
        raise ConfigError(f"--best {args.best} picks among a run's checkpoints: add --all")
    if args.link_best and not args.best:
        raise ConfigError("--link-best links the best checkpoint by a score: add --best SCORE (e.g. --best fid)")


def main(argv: list[str]) -> dict[str, Any]:
    data_overrides, rest = split_data_overrides(argv)
    args = build_parser().parse_args(rest)
    _check_run_options(args)
    return (run_all if args.all else run)(args, data_overrides)
