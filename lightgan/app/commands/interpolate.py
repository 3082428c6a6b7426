"""``lightgan interpolate``: animate a walk through a checkpoint's latent space (a GIF, an MP4 or a folder of PNGs).

Every cell of the grid walks from one random latent vector to another, one step a frame, so the
animation shows whether the latent space is smooth. Conditional models get one row per class and
models with several generators one row per generator, the rows sharing the same walks; vector data
becomes a plot of ``--points`` walking points; ``--traverse`` sweeps the codes of a model with a
traversal (InfoGAN) instead of the noise.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from lightgan.app.commands.checkpoint_arg import add_checkpoint_argument, resolve_checkpoint
from lightgan.app.commands.data_config import add_config_argument
from lightgan.app.commands.device import DEVICE_HELP, resolve_device
from lightgan.app.commands.parser import CommandParser
from lightgan.app.commands.sample import check_writable
from lightgan.core.checkpoint import load_gan
from lightgan.core.module import GANModule
from lightgan.errors import ConfigError
from lightgan.models.multi_player import blocks
from lightgan.monitors.interpolation import Method, random_pairs, walks
from lightgan.monitors.progress_gif import write_gif
from lightgan.monitors.render import render_samples, save_png
from lightgan.monitors.samples import generator_count
from lightgan.monitors.traversal import has_traversal

#: Rows and walks per row of an unconditional model's grid when --rows/--cols are left out.
DEFAULT_ROWS, DEFAULT_COLS = 4, 8
#: Smallest value of each count option.
MINIMUM = {"frames": 2, "rows": 1, "cols": 1, "points": 1, "fps": 1}
#: More samples than any model has generators: ``sample_sources`` of this many names every generator.
SOURCE_PROBE = 1024


@dataclass
class Animation:
    """What the frames draw: ``latents`` (frames, n, latent_dim), the class of each of the n samples, grid width."""

    latents: Tensor
    labels: Tensor | None
    nrow: int


def build_parser(prog: str = "lightgan interpolate") -> argparse.ArgumentParser:
    parser = CommandParser(
        prog=prog,
        description="Animate walks through a checkpoint's latent space: each grid cell goes from one random noise "
        "vector to another. Conditional models get one row per class and models with several generators one row "
        "per generator (the rows share the walks); vector data is plotted as --points walking points.",
    )
    add_checkpoint_argument(parser)
    parser.add_argument(
        "--out",
        default="interpolation.gif",
        help="output: an animated .gif, an .mp4 (needs imageio and imageio-ffmpeg), or a folder (DIR/) of one PNG "
        "per frame",
    )
    parser.add_argument(
        "--mode", choices=("linear", "slerp"), help="interpolation: slerp (default) or linear (default with --traverse)"
    )
    parser.add_argument("--frames", type=int, default=24, help="frames from start to end, both included (default 24)")
    parser.add_argument(
        "--rows", type=int, help=f"grid rows of image data (default {DEFAULT_ROWS}; conditional models: every class)"
    )
    parser.add_argument("--cols", type=int, help=f"walks per grid row of image data (default {DEFAULT_COLS})")
    parser.add_argument("--points", type=int, default=1000, help="walking points of vector data (default 1000)")
    parser.add_argument("--fps", type=int, default=12, help="frames per second of a .gif or .mp4 (default 12)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the endpoints: the same seed, the same output")
    parser.add_argument(
        "--traverse",
        action="store_true",
        help="sweep the model's latent codes instead of the noise (InfoGAN: one row per value of its first "
        "categorical code, its traversal code from -2 to 2, the noise fixed)",
    )
    parser.add_argument("--device", default="auto", help=DEVICE_HELP)
    parser.add_argument("--no-ema", action="store_true", help="use the raw generator even if an EMA copy exists")
    add_config_argument(parser, ", for --ckpt_path last")
    return parser


def check_counts(args: argparse.Namespace) -> None:
    """Counts too small to animate stop before the checkpoint is read."""
    for name, least in MINIMUM.items():
        value = getattr(args, name)
        if value is not None and value < least:
            raise ConfigError(f"--{name} must be at least {least}, got {value}.")
    if args.traverse and (args.rows or args.cols):
        raise ConfigError("--traverse draws the rows of the model's own traversal: leave out --rows and --cols.")


def output_kind(out: str) -> str:
    """``folder`` (a trailing slash or an existing folder: one PNG per frame), ``gif`` or ``mp4``."""
    path = Path(out)
    if out.endswith(("/", os.sep)) or path.is_dir():
        return "folder"
    kind = path.suffix.lower().lstrip(".")
    if kind not in ("gif", "mp4"):
        raise ConfigError(f"--out {out} must end in .gif or .mp4, or be a folder (with a trailing /).")
    if kind == "mp4" and not all(importlib.util.find_spec(name) for name in ("imageio", "imageio_ffmpeg")):
        raise ConfigError(
            f"--out {out} needs an MP4 writer: pip install imageio imageio-ffmpeg, or write a GIF "
            f"(--out {path.with_suffix('.gif')})."
        )
    return kind


def check_model(model: GANModule, traverse: bool) -> None:
    """A model whose outputs cannot be walked through and drawn stops with a one-line reason."""
    name = type(model).__name__
    if not model.takes_noise or model.input_conditions:
        raise ConfigError(f"{name} generates from data, not from noise alone: it has no latent space to walk.")
    if len(model.data_shape) not in (1, 3):
        raise ConfigError(f"{name} makes samples of shape {tuple(model.data_shape)}, which cannot be drawn.")
    if traverse and not has_traversal(model):
        raise ConfigError(f"--traverse sweeps a model's latent codes, but {name} has none (InfoGAN has).")


def traversal_animation(model: GANModule, frames: int, method: Method) -> Animation:
    """One row per row of the model's traversal, walking from its first column to its last."""
    z, columns = model.traversal()
    if columns < 2:
        raise ConfigError(f"--traverse: {type(model).__name__} has no continuous code to sweep.")
    ends = z.cpu().view(-1, columns, z.shape[1])[:, [0, -1]]
    return Animation(walks(ends, frames, method).transpose(0, 1), None, 1)


