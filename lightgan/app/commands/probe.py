"""``lightgan probe``: how well a linear classifier reads the classes from a trained D's features, against a random D.

The data is the run's (its ``config.yaml``, or ``--config``), labelled: the probe is fitted on
``--n-train`` training images and scored on ``--n-test`` held-out ones (the validation split, else
the test split), for the checkpoint's D and for a D of the same architecture initialised from
``--seed``. torch and the model are imported once the arguments are read.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from lightgan.app.commands.checkpoint_arg import add_checkpoint_argument, resolve_checkpoint
from lightgan.app.commands.data_config import (
    add_config_argument,
    load_datamodule,
    split_data_overrides,
    training_configs,
)
from lightgan.app.commands.device import DEVICE_HELP, resolve_device
from lightgan.app.commands.parser import CommandParser
from lightgan.errors import ConfigError

if TYPE_CHECKING:
    from lightgan.inspection.probe import ProbeResult


def build_parser(prog: str = "lightgan probe") -> argparse.ArgumentParser:
    parser = CommandParser(
        prog=prog,
        description="Fit a linear classifier (logistic regression, full-batch L-BFGS) on the discriminator's "
        "penultimate features of labelled real images and report its held-out accuracy, next to the same probe on "
        "a randomly initialised D of the same architecture. --data.init_args.* overrides work as in lightgan fit.",
    )
    add_checkpoint_argument(parser)
    add_config_argument(parser, "")
    parser.add_argument("--n-train", type=int, default=5000, help="training images the probe is fitted on (5000)")
    parser.add_argument("--n-test", type=int, default=1000, help="held-out images it is scored on (default 1000)")
    parser.add_argument("--steps", type=int, default=100, help="L-BFGS iterations (default 100)")
    parser.add_argument("--weight-decay", type=float, default=1e-3, help="L2 penalty on the weights (default 1e-3)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the image subsets and of the random D")
    parser.add_argument("--batch-size", type=int, default=256, help="images per forward pass of D (default 256)")
    parser.add_argument("--device", default="auto", help=DEVICE_HELP)
    parser.add_argument("--out", help="also write the results to this JSON file")
    return parser


def check_args(args: argparse.Namespace) -> None:
    for name in ("n_train", "n_test", "steps", "batch_size"):
        if getattr(args, name) < 1:
            raise ConfigError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}.")
    if args.weight_decay < 0:
        raise ConfigError(f"--weight-decay must be >= 0, got {args.weight_decay}.")


def report(trained: ProbeResult, random: ProbeResult, data: str) -> str:
    rows = [
        f"linear probe on D's penultimate features ({trained.num_features} of them), {data}: "
        f"fitted on {trained.n_train} training images, scored on {trained.n_test} held-out ones",
        f"  trained D: held-out accuracy {trained.accuracy:.4f} (training {trained.train_accuracy:.4f})",
        f"  random D:  held-out accuracy {random.accuracy:.4f} (training {random.train_accuracy:.4f})",
        f"  gap (trained - random): {trained.accuracy - random.accuracy:+.4f}",
    ]
    return "\n".join(rows)


def run(args: argparse.Namespace, data_overrides: list[str]) -> tuple[ProbeResult, ProbeResult]:
    check_args(args)
    ckpt = resolve_checkpoint(args.ckpt, args.config)
    configs = training_configs(ckpt, args.config)
    device = resolve_device(args.device)

    from dataclasses import asdict

    from lightgan.core.checkpoint import load_gan
    from lightgan.inspection.probe import (
        check_probed_model,
        extract_features,
        labelled_images,
        linear_probe,
        random_counterpart,
    )

    model = load_gan(ckpt, map_location=device)
    check_probed_model(model)
    datamodule = load_datamodule(configs, data_overrides)
    train_x, train_y = labelled_images(datamodule, "train", args.n_train, args.seed)
    held_out = "val" if getattr(datamodule, "val_set", None) is not None else "test"
    test_x, test_y = labelled_images(datamodule, held_out, args.n_test, args.seed)
    classes = datamodule.num_classes
    results = []
    for judge in (model, random_counterpart(model, args.seed)):
        features = [extract_features(judge, x, args.batch_size) for x in (train_x, test_x)]
        results.append(linear_probe((features[0], train_y), (features[1], test_y), classes, args.steps,
                                    args.weight_decay))  # fmt: skip
    trained, random = results
    print(report(trained, random, f"{type(datamodule).__name__} ({classes} classes, held out: {held_out} split)"))
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        summary = {"checkpoint": str(ckpt), "trained": asdict(trained), "random": asdict(random), "seed": args.seed}
        out.write_text(json.dumps(summary, indent=2) + "\n")
        print(f"wrote {out}")
    return trained, random


def main(argv: list[str]) -> tuple[ProbeResult, ProbeResult]:
    data_overrides, rest = split_data_overrides(argv)
    return run(build_parser().parse_args(rest), data_overrides)
