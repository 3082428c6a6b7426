"""GAN dissection (Bau et al., 2019): which units of a generator layer draw which concepts.

Each unit's feature map is upsampled (bilinear) to the image and thresholded at ``t_u``, its top
``1 - quantile`` activation over all samples and places (``P(a_u > t_u) = 0.01`` in the paper); the unit
then matches concept ``c`` by IoU_{u,c} = sum_i |{a_u > t_u} & {pixels of c}| / sum_i |{a_u > t_u} | {pixels
of c}|, summed over the samples i. The quantile is taken over the feature map's own values (the
upsampled map interpolates between them). The layer is hooked where ``sample()`` runs it, in the
generator and in its averaged copy alike, so the samples are those ``lightgan sample`` draws.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lightgan.core.module import GANModule
from lightgan.errors import ConfigError
from lightgan.inspection.concepts import ConceptSegmenter
from lightgan.metrics.sources import chunks
from lightgan.monitors.render import figure_to_array, image_grid, pyplot

#: A unit matches a concept when their IoU reaches this (the issue's bar for counting units).
MATCH_IOU = 0.1
#: How the picture of the top units looks: units (rows) and their highest-activating samples (columns).
SUMMARY_UNITS, SUMMARY_SAMPLES = 8, 6
#: Brightness left outside a unit's region in the picture.
DIM = 0.25

#: Replaces a layer's output (N, U, h, w) with an edited one, as interventions do.
MapEdit = Callable[[Tensor], Tensor]


def check_image_generator(model: GANModule) -> None:
    """Dissection draws samples from noise and segments them: other models stop with a one-line reason."""
    name = type(model).__name__
    if not model.takes_noise or model.input_conditions:
        raise ConfigError(f"{name} translates its inputs; dissection looks inside generators that draw from noise.")
    if len(model.data_shape) != 3:
        raise ConfigError(f"{name} makes samples of shape {tuple(model.data_shape)}, not images to segment.")


def generator_layers(model: GANModule) -> dict[str, nn.Module]:
    """The generator's layers by the names ``print(model.generator)`` shows (``net.5``, ...)."""
    return {name: module for name, module in model.generator.named_modules() if name}


def layer_modules(model: GANModule, name: str) -> list[nn.Module]:
    """Layer ``name`` of the generator and of its averaged copy, if any; an unknown name lists the valid ones."""
    layers = generator_layers(model)
    if name not in layers:
        raise ConfigError(
            f"--layer {name!r} is not a layer of {type(model).__name__}'s generator; its layers are: "
            f"{', '.join(layers)}."
        )
    averaged = model.averaged("generator")
    return [layers[name], *([averaged.get_submodule(name)] if averaged is not None else [])]


@contextmanager
def hooked(model: GANModule, name: str, edit: MapEdit | None = None) -> Iterator[list[Tensor]]:
    """Every output of layer ``name`` while the block runs, after ``edit`` (if given) replaced it downstream."""
    outputs: list[Tensor] = []

    def hook(module: nn.Module, inputs: object, output: object) -> Tensor:
        if not isinstance(output, Tensor) or output.dim() != 4:
            shape = tuple(output.shape) if isinstance(output, Tensor) else type(output).__name__
            raise ConfigError(
                f"--layer {name} gives {shape}, not feature maps (N, C, H, W): pick a convolutional layer."
            )
        if edit is not None:
            output = edit(output)
        outputs.append(output.detach())
        return output

    handles = [module.register_forward_hook(hook) for module in layer_modules(model, name)]
    try:
        yield outputs
    finally:
        for handle in handles:
            handle.remove()


@dataclass
class Recording:
    """Samples (in [-1, 1]), the layer's maps and the samples' concept labels (on the CPU); ``classes`` are the
    labels a conditional generator drew them for."""

    images: Tensor  # (n, C, H, W)
    activations: Tensor  # (n, U, h, w)
    labels: Tensor | None  # (n, H, W)
    classes: Tensor | None


