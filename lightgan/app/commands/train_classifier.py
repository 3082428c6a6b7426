"""``lightgan train-classifier``: train the classifier behind "domain" features and class coverage."""

from __future__ import annotations

import argparse
from pathlib import Path

from lightgan.app.commands.data_config import load_datamodule, split_data_overrides
from lightgan.app.commands.device import DEVICE_HELP, resolve_device
from lightgan.app.commands.parser import CommandParser
from lightgan.errors import ConfigError
from lightgan.metrics.classifier import save_classifier, train_classifier
from lightgan.metrics.reference import dataset_fingerprint


def build_parser(prog: str = "lightgan train-classifier") -> argparse.ArgumentParser:
    parser = CommandParser(
        prog=prog,
        description="Train a small classifier on a labelled dataset and save it; its penultimate layer is the "
        "feature space of `--features domain:FILE` (lightgan evaluate, QualityMetrics) and its predictions "
        "feed the classes metric. The data comes from a training config; --data.init_args.* overrides work.",
    )
    parser.add_argument("--config", action="append", required=True, help="config(s) naming the data")
    parser.add_argument("--out", required=True, help="file to write, e.g. classifiers/mnist.pt")
    parser.add_argument("--epochs", type=int, default=5, help="passes over the train split (default 5)")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default 1e-3)")
    parser.add_argument("--batch-size", type=int, default=128, help="default 128")
    parser.add_argument("--width", type=int, default=32, help="channels of the first conv layer (default 32)")
    parser.add_argument("--feature-dim", type=int, default=128, help="size of the feature layer (default 128)")
    parser.add_argument("--device", default="auto", help=DEVICE_HELP)
    parser.add_argument("--seed", type=int, default=0, help="seed of the initialisation and data order")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def run(args: argparse.Namespace, data_overrides: list[str]) -> Path:
    if args.epochs < 1:
        raise ConfigError(f"--epochs must be at least 1, got {args.epochs}.")
    device = resolve_device(args.device)
    datamodule = load_datamodule(args.config, data_overrides)
    classifier, val_accuracy = train_classifier(
        datamodule,
        epochs=args.epochs,
        lr=args.lr,
        batch_size=args.batch_size,
        width=args.width,
        feature_dim=args.feature_dim,
        device=device,
        seed=args.seed,
        progress=not args.no_progress,
    )
    out = save_classifier(
        classifier,
        args.out,
        data=type(datamodule).__name__,
        train_data=dataset_fingerprint(datamodule.train_set),
        val_accuracy=val_accuracy,
        epochs=args.epochs,
    )
    print(f"validation accuracy {val_accuracy:.4f}; wrote {out} (use --features domain:{out})")
    return out


def main(argv: list[str]) -> Path:
    data_overrides, rest = split_data_overrides(argv)
    return run(build_parser().parse_args(rest), data_overrides)
