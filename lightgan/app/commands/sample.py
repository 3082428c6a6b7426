"""``lightgan sample``: draw from a trained generator into a PNG grid or a raw tensor file.

Generators that take data as input (an image to translate, ...) are given the first ``--n``
held-out samples of the data they were trained on (the run's ``config.yaml``, or ``--config``),
and the grid shows the rows of the model's ``picture_rows``, as its training pictures do: input,
output and target (CycleGAN: A, G(A), F(G(A))). ``lightgan translate`` takes the user's own images.
``--truncation`` applies the model's truncation trick (``GANModule.generate_truncated``);
``--style-mix`` and ``--noise-variation`` draw the figures of a style-based generator instead of samples.

torch, Lightning and the model are imported once the arguments are read and checked: ``--help`` and
mistakes in the arguments answer at once.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lightgan.app.commands.checkpoint_arg import add_checkpoint_argument, resolve_checkpoint
from lightgan.app.commands.data_config import (
    add_config_argument,
    load_datamodule,
    split_data_overrides,
    training_configs,
)
from lightgan.app.commands.device import DEVICE_HELP, resolve_device
from lightgan.app.commands.parser import CommandParser
from lightgan.errors import ConfigError, LightGANError

if TYPE_CHECKING:
    import torch

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def build_parser(prog: str = "lightgan sample") -> argparse.ArgumentParser:
    parser = CommandParser(
        prog=prog,
        description="Generate samples from a checkpoint. A .png/.jpg output is a grid (for vectors a "
        "histogram, a scatter plot or a scatter matrix of the first dimensions); a .pt output is the raw tensor "
        "in data space ([-1, 1] for images). Models that take data as input get the first --n held-out samples "
        "of their training data; --data.init_args.* overrides work as in lightgan fit.",
    )
    add_checkpoint_argument(parser)
    parser.add_argument("--n", type=int, default=64, help="number of samples (default 64)")
    parser.add_argument(
        "--out",
        default="samples.png",
        help="output: a .png/.jpg grid, a .pt tensor, or a folder (DIR/) of one PNG per sample",
    )
    parser.add_argument("--seed", type=int, default=0, help="noise seed; the same seed gives the same output")
    labels = parser.add_mutually_exclusive_group()
    labels.add_argument("--label", type=int, help="class for every sample (conditional models)")
    labels.add_argument("--labels", help="comma-separated classes, one per sample or repeated to fill --n")
    parser.add_argument("--nrow", type=int, default=8, help="images per grid row (default 8)")
    parser.add_argument("--device", default="auto", help=DEVICE_HELP)
    parser.add_argument("--no-ema", action="store_true", help="use the raw generator even if an EMA copy exists")
    parser.add_argument(
        "--truncation",
        type=float,
        metavar="PSI",
        help="truncation trick, psi in (0, 1]: style-based generators pull w toward the average w (w_avg + psi "
        "(w - w_avg)); the others redraw each z component outside the central psi of the prior's mass inside it",
    )
    pictures = parser.add_mutually_exclusive_group()
    pictures.add_argument(
        "--style-mix",
        action="store_true",
        help="style-based generators: the style-mixing figure, --nrow destinations (columns) and --n / --nrow "
        "sources (rows) per block of coarse, middle and fine styles",
    )
    pictures.add_argument(
        "--noise-variation",
        action="store_true",
        help="style-based generators: per row one z with --nrow draws of the per-layer noise, then each pixel's "
        "standard deviation over 100 draws (--n / --nrow rows)",
    )
    add_config_argument(parser, ", for models that take data as input")
    return parser


def _class_list(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        values = []
    if not values:
        raise ConfigError(f"--labels {text!r}: give class numbers separated by commas, e.g. --labels 0,1,2.")
    return values


def _labels(args: argparse.Namespace, num_classes: int, conditional: bool) -> torch.Tensor | None:
    if args.label is None and args.labels is None:
        return None
    values = [args.label] if args.label is not None else _class_list(args.labels)
    if not conditional:
        raise ConfigError("--label/--labels need a conditional model; this checkpoint's generator takes no labels.")
    bad = [v for v in values if not 0 <= v < num_classes]
    if bad:
        raise ConfigError(f"label(s) {bad} out of range: this model knows classes 0..{num_classes - 1}.")
    import torch

    return torch.tensor(values, dtype=torch.long).repeat(-(-args.n // len(values)))[: args.n]


#: Samples generated per forward pass: any --n fits in memory (the output depends on it only by float rounding).
CHUNK = 256
#: A picture of more samples than this is too large to look at (and to hold): .pt or a folder take any number.
MAX_PICTURED = 10_000
#: JPEG cannot store an image wider or taller than this.
JPEG_MAX_SIDE = 65_535


def generated_chunks(
    model: Any,
    n: int,
    labels: torch.Tensor | None,
    rng: torch.Generator,
    use_ema: bool,
    conditions: dict[str, torch.Tensor] | None = None,
    truncation: float | None = None,
) -> Iterator[torch.Tensor]:
    """``model.sample(n, labels, generator=rng, truncation=truncation, **conditions)``, ``CHUNK`` samples at a
    time, on the CPU (``GANModule.sample`` runs without autograd)."""
    z, labels = model.sample_inputs(n, labels, generator=rng)
    for start in range(0, n, CHUNK):
        part = slice(start, start + CHUNK)
        inputs = {key: value[part] for key, value in (conditions or {}).items()}
        chunk_z = z[part] if z is not None else None
        chunk_labels = labels[part] if labels is not None else None
        count = min(CHUNK, n - start)
        yield model.sample(
            count, labels=chunk_labels, z=chunk_z, use_ema=use_ema, truncation=truncation, **inputs
        ).cpu()


def output_kind(out: str) -> str:
    """``folder`` (a trailing slash or an existing folder: one image file per sample), ``pt`` or ``picture``."""
    path = Path(out)
    if out.endswith(("/", os.sep)) or path.is_dir():
        return "folder"
    if path.suffix.lower() == ".pt":
        return "pt"
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return "picture"
    raise ConfigError(f"--out {out} must end in .png, .jpg or .pt, or be a folder (with a trailing /).")


def check_writable(out: Path, kind: str) -> None:
    """Say now, in one line, when the output cannot be written (a file in the way, a read-only folder)."""
    folder = out if kind == "folder" else out.parent
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    if not existing.is_dir():
        raise ConfigError(f"--out {out} cannot be written: {existing} is a file, not a folder.")
    if not os.access(existing, os.W_OK):
        raise ConfigError(f"--out {out} cannot be written: {existing} is not writable.")


def check_picture_size(n: int, nrow: int, shape: tuple[int, ...], out: Path, rows: int = 1) -> None:
    """Samples that cannot be drawn, or a grid of ``rows`` image rows per sample too large to look at or to store
    as JPEG, stop before anything is generated."""
    from lightgan.monitors.render import drawable

    if not drawable(shape):
        raise ConfigError(
            f"--out {out}: samples of shape {tuple(shape)} cannot be drawn (images (C, H, W) or vectors (D,) can): "
            f"write a tensor (--out {out.with_suffix('.pt')})."
        )
    if n > MAX_PICTURED:
        raise ConfigError(
            f"--n {n} samples make a picture too large to look at (more than {MAX_PICTURED:,}): write a tensor "
            f"(--out {out.with_suffix('.pt')}) or one image per sample (--out {out.with_suffix('')}/)."
        )
    if len(shape) != 3 or out.suffix.lower() == ".png":
        return
    height = -(-n // nrow) * rows * (shape[1] + 2) + 2
    width = min(n, nrow) * (shape[2] + 2) + 2
    if max(height, width) > JPEG_MAX_SIDE:
        raise ConfigError(
            f"A grid of {n} images, {nrow} a row, is {width}x{height} pixels, more than JPEG's {JPEG_MAX_SIDE}: "
            f"use --out {out.with_suffix('.png')}, a larger --nrow, or a folder (--out {out.with_suffix('')}/)."
        )


def gathered(chunks: Iterator[torch.Tensor], n: int) -> torch.Tensor:
    """The chunks in one tensor, filled in place: memory is the result's size, not twice it."""
    first = next(chunks)
    samples = first.new_empty((n, *first.shape[1:]))
    samples[: len(first)] = first
    start = len(first)
    for chunk in chunks:
        samples[start : start + len(chunk)] = chunk
        start += len(chunk)
    return samples


