"""Concept segmenters: what each pixel of an image shows, the reference GAN dissection matches units against.

A segmenter is any callable with ``names`` that maps (N, C, H, W) images in [-1, 1] to (N, H, W) int64
labels indexing ``names`` (``ConceptSegmenter``). lightgan ships three that need no download:
``IntensityConcepts`` (object vs background by brightness), ``ColourBins`` (hue and brightness bins) and
``NetSegmenter``, a small fully convolutional net trained on the procedural ``Scenes`` with its exact
labels (``lightgan train-segmenter``). ``resolve_concepts`` turns a ``--concepts`` value into one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm.auto import tqdm

from lightgan import registry
from lightgan.core.safe_files import load_weights_only
from lightgan.data.scenes import Scenes
from lightgan.errors import ConfigError

CONCEPT_SPECS = (
    "scenes:PATH (a segmenter written by `lightgan train-segmenter`), intensity (Otsu per image), "
    "intensity:T (a brightness threshold in 0..1), colours, or module:callable (your own segmenter)"
)
FILE_FORMAT = "lightgan-segmenter/1"
_LUMA = (0.299, 0.587, 0.114)


@runtime_checkable
class ConceptSegmenter(Protocol):
    """Per-pixel concept labels: ``names[k]`` is the concept of label ``k``."""

    names: tuple[str, ...]

    def __call__(self, images: Tensor) -> Tensor:
        """(N, C, H, W) images in [-1, 1] -> (N, H, W) int64 labels."""
        ...


def brightness(images: Tensor) -> Tensor:
    """(N, H, W) luma in [0, 1] of images in [-1, 1] (grayscale images are their own)."""
    pixels = (images.float().clamp(-1, 1) + 1) / 2
    if pixels.shape[1] == 1:
        return pixels[:, 0]
    return torch.einsum("nchw,c->nhw", pixels[:, :3], torch.tensor(_LUMA, device=images.device))


def otsu_thresholds(values: Tensor, bins: int = 256) -> Tensor:
    """Each row's Otsu threshold of (N, P) values in [0, 1]: the cut that maximises the between-class variance."""
    index = (values.clamp(0, 1) * (bins - 1)).round().long()
    counts = torch.zeros(len(values), bins, device=values.device).scatter_add_(1, index, torch.ones_like(values))
    p = counts / values.shape[1]
    centres = torch.arange(bins, device=values.device) / (bins - 1)
    below, below_mean = p.cumsum(1), (p * centres).cumsum(1)
    total_mean = below_mean[:, -1:]
    between = (total_mean * below - below_mean).square() / (below * (1 - below))
    cut = between.nan_to_num(0.0, posinf=0.0).argmax(1)  # bins above the cut are the bright class
    return (cut.float() + 0.5) / (bins - 1)


class IntensityConcepts:
    """``object`` where a pixel is brighter than a threshold, ``background`` elsewhere (bright objects on dark
    ground: digits, clothes, X-rayed bones).

    Args:
        threshold: brightness in 0..1; None picks each image's own by Otsu's method.
    """

    names = ("background", "object")

    def __init__(self, threshold: float | None = None) -> None:
        if threshold is not None and not 0 < threshold < 1:
            raise ConfigError(f"--concepts intensity:{threshold}: the threshold is a brightness in (0, 1).")
        self.threshold = threshold

    def __call__(self, images: Tensor) -> Tensor:
        luma = brightness(images)
        if self.threshold is None:
            cut = otsu_thresholds(luma.flatten(1)).view(-1, 1, 1)
        else:
            cut = torch.tensor(self.threshold, device=images.device)
        return (luma > cut).long()


class ColourBins:
    """Each pixel's colour name: ``dark`` (value below 0.25), ``gray`` or ``light`` (saturation below 0.25,
    value below or above 0.75), else its hue's sixth of the colour circle, centred on red, yellow, green,
    cyan, blue and magenta. Grayscale images have only the first three."""

    names = ("dark", "gray", "light", "red", "yellow", "green", "cyan", "blue", "magenta")
    DARK, SATURATED = 0.25, 0.25

    def __call__(self, images: Tensor) -> Tensor:
        pixels = (images.float().clamp(-1, 1) + 1) / 2
        if pixels.shape[1] == 1:
            pixels = pixels.expand(-1, 3, -1, -1)
        r, g, b = pixels[:, :3].unbind(1)
        value, lowest = pixels[:, :3].amax(1), pixels[:, :3].amin(1)
        chroma = (value - lowest).clamp_min(1e-6)
        saturation = (value - lowest) / value.clamp_min(1e-6)
        sextant = torch.where(
            value == r, ((g - b) / chroma) % 6, torch.where(value == g, (b - r) / chroma + 2, (r - g) / chroma + 4)
        )  # hue / 60 degrees
        hue_bin = torch.floor((sextant + 0.5) % 6).long()
        grey = torch.where(value < 0.75, 1, 2)
        return torch.where(value < self.DARK, 0, torch.where(saturation < self.SATURATED, grey, 3 + hue_bin))


