"""``lightgan translate``: a trained translator applied to the user's own images, one PNG per input, named after it.

Any model whose generator takes an image (``"source"`` in its ``input_conditions``: pix2pix, CycleGAN,
super-resolution, inpainting) translates a file or a folder of them. Images are read as training data
is (upright, alpha over white, in the channels the model takes). An image keeps its size when the
generator takes it (a U-Net needs sides it can halve ``depth`` times, the ResNet generator multiples
of 4; a super-resolution net takes any); the others are resized to the size the model was trained on,
and one note says how many. CycleGAN goes either way (``--direction``). Inpainting models also take a
mask: ``--mask`` (white: the hole), or else the centred square of half the side that ``Degraded`` cuts
by default. Files that cannot be read are named, skipped, and counted at the end.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps
from torch import Tensor

from lightgan.app.commands.checkpoint_arg import add_checkpoint_argument, resolve_checkpoint
from lightgan.app.commands.data_config import add_config_argument
from lightgan.app.commands.device import DEVICE_HELP, resolve_device
from lightgan.app.commands.parser import CommandParser
from lightgan.app.commands.sample import check_writable
from lightgan.core.checkpoint import load_gan
from lightgan.core.module import GANModule
from lightgan.data.base import to_unit_range
from lightgan.data.decode import IMAGE_EXTENSIONS, find_images, is_grayscale_mode, to_channels
from lightgan.data.degrade import MASK_FILL, Degradation
from lightgan.errors import ConfigError
from lightgan.monitors.render import image_grid, save_png

#: --direction -> the direction CycleGAN's ``translate`` takes.
DIRECTIONS = {"AtoB": "ab", "BtoA": "ba"}
#: What reading a damaged or foreign file raises (PIL's UnidentifiedImageError is an OSError).
UNREADABLE = (OSError, ValueError, Image.DecompressionBombError)
ACCEPTED = ", ".join(IMAGE_EXTENSIONS)


def build_parser(prog: str = "lightgan translate") -> argparse.ArgumentParser:
    parser = CommandParser(
        prog=prog,
        description="Translate your own images with a trained image-to-image model (Pix2Pix, CycleGAN, "
        "super-resolution, inpainting): one PNG per input in --out, named after it. Images the generator cannot "
        "take at their size are resized to the size it was trained on; all are converted to the channels it takes.",
    )
    add_checkpoint_argument(parser)
    parser.add_argument(
        "--input", required=True, help=f"an image file or a folder of them, searched with its subfolders ({ACCEPTED})"
    )
    parser.add_argument("--out", required=True, help="folder for the outputs (created if missing)")
    parser.add_argument(
        "--direction", choices=tuple(DIRECTIONS), help="CycleGAN only: AtoB (default: G, A -> B) or BtoA (F)"
    )
    parser.add_argument(
        "--mask",
        help="inpainting models only: one mask image (white: the hole) for every input, or a folder of masks named "
        "like the inputs (default: a centred square hole of half the side)",
    )
    parser.add_argument("--batch_size", type=int, default=16, help="images per forward pass (default 16)")
    parser.add_argument("--device", default="auto", help=DEVICE_HELP)
    parser.add_argument("--no-ema", action="store_true", help="use the raw generator even if an EMA copy exists")
    add_config_argument(parser, ", for --ckpt_path last")
    return parser


# ---------------------------------------------------------------------- files
def input_files(given: str) -> tuple[Path, list[Path]]:
    """The images to translate, and the folder their output names are taken relative to."""
    path = Path(given)
    if path.is_file():
        if not path.name.lower().endswith(IMAGE_EXTENSIONS):
            raise ConfigError(f"--input {given} is not an image file: accepted extensions are {ACCEPTED}.")
        return path.parent, [path]
    if not path.is_dir():
        raise ConfigError(f"--input {given} does not exist: give an image file or a folder of images ({ACCEPTED}).")
    files = find_images(path)
    if not files:
        raise ConfigError(f"--input {given} holds no images: looked for {ACCEPTED} files in it and its subfolders.")
    return path, files


def output_paths(root: Path, files: list[Path], out: Path) -> list[Path]:
    """``out/<the input's path under root>.png`` for each input; an output that would overwrite an input, or two
    inputs that would share one output (``a.jpg`` and ``a.png``), stop before anything is written."""
    inputs = {file.resolve(): file for file in files}
    written: dict[Path, Path] = {}
    for file in files:
        path = out / file.relative_to(root).with_suffix(".png")
        if path.resolve() in inputs:
            raise ConfigError(f"--out {out} would overwrite the input {inputs[path.resolve()]}: choose another folder.")
        if path in written:
            raise ConfigError(
                f"{written[path]} and {file} would both be written to {path}: rename one, or translate them apart."
            )
        written[path] = file
    return list(written)


# ---------------------------------------------------------------------- the model
def check_translator(model: GANModule, direction: str | None, mask: str | None) -> str | None:
    """The way a model that goes both ways (CycleGAN's ``translate``) is to go, ``ab`` or ``ba``; None for the others.
    A checkpoint that does not translate, or options it has no use for, stop with a one-line reason."""
    name = type(model).__name__
    if "source" not in model.input_conditions:
        raise ConfigError(
            f"{name} generates images from noise; it does not translate them. Draw samples with "
            "`lightgan sample --ckpt_path CKPT`."
        )
    unknown = [key for key in model.input_conditions if key not in ("source", "mask")]
    if unknown:
        raise ConfigError(f"{name} also takes {unknown} as inputs, which lightgan translate cannot give it.")
    two_way = callable(getattr(model, "translate", None))
    if direction is not None and not two_way:
        raise ConfigError(
            f"--direction {direction} picks one of CycleGAN's two generators, but {name} translates one way: "
            "leave --direction out."
        )
    if mask is not None and "mask" not in model.input_conditions:
        raise ConfigError(f"--mask gives inpainting models their holes, but {name} takes no mask: leave --mask out.")
    return DIRECTIONS[direction or "AtoB"] if two_way else None


@dataclass
class Translator:
    """The checkpoint's generator as one function of a batch, with the input and output shapes it was trained on.

    Args:
        model: a translator (see ``check_translator``).
        direction: ``ab`` or ``ba`` for a model that goes both ways (CycleGAN's ``translate``), else None.
        use_ema: run the averaged generator when the checkpoint has one.
    """

    model: GANModule
    direction: str | None
    use_ema: bool = True
    input_shape: tuple[int, ...] = field(init=False)
    output_shape: tuple[int, ...] = field(init=False)
    needs_mask: bool = field(init=False)
    sizes_taken: dict[tuple[int, int], bool] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        example = self.model.example_conditions(1).get("source")
        if example is None:
            raise ConfigError(
                f"{type(self.model).__name__} does not say what its inputs look like: it needs an "
                "example_conditions() that gives a source image."
            )
        shapes = (tuple(example.shape[1:]), tuple(self.model.data_shape))
        self.input_shape, self.output_shape = shapes[::-1] if self.direction == "ba" else shapes
        self.needs_mask = "mask" in self.model.input_conditions
        if self.input_shape[0] not in (1, 3):
            raise ConfigError(
                f"{type(self.model).__name__} takes {self.input_shape[0]}-channel inputs; lightgan translate reads "
                "grayscale (1) or RGB (3) images."
            )

    def __call__(self, conditions: dict[str, Tensor]) -> Tensor:
        if self.direction is None:
            return self.model.sample(use_ema=self.use_ema, **conditions)
        return self.model.translate(conditions["source"], self.direction, use_ema=self.use_ema)

    def takes_size(self, height: int, width: int) -> bool:
        """Whether the generator takes inputs of this size: it runs on a blank one (once per size) and makes an
        output scaled as in training. A U-Net fails on sides it cannot halve; the ResNet generator returns
        another size."""
        if (height, width) not in self.sizes_taken:
            source = torch.zeros(1, self.input_shape[0], height, width, device=self.model.device)
            blank = {"source": source, **({"mask": source[:, :1]} if self.needs_mask else {})}
            try:
                made = tuple(self(blank).shape[-2:])
            except torch.OutOfMemoryError:
                raise
            except RuntimeError:
                made = None
            (in_h, in_w), (out_h, out_w) = self.input_shape[1:], self.output_shape[1:]
            self.sizes_taken[(height, width)] = made == (height * out_h / in_h, width * out_w / in_w)
        return self.sizes_taken[(height, width)]


def model_inputs(pixels: Tensor, holes: Tensor | None) -> dict[str, Tensor]:
    """What the generator takes for (N, C, H, W) uint8 images: ``source`` in [-1, 1], and for inpainting the
    ``mask`` (1 in the hole), the hole filled with mid-grey as ``Degraded`` fills it in training."""
    if holes is None:
        return {"source": to_unit_range(pixels)}
    return {"source": to_unit_range(pixels.masked_fill(holes.bool(), MASK_FILL)), "mask": holes}


# ---------------------------------------------------------------------- reading
@dataclass
class Masks:
    """Where each input's hole comes from: one mask file for every input, a folder of masks named like the inputs
    (relative path, any image extension), or (``given`` None) ``Degraded``'s default centred square of half the
    side."""

    given: str | None
    by_name: dict[Path, Path] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.given is None:
            return
        path = Path(self.given)
        if path.is_dir():
            self.by_name = {file.relative_to(path).with_suffix(""): file for file in find_images(path)}
        elif not path.is_file():
            raise ConfigError(f"--mask {self.given} does not exist: give a mask image or a folder of masks.")

    def hole(self, relative: Path, pixels: Tensor) -> Tensor:
        """(1, H, W) float, 1 in the hole, for the (C, H, W) image at ``relative`` under the input folder."""
        height, width = pixels.shape[-2:]
        if self.given is None:
            return Degradation("mask")(pixels[None], torch.zeros(1, dtype=torch.long))["mask"][0]
        path = Path(self.given)
        if path.is_dir():
            path = self.by_name.get(relative.with_suffix(""))
            if path is None:
                raise FileNotFoundError(f"no mask named like it in {self.given}")
        with Image.open(path) as mask:
            gray = to_channels(ImageOps.exif_transpose(mask), 1).resize((width, height), Image.Resampling.NEAREST)
        return torch.from_numpy(np.asarray(gray) > 127).float()[None]


@dataclass
class Counts:
    """What happened to the inputs, for the notes at the end."""

    written: int = 0
    resized: int = 0
    converted: int = 0
    unreadable: int = 0


def read_image(path: Path, channels: int) -> tuple[Image.Image, bool]:
    """The file upright, in ``channels`` as training data is read, and whether it was of the other kind (colour
    for a grayscale model, or the reverse)."""
    with Image.open(path) as image:
        gray = is_grayscale_mode(image.mode)
        image.load()  # a truncated file fails here
        image = to_channels(ImageOps.exif_transpose(image), channels)
    return image, gray != (channels == 1)


def load(path: Path, translator: Translator, counts: Counts) -> Tensor:
    """(C, H, W) uint8 pixels of one input, at its size if the generator takes it, else at the trained size."""
    channels, height, width = translator.input_shape
    image, converted = read_image(path, channels)
    counts.converted += converted
    if not translator.takes_size(image.height, image.width):
        image = image.resize((width, height), Image.Resampling.BILINEAR)
        counts.resized += 1
    pixels = np.array(image, dtype=np.uint8)  # a copy torch may own
    return torch.from_numpy(np.ascontiguousarray(pixels[None] if pixels.ndim == 2 else pixels.transpose(2, 0, 1)))


# ---------------------------------------------------------------------- translating
@dataclass
class Item:
    """One input ready for a batch: its pixels, its hole (inpainting), where its output goes."""

    pixels: Tensor
    hole: Tensor | None
    out: Path


def batches(
    files: list[Path], outs: list[Path], root: Path, translator: Translator, masks: Masks, size: int, counts: Counts
) -> Iterator[list[Item]]:
    """Readable inputs in order, up to ``size`` of one shape at a time; unreadable ones are named and skipped."""
    batch: list[Item] = []
    for file, out in zip(files, outs, strict=True):
        try:
            pixels = load(file, translator, counts)
            hole = masks.hole(file.relative_to(root), pixels) if translator.needs_mask else None
        except UNREADABLE as exc:
            counts.unreadable += 1
            print(f"lightgan: skipped {file}: {exc}", file=sys.stderr)
            continue
        if batch and (len(batch) == size or batch[0].pixels.shape != pixels.shape):
            yield batch
            batch = []
        batch.append(Item(pixels, hole, out))
    if batch:
        yield batch


def translate_files(
    translator: Translator, root: Path, files: list[Path], outs: list[Path], masks: Masks, batch_size: int
) -> Counts:
    """Translate and write every readable input, counting on one console line."""
    counts, device = Counts(), translator.model.device
    for batch in batches(files, outs, root, translator, masks, batch_size, counts):
        pixels = torch.stack([item.pixels for item in batch]).to(device)
        holes = torch.stack([item.hole for item in batch]).to(device) if translator.needs_mask else None
        outputs = translator(model_inputs(pixels, holes)).cpu()
        for image, item in zip(outputs, batch, strict=True):
            drawn = image_grid(image[None], nrow=1, padding=0)
            save_png(drawn[..., 0] if len(image) == 1 else drawn, item.out)  # grayscale stays one channel
        counts.written += len(batch)
        print(f"\rtranslated {counts.written + counts.unreadable}/{len(files)}", end="", flush=True)
    print()
    return counts


def report(counts: Counts, translator: Translator, masks: Masks, given: str) -> None:
    """One note per kind of change made to the inputs, and the unreadable files' count."""
    channels, height, width = translator.input_shape
    if counts.resized:
        print(
            f"note: resized {counts.resized} of {counts.written} images to {height}x{width}, the size the model was "
            "trained on: the generator cannot take theirs"
        )
    if counts.converted:
        kind = "grayscale" if channels == 1 else "RGB"
        print(f"note: converted {counts.converted} images to {kind}, the channels the model takes")
    if translator.needs_mask and masks.given is None:
        print("note: no --mask: each image's hole is a centred square of half its side (Degraded's default mask)")
    if counts.unreadable and counts.written:
        print(f"lightgan: skipped {counts.unreadable} unreadable file(s), named above", file=sys.stderr)
    if not counts.written:
        raise ConfigError(f"None of the {counts.unreadable} images of --input {given} could be read (named above).")


def run(args: argparse.Namespace) -> Path:
    if args.batch_size < 1:
        raise ConfigError(f"--batch_size must be at least 1, got {args.batch_size}.")
    args.ckpt = resolve_checkpoint(args.ckpt, args.config)
    root, files = input_files(args.input)
    out = Path(args.out)
    check_writable(out, "folder")
    outs = output_paths(root, files, out)
    masks = Masks(args.mask)
    model = load_gan(args.ckpt, map_location=resolve_device(args.device))
    direction = check_translator(model, args.direction, args.mask)
    translator = Translator(model, direction, use_ema=not args.no_ema)
    try:
        counts = translate_files(translator, root, files, outs, masks, args.batch_size)
    except OSError as exc:
        raise ConfigError(f"Could not write to {out}: {exc.strerror or exc}.") from exc
    report(counts, translator, masks, args.input)
    print(f"wrote {counts.written} images to {out}/")
    return out


def main(argv: list[str]) -> Path:
    return run(build_parser().parse_args(argv))
