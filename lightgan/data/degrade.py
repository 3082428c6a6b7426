"""``Degraded``: image pairs made from any image datamodule by degrading each image into the model's input.

The target (``real``) is the base's image; the input (``source``) is the same image turned into edges,
grayscale, a smaller copy, a masked copy, a blurred or a noisy one. Random choices (boxes, noise) come
from a hash of the sample's index, not from a generator's state: a sample is degraded the same way in
every epoch, every run, any batch order and after a resume, so validation pictures stay comparable.
Degrading runs where the base's batches are gathered (on the GPU for in-memory data).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import Tensor

from lightgan.data.base import DatasetView, DerivedDataModule, GANDataModule
from lightgan.data.loader import BatchIndexable
from lightgan.errors import ConfigError

DegradationName = Literal["edges", "grayscale", "downsample", "mask", "blur", "noise"]
MaskKind = Literal["centre", "boxes", "strokes"]
#: What masked pixels become: mid-grey, about 0 once images are scaled to [-1, 1].
MASK_FILL = 128
_LUMA = (0.299, 0.587, 0.114)  # ITU-R BT.601, PIL's convert("L")
_MASK32 = 0xFFFFFFFF
_BOXES_STREAM, _NOISE_STREAM, _STROKES_STREAM = 1, 2, 3
#: Straight segments of each free-form stroke (a stroke turns at the joints).
_STROKE_SEGMENTS = 4


@dataclass(frozen=True)
class Degradation:
    """One way of turning a batch of uint8 images into model inputs (see ``Degraded`` for the settings)."""

    name: DegradationName
    factor: int = 4
    sigma: float = 2.0
    noise_std: float = 0.1
    mask: MaskKind = "centre"
    mask_size: float = 0.5
    boxes: int = 4
    strokes: int = 4
    stroke_width: float = 0.1

    def source_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        channels, height, width = shape
        if self.name in ("edges", "grayscale"):
            return (1, height, width)
        if self.name == "downsample":
            return (channels, height // self.factor, width // self.factor)
        return shape

    def __call__(self, images: Tensor, index: Tensor) -> dict[str, Tensor]:
        """``source`` (uint8) for the (N, C, H, W) uint8 ``images`` of the samples ``index``; ``mask`` too for masks."""
        index = index.to(images.device)
        if self.name == "edges":
            return {"source": _edges(images)}
        if self.name == "grayscale":
            return {"source": _to_uint8(_luma(images.float()))}
        if self.name == "downsample":
            size = (images.shape[-2] // self.factor, images.shape[-1] // self.factor)
            small = F.interpolate(images.float(), size=size, mode="bicubic", antialias=True, align_corners=False)
            return {"source": _to_uint8(small)}
        if self.name == "mask":
            draw = self._strokes if self.mask == "strokes" else self._hole
            hole = draw(index, images.shape[-1], images.shape[-2])
            return {"source": images.masked_fill(hole.bool(), MASK_FILL), "mask": hole}
        if self.name == "blur":
            return {"source": _to_uint8(_gaussian_blur(images.float(), self.sigma))}
        noise = _normal(index, _NOISE_STREAM, images[0].numel()).view_as(images)
        return {"source": _to_uint8(images.float() + 255.0 * self.noise_std * noise)}

    def _hole(self, index: Tensor, width: int, height: int) -> Tensor:
        """(N, 1, H, W) float mask, 1 inside the hole: a centred square, or ``boxes`` squares placed by the index."""
        side_y, side_x = max(round(self.mask_size * height), 1), max(round(self.mask_size * width), 1)
        if self.mask == "centre":
            top = torch.full((len(index), 1), (height - side_y) // 2, device=index.device)
            left = torch.full((len(index), 1), (width - side_x) // 2, device=index.device)
        else:
            corners = _uniform(index, _BOXES_STREAM, 2 * self.boxes).view(len(index), self.boxes, 2)
            top = (corners[..., 0] * (height - side_y + 1)).long()
            left = (corners[..., 1] * (width - side_x + 1)).long()
        rows = torch.arange(height, device=index.device)
        cols = torch.arange(width, device=index.device)
        inside_rows = (rows >= top[..., None]) & (rows < top[..., None] + side_y)  # (N, boxes, H)
        inside_cols = (cols >= left[..., None]) & (cols < left[..., None] + side_x)  # (N, boxes, W)
        hole = (inside_rows[..., :, None] & inside_cols[..., None, :]).any(dim=1)
        return hole[:, None].float()

    def _strokes(self, index: Tensor, width: int, height: int) -> Tensor:
        """(N, 1, H, W) float mask, 1 within ``stroke_width`` / 2 of ``strokes`` free-form strokes placed by the index.

        Each stroke starts at a pixel centre (so it covers at least that pixel) and runs through
        ``_STROKE_SEGMENTS`` straight segments, each of a random direction and a length of up to
        ``mask_size`` x the side, as the brush strokes of free-form inpainting masks do.
        """
        n, side, device = len(index), max(height, width), index.device
        per_stroke = 2 + 2 * _STROKE_SEGMENTS  # start (x, y), then (direction, length) per segment
        draws = _uniform(index, _STROKES_STREAM, self.strokes * per_stroke).view(n, self.strokes, per_stroke)
        size = torch.tensor([width, height], device=device)
        direction, length = 2 * math.pi * draws[..., 2::2], draws[..., 3::2] * self.mask_size * side
        moves = torch.stack([direction.cos(), direction.sin()], -1) * length[..., None]  # (N, strokes, S, 2)
        joints = [(draws[..., :2] * size).floor() + 0.5]
        for turn in range(_STROKE_SEGMENTS):  # each joint kept in the image, so strokes stay in it
            joints.append(torch.minimum(joints[-1] + moves[..., turn, :], size).clamp_min(0))
        starts = torch.stack(joints[:-1], 2).reshape(n, -1, 2, 1, 1)  # every segment of every stroke
        moves = torch.stack(joints[1:], 2).reshape(n, -1, 2, 1, 1) - starts
        xs = torch.arange(width, device=device).view(1, 1, width) + 0.5  # pixel centres
        ys = torch.arange(height, device=device).view(1, height, 1) + 0.5
        reach = (self.stroke_width * side / 2) ** 2
        hole = torch.zeros(n, height, width, dtype=torch.bool, device=device)
        for segment in range(starts.shape[1]):  # one segment at a time: memory stays at a few (N, H, W) maps
            (ax, ay), (ux, uy) = starts[:, segment].unbind(1), moves[:, segment].unbind(1)
            dx, dy = xs - ax, ys - ay  # (N, 1, W) and (N, H, 1): from the segment's start to each pixel
            t = ((dx * ux + dy * uy) / (ux.square() + uy.square()).clamp_min(1e-12)).clamp(0, 1)  # nearest point
            hole |= (dx - t * ux).square() + (dy - t * uy).square() <= reach
        return hole[:, None].float()


def _to_uint8(pixels: Tensor) -> Tensor:
    return pixels.round().clamp_(0, 255).to(torch.uint8)


def _luma(images: Tensor) -> Tensor:
    """(N, 1, H, W) brightness of float RGB (or already grayscale) images in 0..255."""
    if images.shape[1] == 1:
        return images
    weights = torch.tensor(_LUMA, device=images.device).view(1, 3, 1, 1)
    return (images * weights).sum(dim=1, keepdim=True)


def _edges(images: Tensor) -> Tensor:
    """Sobel gradient magnitude of the brightness, each image scaled to its strongest edge; drawn as dark lines
    on white like the edge maps of pix2pix's edges2shoes and edges2handbags."""
    gray = F.pad(_luma(images.float()), (1, 1, 1, 1), mode="replicate")
    sobel_x = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]], device=images.device)
    kernels = torch.stack([sobel_x, sobel_x.T])[:, None]
    gradient = F.conv2d(gray, kernels)
    magnitude = gradient.pow(2).sum(dim=1, keepdim=True).sqrt()
    strongest = magnitude.amax(dim=(1, 2, 3), keepdim=True).clamp_min(1e-6)
    return _to_uint8(255.0 * (1.0 - magnitude / strongest))