@torch.no_grad()
def record(
    model: GANModule,
    layer: str,
    segmenter: ConceptSegmenter | None,
    n: int,
    seed: int = 0,
    batch_size: int = 100,
    edit: MapEdit | None = None,
) -> Recording:
    """``n`` samples drawn from ``seed`` (as ``lightgan sample --seed`` draws them), with ``edit`` applied to the
    layer when given: the same seed gives the same noise, so an edited recording pairs with the plain one."""
    z, classes = model.sample_inputs(n, generator=torch.Generator().manual_seed(seed))
    images, maps, labels = [], [], []
    start = 0
    with hooked(model, layer, edit) as outputs:
        for size in chunks(n, batch_size):
            part = slice(start, start + size)
            start += size
            x = model.sample(size, labels=None if classes is None else classes[part], z=z[part])
            images.append(x.cpu())
            maps.append(_layer_maps(outputs, size, layer))
            if segmenter is not None:
                labels.append(segmenter(x).cpu())
    return Recording(torch.cat(images), torch.cat(maps), torch.cat(labels) if labels else None, classes)


def _layer_maps(outputs: list[Tensor], size: int, layer: str) -> Tensor:
    """The maps the layer gave for one batch of ``size`` samples (emptying ``outputs``), on the CPU."""
    maps = torch.cat(outputs).float().cpu()
    outputs.clear()
    if len(maps) != size:
        raise ConfigError(
            f"--layer {layer} ran on {len(maps)} of {size} samples (a model with several generators?): pick a "
            "layer every sample passes through."
        )
    return maps


def unit_thresholds(activations: Tensor, quantile: float) -> Tensor:
    """(U,) ``t_u``: the ``quantile`` of each unit's values over all samples and places."""
    flat = activations.transpose(0, 1).reshape(activations.shape[1], -1)
    k = min(max(int(np.ceil(quantile * flat.shape[1])), 1), flat.shape[1])
    return flat.kthvalue(k, dim=1).values


def unit_regions(activations: Tensor, thresholds: Tensor, size: tuple[int, int]) -> Tensor:
    """(n, U, H, W) bool: where each unit's map, upsampled to the image, exceeds its threshold."""
    upsampled = F.interpolate(activations, size=size, mode="bilinear", align_corners=False)
    return upsampled > thresholds.view(1, -1, 1, 1)


def concept_iou(
    activations: Tensor, thresholds: Tensor, labels: Tensor, num_concepts: int, batch_size: int = 64
) -> Tensor:
    """(U, K) IoU of every unit's region with every concept's pixels, each summed over all samples."""
    units = activations.shape[1]
    intersection = torch.zeros(units, num_concepts, dtype=torch.float64)
    unit_area = torch.zeros(units, dtype=torch.float64)
    concept_area = torch.zeros(num_concepts, dtype=torch.float64)
    for maps, truth in zip(activations.split(batch_size), labels.split(batch_size), strict=True):
        on = unit_regions(maps, thresholds, tuple(truth.shape[-2:])).flatten(2).float()  # (b, U, P)
        concept = F.one_hot(truth.flatten(1), num_concepts).float()  # (b, P, K)
        intersection += torch.einsum("bup,bpk->uk", on, concept).double()
        unit_area += on.sum((0, 2)).double()
        concept_area += concept.sum((0, 1)).double()
    union = unit_area[:, None] + concept_area[None] - intersection
    return (intersection / union.clamp_min(1)).float()


@dataclass
class Unit:
    """One unit's statistics and its best concept; ``iou`` holds its IoU with every concept."""

    unit: int
    concept: str
    best_iou: float
    threshold: float
    mean: float
    max: float
    iou: dict[str, float]


