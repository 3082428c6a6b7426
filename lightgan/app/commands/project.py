"""``lightgan project``: find the latent of your image in a trained generator, and edit it by latent arithmetic.

The image is read as training data is (upright, in the model's channels) and resized to the size
the model makes. ``--edit A-B`` (classes by number, or by name where the data names them) adds
mean(latent | A) - mean(latent | B), averaged over ``--per-class`` projected held-out images of
each class of the run's data (its ``config.yaml``, or ``--config``); a conditional model is told
the class instead: it projects the image as class B and draws it as class A.
"""

from __future__ import annotations

import argparse
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
from lightgan.errors import ConfigError

if TYPE_CHECKING:
    from torch import Tensor

    from lightgan.core.module import GANModule
    from lightgan.inspection.projection import Projection


def build_parser(prog: str = "lightgan project") -> argparse.ArgumentParser:
    parser = CommandParser(
        prog=prog,
        description="Find the latent a trained generator turns into your image (Adam on pixel MSE plus the distance "
        "of D's penultimate features, several seeded starts, an encoder's E(x) as one of them where the model has "
        "one), write target | reconstruction (| edit) as a PNG and print the distance. --data.init_args.* overrides "
        "work as in lightgan fit.",
    )
    add_checkpoint_argument(parser)
    parser.add_argument("--image", required=True, help="the image to project (PNG, JPEG, ...)")
    parser.add_argument("--out", default="projection", help="folder for projection.png and latent.pt (projection/)")
    parser.add_argument("--steps", type=int, default=500, help="Adam steps (default 500)")
    parser.add_argument("--restarts", type=int, default=4, help="seeded starts optimised together (default 4)")
    parser.add_argument("--lr", type=float, default=0.05, help="Adam's learning rate on the latent (default 0.05)")
    parser.add_argument(
        "--feature-weight", type=float, default=1.0, help="weight of D's feature distance; 0: pixels only (default 1)"
    )
    parser.add_argument(
        "--edit", help="latent arithmetic A-B: add mean(latent | class A) - mean(latent | class B), e.g. 7-9"
    )
    parser.add_argument("--per-class", type=int, default=16, help="held-out images of each --edit class (default 16)")
    parser.add_argument("--label", type=int, help="conditional models: the class of the image (default: --edit's B)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the starts")
    parser.add_argument("--device", default="auto", help=DEVICE_HELP)
    parser.add_argument("--no-ema", action="store_true", help="use the raw generator even if an EMA copy exists")
    add_config_argument(parser, " for --edit")
    return parser


def check_args(args: argparse.Namespace) -> None:
    for name, least in (("steps", 0), ("restarts", 1), ("per_class", 1)):
        if getattr(args, name) < least:
            raise ConfigError(f"--{name.replace('_', '-')} must be at least {least}, got {getattr(args, name)}.")
    if not Path(args.image).is_file():
        raise ConfigError(f"--image {args.image} does not exist: give an image file.")


def read_target(path: Path, data_shape: tuple[int, ...]) -> Tensor:
    """(1, C, H, W) in [-1, 1]: the image in the model's channels, resized to its size."""
    import numpy as np
    import torch
    from PIL import Image

    from lightgan.app.commands.translate import UNREADABLE, read_image

    channels, height, width = data_shape
    try:
        image, _ = read_image(path, channels)
    except UNREADABLE as exc:
        raise ConfigError(f"--image {path} could not be read: {exc}") from exc
    pixels = np.array(image.resize((width, height), Image.Resampling.BILINEAR), dtype=np.float32)
    pixels = pixels[None] if pixels.ndim == 2 else pixels.transpose(2, 0, 1)
    return torch.from_numpy(np.ascontiguousarray(pixels)).unsqueeze(0) / 127.5 - 1


def target_label(model: GANModule, args: argparse.Namespace, edit: tuple[int, int] | None) -> Tensor | None:
    """The class a conditional model projects the image as: --label, else --edit's B."""
    import torch

    if not model.conditional:
        if args.label is not None:
            raise ConfigError("--label is for conditional models; this checkpoint's generator takes no labels.")
        return None
    label = args.label if args.label is not None else edit[1] if edit else None
    if label is None:
        raise ConfigError(f"{type(model).__name__} is conditional: give the image's class with --label (or --edit).")
    if not 0 <= label < model.num_classes:
        raise ConfigError(f"--label {label}: this model knows classes 0 to {model.num_classes - 1}.")
    return torch.tensor([label])