def write_folder(chunks: Iterator[torch.Tensor], folder: Path, n: int) -> None:
    """One PNG per sample, ``000000.png`` on, written as the samples are generated (memory stays flat in n)."""
    from lightgan.monitors.render import image_grid, save_png

    folder.mkdir(parents=True, exist_ok=True)
    digits, index = max(6, len(str(n - 1))), 0
    for chunk in chunks:
        for image in chunk:
            save_png(image_grid(image[None], nrow=1, padding=0), folder / f"{index:0{digits}d}.png")
            index += 1


def held_out_inputs(
    model: Any, args: argparse.Namespace, data_overrides: list[str]
) -> tuple[dict[str, torch.Tensor], torch.Tensor | None]:
    """The inputs a data-conditioned generator takes, and their targets, from the first ``--n`` held-out samples
    of its data; when that data cannot be had, a one-line error pointing to ``lightgan translate``."""
    if not model.input_conditions:
        return {}, None
    try:
        datamodule = load_datamodule(training_configs(args.ckpt, args.config), data_overrides)
        datamodule.setup("fit")
        batch = datamodule.held_out_batch(args.n)
    except (LightGANError, OSError) as exc:
        raise ConfigError(
            f"{type(model).__name__} translates images, and lightgan sample takes them from its training data, which "
            f"is not available: {str(exc).rstrip('.')}. Translate your own images with `lightgan translate "
            f"--ckpt_path {args.ckpt} --input IMAGES --out DIR`."
        ) from exc
    if len(batch["real"]) < args.n:
        print(f"the held-out data has {len(batch['real'])} samples: drawing that many, not {args.n}")
    conditions = {key: value.to(model.device) for key, value in model.data_conditions(batch).items()}
    return conditions, batch["real"].cpu()