def _gaussian_blur(images: Tensor, sigma: float) -> Tensor:
    radius = max(math.ceil(3 * sigma), 1)
    offsets = torch.arange(-radius, radius + 1, dtype=images.dtype, device=images.device)
    kernel = torch.exp(-0.5 * (offsets / sigma) ** 2)
    kernel = kernel / kernel.sum()
    channels = images.shape[1]
    padded = F.pad(images, (radius, radius, radius, radius), mode="replicate")
    rows = F.conv2d(padded, kernel.view(1, 1, 1, -1).expand(channels, 1, 1, -1), groups=channels)
    return F.conv2d(rows, kernel.view(1, 1, -1, 1).expand(channels, 1, -1, 1), groups=channels)


def _mix(x: Tensor) -> Tensor:
    """A 32-bit integer hash (int64 tensors of values below 2**32; no product exceeds 63 bits)."""
    x = (((x >> 16) ^ x) * 0x45D9F3B) & _MASK32
    x = (((x >> 16) ^ x) * 0x45D9F3B) & _MASK32
    return (x >> 16) ^ x


def _uniform(index: Tensor, stream: int, count: int) -> Tensor:
    """(N, count) numbers in [0, 1) that depend only on (sample index, stream, position), on any device."""
    start = _mix((_mix(index.long() & _MASK32) + stream) & _MASK32)
    bits = _mix((start[:, None] + torch.arange(count, device=index.device)) & _MASK32)
    return (bits >> 8).float() / float(1 << 24)  # 24 bits: exact in float32


