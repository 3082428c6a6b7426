"""Interventions on generator units (Bau et al., 2019): switch units off or on and measure what the samples
lose or gain.

Ablating sets the units' maps to 0; inserting sets them to a high value (each unit's top-quantile
activation, the threshold dissection uses) inside a box only. The effect is the change in the share of a
concept's pixels (in the box, or the whole image) over the same samples, the same noise before and after;
the same number of random other units, switched the same way in several seeded draws, is the control:
units that draw the concept should move its share far more than units picked at random. Artifact units
are found the same way, one unit at a time, by how much ablating each raises D's mean score.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import Tensor

from lightgan.core.module import GANModule
from lightgan.errors import ConfigError
from lightgan.inspection.concepts import ConceptSegmenter
from lightgan.inspection.dissection import Recording, record

#: A box as fractions of the image's width and height: left, top, right, bottom.
Box = tuple[float, float, float, float]


def parse_box(text: str, height: int, width: int) -> Box:
    """``x0,y0,x1,y1`` as fractions of the image side (all at most 1) or in pixels of a ``height`` x ``width``
    image; a box that is empty or leaves the image stops with a one-line reason."""
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        values = []
    if len(values) != 4:
        raise ConfigError(f"--where {text!r}: give a box as x0,y0,x1,y1 (fractions such as 0.5,0,1,0.5, or pixels).")
    if max(values) > 1:
        values = [values[0] / width, values[1] / height, values[2] / width, values[3] / height]
    x0, y0, x1, y1 = values
    if not (0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1):
        raise ConfigError(
            f"--where {text}: the box must lie in the {width}x{height} image with x0 < x1 and y0 < y1 "
            "(fractions in 0..1, or pixels)."
        )
    return x0, y0, x1, y1


def parse_units(text: str, count: int) -> list[int]:
    """``3,17,42``: distinct unit numbers of a layer of ``count`` units."""
    try:
        units = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        units = []
    if not units or len(set(units)) != len(units):
        raise ConfigError(f"--units {text!r}: give distinct unit numbers separated by commas, e.g. --units 3,17,42.")
    outside = [u for u in units if not 0 <= u < count]
    if outside:
        raise ConfigError(
            f"--units {text}: {outside} are not units of this layer, which has {count} (0 to {count - 1})."
        )
    return units


def box_mask(box: Box | None, height: int, width: int, device: torch.device | str = "cpu") -> Tensor:
    """(height, width) bool: the cells of a grid whose centres lie in ``box`` (all of them for None); at least
    the cell under the box's centre, so a box smaller than a coarse layer's cell still reaches one."""
    if box is None:
        return torch.ones(height, width, dtype=torch.bool, device=device)
    x0, y0, x1, y1 = box
    ys = (torch.arange(height, device=device) + 0.5) / height
    xs = (torch.arange(width, device=device) + 0.5) / width
    inside = ((ys >= y0) & (ys < y1))[:, None] & ((xs >= x0) & (xs < x1))[None]
    centre_y, centre_x = min(int((y0 + y1) / 2 * height), height - 1), min(int((x0 + x1) / 2 * width), width - 1)
    inside[centre_y, centre_x] = True
    return inside


@dataclass
class UnitEdit:
    """Sets ``units`` of a layer's maps inside ``box`` (everywhere for None): to 0 (ablation), or to ``values[u]``
    (insertion; ``values`` holds one value per unit of the layer)."""

    units: list[int]
    values: Tensor | None = None
    box: Box | None = None

    def __call__(self, maps: Tensor) -> Tensor:
        index = torch.tensor(self.units, device=maps.device)
        inside = box_mask(self.box, *maps.shape[-2:], device=maps.device)
        if self.values is None:
            target = torch.zeros((), dtype=maps.dtype, device=maps.device)
        else:
            target = self.values.to(maps.device, maps.dtype)[index].view(1, -1, 1, 1)
        edited = maps.clone()
        edited[:, index] = torch.where(inside, target, maps[:, index])
        return edited


def concept_share(labels: Tensor, concept: int, box: Box | None = None) -> float:
    """The share of the pixels in ``box`` (the whole image for None) labelled ``concept``, over all samples."""
    inside = box_mask(box, *labels.shape[-2:], device=labels.device)
    return float((labels[:, inside] == concept).double().mean())


def random_units(count: int, k: int, exclude: list[int], draws: int, seed: int) -> list[list[int]]:
    """``draws`` sets of ``k`` distinct units of ``count``, none in ``exclude``, from ``seed``."""
    chosen = set(exclude)
    pool = torch.tensor([u for u in range(count) if u not in chosen])
    if len(pool) < k:
        raise ConfigError(
            f"The random control needs {k} units besides the {len(exclude)} chosen; the layer has {count}."
        )
    rng = torch.Generator().manual_seed(seed)
    return [sorted(pool[torch.randperm(len(pool), generator=rng)[:k]].tolist()) for _ in range(draws)]


@dataclass
class Effect:
    """A concept's pixel share before and after an intervention, and the changes the random controls made."""

    concept: str
    units: list[int]
    before: float
    after: float
    control_changes: list[float] = field(default_factory=list)

    @property
    def change(self) -> float:
        return self.after - self.before

    @property
    def control_mean(self) -> float:
        return sum(self.control_changes) / len(self.control_changes)

    @property
    def control_sd(self) -> float:
        values = self.control_changes
        return math.sqrt(sum((v - self.control_mean) ** 2 for v in values) / max(len(values) - 1, 1))

    def to_dict(self) -> dict[str, object]:
        return {
            "concept": self.concept,
            "units": self.units,
            "before": self.before,
            "after": self.after,
            "change": self.change,
            "control_changes": self.control_changes,
            "control_mean": self.control_mean,
            "control_sd": self.control_sd,
        }


