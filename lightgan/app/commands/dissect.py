"""``lightgan dissect``: which units of a generator layer draw which concepts (GAN dissection, Bau et al. 2019).

It draws ``--n`` samples from ``--seed``, records the layer's maps, segments the samples into concepts
(``--concepts``) and matches every unit with every concept by IoU (``lightgan.inspection.dissection``).
torch and the model are imported once the arguments are read and checked: ``--help`` answers at once.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from lightgan.app.commands.checkpoint_arg import add_checkpoint_argument, resolve_checkpoint
from lightgan.app.commands.data_config import add_config_argument
from lightgan.app.commands.device import DEVICE_HELP, resolve_device
from lightgan.app.commands.parser import CommandParser
from lightgan.app.commands.sample import check_writable
from lightgan.errors import ConfigError

CONCEPTS_HELP = (
    "where concepts come from: scenes:PATH (a segmenter from `lightgan train-segmenter`, for Scenes), intensity "
    "(bright object vs background, Otsu per image), intensity:T (a brightness threshold in 0..1), colours (hue and "
    "brightness bins; the default), or module:callable (your own: images in [-1, 1] -> labels, with names)"
)


def add_sampling_arguments(parser: argparse.ArgumentParser, n: int, config_purpose: str) -> None:
    """The options dissect and intervene share: the checkpoint, its layer, the samples and where they run."""
    add_checkpoint_argument(parser)
    add_config_argument(parser, config_purpose)
    parser.add_argument(
        "--layer", required=True, help="the generator layer, named as print(model.generator) shows it, e.g. net.5"
    )
    parser.add_argument("--concepts", default="colours", help=CONCEPTS_HELP)
    parser.add_argument("--n", type=int, default=n, help=f"samples drawn (default {n})")
    parser.add_argument("--seed", type=int, default=0, help="noise seed: the same seed, the same samples")
    parser.add_argument(
        "--quantile",
        type=float,
        default=0.99,
        help="a unit is on where its map exceeds this quantile of its values (default 0.99, as in the paper)",
    )
    parser.add_argument("--batch_size", type=int, default=100, help="samples per forward pass (default 100)")
    parser.add_argument("--device", default="auto", help=DEVICE_HELP)
    parser.add_argument("--out", required=True, help="folder for the outputs (created if missing)")


def check_sampling_arguments(args: argparse.Namespace) -> None:
    """Counts and the quantile out of range stop before the checkpoint is read."""
    for name in ("n", "batch_size"):
        if getattr(args, name) < 1:
            raise ConfigError(f"--{name} must be at least 1, got {getattr(args, name)}.")
    if not 0 < args.quantile < 1:
        raise ConfigError(f"--quantile must be in (0, 1), e.g. 0.99; got {args.quantile}.")
    check_writable(Path(args.out), "folder")


def build_parser(prog: str = "lightgan dissect") -> argparse.ArgumentParser:
    parser = CommandParser(
        prog=prog,
        description="Dissect a generator layer: per-unit activation statistics, each unit's best-matching concept "
        "by IoU of its top-quantile region with the concept's pixels, ranked in units.csv and units.json, and "
        "summary.png with the top units' highest-activating samples (bright where the unit is on).",
    )
    add_sampling_arguments(parser, n=1000, config_purpose=", for --ckpt_path last")
    parser.add_argument("--top", type=int, default=10, help="units printed in the table (default 10)")
    return parser


def run(args: argparse.Namespace) -> Path:
    check_sampling_arguments(args)
    if args.top < 1:
        raise ConfigError(f"--top must be at least 1, got {args.top}.")
    ckpt = resolve_checkpoint(args.ckpt, args.config)
    from lightgan.core.checkpoint import load_gan
    from lightgan.inspection.concepts import resolve_concepts
    from lightgan.inspection.dissection import (
        MATCH_IOU,
        check_image_generator,
        dissect,
        layer_modules,
        record,
        summary_picture,
    )
    from lightgan.monitors.render import save_png

    segmenter = resolve_concepts(args.concepts)
    model = load_gan(ckpt, map_location=resolve_device(args.device)).eval()
    check_image_generator(model)
    layer_modules(model, args.layer)  # an unknown layer stops before anything is drawn
    recording = record(model, args.layer, segmenter, args.n, args.seed, args.batch_size)
    dissection = dissect(recording, tuple(segmenter.names), args.layer, args.quantile)
    out = Path(args.out)
    dissection.write(out)
    save_png(summary_picture(recording, dissection), out / "summary.png")
    print(dissection.table(args.top))
    print(
        f"{dissection.matching()} of {len(dissection.units)} units of {args.layer} match a concept with IoU >= "
        f"{MATCH_IOU} ({args.n} samples, quantile {args.quantile})"
    )
    print(f"wrote units.csv, units.json and summary.png to {out}/")
    return out


def main(argv: list[str]) -> Path:
    return run(build_parser().parse_args(argv))
