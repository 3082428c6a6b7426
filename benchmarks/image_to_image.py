"""The image-to-image family on Fashion-MNIST, measured: each model next to the baseline it has to beat.

Trains the offline configs (``configs/<name>.yaml``) for ``--steps`` generator steps with ``--seeds``
seeds, one torch thread each (``--threads``), and measures every row of a task on the same
``--n`` held-out pairs (a subset of the datamodule's validation split drawn with seed 0):

- ``sr``: SRResNet and SRGAN (started from the SRResNet run of the same seed, the paper's recipe,
  then ``--steps`` more) against bicubic up-sampling of the low-resolution input, and SRResNet
  trained for twice ``--steps``: as many generator updates as SRGAN's in all, so that the
  comparison shows what D adds rather than what more training adds;
- ``pix2pix``: pix2pix against ``L1OnlyUNet`` (its U-Net trained on the L1 term alone, no D),
  trained through the CLI as ``--model=<this module>.L1OnlyUNet``;
- ``inpainting``: the inpainting model against the masked input itself;
- ``cyclegan``: sneakers (A, class 7) into ankle boots (B, class 9) and back, against no translation.

Paired tasks report PSNR and SSIM (torchmetrics, ``data_range=1.0``, on images mapped from [-1, 1]
to [0, 1]; PSNR from the mean squared error over all N images) and domain FID: Frechet distance of
the outputs' and the held-out targets' features in the penultimate layer of a Fashion-MNIST
classifier that the benchmark trains itself (``lightgan train-classifier``'s network, one per image
size, cached in ``<out>/classifiers``; nothing is downloaded). CycleGAN reports the share of
translations the classifier labels as the target class, the cycle reconstruction L1 (mean absolute
error in [-1, 1]) and domain FID against the target class's held-out images. Rows ``real (train
split)`` score N training images the same way: the real-vs-real FID floor and the classifier's own
accuracy (a paired model's outputs can score below that floor: each follows its own target).
The claims of the papers are printed as PASS/FAIL lines, and one picture per task (8 held-out
samples, one row of images per method) is written to ``--pictures``.

    python benchmarks/image_to_image.py --steps 20 --n 64 --out runs/i2i_smoke    # smoke test, ~5 CPU min
    python benchmarks/image_to_image.py --steps 500 --seeds 1 --out runs/benchmarks/image_to_image \
        --pictures docs/images                                                      # the README's table

Each run writes ``<out>/<task>/<method>/seed=<s>.json`` (steps, CPU and wall seconds) and its
outputs on the held-out inputs (``seed=<s>.pt``); finished runs are not trained again, so an
interrupted benchmark continues where it stopped, and tasks trained by separate processes over one
``--out`` (``--tasks sr,pix2pix`` beside ``--tasks cyclegan,inpainting``) are gathered by a last run
with every task.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from mixtures import config_path, own_argv, quiet_fit
from torch import Tensor
from torchmetrics.image import PeakSignalNoiseRatio, StructuralSimilarityIndexMeasure

from lightgan.app.commands.data_config import load_datamodule
from lightgan.core.steps import GeneratorStep
from lightgan.metrics.classifier import save_classifier, train_classifier
from lightgan.metrics.features import ClassifierFeatures, Extracted, extract
from lightgan.metrics.image_metrics import fid
from lightgan.metrics.sources import subset_indices
from lightgan.models.pix2pix import Pix2Pix
from lightgan.monitors.render import render_samples, save_png

#: Images per forward pass when translating or extracting features: memory stays bounded whatever ``--n`` is.
CHUNK = 250
#: The classes of CycleGAN's domains in its config: sneaker (A) and ankle boot (B).
SNEAKER, ANKLE_BOOT = 7, 9
#: Held-out samples in each picture.
PICTURED = 8


class L1OnlyUNet(Pix2Pix):
    """pix2pix's U-Net trained on its L1 term alone, with no discriminator: the baseline the adversarial term must beat.

    Everything else (generator, dropout, optimizer, ``l1_weight`` x the mean absolute error) is pix2pix's, so
    the two rows differ only by D.
    """

    adversarial = False

    def generator_loss(self, step: GeneratorStep) -> Tensor:
        l1 = (step.fake - step.batch["real"]).abs().mean()
        step.logs["train/g_l1"] = l1.detach()
        return self.l1_weight * l1


@dataclass(frozen=True)
class Method:
    """One trained row of a task: a config, optionally another model class or a generator to start from."""

    name: str
    config: str
    model: type | None = None
    init_from: str | None = None  # a method of the same task whose last checkpoint (same seed) G starts from
    steps_factor: int = 1  # its budget in multiples of --steps

    @property
    def slug(self) -> str:
        return re.sub(r"[^A-Za-z0-9_.=-]+", "_", self.name)


TASKS: dict[str, tuple[Method, ...]] = {
    "sr": (
        Method("SRResNet", "srresnet_fashion_mnist"),
        Method("SRResNet, 2x steps", "srresnet_fashion_mnist", steps_factor=2),
        Method("SRGAN", "srgan_fashion_mnist", init_from="SRResNet"),
    ),
    "pix2pix": (
        Method("L1-only U-Net", "pix2pix_fashion_mnist_edges", model=L1OnlyUNet),
        Method("pix2pix", "pix2pix_fashion_mnist_edges"),
    ),
    "inpainting": (Method("inpainting", "inpainting_fashion_mnist"),),
    "cyclegan": (Method("CycleGAN", "cyclegan_fashion_mnist_sneakers_boots"),),
}


# ---------------------------------------------------------------------------------------------- held-out data
def _subset(datamodule: Any, dataset: Any, n: int) -> dict[str, Tensor]:
    """The first ``n`` of a seeded subset of ``dataset`` (all of it when smaller), in data space."""
    return datamodule.on_after_batch_transfer(dataset[subset_indices(len(dataset), n, 0)], 0)


def held_out(task: str, n: int, data_overrides: list[str]) -> tuple[Any, dict[str, Tensor]]:
    """The task's datamodule and the images every row is measured on (and ``floor``: training images).

    Paired tasks: ``source`` (and ``mask``), ``target``, ``floor``. CycleGAN: ``a`` and ``b`` (held-out
    sneakers and boots, drawn apart: the domains are unpaired), ``floor_a``, ``floor_b``.
    """
    datamodule = load_datamodule([config_path(TASKS[task][0].config)], data_overrides)
    datamodule.setup("fit")
    val, train = datamodule.val_set, datamodule.train_set
    if task == "cyclegan":
        return datamodule, {
            "a": _subset(datamodule, val.source, n)["real"],
            "b": _subset(datamodule, val.target, n)["real"],
            "floor_a": _subset(datamodule, train.source, n)["real"],
            "floor_b": _subset(datamodule, train.target, n)["real"],
        }
    pairs = _subset(datamodule, val, n)
    conditions = {key: pairs[key] for key in ("source", "mask") if key in pairs}
    return datamodule, {**conditions, "target": pairs["real"], "floor": _subset(datamodule, train, n)["real"]}


def chunked(fn: Callable[..., Tensor], *tensors: Tensor) -> Tensor:
    """``fn`` applied to ``CHUNK`` images (of each tensor) at a time, the results concatenated."""
    return torch.cat([fn(*parts) for parts in zip(*(t.split(CHUNK) for t in tensors), strict=True)])


@torch.no_grad()
def translations(model: Any, task: str, held: dict[str, Tensor]) -> dict[str, Tensor]:
    """A trained model's outputs on the held-out inputs (CycleGAN: both directions and both cycles)."""
    if task == "cyclegan":
        ab = chunked(lambda x: model.translate(x, "ab"), held["a"])
        ba = chunked(lambda x: model.translate(x, "ba"), held["b"])
        return {
            "G(A)": ab,
            "F(G(A))": chunked(lambda x: model.translate(x, "ba"), ab),
            "F(B)": ba,
            "G(F(B))": chunked(lambda x: model.translate(x, "ab"), ba),
        }
    keys = model.input_conditions
    outputs = chunked(lambda *parts: model.sample(**dict(zip(keys, parts, strict=True))), *(held[k] for k in keys))
    return {"output": outputs}