def edit_direction(
    model: GANModule, datamodule: Any, classes: tuple[int, int], per_class: int, settings: dict[str, Any]
) -> Tensor:
    """mean latent of class A - that of class B, over ``per_class`` projected held-out images of each."""
    import torch

    from lightgan.data.base import labels_of
    from lightgan.inspection.projection import class_direction, per_class_indices, project

    datamodule.setup("fit")
    dataset = datamodule.val_set if datamodule.val_set is not None else datamodule.train_set
    groups = per_class_indices(labels_of(dataset), classes, per_class)
    images = datamodule.on_after_batch_transfer(dataset[torch.cat(groups)], 0)["real"]
    latents = project(model, images, **settings).latents
    return class_direction(latents[: len(groups[0])], latents[len(groups[0]) :])


def describe(found: Projection) -> str:
    how = "pixel MSE + D-feature distance" if found.used_features else f"pixel MSE only ({found.note})"
    start = ", one start from the encoder's E(x)" if found.used_encoder else ""
    return (
        f"projection in {found.space} ({how}{start}): pixel MSE {found.mse[0]:.5f} (PSNR {found.psnr[0]:.2f} dB); "
        f"a random {found.space}: pixel MSE {found.random_mse[0]:.5f} (PSNR {found.random_psnr[0]:.2f} dB)"
    )


def run(args: argparse.Namespace, data_overrides: list[str]) -> Path:
    check_args(args)
    ckpt = resolve_checkpoint(args.ckpt, args.config)
    device = resolve_device(args.device)

    import torch

    from lightgan.core.checkpoint import load_gan
    from lightgan.inspection.projection import check_projectable, parse_edit, project, render
    from lightgan.monitors.render import image_grid, save_png

    model = load_gan(ckpt, map_location=device)
    check_projectable(model)
    if len(model.data_shape) != 3:
        raise ConfigError(f"{type(model).__name__} makes samples of shape {tuple(model.data_shape)}, not images.")
    datamodule = load_datamodule(training_configs(ckpt, args.config), data_overrides) if args.edit else None
    names = tuple(getattr(datamodule, "class_names", ()) or ())
    edit = parse_edit(args.edit, datamodule.num_classes, names) if datamodule is not None else None
    label = target_label(model, args, edit)
    target = read_target(Path(args.image), tuple(model.data_shape))
    settings = dict(steps=args.steps, restarts=args.restarts, lr=args.lr, feature_weight=args.feature_weight,
                    seed=args.seed, use_ema=not args.no_ema)  # fmt: skip
    found = project(model, target, labels=label, **settings)
    print(describe(found))
    rows = [target.to(device), found.samples]
    saved = {"latent": found.latents.cpu(), "space": found.space}
    if edit is not None:
        a, b = edit
        named = f"{args.edit} (class {a} - class {b})"
        if model.conditional:
            rows.append(render(model, found.latents, torch.tensor([a]), use_ema=not args.no_ema))
            print(f"edit {named}: the projected {found.space} drawn as class {a}")
        else:
            saved["edited"] = found.latents + edit_direction(model, datamodule, edit, args.per_class, settings)
            rows.append(render(model, saved["edited"], use_ema=not args.no_ema))
            print(f"edit {named}: added the mean difference of {args.per_class} projected held-out images of each")
    out = Path(args.out)
    path = save_png(image_grid(torch.cat(rows).cpu(), nrow=len(rows)), out / "projection.png")
    torch.save(
        {key: value.cpu() if torch.is_tensor(value) else value for key, value in saved.items()}, out / "latent.pt"
    )
    print(f"wrote {path} ({' | '.join(['target', 'reconstruction', 'edit'][: len(rows)])}) and {out / 'latent.pt'}")
    return path


def main(argv: list[str]) -> Path:
    data_overrides, rest = split_data_overrides(argv)
    return run(build_parser().parse_args(rest), data_overrides)