def shared_rows(model: GANModule, rows: int | None, cols: int) -> tuple[int, Tensor | None] | None:
    """Rows that share the walks (one per class, or per generator) and the class of each sample; None when every
    row has walks of its own."""
    if model.conditional:
        rows = rows or model.num_classes
        if rows > model.num_classes:
            raise ConfigError(f"--rows {rows}: this model knows {model.num_classes} classes (one row each).")
        return rows, torch.arange(rows).repeat_interleave(cols)
    generators = generator_count(model, SOURCE_PROBE)
    if generators == 1:
        return None
    if rows not in (None, generators):
        raise ConfigError(f"--rows {rows}: this model draws one row per generator ({generators}); leave --rows out.")
    return generators, None


def animation(model: GANModule, args: argparse.Namespace) -> Animation:
    """The latents of every frame: independent walks, or the same walks in every class or generator row."""
    if args.traverse:
        return traversal_animation(model, args.frames, args.mode)
    if len(model.data_shape) == 1:
        labels = blocks(args.points, model.num_classes) if model.conditional else None
        return Animation(_steps(model, args.points, args), labels, args.points)
    cols = args.cols or DEFAULT_COLS
    shared = shared_rows(model, args.rows, cols)
    if shared is None:
        return Animation(_steps(model, (args.rows or DEFAULT_ROWS) * cols, args), None, cols)
    rows, labels = shared
    return Animation(_steps(model, cols, args).repeat(1, rows, 1), labels, cols)


def _steps(model: GANModule, count: int, args: argparse.Namespace) -> Tensor:
    """(frames, count, latent_dim): ``count`` walks between endpoints drawn from ``--seed``, frame by frame."""
    return walks(random_pairs(model, count, args.seed), args.frames, args.mode).transpose(0, 1)


@torch.no_grad()
def pictures(model: GANModule, plan: Animation, method: Method, use_ema: bool) -> Iterator[np.ndarray]:
    """One picture a frame: an image grid, or a plot of the points (coloured by generator)."""
    total = len(plan.latents)
    for index, z in enumerate(plan.latents):
        samples = model.sample(z=z, labels=plan.labels, use_ema=use_ema).cpu()
        title = f"{method} {index + 1}/{total}"
        sources = model.sample_sources(len(samples))
        yield render_samples(samples, centers=model.mode_centers, title=title, nrow=plan.nrow, sources=sources)


def write_frames(frames: Iterator[np.ndarray], folder: Path, total: int) -> list[Path]:
    """One PNG a frame, ``0000.png`` on, counting them on one console line."""
    digits, paths = max(4, len(str(total - 1))), []
    for index, frame in enumerate(frames):
        paths.append(save_png(frame, folder / f"{index:0{digits}d}.png"))
        print(f"\rframe {index + 1}/{total}", end="", flush=True)
    print()
    return paths


def write_mp4(frames: list[Path], out: Path, fps: int) -> None:
    """The frames as an H.264 video through imageio-ffmpeg (checked when --out was read), written atomically."""
    import imageio.v2 as imageio

    partial = out.with_name(f"{out.stem}.partial{out.suffix}")
    with imageio.get_writer(partial, fps=fps, macro_block_size=2) as writer:  # H.264 needs even sides only
        for frame in frames:
            writer.append_data(imageio.imread(frame))
    partial.replace(out)


def write_animation(frames: Iterator[np.ndarray], out: Path, kind: str, total: int, fps: int) -> None:
    if kind == "folder":
        write_frames(frames, out, total)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        paths = write_frames(frames, Path(scratch), total)
        if kind == "gif":
            write_gif(paths, out, round(1000 / fps), round(1000 / fps))
        else:
            write_mp4(paths, out, fps)


def run(args: argparse.Namespace) -> Path:
    check_counts(args)
    args.ckpt = resolve_checkpoint(args.ckpt, args.config)
    kind, out = output_kind(args.out), Path(args.out)
    check_writable(out, kind)
    model = load_gan(args.ckpt, map_location=resolve_device(args.device))
    check_model(model, args.traverse)
    args.mode = args.mode or ("linear" if args.traverse else "slerp")
    frames = pictures(model, animation(model, args), args.mode, use_ema=not args.no_ema)
    try:
        write_animation(frames, out, kind, args.frames, args.fps)
    except OSError as exc:
        raise ConfigError(f"Could not write {out}: {exc.strerror or exc}.") from exc
    print(f"wrote {args.frames} frames to {out}{'/' if kind == 'folder' else ''}")
    return out


def main(argv: list[str]) -> Path:
    return run(build_parser().parse_args(argv))