def bicubic(source: Tensor, size: tuple[int, ...] | torch.Size) -> Tensor:
    """Bicubic up-sampling of low-resolution images to ``size``, clipped to the images' range [-1, 1]."""
    return F.interpolate(source, size=size, mode="bicubic", align_corners=False).clamp(-1, 1)


# ---------------------------------------------------------------------------------------------- measures
def unit_range(images: Tensor) -> Tensor:
    """[-1, 1] -> [0, 1], what ``data_range=1.0`` assumes."""
    return (images.float().clamp(-1, 1) + 1) / 2


def psnr(output: Tensor, target: Tensor) -> float:
    """torchmetrics' PSNR in dB over all the images at once: 10 log10(1 / MSE) in [0, 1]."""
    return float(PeakSignalNoiseRatio(data_range=1.0)(unit_range(output), unit_range(target)))


def ssim(output: Tensor, target: Tensor) -> float:
    """torchmetrics' SSIM (Gaussian window of 11 pixels), the mean over images."""
    return float(StructuralSimilarityIndexMeasure(data_range=1.0)(unit_range(output), unit_range(target)))


def share_labelled(logits: Tensor, label: int) -> float:
    """The share of images whose most likely class is ``label``."""
    return float((logits.argmax(dim=1) == label).float().mean())