class SegmenterNet(nn.Module):
    """A small fully convolutional net: a full-resolution stem, a half-resolution context branch of dilated
    convolutions (about 30 pixels of view, enough to tell a circle from a square at 32 pixels), and a 1x1 head
    on both that gives per-pixel concept logits. Cheap enough to train on a CPU in minutes."""

    def __init__(self, channels: int = 3, num_concepts: int = len(Scenes.CONCEPTS), width: int = 16) -> None:
        super().__init__()
        self.channels, self.num_concepts, self.width = channels, num_concepts, width
        wide = 2 * width
        self.stem = _block(channels, width)
        self.context = nn.Sequential(
            _block(width, wide, stride=2), _block(wide, wide, dilation=2), _block(wide, wide, dilation=4)
        )
        self.head = nn.Sequential(
            nn.Conv2d(width + wide, width, 1), nn.ReLU(inplace=True), nn.Conv2d(width, num_concepts, 1)
        )

    def forward(self, x: Tensor) -> Tensor:
        near = self.stem(x)
        far = F.interpolate(self.context(near), size=near.shape[-2:], mode="bilinear", align_corners=False)
        return self.head(torch.cat([near, far], 1))


def _block(inputs: int, outputs: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    conv = nn.Conv2d(inputs, outputs, 3, stride, padding=dilation, dilation=dilation, bias=False)
    return nn.Sequential(conv, nn.BatchNorm2d(outputs), nn.ReLU(inplace=True))


@dataclass
class NetSegmenter:
    """A trained ``SegmenterNet`` as a ``ConceptSegmenter``. Images of another size are resized to the size it
    was trained at (``image_size``) and the labels back, so objects keep the scale the net knows."""

    net: SegmenterNet
    names: tuple[str, ...]
    image_size: int

    @torch.no_grad()
    def __call__(self, images: Tensor) -> Tensor:
        if images.shape[1] != self.net.channels:
            raise ConfigError(
                f"The segmenter reads {self.net.channels}-channel images, but these have {images.shape[1]}: use "
                "--concepts intensity or colours for them."
            )
        net = self.net.to(images.device).eval()
        size, trained = tuple(images.shape[-2:]), (self.image_size, self.image_size)
        x = images.float()
        if size != trained:
            x = F.interpolate(x, trained, mode="bilinear", antialias=True)
        labels = net(x).argmax(1)
        if size != trained:
            labels = F.interpolate(labels[:, None].float(), size, mode="nearest")[:, 0].long()
        return labels


@dataclass
class SegmentationScore:
    """How well predicted labels match the truth: share of pixels right, and the mean over concepts (present
    in either) of their intersection over union."""

    pixel_accuracy: float
    mean_iou: float
    iou: dict[str, float]


def segmentation_score(predicted: Tensor, truth: Tensor, names: tuple[str, ...]) -> SegmentationScore:
    k = len(names)
    confusion = torch.bincount((truth.flatten() * k + predicted.flatten()).cpu(), minlength=k * k).view(k, k)
    hits = confusion.diag().double()
    union = confusion.sum(0) + confusion.sum(1) - confusion.diag()
    iou = {name: float(hits[c] / union[c]) for c, name in enumerate(names) if union[c] > 0}
    return SegmentationScore(float(hits.sum() / confusion.sum()), sum(iou.values()) / len(iou), iou)


def train_segmenter(
    data: Scenes,
    steps: int = 2000,
    lr: float = 2e-3,
    width: int = 16,
    noise: float = 0.2,
    device: str | torch.device = "cpu",
    seed: int = 0,
    progress: bool = True,
) -> tuple[NetSegmenter, SegmentationScore]:
    """Train on ``data``'s training scenes with pixel cross-entropy (Adam, ``data.batch_size`` a step); returns
    the segmenter and its score on the validation scenes, which training never sees.

    Each training scene gets Gaussian pixel noise of a standard deviation drawn from [0, ``noise``]: scenes are
    flat colours, generated images never are, and a segmenter that never saw texture calls it stripes.
    """
    data.setup("fit")
    train, val = data.train_set, data.val_set
    torch.manual_seed(seed)
    net = SegmenterNet(3, len(Scenes.CONCEPTS), width).to(device)
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)
    rng = torch.Generator().manual_seed(seed)
    weights = _balancing_weights(train.concepts, len(Scenes.CONCEPTS)).to(device)
    net.train()
    for _ in tqdm(range(steps), desc="train-segmenter", unit="step", disable=not progress, dynamic_ncols=True):
        batch = data.on_after_batch_transfer(train[torch.randint(len(train), (data.batch_size,), generator=rng)], 0)
        x = batch["real"]
        x = x + noise * torch.rand(len(x), 1, 1, 1, generator=rng) * torch.randn(x.shape, generator=rng)
        loss = F.cross_entropy(net(x.clamp(-1, 1).to(device)), batch["concepts"].to(device), weight=weights)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
    segmenter = NetSegmenter(net.eval(), Scenes.CONCEPTS, data.image_size)
    held_out = data.on_after_batch_transfer(val[torch.arange(len(val))], 0)
    predicted = torch.cat([segmenter(part.to(device)).cpu() for part in held_out["real"].split(256)])
    return segmenter, segmentation_score(predicted, held_out["concepts"], Scenes.CONCEPTS)


