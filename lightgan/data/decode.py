"""Image files -> uint8 arrays of one size and channel count, the way every folder dataset reads them.

Each image is turned upright (EXIF), converted to the requested channels (grayscale or RGB; alpha is
laid over white, 16-bit scans are stretched to 8 bits), its centre square (or a fixed centre crop,
CelebA's 178 pixels) is cut out and resized to ``size`` with antialiasing. JPEGs are decoded at a
reduced scale when that still leaves twice the pixels needed, which makes large photos several
times faster.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm")
_GRAY_MODES = ("1", "L", "LA", "I", "F")


@dataclass(frozen=True)
class ImageSpec:
    """How every image of a dataset becomes a ``(channels, size, size)`` uint8 array.

    Args:
        size: side of the square output.
        channels: 1 (grayscale) or 3 (RGB); images of the other kind are converted.
        crop_size: side of the centred square cut out before resizing; None takes the largest one.
    """

    size: int
    channels: int
    crop_size: int | None = None

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.channels, self.size, self.size)

    def describe(self) -> str:
        """Short name used in cache file names, e.g. ``64px-rgb-crop178``."""
        crop = f"-crop{self.crop_size}" if self.crop_size else ""
        return f"{self.size}px-{'gray' if self.channels == 1 else 'rgb'}{crop}"


@dataclass(frozen=True)
class DecodedImage:
    pixels: np.ndarray  # (C, S, S) uint8
    converted: bool  # the file was RGB and grayscale was asked for, or the other way round


def find_images(folder: Path) -> list[Path]:
    """Every image file under ``folder``, in a stable order; hidden files and folders are left out.

    Hidden entries include the ``.lightgan_cache`` folder and macOS ``._*`` resource files.
    """
    found, seen = [], set()
    for current, dirs, files in os.walk(folder, followlinks=True):  # class folders are often links to elsewhere
        real = os.path.realpath(current)
        if real in seen:  # a link back up the tree
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [
            Path(current, name)
            for name in files
            if not name.startswith(".") and name.lower().endswith(IMAGE_EXTENSIONS)
        ]
    return sorted(found, key=lambda path: path.relative_to(folder).as_posix())


def _is_image_name(name: str) -> bool:
    return not name.startswith(".") and name.lower().endswith(IMAGE_EXTENSIONS)


def is_grayscale_mode(mode: str) -> bool:
    return mode in _GRAY_MODES or mode.startswith("I;")


def decode_image(path: Path, spec: ImageSpec) -> DecodedImage:
    """Read one file as ``spec`` says; raises ``OSError`` (or ``ValueError``) for unreadable files."""
    with Image.open(path) as image:
        source_gray = is_grayscale_mode(image.mode)
        full_width = image.size[0]
        _draft(image, spec)
        image.load()  # a truncated file fails here, not later
        reduction = image.size[0] / full_width
        image = ImageOps.exif_transpose(image)
        image = to_channels(image, spec.channels)
        image = image.crop(_crop_box(image.size, spec, reduction))
        image = image.resize((spec.size, spec.size), Image.Resampling.BILINEAR)
    pixels = np.asarray(image, dtype=np.uint8)
    pixels = pixels[None] if pixels.ndim == 2 else pixels.transpose(2, 0, 1)
    return DecodedImage(np.ascontiguousarray(pixels), converted=source_gray != (spec.channels == 1))


def _draft(image: Image.Image, spec: ImageSpec) -> None:
    """Let the JPEG decoder skip detail that the resize would throw away (no-op for other formats)."""
    if image.format != "JPEG":
        return
    width, height = image.size
    crop = spec.crop_size or min(width, height)
    scale = 2 * spec.size / crop  # keep at least twice the output size, so the final resize still antialiases
    mode = "L" if spec.channels == 1 else "RGB"
    image.draft(mode, (math.ceil(width * scale), math.ceil(height * scale)))


def _crop_box(size: tuple[int, int], spec: ImageSpec, reduction: float) -> tuple[int, int, int, int]:
    """The centred square to keep; a fixed ``crop_size`` shrinks with the JPEG draft ``reduction``.

    Cropping before resizing keeps pixels outside the square from bleeding into the edges.
    """
    width, height = size
    side = min(width, height)
    if spec.crop_size:
        side = min(side, max(round(spec.crop_size * reduction), 1))
    left, top = (width - side) // 2, (height - side) // 2
    return (left, top, left + side, top + side)


def to_channels(image: Image.Image, channels: int) -> Image.Image:
    """``image`` as 8-bit grayscale (1 channel) or RGB, transparency over white, as training data is read."""
    if image.mode.startswith("I") or image.mode == "F":
        image = _stretch_to_8_bits(image)
    if "A" in image.getbands() or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
    target = "L" if channels == 1 else "RGB"
    return image if image.mode == target else image.convert(target)


def _stretch_to_8_bits(image: Image.Image) -> Image.Image:
    """16-bit and float scans (some X-ray sets) use only part of their range; map min..max to 0..255."""
    values = np.asarray(image, dtype=np.float64)
    low, high = float(values.min()), float(values.max())
    scaled = (values - low) * (255.0 / (high - low)) if high > low else np.zeros_like(values)
    return Image.fromarray(scaled.round().astype(np.uint8), mode="L")