def cycle_l1(reconstructed: Tensor, original: Tensor) -> float:
    """Mean absolute error of a cycle's reconstruction, in the images' [-1, 1] (the scale of CycleGAN's loss)."""
    return float((reconstructed.float() - original.float()).abs().mean())


class Domain:
    """A trained Fashion-MNIST classifier's view of images: penultimate features for FID, logits for labels."""

    def __init__(self, path: Path) -> None:
        self.extractor = ClassifierFeatures(path)

    def read(self, images: Tensor) -> Extracted:
        batches = ({"real": part} for part in images.split(CHUNK))
        return extract(batches, len(images), extractor=self.extractor, progress=False)

    def fid(self, fake: Tensor, real: Tensor) -> float:
        return fid(self.read(real).features, self.read(fake).features)

    def describe(self) -> str:
        info = self.extractor.info
        return f"{self.extractor.path.name} ({info['epochs']} epoch(s), validation accuracy {info['val_accuracy']:.3f})"


def classifier_for(base: Any, out: Path, epochs: int) -> Path:
    """The classifier of labelled data (a task's base data) at its image size: trained once (seed 0), then read
    from ``out``."""
    _, height, width = base.data_shape
    path = out / "classifiers" / f"{type(base).__name__}_{height}x{width}_{epochs}ep.pt"
    if not path.is_file():
        print(f"training the domain classifier {path.name} ({epochs} epoch(s))", flush=True)
        started = time.process_time()
        classifier, accuracy = train_classifier(base, epochs=epochs, seed=0, progress=False)
        save_classifier(
            classifier,
            path,
            data=type(base).__name__,
            val_accuracy=accuracy,
            epochs=epochs,
            cpu_s=round(time.process_time() - started, 1),
        )
    return path


def paired_scores(output: Tensor, target: Tensor, domain: Domain) -> dict[str, float]:
    return {"psnr": psnr(output, target), "ssim": ssim(output, target), "fid": domain.fid(output, target)}


def cycle_scores(
    made: Tensor, reconstructed: Tensor | None, original: Tensor, real: Tensor, label: int, domain: Domain
) -> dict[str, float]:
    """Share labelled ``label`` and domain FID of ``made`` against the target domain's ``real`` images, and the
    cycle L1 of ``reconstructed`` against ``original`` (NaN for rows that translate nothing)."""
    return {
        "share": share_labelled(domain.read(made).logits, label),
        "cycle_l1": math.nan if reconstructed is None else cycle_l1(reconstructed, original),
        "fid": domain.fid(made, real),
    }


# ---------------------------------------------------------------------------------------------- runs
def run_file(out: Path, task: str, method: Method, seed: int, suffix: str) -> Path:
    return out / task / method.slug / f"seed={seed}{suffix}"


def cached_record(path: Path, steps: int, options: dict[str, Any]) -> dict[str, Any] | None:
    """A finished run of ``steps`` steps with the same held-out set and overrides, if one was written before."""
    if not path.is_file() or not path.with_suffix(".pt").is_file():
        return None
    record = json.loads(path.read_text())
    same = [record.get(key) for key in ("steps", "n", "overrides")] == [steps, options["n"], options["set"]]
    return record if same else None