def _balancing_weights(labels: Tensor, k: int) -> Tensor:
    """Class weights of 1 / sqrt(pixel share), mean 1: objects cover a few percent of the pixels each, and
    unweighted they would lose to sky and ground."""
    share = torch.bincount(labels.flatten().long().cpu(), minlength=k).double() / labels.numel()
    weights = share.clamp_min(1e-4).rsqrt()
    return (weights / weights.mean()).float()


def save_segmenter(segmenter: NetSegmenter, path: str | Path, **info: Any) -> Path:
    """Weights, what rebuilds the net, the concept names and ``info`` (scores, steps) in one file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    net = segmenter.net
    torch.save(
        {
            "format": FILE_FORMAT,
            "names": list(segmenter.names),
            "image_size": segmenter.image_size,
            "channels": net.channels,
            "width": net.width,
            "state_dict": {key: value.cpu() for key, value in net.state_dict().items()},
            "info": info,
        },
        path,
    )
    return path


def load_segmenter(path: str | Path) -> NetSegmenter:
    """The segmenter ``save_segmenter`` wrote to ``path``, read weights-only."""
    saved = load_weights_only(path, "segmenter file")
    if not isinstance(saved, dict) or saved.get("format") != FILE_FORMAT:
        raise ConfigError(f"{path} is not a segmenter file written by `lightgan train-segmenter`.")
    net = SegmenterNet(saved["channels"], len(saved["names"]), saved["width"])
    net.load_state_dict(saved["state_dict"])
    return NetSegmenter(net.eval(), tuple(saved["names"]), int(saved["image_size"]))


def resolve_concepts(spec: str) -> ConceptSegmenter:
    """The segmenter a ``--concepts`` value names (see ``CONCEPT_SPECS``)."""
    kind, _, arg = spec.partition(":")
    if kind == "scenes" and arg:
        return load_segmenter(arg)
    if kind == "intensity":
        try:
            threshold = float(arg) if arg else None
        except ValueError:
            raise ConfigError(f"--concepts {spec}: the threshold must be a number in (0, 1).") from None
        return IntensityConcepts(threshold)
    if kind == "colours" and not arg:
        return ColourBins()
    if not (kind and arg) or kind == "scenes":
        raise ConfigError(f"Unknown --concepts {spec!r}: use {CONCEPT_SPECS}.")
    try:
        found = registry.import_object(f"{kind}.{arg}")
    except ConfigError as exc:
        raise ConfigError(f"--concepts {spec}: {exc}") from None
    segmenter = found
    if callable(found) and (isinstance(found, type) or not hasattr(found, "names")):  # a class or factory makes one
        try:
            segmenter = found()
        except TypeError as exc:
            raise ConfigError(f"--concepts {spec}: making a segmenter by calling it failed: {exc}") from None
    names = getattr(segmenter, "names", None)
    if not callable(segmenter) or not names or not all(isinstance(name, str) for name in names):
        raise ConfigError(
            f"--concepts {spec} is not a segmenter: it must be callable (images -> labels) and have names, a "
            "tuple of concept names."
        )
    return segmenter