@dataclass
class Dissection:
    """Every unit of one layer, best-matching first, and the share of the samples' pixels each concept covers."""

    layer: str
    quantile: float
    n: int
    concepts: tuple[str, ...]
    concept_share: dict[str, float]
    units: list[Unit]

    def matching(self, least: float = MATCH_IOU) -> int:
        """How many units match some concept with IoU >= ``least``."""
        return sum(unit.best_iou >= least for unit in self.units)

    def top_units(self, concept: str, k: int) -> list[int]:
        """The ``k`` units of highest IoU with ``concept``."""
        return [unit.unit for unit in sorted(self.units, key=lambda unit: -unit.iou[concept])[:k]]

    def write(self, folder: Path) -> list[Path]:
        """``units.csv`` (one row per unit, ranked) and ``units.json`` (everything)."""
        folder.mkdir(parents=True, exist_ok=True)
        table, document = folder / "units.csv", folder / "units.json"
        with table.open("w", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(["rank", "unit", "concept", "iou", "threshold", "mean", "max", *self.concepts])
            for rank, unit in enumerate(self.units, 1):
                values = [unit.best_iou, unit.threshold, unit.mean, unit.max, *unit.iou.values()]
                writer.writerow([rank, unit.unit, unit.concept, *(f"{value:.6g}" for value in values)])
        document.write_text(json.dumps({**asdict(self), "matching_units": self.matching()}, indent=2) + "\n")
        return [table, document]

    def table(self, rows: int) -> str:
        """The top ``rows`` units as aligned text, for the console."""
        lines = [f"{'rank':>4} {'unit':>5}  {'concept':<12} {'IoU':>6} {'threshold':>10}"]
        for rank, unit in enumerate(self.units[:rows], 1):
            lines.append(f"{rank:>4} {unit.unit:>5}  {unit.concept:<12} {unit.best_iou:>6.3f} {unit.threshold:>10.4g}")
        return "\n".join(lines)


def dissect(recording: Recording, concepts: tuple[str, ...], layer: str, quantile: float = 0.99) -> Dissection:
    """Match every unit of the recorded layer with the concepts (``recording.labels`` index ``concepts``)."""
    if recording.labels is None:
        raise ValueError("dissect needs a recording with concept labels")
    maps = recording.activations
    thresholds = unit_thresholds(maps, quantile)
    iou = concept_iou(maps, thresholds, recording.labels, len(concepts))
    means, peaks = maps.mean((0, 2, 3)), maps.amax((0, 2, 3))
    units = [
        Unit(
            unit=u,
            concept=concepts[int(iou[u].argmax())],
            best_iou=float(iou[u].max()),
            threshold=float(thresholds[u]),
            mean=float(means[u]),
            max=float(peaks[u]),
            iou={name: float(iou[u, c]) for c, name in enumerate(concepts)},
        )
        for u in range(maps.shape[1])
    ]
    units.sort(key=lambda unit: (-unit.best_iou, unit.unit))
    share = torch.bincount(recording.labels.flatten(), minlength=len(concepts)).double() / recording.labels.numel()
    return Dissection(layer, quantile, len(maps), concepts, {c: float(share[i]) for i, c in enumerate(concepts)}, units)


def summary_picture(recording: Recording, dissection: Dissection) -> np.ndarray:
    """The best-matching units, a row each: their highest-activating samples (by the peak of the unit's map),
    bright where the unit is on (above its threshold), dimmed elsewhere."""
    plt = pyplot()
    shown = dissection.units[:SUMMARY_UNITS]
    samples = min(SUMMARY_SAMPLES, len(recording.images))
    fig, axes = plt.subplots(len(shown), 1, figsize=(1.3 * samples, 1.5 * len(shown)), squeeze=False)
    size = tuple(recording.images.shape[-2:])
    for ax, unit in zip(axes[:, 0], shown, strict=True):
        peaks = recording.activations[:, unit.unit].amax((1, 2))
        best = peaks.topk(samples).indices
        maps = recording.activations[best, unit.unit : unit.unit + 1]
        region = unit_regions(maps, torch.tensor([unit.threshold]), size)  # (samples, 1, H, W)
        images = (recording.images[best] + 1) / 2
        overlay = torch.where(region, images, DIM * images) * 2 - 1
        ax.imshow(image_grid(overlay, nrow=samples))
        title = f"{dissection.layer} unit {unit.unit}: {unit.concept} (IoU {unit.best_iou:.3f})"
        ax.set_title(title, fontsize=8, loc="left")
        ax.axis("off")
    return figure_to_array(fig)