def train(task: str, method: Method, seed: int, held: dict[str, Tensor], options: dict[str, Any]) -> dict[str, Any]:
    """Train one method with one seed through ``lightgan fit`` in this process; write its record and outputs."""
    from lightgan.app.cli import run_lightning

    out, steps = Path(options["out"]), options["steps"] * method.steps_factor
    record_path = run_file(out, task, method, seed, ".json")
    run_dir = record_path.with_suffix("")
    if run_dir.exists():  # a run stopped before its record was written: train it again from the start
        shutil.rmtree(run_dir)
    extra = [f"--model={method.model.__module__}.{method.model.__qualname__}"] if method.model else []
    if method.init_from:
        start = next(m for m in TASKS[task] if m.name == method.init_from)
        checkpoint = json.loads(run_file(out, task, start, seed, ".json").read_text())["checkpoint"]
        extra.append(f"--model.init_args.init_generator={checkpoint}")
    argv = [
        "fit",
        f"--config={config_path(method.config)}",
        *extra,
        *(f"--{item}" for item in options["set"]),
        *quiet_fit(seed, steps, run_dir),
    ]
    print(f"training {task}: {method.name}, seed {seed}, {steps:,} steps", flush=True)
    started, cpu_started = time.perf_counter(), time.process_time()
    with own_argv():
        cli = run_lightning(argv)
    wall_s, cpu_s = time.perf_counter() - started, time.process_time() - cpu_started
    torch.save(translations(cli.model, task, held), record_path.with_suffix(".pt"))
    record = {
        "task": task,
        "method": method.name,
        "config": method.config,
        "seed": seed,
        "steps": cli.trainer.global_step,
        "n": options["n"],
        "overrides": options["set"],
        "threads": torch.get_num_threads(),
        "wall_s": round(wall_s, 1),
        "cpu_s": round(cpu_s, 1),
        "checkpoint": str(cli.run_dir / "checkpoints" / "last.ckpt"),
    }
    record_path.write_text(json.dumps(record, indent=2))
    return record


# ---------------------------------------------------------------------------------------------- table
@dataclass
class Row:
    """One line of a task's table: scores per seed (one set for baselines) and the runs' records."""

    task: str
    name: str
    scores: list[dict[str, float]]
    records: list[dict[str, Any]] = field(default_factory=list)

    def mean(self, key: str) -> float:
        return statistics.fmean(s[key] for s in self.scores)

    def cell(self, key: str, digits: int, scale: float = 1.0) -> str:
        values = [scale * s[key] for s in self.scores]
        if any(math.isnan(v) for v in values):
            return "-"
        text = f"{statistics.fmean(values):.{digits}f}"
        if len(values) > 1:
            text += f" ± {statistics.stdev(values) / math.sqrt(len(values)):.{digits}f}"
        return text

    def budget(self) -> list[str]:
        """Steps and mean CPU seconds of training; '-' for rows that train nothing."""
        if not self.records:
            return ["-", "-"]
        steps = self.records[0]["steps"]
        return [f"{steps:,}", f"{statistics.fmean(r['cpu_s'] for r in self.records):,.0f}"]


def markdown(header: list[str], lines: list[list[str]]) -> str:
    return "\n".join(
        ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + ["| " + " | ".join(c) + " |" for c in lines]
    )


def paired_table(rows: list[Row]) -> str:
    header = ["task", "method", "PSNR dB", "SSIM", "domain FID", "steps", "CPU s / run"]
    return markdown(
        header, [[r.task, r.name, r.cell("psnr", 2), r.cell("ssim", 3), r.cell("fid", 2), *r.budget()] for r in rows]
    )


def cycle_table(rows: list[Row]) -> str:
    header = ["direction", "images", "labelled as the target class %", "cycle L1", "domain FID", "steps", "CPU s / run"]
    lines = []
    for r in rows:
        direction, _, images = r.name.partition(": ")
        lines.append([direction, images, r.cell("share", 1, 100), r.cell("cycle_l1", 3), r.cell("fid", 2), *r.budget()])
    return markdown(header, lines)


