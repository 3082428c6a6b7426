"""``lightgan intervene``: switch generator units off or on and measure what the samples lose or gain.

``--ablate`` zeroes the units' maps and ``--insert`` sets them to their top-quantile activation (inside
``--where`` only, when given); ``--concept`` measures the change in that concept's pixel share against the
same number of random units (``--draws`` seeded sets), printed side by side. ``--rank-artifacts K`` ranks
every unit by how much ablating it alone raises D's mean score, ablates the top K together and reports FID
before and after, and after ablating K random units instead (``lightgan.inspection.intervention``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lightgan.app.commands.checkpoint_arg import resolve_checkpoint
from lightgan.app.commands.data_config import split_data_overrides
from lightgan.app.commands.device import resolve_device
from lightgan.app.commands.dissect import add_sampling_arguments, check_sampling_arguments
from lightgan.app.commands.parser import CommandParser
from lightgan.errors import ConfigError

if TYPE_CHECKING:
    from torch import Tensor

    from lightgan.core.module import GANModule


def build_parser(prog: str = "lightgan intervene") -> argparse.ArgumentParser:
    parser = CommandParser(
        prog=prog,
        description="Ablate or insert generator units and measure the change in a concept's pixel share against "
        "random units of the same count; or rank artifact units by how much removing each raises D's score and "
        "report FID before and after removing the top ones. Writes before.png and after.png (the same noise).",
    )
    add_sampling_arguments(parser, n=200, config_purpose=", for --ckpt_path last and --rank-artifacts' FID")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--ablate", action="store_true", help="set the units' maps to 0 (inside --where, if given)")
    mode.add_argument(
        "--insert", action="store_true", help="set the units to their --quantile activation (inside --where, if given)"
    )
    mode.add_argument(
        "--rank-artifacts",
        type=int,
        metavar="K",
        help="rank all units of --layer by the rise in D's mean score when each alone is ablated; ablate the top K",
    )
    parser.add_argument("--units", help="units to switch, e.g. 3,17,42, or top:K (the K of highest IoU with --concept)")
    parser.add_argument(
        "--where", help="a box x0,y0,x1,y1 as fractions of the image (all at most 1) or in pixels; default: everywhere"
    )
    parser.add_argument("--concept", help="the concept whose pixel share is measured (a name of --concepts)")
    parser.add_argument("--draws", type=int, default=5, help="random unit sets of the control (default 5)")
    parser.add_argument("--show", type=int, default=8, help="samples in before.png and after.png (default 8)")
    parser.add_argument(
        "--features", default="auto", help="--rank-artifacts: FID's feature space, as lightgan evaluate takes it"
    )
    parser.add_argument("--fid-n", type=int, default=1000, help="--rank-artifacts: samples per FID (default 1000)")
    return parser


def check_arguments(args: argparse.Namespace) -> None:
    """Options that do not fit together stop before the checkpoint is read."""
    check_sampling_arguments(args)
    for name in ("draws", "show"):
        if getattr(args, name) < 1:
            raise ConfigError(f"--{name} must be at least 1, got {getattr(args, name)}.")
    if args.rank_artifacts is not None:
        if args.rank_artifacts < 1:
            raise ConfigError(f"--rank-artifacts K needs K >= 1 units to ablate, got {args.rank_artifacts}.")
        if args.fid_n < 2:
            raise ConfigError(f"--fid-n must be at least 2, got {args.fid_n}.")
        given = [f"--{name}" for name in ("units", "where", "concept") if getattr(args, name) is not None]
        if given:
            raise ConfigError(f"--rank-artifacts picks its own units everywhere: leave out {', '.join(given)}.")
        return
    if args.units is None:
        raise ConfigError("--ablate and --insert need --units, e.g. --units 3,17,42 or --units top:3 --concept sky.")
    if args.units.startswith("top:") and args.concept is None:
        raise ConfigError(f"--units {args.units} picks the units of highest IoU with --concept: name the concept.")


def choose_units(args: argparse.Namespace, segmenter: Any, before: Any) -> list[int]:
    """``--units``: listed numbers, or ``top:K``, the K units of highest IoU with ``--concept`` on these samples."""
    from lightgan.inspection.dissection import dissect
    from lightgan.inspection.intervention import parse_units

    count = before.activations.shape[1]
    if not args.units.startswith("top:"):
        return parse_units(args.units, count)
    k = args.units.removeprefix("top:")
    if not k.isdigit() or not 1 <= int(k) < count:
        raise ConfigError(
            f"--units {args.units}: K must be a whole number from 1 to {count - 1} (the layer has {count})."
        )
    return dissect(before, tuple(segmenter.names), args.layer, args.quantile).top_units(args.concept, int(k))


def write_pictures(out: Path, before: Tensor, after: Tensor) -> None:
    from lightgan.monitors.render import image_grid, save_png

    save_png(image_grid(before), out / "before.png")
    save_png(image_grid(after), out / "after.png")


def intervene(args: argparse.Namespace, model: GANModule, out: Path) -> dict[str, Any]:
    """``--ablate`` / ``--insert``: the pictures, and the effect on ``--concept`` when one is named."""
    from lightgan.inspection.concepts import resolve_concepts
    from lightgan.inspection.dissection import record, unit_thresholds
    from lightgan.inspection.intervention import UnitEdit, concept_index, measure, parse_box

    segmenter = resolve_concepts(args.concepts) if args.concept is not None else None
    if segmenter is not None:
        concept_index(segmenter, args.concept)  # an unknown concept stops before anything is drawn
    before = record(model, args.layer, segmenter, args.n, args.seed, args.batch_size)
    units = choose_units(args, segmenter, before)
    box = parse_box(args.where, *model.data_shape[1:]) if args.where else None
    values = unit_thresholds(before.activations, args.quantile) if args.insert else None
    edit = UnitEdit(units, values, box)
    action = "inserted" if args.insert else "ablated"
    where = f"in {args.where}" if box else "in the whole image"
    result: dict[str, Any] = {"layer": args.layer, "action": action, "units": units, "where": args.where, "n": args.n}
    if segmenter is None:
        after = record(model, args.layer, None, args.show, args.seed, args.batch_size, edit)
        print(f"units {','.join(map(str, units))} {action} {where}; no --concept, so nothing measured")
    else:
        effect, after = measure(
            model, args.layer, segmenter, args.concept, edit, before, args.seed, args.draws, args.batch_size
        )
        result["effect"] = effect.to_dict()
        print(f"{args.concept} pixel share {where}, {args.n} samples:")
        print(
            f"  units {','.join(map(str, units))} {action}: {effect.before:.4f} -> {effect.after:.4f} "
            f"(change {effect.change:+.4f})"
        )
        print(
            f"  {len(units)} random units {action} ({args.draws} draws): change {effect.control_mean:+.4f} "
            f"+- {effect.control_sd:.4f}"
        )
    write_pictures(out, before.images[: args.show], after.images[: args.show])
    return result


def rank_artifacts(args: argparse.Namespace, model: GANModule, datamodule: Any, out: Path) -> dict[str, Any]:
    """``--rank-artifacts K``: the ranking, and FID with no unit, the top K and K random units ablated."""
    from lightgan.inspection.dissection import hooked, record
    from lightgan.inspection.intervention import UnitEdit, random_units
    from lightgan.inspection.intervention import rank_artifacts as rank_units
    from lightgan.metrics.evaluator import Evaluator

    evaluator = Evaluator(
        datamodule, ("fid",), args.fid_n, args.features, batch_size=args.batch_size, seed=args.seed, progress=False
    )
    baseline, gains = rank_units(model, args.layer, args.n, args.seed, args.batch_size)
    if args.rank_artifacts >= len(gains):
        raise ConfigError(f"--rank-artifacts {args.rank_artifacts}: the layer has {len(gains)} units; ablate fewer.")
    order = gains.argsort(descending=True).tolist()
    top = order[: args.rank_artifacts]
    control = random_units(len(gains), len(top), top, 1, args.seed)[0]
    scores = {"none": evaluator.evaluate(model)}
    for name, units in (("top", top), ("random", control)):
        with hooked(model, args.layer, UnitEdit(units)):
            scores[name] = evaluator.evaluate(model)
    fid = {name: evaluation.scores["fid"].value for name, evaluation in scores.items()}
    with (out / "artifacts.csv").open("w") as stream:
        stream.write("rank,unit,d_score_gain\n")
        stream.writelines(f"{rank},{unit},{float(gains[unit]):.6g}\n" for rank, unit in enumerate(order, 1))
    print(f"D's mean score {baseline:.4f}; the units whose ablation raises it most (of {len(gains)}):")
    for rank, unit in enumerate(top, 1):
        print(f"  {rank:>3}. unit {unit:>4}: {float(gains[unit]):+.4f}")
    basis = scores["none"].scores["fid"].basis
    print(f"FID ({args.fid_n} samples, {basis}):")
    print(
        f"  no unit ablated {fid['none']:.3f}; top {len(top)} ablated {fid['top']:.3f}; "
        f"{len(control)} random units ablated {fid['random']:.3f}"
    )
    plain = record(model, args.layer, None, args.show, args.seed, args.batch_size)
    ablated = record(model, args.layer, None, args.show, args.seed, args.batch_size, UnitEdit(top))
    write_pictures(out, plain.images, ablated.images)
    return {
        "layer": args.layer,
        "n": args.n,
        "d_score": baseline,
        "ablated": top,
        "random_units": control,
        "fid": fid,
        "fid_features": basis,
        "fid_n": args.fid_n,
    }


def run(args: argparse.Namespace, data_overrides: list[str]) -> Path:
    check_arguments(args)
    ckpt = resolve_checkpoint(args.ckpt, args.config)
    from lightgan.core.checkpoint import load_gan
    from lightgan.inspection.dissection import check_image_generator, layer_modules

    datamodule = None
    if args.rank_artifacts is not None:  # the data first: a missing config stops before the checkpoint is read
        from lightgan.app.commands.data_config import load_datamodule, training_configs

        datamodule = load_datamodule(training_configs(ckpt, args.config), data_overrides)
    model = load_gan(ckpt, map_location=resolve_device(args.device)).eval()
    check_image_generator(model)
    layer_modules(model, args.layer)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if datamodule is not None:
        result, name = rank_artifacts(args, model, datamodule, out), "artifacts.json"
    else:
        result, name = intervene(args, model, out), "effect.json"
    (out / name).write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {name}, before.png and after.png to {out}/")
    return out


def main(argv: list[str]) -> Path:
    data_overrides, rest = split_data_overrides(argv)
    return run(build_parser().parse_args(rest), data_overrides)