def measure(
    model: GANModule,
    layer: str,
    segmenter: ConceptSegmenter,
    concept: str,
    edit: UnitEdit,
    before: Recording,
    seed: int,
    draws: int,
    batch_size: int = 100,
) -> tuple[Effect, Recording]:
    """The effect of ``edit`` on ``concept``'s share in ``edit.box``, against ``before`` (a recording with labels
    of the same ``seed``), with ``draws`` random sets of as many other units as control; and the edited samples."""
    if before.labels is None:
        raise ValueError("measure needs the labels of the samples before the intervention")
    index = concept_index(segmenter, concept)
    n, count = len(before.images), before.activations.shape[1]
    after = record(model, layer, segmenter, n, seed, batch_size, edit)
    share = concept_share(before.labels, index, edit.box)
    effect = Effect(concept, edit.units, share, concept_share(after.labels, index, edit.box))
    for units in random_units(count, len(edit.units), edit.units, draws, seed):
        control = record(model, layer, segmenter, n, seed, batch_size, UnitEdit(units, edit.values, edit.box))
        effect.control_changes.append(concept_share(control.labels, index, edit.box) - share)
    return effect, after


def concept_index(segmenter: ConceptSegmenter, concept: str) -> int:
    """Which label of ``segmenter`` is ``concept``; an unknown name lists the segmenter's."""
    if concept not in segmenter.names:
        raise ConfigError(
            f"--concept {concept!r} is not one of the segmenter's concepts: {', '.join(segmenter.names)}."
        )
    return segmenter.names.index(concept)


@torch.no_grad()
def discriminator_score(model: GANModule, recording: Recording, batch_size: int = 100) -> float:
    """D's mean output over the recorded samples (higher: more real, for every loss but energy-based ones)."""
    images = recording.images.split(batch_size)
    classes = recording.classes.split(batch_size) if recording.classes is not None else [None] * len(images)
    total = 0.0
    for x, labels in zip(images, classes, strict=True):
        out = model.discriminate(x.to(model.device), None if labels is None else labels.to(model.device))
        total += float(out.double().mean()) * len(x)
    return total / len(recording.images)


def rank_artifacts(model: GANModule, layer: str, n: int, seed: int = 0, batch_size: int = 100) -> tuple[float, Tensor]:
    """D's mean score of ``n`` samples, and (U,) how much ablating each unit alone raises it: the artifact
    candidates are the units whose removal D likes most."""
    plain = record(model, layer, None, n, seed, batch_size)
    baseline = discriminator_score(model, plain, batch_size)
    gains = []
    for unit in range(plain.activations.shape[1]):
        ablated = record(model, layer, None, n, seed, batch_size, UnitEdit([unit]))
        gains.append(discriminator_score(model, ablated, batch_size) - baseline)
    return baseline, torch.tensor(gains)