def claims(rows: dict[str, Row]) -> list[str]:
    """The papers' claims this budget can check, as PASS/FAIL lines (for the tasks that ran)."""
    checks = [
        ("SRGAN beats SRResNet on domain FID", "SRGAN", "SRResNet", "fid", -1),
        ("SRGAN beats SRResNet trained as many steps in all on domain FID", "SRGAN", "SRResNet, 2x steps", "fid", -1),
        ("SRGAN beats bicubic up-sampling on PSNR", "SRGAN", "bicubic", "psnr", 1),
        ("pix2pix beats the L1-only U-Net on domain FID", "pix2pix", "L1-only U-Net", "fid", -1),
    ]
    lines = []
    for claim, model, baseline, key, better in checks:
        if model in rows and baseline in rows:
            ours, theirs = rows[model].mean(key), rows[baseline].mean(key)
            verdict = "PASS" if better * (ours - theirs) > 0 else "FAIL"
            lines.append(f"{verdict}: {claim} ({model} {ours:.3f} vs {baseline} {theirs:.3f} {key})")
    return lines


# ---------------------------------------------------------------------------------------------- one task
def measure_task(
    task: str, args: argparse.Namespace, options: dict[str, Any]
) -> tuple[list[Row], dict[str, Tensor], str]:
    """Train (or read) every method of ``task`` and score it and its baselines: the table's rows, the picture's
    rows and which classifier measured them."""
    out = Path(options["out"])
    data_overrides = [f"--{item}" for item in options["set"] if item.startswith("data.")]
    datamodule, held = held_out(task, args.n, data_overrides)
    domain = Domain(classifier_for(datamodule.base, out, args.classifier_epochs))
    outputs: dict[str, list[dict[str, Tensor]]] = {}
    records: dict[str, list[dict[str, Any]]] = {}
    for method in TASKS[task]:
        for seed in range(args.seeds):
            steps = options["steps"] * method.steps_factor
            record = cached_record(run_file(out, task, method, seed, ".json"), steps, options)
            if record is None:
                record = train(task, method, seed, held, options)
            records.setdefault(method.name, []).append(record)
            made = torch.load(run_file(out, task, method, seed, ".pt"), weights_only=True)
            outputs.setdefault(method.name, []).append(made)
    if task == "cyclegan":
        return *cycle_rows(held, outputs, records, domain), domain.describe()
    return *paired_rows(task, held, outputs, records, domain), domain.describe()


def paired_rows(
    task: str,
    held: dict[str, Tensor],
    outputs: dict[str, list[dict[str, Tensor]]],
    records: dict[str, list[dict[str, Any]]],
    domain: Domain,
) -> tuple[list[Row], dict[str, Tensor]]:
    target = held["target"]
    rows, pictured = [], {"input": held["source"][:PICTURED]}
    if task == "sr":
        rows.append(Row(task, "bicubic", [paired_scores(bicubic(held["source"], target.shape[-2:]), target, domain)]))
        pictured["bicubic"] = bicubic(held["source"][:PICTURED], target.shape[-2:])
    if task == "inpainting":  # the picture's first row already shows it
        rows.append(Row(task, "masked input", [paired_scores(held["source"], target, domain)]))
    for name, made in outputs.items():
        rows.append(Row(task, name, [paired_scores(m["output"], target, domain) for m in made], records[name]))
        pictured[name] = made[0]["output"][:PICTURED]
    rows.append(
        Row(
            task, "real (train split)", [{"psnr": math.nan, "ssim": math.nan, "fid": domain.fid(held["floor"], target)}]
        )
    )
    pictured["target"] = target[:PICTURED]
    return rows, pictured


