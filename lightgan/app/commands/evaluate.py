"""``lightgan evaluate``: score a checkpoint's generator against real data; table on screen, JSON on disk."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import torch

from lightgan.app.commands.checkpoint_arg import add_checkpoint_argument, resolve_checkpoint
from lightgan.app.commands.data_config import (
    add_config_argument,
    load_datamodule,
    split_data_overrides,
    training_configs,
)
from lightgan.app.commands.device import DEVICE_HELP, resolve_device
from lightgan.app.commands.parser import CommandParser
from lightgan.core.checkpoint import load_gan
from lightgan.errors import ConfigError
from lightgan.metrics.evaluator import METRICS, Evaluator
from lightgan.metrics.features import FEATURE_SPECS
from lightgan.metrics.report import format_table, report_dict, write_json


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
    parser.add_argument("--out", help="JSON file to write (default: next to the checkpoint, *.metrics.json)")
    parser.add_argument("--no-ema", action="store_true", help="score the raw generator even if an EMA copy exists")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    return parser


class _RawGenerator:
    """A model view whose ``sample`` skips the EMA generator."""

    def __init__(self, model: Any) -> None:
        self.model, self.device = model, model.device

    def sample(self, n: int, **kwargs: Any) -> torch.Tensor:
        return self.model.sample(n, use_ema=False, **kwargs)


def run(args: argparse.Namespace, data_overrides: list[str]) -> dict[str, Any]:
    args.ckpt = resolve_checkpoint(args.ckpt, args.config)
    device = resolve_device(args.device)
    model = load_gan(args.ckpt, map_location=device)
    datamodule = load_datamodule(training_configs(args.ckpt, args.config), data_overrides)
    if tuple(datamodule.data_shape) != tuple(model.data_shape):
        raise ConfigError(
            f"The checkpoint's generator makes {tuple(model.data_shape)} samples but the config's data is "
            f"{tuple(datamodule.data_shape)}: pass the config the model was trained with."
        )
    metrics = args.metrics or ("modes" if getattr(datamodule, "mode_centers", None) is not None else "fid,kid,pr")
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
    evaluation = evaluator.evaluate(_RawGenerator(model) if args.no_ema else model)
    reference = None if args.no_reference else evaluator.reference(device)
    print(format_table(evaluation, reference))
    record = report_dict(
        evaluation, reference, checkpoint=str(args.ckpt), device=str(device), seed=args.seed, ema=not args.no_ema
    )
    out = Path(args.out) if args.out else Path(args.ckpt).with_suffix(".metrics.json")
    write_json(record, out)
    print(f"wrote {out}")
    return record


def main(argv: list[str]) -> dict[str, Any]:
    data_overrides, rest = split_data_overrides(argv)
    return run(build_parser().parse_args(rest), data_overrides)