def _normal(index: Tensor, stream: int, count: int) -> Tensor:
    """(N, count) standard normal numbers from two uniform streams (Box-Muller)."""
    u1 = 1.0 - _uniform(index, 2 * stream, count)  # in (0, 1]: the log stays finite
    u2 = _uniform(index, 2 * stream + 1, count)
    return (-2.0 * u1.log()).sqrt() * torch.cos(2.0 * math.pi * u2)


class DegradedSet(DatasetView):
    """The base's batches with ``source`` (and ``mask``) added; labels and everything else pass through."""

    def __init__(self, base: BatchIndexable, degradation: Degradation) -> None:
        super().__init__(base)
        self.base, self.degradation = base, degradation

    def __len__(self) -> int:
        return len(self.base)

    def __getitem__(self, index: Tensor) -> dict[str, Tensor]:
        batch = self.base[index]
        return {**batch, **self.degradation(batch["real"], index)}


class Degraded(DerivedDataModule):
    """Pairs for image-to-image models from any image datamodule: ``real`` is the base's image, ``source`` its
    degraded copy (uint8), ``mask`` (float, 1 in the hole) marks what ``mask`` removed; labels pass through.

    Args:
        base: the image datamodule to degrade, e.g. ``{class_path: FashionMNIST, init_args: {root: data}}``.
        degradation: ``edges`` (Sobel magnitude, dark lines on white, 1 channel), ``grayscale`` (RGB bases),
            ``downsample`` (bicubic, by ``factor``: the source is the low-resolution image), ``mask`` (a hole
            filled with mid-grey), ``blur`` (Gaussian, ``sigma`` pixels), ``noise`` (Gaussian, ``noise_std``
            of the full range).
        factor: ``downsample``'s reduction; it must divide the image size.
        sigma: ``blur``'s standard deviation in pixels.
        noise_std: ``noise``'s standard deviation as a share of the range 0..255.
        mask: ``centre`` (one centred square, context-encoder style), ``boxes`` (``boxes`` squares placed at
            random per sample) or ``strokes`` (``strokes`` free-form brush strokes drawn at random per sample).
        mask_size: side of each masked square, or the longest segment of a stroke, as a share of the image side.
        boxes: how many squares ``mask: boxes`` removes (they may overlap).
        strokes: how many strokes ``mask: strokes`` draws (they may cross).
        stroke_width: the strokes' width as a share of the image side.
        **kwargs: loader options of ``GANDataModule`` (batch_size, num_workers, seed, ...).
    """

    def __init__(
        self,
        base: GANDataModule,
        degradation: DegradationName = "edges",
        factor: int = 4,
        sigma: float = 2.0,
        noise_std: float = 0.1,
        mask: MaskKind = "centre",
        mask_size: float = 0.5,
        boxes: int = 4,
        strokes: int = 4,
        stroke_width: float = 0.1,
        **kwargs: Any,
    ) -> None:
        super().__init__(base, **kwargs)
        shape = tuple(base.data_shape)
        if len(shape) != 3:
            raise ConfigError(
                f"Degraded: the base {type(base).__name__} gives samples of shape {shape}, not images "
                "(channels, height, width). Set data.init_args.base to an image datamodule."
            )
        self.degradation = Degradation(
            degradation, factor, sigma, noise_std, mask, mask_size, boxes, strokes, stroke_width
        )
        _check(self.degradation, shape, type(base).__name__)
        self.source_shape = self.degradation.source_shape(shape)

    def derive(self, split: BatchIndexable, name: str) -> BatchIndexable:
        return DegradedSet(split, self.degradation)