def cycle_rows(
    held: dict[str, Tensor],
    outputs: dict[str, list[dict[str, Tensor]]],
    records: dict[str, list[dict[str, Any]]],
    domain: Domain,
) -> tuple[list[Row], dict[str, Tensor]]:
    a, b = held["a"], held["b"]
    made, runs = outputs["CycleGAN"], records["CycleGAN"]
    rows = [
        Row(
            "cyclegan",
            "A->B: G(A)",
            [cycle_scores(m["G(A)"], m["F(G(A))"], a, b, ANKLE_BOOT, domain) for m in made],
            runs,
        ),
        Row("cyclegan", "A->B: A itself (no translation)", [cycle_scores(a, None, a, b, ANKLE_BOOT, domain)]),
        Row("cyclegan", "A->B: real B (train split)", [cycle_scores(held["floor_b"], None, b, b, ANKLE_BOOT, domain)]),
        Row(
            "cyclegan", "B->A: F(B)", [cycle_scores(m["F(B)"], m["G(F(B))"], b, a, SNEAKER, domain) for m in made], runs
        ),
        Row("cyclegan", "B->A: B itself (no translation)", [cycle_scores(b, None, b, a, SNEAKER, domain)]),
        Row("cyclegan", "B->A: real A (train split)", [cycle_scores(held["floor_a"], None, a, a, SNEAKER, domain)]),
    ]
    first = made[0]
    pictured = {
        "A": a[:PICTURED],
        "G(A)": first["G(A)"][:PICTURED],
        "F(G(A))": first["F(G(A))"][:PICTURED],
        "B": b[:PICTURED],
        "F(B)": first["F(B)"][:PICTURED],
        "G(F(B))": first["G(F(B))"][:PICTURED],
    }
    return rows, pictured


def draw(pictured: dict[str, Tensor], path: Path) -> Path:
    """One row per entry, in order, of as many images as every entry has (``PICTURED`` unless a split is smaller);
    low-resolution inputs are enlarged with square pixels."""
    shown = min(len(images) for images in pictured.values())
    rows = [(name, images[:shown]) for name, images in pictured.items()]
    return save_png(render_samples(rows[-1][1], rows=rows, nrow=shown), path)


# ---------------------------------------------------------------------------------------------- main
def task_list(text: str) -> list[str]:
    tasks = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [t for t in tasks if t not in TASKS]
    if unknown or not tasks:
        raise argparse.ArgumentTypeError(f"unknown task(s) {unknown or text!r}: choose from {', '.join(TASKS)}")
    return tasks


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=task_list, default=list(TASKS), help=f"comma-separated: {','.join(TASKS)}")
    parser.add_argument("--steps", type=int, default=1000, help="generator steps per run (default 1000)")
    parser.add_argument("--seeds", type=int, default=1, help="seeds per method: 0..S-1 (default 1)")
    parser.add_argument("--n", type=int, default=500, help="held-out pairs every row is measured on (default 500)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--classifier-epochs", type=int, default=1, help="epochs of the domain classifier (default 1)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override for every run")
    parser.add_argument("--out", default="runs/benchmarks/image_to_image", help="where runs and results go")
    parser.add_argument("--pictures", help="folder of the pictures (default: <out>/pictures)")
    return parser


def main(argv: list[str] | None = None) -> dict[str, list[Row]]:
    args = build_parser().parse_args(argv)
    torch.set_num_threads(args.threads)
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    options = {"steps": args.steps, "n": args.n, "set": args.set, "out": str(out)}
    pictures = Path(args.pictures) if args.pictures else out / "pictures"
    tables: dict[str, list[Row]] = {}
    classifiers: dict[str, str] = {}
    for task in args.tasks:
        tables[task], pictured, classifiers[task] = measure_task(task, args, options)
        print(f"wrote {draw(pictured, pictures / f'image_to_image_{task}.png')}", flush=True)
    paired = [row for task, rows in tables.items() if task != "cyclegan" for row in rows]
    parts = [
        f"Budget: {args.steps:,} generator steps per run, {args.seeds} seed(s), {args.threads} torch thread(s); "
        f"{args.n:,} held-out pairs per task; domain classifiers: {'; '.join(dict.fromkeys(classifiers.values()))}."
    ]
    parts += [
        f"{m.name} starts from the generator of the {m.init_from} run of the same seed (the paper's recipe): its "
        f"steps come on top of {m.init_from}'s."
        for task in tables
        for m in TASKS[task]
        if m.init_from
    ]
    if paired:
        parts.append(paired_table(paired))
    if "cyclegan" in tables:
        parts.append("CycleGAN, sneakers (A) <-> ankle boots (B):\n\n" + cycle_table(tables["cyclegan"]))
    verdicts = claims({row.name: row for rows in tables.values() for row in rows})
    if verdicts:
        parts.append("\n".join(verdicts))
    summary = "\n\n".join(parts)
    print(f"\n{summary}")
    (out / "summary.md").write_text(summary + "\n")
    return tables


if __name__ == "__main__":
    main()
