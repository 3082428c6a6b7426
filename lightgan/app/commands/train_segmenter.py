"""``lightgan train-segmenter``: train the concept segmenter of ``Scenes`` that ``--concepts scenes:PATH`` loads.

The scenes are drawn by rule, so their labels are exact and nothing is downloaded; the net is small enough to
train on a CPU in minutes (``lightgan.inspection.concepts``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from lightgan.app.commands.device import DEVICE_HELP, resolve_device
from lightgan.app.commands.parser import CommandParser
from lightgan.app.commands.sample import check_writable
from lightgan.errors import ConfigError


def build_parser(prog: str = "lightgan train-segmenter") -> argparse.ArgumentParser:
    parser = CommandParser(
        prog=prog,
        description="Train a small fully convolutional segmenter on procedural Scenes (sky, ground, circle, square, "
        "triangle, stripes) with their exact labels; report its pixel accuracy and mean IoU on held-out scenes and "
        "save it for `lightgan dissect --concepts scenes:PATH`.",
    )
    parser.add_argument("--out", required=True, help="file to write, e.g. segmenters/scenes.pt")
    parser.add_argument("--steps", type=int, default=2000, help="training steps (default 2000)")
    parser.add_argument("--image-size", type=int, default=32, help="side of the scenes in pixels (default 32)")
    parser.add_argument("--train-samples", type=int, default=10_000, help="training scenes (default 10000)")
    parser.add_argument("--val-samples", type=int, default=1_000, help="held-out scenes scored (default 1000)")
    parser.add_argument("--batch-size", type=int, default=32, help="scenes per step (default 32)")
    parser.add_argument("--lr", type=float, default=2e-3, help="Adam learning rate, cosine-annealed (default 2e-3)")
    parser.add_argument("--width", type=int, default=16, help="channels of the first layer (default 16)")
    parser.add_argument(
        "--noise",
        type=float,
        default=0.2,
        help="largest std of the pixel noise added to training scenes, so generated textures are not read as "
        "stripes (default 0.2; 0: clean scenes)",
    )
    parser.add_argument("--device", default="auto", help=DEVICE_HELP)
    parser.add_argument("--seed", type=int, default=0, help="seed of the initialisation and the batches")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def run(args: argparse.Namespace) -> Path:
    for name in ("steps", "batch_size", "width"):
        if getattr(args, name) < 1:
            raise ConfigError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}.")
    if args.lr <= 0 or args.noise < 0:
        raise ConfigError(f"--lr must be positive and --noise at least 0, got {args.lr} and {args.noise}.")
    out = Path(args.out)
    check_writable(out, "file")
    from lightgan.data.scenes import Scenes
    from lightgan.inspection.concepts import save_segmenter, train_segmenter

    data = Scenes(args.image_size, args.train_samples, args.val_samples, batch_size=args.batch_size)
    segmenter, score = train_segmenter(
        data, args.steps, args.lr, args.width, args.noise, resolve_device(args.device), args.seed, not args.no_progress
    )
    save_segmenter(
        segmenter, out, steps=args.steps, noise=args.noise, pixel_accuracy=score.pixel_accuracy, mean_iou=score.mean_iou
    )
    per_concept = ", ".join(f"{name} {value:.3f}" for name, value in score.iou.items())
    print(
        f"{args.val_samples} held-out scenes: pixel accuracy {score.pixel_accuracy:.4f}, mean IoU {score.mean_iou:.4f}"
    )
    print(f"IoU per concept: {per_concept}")
    print(f"wrote {out} (use --concepts scenes:{out})")
    return out


def main(argv: list[str]) -> Path:
    return run(build_parser().parse_args(argv))