def picture_rows(
    model: Any, conditions: dict[str, torch.Tensor], samples: torch.Tensor, real: torch.Tensor | None
) -> list[tuple[str, torch.Tensor]]:
    """``model.picture_rows``, ``CHUNK`` samples at a time (a row may run a network: CycleGAN's F), on the CPU."""
    import torch

    parts = []
    for start in range(0, len(samples), CHUNK):
        part = slice(start, start + CHUNK)
        inputs = {key: value[part] for key, value in conditions.items()}
        rows = model.picture_rows(inputs, samples[part], real[part] if real is not None else None)
        parts.append([(name, images.cpu()) for name, images in rows])
    return [(name, torch.cat([rows[i][1] for rows in parts])) for i, (name, _) in enumerate(parts[0])]


def write_style_picture(model: Any, args: argparse.Namespace, out: Path, kind: str) -> Path:
    """``--style-mix`` or ``--noise-variation``: a figure of a style-based generator (``monitors.style_mixing``)."""
    from lightgan.monitors.render import save_png
    from lightgan.monitors.style_mixing import check_style_based, noise_variation_picture, style_mixing_picture

    flag = "--style-mix" if args.style_mix else "--noise-variation"
    if kind != "picture":
        raise ConfigError(f"{flag} draws a figure: --out must end in .png or .jpg, got {out}.")
    check_style_based(model, flag)
    columns = min(args.n, args.nrow)
    rows = -(-args.n // columns)
    blocks = len(model.style_ranges()) + 1 if args.style_mix else 1
    check_picture_size(args.n, columns, model.data_shape, out, blocks)
    draw = style_mixing_picture if args.style_mix else noise_variation_picture
    picture = draw(model, rows, columns, args.seed, args.truncation, not args.no_ema)
    try:
        save_png(picture, out)
    except OSError as exc:
        raise ConfigError(f"Could not write {out}: {exc.strerror or exc}.") from exc
    print(f"wrote the {flag.removeprefix('--')} figure of {rows} x {columns} latents to {out}")
    return out


def run(args: argparse.Namespace, data_overrides: list[str] | None = None) -> Path:
    if args.n < 1:
        raise ConfigError(f"--n must be at least 1, got {args.n}.")
    if args.nrow < 1:
        raise ConfigError(f"--nrow must be at least 1 (images per grid row), got {args.nrow}.")
    args.ckpt = resolve_checkpoint(args.ckpt, args.config)
    kind, out = output_kind(args.out), Path(args.out)
    check_writable(out, kind)
    import torch

    from lightgan.core.checkpoint import load_gan
    from lightgan.monitors.render import render_samples, save_png

    model = load_gan(args.ckpt, map_location=resolve_device(args.device))
    if kind == "folder" and len(model.data_shape) != 3:
        raise ConfigError(
            f"--out {out}/ writes one image per sample, but this model makes {tuple(model.data_shape)} "
            "vectors: write a tensor (--out samples.pt) or a picture (--out samples.png)."
        )
    if kind == "picture":
        check_picture_size(args.n, args.nrow, model.data_shape, out)
    labels = _labels(args, model.num_classes, model.conditional)
    if args.truncation is not None:
        model.check_truncation(args.truncation)
    if args.style_mix or args.noise_variation:
        return write_style_picture(model, args, out, kind)
    conditions, real = held_out_inputs(model, args, data_overrides or [])
    n = len(next(iter(conditions.values()))) if conditions else args.n
    rng = torch.Generator().manual_seed(args.seed)  # noise drawn on the CPU: the same z on any device
    chunks = generated_chunks(
        model, n, labels, rng, use_ema=not args.no_ema, conditions=conditions, truncation=args.truncation
    )
    try:
        if kind == "folder":
            write_folder(chunks, out, n)
        elif kind == "pt":
            out.parent.mkdir(parents=True, exist_ok=True)
            torch.save(gathered(chunks, n), out)
        else:
            centers = model.mode_centers if hasattr(model, "mode_centers") else None
            samples = gathered(chunks, n)
            rows = picture_rows(model, conditions, samples, real) if conditions else []
            if rows:  # the rows are known now: check the grid's real height
                check_picture_size(n, args.nrow, model.data_shape, out, len(rows))
            picture = render_samples(samples, centers=centers, nrow=args.nrow, rows=rows)
            save_png(picture, out)
    except OSError as exc:
        raise ConfigError(f"Could not write {out}: {exc.strerror or exc}.") from exc
    print(f"wrote {n} samples to {out}{'/' if kind == 'folder' else ''}")
    return out


def main(argv: list[str]) -> Path:
    data_overrides, rest = split_data_overrides(argv)
    return run(build_parser().parse_args(rest), data_overrides)