def _check(degradation: Degradation, shape: tuple[int, ...], base: str) -> None:
    """Reject settings that do not fit the degradation or the base's images, naming the value to use."""
    channels, height, width = shape
    name = degradation.name
    if name not in ("edges", "grayscale", "downsample", "mask", "blur", "noise"):
        raise ConfigError(
            f"Degraded: unknown degradation {name!r}; use edges, grayscale, downsample, mask, blur or noise."
        )
    if name == "grayscale" and channels != 3:
        raise ConfigError(
            f"Degraded: degradation grayscale needs RGB images, but {base} gives {channels} channel(s). "
            "Use an RGB base (channels: 3) or another degradation."
        )
    if name == "downsample":
        _check_factor(degradation.factor, height, width)
    if name == "blur" and degradation.sigma <= 0:
        raise ConfigError(f"Degraded: data.init_args.sigma must be > 0, got {degradation.sigma}.")
    if name == "noise" and degradation.noise_std <= 0:
        raise ConfigError(f"Degraded: data.init_args.noise_std must be > 0, got {degradation.noise_std}.")
    if name == "mask":
        if degradation.mask not in ("centre", "boxes", "strokes"):
            raise ConfigError(
                f"Degraded: data.init_args.mask must be centre, boxes or strokes, got {degradation.mask!r}."
            )
        if not 0 < degradation.mask_size < 1:
            raise ConfigError(
                f"Degraded: data.init_args.mask_size must be in (0, 1), a share of the image side; "
                f"got {degradation.mask_size}."
            )
        if degradation.mask == "boxes" and degradation.boxes < 1:
            raise ConfigError(f"Degraded: data.init_args.boxes must be >= 1, got {degradation.boxes}.")
        if degradation.mask == "strokes" and degradation.strokes < 1:
            raise ConfigError(f"Degraded: data.init_args.strokes must be >= 1, got {degradation.strokes}.")
        if degradation.mask == "strokes" and not 0 < degradation.stroke_width < 1:
            raise ConfigError(
                f"Degraded: data.init_args.stroke_width must be in (0, 1), a share of the image side; "
                f"got {degradation.stroke_width}."
            )


def _check_factor(factor: int, height: int, width: int) -> None:
    if factor < 2:
        raise ConfigError(f"Degraded: data.init_args.factor must be >= 2 (a reduction), got {factor}.")
    valid = [f for f in range(2, min(height, width) + 1) if height % f == 0 and width % f == 0]
    if factor in valid:
        return
    below = [f for f in valid if f < factor]
    if below:
        hint = f"the largest valid factor below it is {below[-1]}"
    elif valid:
        hint = f"valid factors are {', '.join(map(str, valid[:6]))}"
    else:
        hint = "no factor divides it: choose another image_size for the base"
    raise ConfigError(
        f"Degraded: data.init_args.factor={factor} does not divide the image size {height}x{width}; {hint}."
    )
