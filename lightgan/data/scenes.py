"""``Scenes``: procedurally drawn scenes that come with their exact per-pixel concept labels.

Each image is a sky above a ground, split by a horizon at a random height, with one to three objects
(circles, squares, upward triangles, striped squares) of random colours, sizes and places drawn over
it, later objects over earlier ones. Because every pixel is drawn by rule, its label is known exactly:
GAN dissection can be checked against ground truth, and a segmenter trained on it needs no download.
Every random choice comes from a hash of the sample's index (as ``Degraded`` draws its masks), so one
index gives the same scene in every run, on any device and in any batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from lightgan.data.base import GANDataModule, InMemoryDataset
from lightgan.data.degrade import _uniform
from lightgan.errors import ConfigError

#: The concept of each label value: the background's two, then the object kinds (kind k has label k + 2).
CONCEPTS = ("sky", "ground", "circle", "square", "triangle", "stripes")
SKY, GROUND = 0, 1
OBJECT_KINDS = len(CONCEPTS) - 2
MAX_OBJECTS = 3
#: Random numbers per object: kind, centre x and y, size, colour r g b, stripe orientation.
_PER_OBJECT = 8
#: Per scene: horizon, sky r g b, ground r g b, object count, then the objects'.
_PER_SCENE = 8 + MAX_OBJECTS * _PER_OBJECT
#: A hash stream of its own, so a ``Degraded`` copy of scenes does not cut its holes where the objects are.
_STREAM = 11
#: Scenes drawn at a time: memory stays at a few (chunk, side, side) maps.
_CHUNK = 2048


@dataclass
class SceneLayout:
    """What N scenes hold, in fractions of the image side (so one layout draws at any size).

    ``sky``/``ground``/``colour`` are RGB in 0..255; ``kind`` indexes ``CONCEPTS[2:]``; ``size`` is the
    radius (half side) of each object; only the first ``count`` of the ``MAX_OBJECTS`` objects are drawn.
    """

    horizon: Tensor  # (N,)
    sky: Tensor  # (N, 3)
    ground: Tensor  # (N, 3)
    count: Tensor  # (N,) int64 in 1..MAX_OBJECTS
    kind: Tensor  # (N, M) int64
    centre: Tensor  # (N, M, 2): x, y
    size: Tensor  # (N, M)
    colour: Tensor  # (N, M, 3)
    horizontal: Tensor  # (N, M) bool: stripes run across (else up and down)


def scene_layout(index: Tensor) -> SceneLayout:
    """The layout of the scenes ``index``, from a hash of each index alone."""
    u = _uniform(index, _STREAM, _PER_SCENE)
    objects = u[:, 8:].view(len(index), MAX_OBJECTS, _PER_OBJECT)
    low, high = torch.tensor([[60.0, 120, 180], [40, 80, 20]]), torch.tensor([[180.0, 220, 255], [160, 180, 90]])
    return SceneLayout(
        horizon=0.3 + 0.4 * u[:, 0],
        sky=low[0] + (high[0] - low[0]) * u[:, 1:4],  # light blues
        ground=low[1] + (high[1] - low[1]) * u[:, 4:7],  # greens and browns
        count=1 + (u[:, 7] * MAX_OBJECTS).long(),
        kind=(objects[..., 0] * OBJECT_KINDS).long(),
        centre=0.1 + 0.8 * objects[..., 1:3],
        size=0.1 + 0.12 * objects[..., 3],
        colour=255.0 * objects[..., 4:7],
        horizontal=objects[..., 7] < 0.5,
    )


def render_scenes(layout: SceneLayout, size: int) -> tuple[Tensor, Tensor]:
    """(N, 3, size, size) uint8 images and their (N, size, size) int64 labels (index into ``CONCEPTS``)."""
    centres = (torch.arange(size, dtype=torch.float32) + 0.5) / size  # pixel centres, as fractions
    ys, xs = centres.view(1, size, 1), centres.view(1, 1, size)
    sky = (ys < layout.horizon.view(-1, 1, 1)).expand(-1, size, size)
    labels = torch.where(sky, SKY, GROUND)
    image = torch.where(sky[:, None], layout.sky[:, :, None, None], layout.ground[:, :, None, None])
    bar = max(1, size // 16) / size  # stripe width: 2 pixels at 32, 4 at 64
    for j in range(MAX_OBJECTS):
        r = layout.size[:, j].view(-1, 1, 1)
        dx, dy = xs - layout.centre[:, j, 0].view(-1, 1, 1), ys - layout.centre[:, j, 1].view(-1, 1, 1)
        kind, inside_y = layout.kind[:, j].view(-1, 1, 1), dy.abs() <= r  # (N, 1, 1), (N, size, 1)
        square = (dx.abs() <= r) & inside_y
        circle = dx.square() + dy.square() <= r.square()
        triangle = inside_y & (2 * dx.abs() <= dy + r)  # apex up
        horizontal = layout.horizontal[:, j].view(-1, 1, 1)
        bars = torch.where(horizontal, _every_other(dy + r, bar), _every_other(dx + r, bar))
        drawn = torch.where(kind == 0, circle, torch.where(kind == 2, triangle, square & (bars | (kind == 1))))
        drawn &= (j < layout.count).view(-1, 1, 1)
        labels = torch.where(drawn, kind + 2, labels)
        image = torch.where(drawn[:, None], layout.colour[:, j, :, None, None], image)
    return image.round().to(torch.uint8), labels


def _every_other(offset: Tensor, width: float) -> Tensor:
    """Whether each offset (from a square's edge) falls in an even-numbered bar of ``width``: the painted stripes."""
    return torch.floor(offset / width) % 2 == 0


def draw_scenes(index: Tensor, size: int) -> tuple[Tensor, Tensor]:
    """The images and labels of the scenes ``index`` at ``size`` pixels (see ``render_scenes``)."""
    parts = [render_scenes(scene_layout(part), size) for part in index.cpu().split(_CHUNK)]
    return torch.cat([images for images, _ in parts]), torch.cat([labels for _, labels in parts])


class SceneSet(InMemoryDataset):
    """Scenes in memory; batches carry the label maps as ``concepts`` (int64), which GAN training ignores."""

    def __init__(self, real: Tensor, concepts: Tensor) -> None:
        super().__init__(real)
        self.concepts = concepts.to(torch.uint8)  # 8 times smaller than int64 while it waits

    def __getitem__(self, index: Tensor) -> dict[str, Tensor]:
        index = index.to(self.real.device, non_blocking=True)
        return {"real": self.real[index], "concepts": self.concepts[index].long()}

    def move_to(self, device: torch.device) -> SceneSet:
        super().move_to(device)
        self.concepts = self.concepts.to(device)
        return self


class Scenes(GANDataModule):
    """Procedural RGB scenes (sky, ground and objects) with exact concept labels: the data GAN dissection is
    checked on. Training scenes are indices ``0 .. num_samples - 1``, validation scenes the ``val_samples``
    after them, so the splits never share a scene.

    Args:
        image_size: side in pixels (32 by default; DCGAN takes 32 or 64).
        num_samples: training scenes.
        val_samples: validation (and test) scenes.
        **kwargs: ``batch_size`` and the loader options of ``GANDataModule``.
    """

    CONCEPTS = CONCEPTS

    def __init__(
        self,
        image_size: int = 32,
        num_samples: int = 10_000,
        val_samples: int = 1_000,
        batch_size: int = 64,
        **kwargs: Any,
    ) -> None:
        super().__init__(batch_size=batch_size, **kwargs)
        if image_size < 8:
            raise ConfigError(f"data.init_args.image_size must be at least 8 pixels, got {image_size}.")
        if num_samples < batch_size or val_samples < 1:
            raise ConfigError(
                f"data.init_args.num_samples ({num_samples}) must be at least batch_size ({batch_size}) "
                f"and val_samples ({val_samples}) at least 1."
            )
        self.image_size, self.num_samples, self.val_samples = image_size, num_samples, val_samples
        self.data_shape = (3, image_size, image_size)

    def setup(self, stage: str) -> None:
        if self.train_set is not None:
            return
        self.train_set = SceneSet(*draw_scenes(torch.arange(self.num_samples), self.image_size))
        held_out = torch.arange(self.num_samples, self.num_samples + self.val_samples)
        self.val_set = self.test_set = SceneSet(*draw_scenes(held_out, self.image_size))
