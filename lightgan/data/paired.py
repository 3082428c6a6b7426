"""``PairedImages``: aligned image pairs (A, B) from image files, for image-to-image models such as pix2pix.

Two layouts:

- pix2pix's own: ``root/train/``, ``root/val/``, ``root/test/`` of images holding A and B side by side
  (width 2W; facades, maps, cityscapes, edges2shoes ...). The halves are written once as PNG files
  (``root/.lightgan_cache/halves``, rewritten when an image changes), so both sides take the same
  decoding, caching and unreadable-file path as every image folder.
- two folders of the same file names (any extensions): ``root/A/`` and ``root/B/`` (or ``a_dir`` and
  ``b_dir``), each optionally split into ``train/``, ``val/``, ``test/`` like the input of pix2pix's
  ``combine_A_and_B.py``.

Batches are ``{"real": target, "source": input}``, uint8 until they reach the device; ``direction``
says which side is the input. Both sides are cut to their centred square and resized to ``image_size``,
so sides of different resolution pair up, while sides of different aspect ratio (whose squares would
not show the same content) are rejected.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from lightning.pytorch.utilities import rank_zero_info, rank_zero_warn
from PIL import Image, ImageOps
from torch import Tensor

from lightgan.data.base import DatasetView, GANDataModule, InMemoryDataset, hold_out
from lightgan.data.cache import BadImagePolicy, DecodedSet, MemmapImages
from lightgan.data.decode import IMAGE_EXTENSIONS, find_images
from lightgan.data.image_files import (
    CACHE_FOLDER,
    IN_MEMORY_LIMIT_BYTES,
    TEST,
    TRAIN,
    VALIDATION,
    ImageFilesDataModule,
    ImageList,
    user_cache_dir,
    writable_folder,
)
from lightgan.data.loader import BatchIndexable
from lightgan.errors import ConfigError, DatasetError, DatasetNotFoundError

Direction = Literal["AtoB", "BtoA"]
SPLIT_FOLDERS = {"train": TRAIN, "val": VALIDATION, "test": TEST}
_PNG_MODES = ("1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA")
_SHOWN = 3  # names listed in an error about unmatched files


class ImageFileList(ImageFilesDataModule):
    """Decodes and caches a given list of image files the way every image-folder dataset does; the datasets of
    two domains decode each side with one (not a datamodule to train on)."""

    def __init__(self, name: str, **options: Any) -> None:
        super().__init__(**options)
        self.name = name
        self.files: list[Path] = []

    @property
    def dataset_name(self) -> str:
        return self.name

    def holds_dataset(self, folder: Path) -> bool:
        return folder.is_dir()

    def list_images(self, folder: Path) -> ImageList:
        return ImageList(self.files)

    def decode(self, folder: Path, files: list[Path]) -> DecodedSet:
        """The decoded ``files`` (all below ``folder``, where the cache goes): from the cache when it is current."""
        self.root, self.files, self.decoded = folder, files, None
        return self._decode()

    def rows(self, rows: Tensor, in_memory: bool) -> BatchIndexable:
        """The decoded rows ``rows`` as a dataset: one tensor in memory, or read from the cache file."""
        assert self.decoded is not None
        if in_memory:
            pixels = self.decoded.tensor()
            return InMemoryDataset(pixels if len(rows) == len(pixels) else pixels[rows])
        assert self.decoded.path is not None
        return MemmapImages(self.decoded.path, (len(self.decoded), *self.spec.shape), rows)


class TwoDomainImages(GANDataModule):
    """Base of the datamodules over image files of two domains A and B (not registered itself).

    Args:
        root: the dataset folder (see each datamodule for the layout).
        direction: ``AtoB`` translates A images (``source``) into B images (``real``); ``BtoA`` the reverse.
        image_size: side of the square images.
        channels: channels of the target images (``real``): 1 (grayscale) or 3 (RGB).
        source_channels: channels of the input images (``source``); None: as ``channels``.
        in_memory, cache, cache_dir, on_bad_image, num_workers: as for ``ImageFolder``; each side has its cache.
    """

    def __init__(
        self,
        root: str = "data",
        direction: Direction = "AtoB",
        image_size: int = 256,
        channels: int = 3,
        source_channels: int | None = None,
        in_memory: bool | None = None,
        cache: bool = True,
        cache_dir: str | None = None,
        on_bad_image: BadImagePolicy = "skip",
        num_workers: int = 4,
        **kwargs: Any,
    ) -> None:
        super().__init__(num_workers=num_workers, **kwargs)
        if direction not in ("AtoB", "BtoA"):
            raise ConfigError(f"data.init_args.direction must be AtoB or BtoA, got {direction!r}.")
        source_channels = channels if source_channels is None else source_channels
        if source_channels not in (1, 3):
            raise ConfigError(
                f"data.init_args.source_channels must be 1 (grayscale), 3 (RGB) or null, got {source_channels!r}."
            )
        self.root, self.direction, self.in_memory = Path(root).expanduser(), direction, in_memory
        options = {"image_size": image_size, "cache": cache, "cache_dir": cache_dir, "on_bad_image": on_bad_image}
        options["num_workers"] = num_workers
        name = type(self).__name__
        #: Which side is the input and which the target.
        self.roles = ("A", "B") if direction == "AtoB" else ("B", "A")
        self.source = ImageFileList(f"{name}-{self.roles[0]}", channels=source_channels, **options)
        self.target = ImageFileList(f"{name}-{self.roles[1]}", channels=channels, **options)
        self.sides = dict(zip(self.roles, (self.source, self.target), strict=True))
        self.data_shape = self.target.spec.shape
        self.source_shape = self.source.spec.shape
        #: What setup() loaded, as printed.
        self.summary = ""

    def _hold_in_memory(self, *decoded: DecodedSet) -> bool:
        if any(part.path is None for part in decoded):
            return True
        return self.in_memory if self.in_memory is not None else sum(p.nbytes for p in decoded) < IN_MEMORY_LIMIT_BYTES

    def _check_training_size(self, size: int, what: str) -> None:
        if size < self.batch_size:
            raise ConfigError(
                f"{type(self).__name__}: {size} training {what} is fewer than one batch "
                f"(batch_size={self.batch_size}). Lower data.init_args.batch_size or add images."
            )


class PairedSet(DatasetView):
    """Rows of two aligned datasets: ``source`` (input) and ``real`` (target) of the same pair."""

    def __init__(self, source: BatchIndexable, target: BatchIndexable) -> None:
        super().__init__(source, target)
        self.source, self.target = source, target

    def __len__(self) -> int:
        return len(self.target)

    def __getitem__(self, index: Tensor) -> dict[str, Tensor]:
        return {"real": self.target[index]["real"], "source": self.source[index]["real"]}


class PairedImages(TwoDomainImages):
    """Aligned pairs: pix2pix's side-by-side images (``root/train/``, ``val/``, ``test/``; A left, B right) or
    two folders of the same file names (``root/A/``, ``root/B/``, or ``a_dir``, ``b_dir``).

    Args:
        a_dir, b_dir: the folders of A and B images when they are not ``root/A`` and ``root/B``.
        val_fraction: share of the pairs held out for validation when the folders have no ``val/``.
        **kwargs: direction, image_size, channels, source_channels and the caching and loader options of
            ``TwoDomainImages``.
    """

    def __init__(
        self,
        root: str = "data",
        a_dir: str | None = None,
        b_dir: str | None = None,
        val_fraction: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(root=root, **kwargs)
        if not 0.0 <= val_fraction < 1.0:
            raise ConfigError(f"data.init_args.val_fraction must be in [0, 1), got {val_fraction!r}.")
        if (a_dir is None) != (b_dir is None):
            raise ConfigError("PairedImages: set both data.init_args.a_dir and data.init_args.b_dir, or neither.")
        self.a_dir = Path(a_dir).expanduser() if a_dir else self.root / "A"
        self.b_dir = Path(b_dir).expanduser() if b_dir else self.root / "B"
        self.val_fraction = val_fraction
        self._decoded: tuple[DecodedSet, DecodedSet, np.ndarray] | None = None

    # ------------------------------------------------------------------ listing
    def _side_by_side(self) -> bool:
        if self.a_dir.is_dir() or self.b_dir.is_dir():
            return False
        if (self.root / "train").is_dir():
            return True
        raise DatasetNotFoundError(
            f"PairedImages: neither {self.root / 'train'} (pix2pix's layout: A|B side by side in train/, val/, "
            f"test/) nor {self.a_dir} and {self.b_dir} (images of the same names) exist. Set data.init_args.root "
            "to such a folder, or data.init_args.a_dir and b_dir."
        )

    def _listed(self) -> tuple[tuple[Path, list[Path]], tuple[Path, list[Path]], list[int]]:
        """(A folder, A files), (B folder, B files) and the split of each pair."""
        if self._side_by_side():
            return self._halves()
        pairs = self._matched_pairs()
        for a, b, _ in pairs:
            _check_aspect(a, b)
        return (self.a_dir, [a for a, _, _ in pairs]), (self.b_dir, [b for _, b, _ in pairs]), [s for *_, s in pairs]

    def _matched_pairs(self) -> list[tuple[Path, Path, int]]:
        for folder in (self.a_dir, self.b_dir):
            if not folder.is_dir():
                raise DatasetNotFoundError(
                    f"PairedImages: {folder} does not exist; A and B images go in two folders of the same file names."
                )
        split_names = [name for name in SPLIT_FOLDERS if (self.a_dir / name).is_dir() or (self.b_dir / name).is_dir()]
        if not split_names:
            return [(a, b, TRAIN) for a, b in _match(self.a_dir, self.b_dir)]
        if "train" not in split_names:
            raise DatasetNotFoundError(
                f"PairedImages: {self.a_dir} has split folders ({', '.join(split_names)}) but no train/; "
                "add train/ to both folders."
            )
        return [
            (a, b, SPLIT_FOLDERS[name]) for name in split_names for a, b in _match(self.a_dir / name, self.b_dir / name)
        ]

    def _halves(self) -> tuple[tuple[Path, list[Path]], tuple[Path, list[Path]], list[int]]:
        out = self._halves_folder()
        jobs = []
        for name, split in SPLIT_FOLDERS.items():
            folder = self.root / name
            if not folder.is_dir():
                continue
            files = find_images(folder)
            if not files:
                raise DatasetNotFoundError(
                    f"PairedImages: no images in {folder} (looked for {', '.join(IMAGE_EXTENSIONS)}). "
                    "Put the A|B images there or remove the empty folder."
                )
            for path in files:
                stem = path.relative_to(self.root).with_suffix(".png")
                jobs.append((path, out / "A" / stem, out / "B" / stem, split))
        workers = max(self.num_workers, 1)
        with ThreadPoolExecutor(workers) as pool:
            errors = list(pool.map(lambda job: _split_side_by_side(*job[:3]), jobs))
        kept = []
        for job, error in zip(jobs, errors, strict=True):
            if not error:
                kept.append(job)
            elif self.source.on_bad_image == "raise":
                raise DatasetError(
                    f"PairedImages: cannot read the image {job[0]} ({error}). Replace or delete the file, "
                    "or set data.init_args.on_bad_image=skip to leave unreadable images out."
                )
            else:
                rank_zero_warn(f"PairedImages: skipping unreadable image {job[0]} ({error})")
        if not kept:
            raise DatasetError(f"PairedImages: none of the {len(jobs):,} images under {self.root} could be read.")
        return (out / "A", [a for _, a, _, _ in kept]), (out / "B", [b for _, _, b, _ in kept]), [j[3] for j in kept]

    def _halves_folder(self) -> Path:
        """Where the halves are written: next to the data, else the cache folder, else the user's cache."""
        tag = hashlib.sha256(str(self.root.resolve()).encode()).hexdigest()[:10]
        candidates = [self.root / CACHE_FOLDER / "halves"]
        if self.target.cache_dir is not None:
            candidates.append(self.target.cache_dir / f"pairedimages-halves-{tag}")
        candidates.append(user_cache_dir() / f"pairedimages-halves-{tag}")
        for folder in candidates:
            if writable_folder(folder):
                return folder
        raise ConfigError(
            f"PairedImages: no writable folder for the halves of the side-by-side images "
            f"({', '.join(map(str, candidates))}). Set data.init_args.cache_dir to a writable folder."
        )

    # ------------------------------------------------------------------ loading
    def _decode(self) -> tuple[DecodedSet, DecodedSet, np.ndarray]:
        """Both sides decoded, and the split of each pair that both sides could read (rows aligned)."""
        if self._decoded is None:
            (a_folder, a_files), (b_folder, b_files), splits = self._listed()
            a = self.sides["A"].decode(a_folder, a_files)
            b = self.sides["B"].decode(b_folder, b_files)
            self._decoded = (a, b, np.asarray(splits))
        return self._decoded

    def prepare_data(self) -> None:
        self._decode()  # rank 0 of each node writes halves and caches; the other ranks read them in setup()

    def setup(self, stage: str) -> None:
        if self.train_set is not None:
            return
        a, b, splits = self._decode()
        pairs = np.intersect1d(a.sources, b.sources)  # pairs neither of whose images was unreadable
        rows = {"A": np.searchsorted(a.sources, pairs), "B": np.searchsorted(b.sources, pairs)}
        rows = {side: torch.from_numpy(r) for side, r in rows.items()}
        in_memory = self._hold_in_memory(a, b)
        parts = self._split(torch.from_numpy(splits[pairs]))

        def subset(part: Tensor | None) -> PairedSet | None:
            if part is None or len(part) == 0:
                return None
            source, target = (self.sides[side].rows(rows[side][part], in_memory) for side in self.roles)
            return PairedSet(source, target)

        self.train_set, self.val_set = subset(parts[TRAIN]), subset(parts[VALIDATION])
        test_set = subset(parts[TEST])
        self.test_set = test_set if test_set is not None else self.val_set
        self._check_training_size(len(self.train_set) if self.train_set is not None else 0, "pairs")
        counts = " / ".join(f"{label} {len(s) if s is not None else 0:,}" for label, s in self._named_splits())
        where = "in memory" if in_memory else f"read from the caches by {self.num_workers} worker(s)"
        self.summary = (
            f"PairedImages: {len(pairs):,} pairs from {self.root} ({self.direction}: source {self.source_shape}, "
            f"real {self.data_shape}), {counts}, {where}"
        )
        rank_zero_info(self.summary)

    def _split(self, split: Tensor) -> dict[int, Tensor | None]:
        """Row numbers of each split; without split folders ``val_fraction`` of the pairs validate."""
        if (split == VALIDATION).any() and self.val_fraction:
            raise ConfigError(
                f"PairedImages: {self.root} has val/ folders, which validation uses; "
                "remove data.init_args.val_fraction."
            )
        if (split != TRAIN).any() or not self.val_fraction:
            return {part: torch.nonzero(split == part).flatten() for part in SPLIT_FOLDERS.values()}
        train, val = hold_out(len(split), round(len(split) * self.val_fraction))
        return {TRAIN: train, VALIDATION: val, TEST: None}

    def _named_splits(self) -> list[tuple[str, BatchIndexable | None]]:
        return [("train", self.train_set), ("validation", self.val_set), ("test", self.test_set)]


def _match(a_folder: Path, b_folder: Path) -> list[tuple[Path, Path]]:
    """The images of two folders paired by relative path without extension; every image needs its partner."""
    a, b = _by_name(a_folder), _by_name(b_folder)
    only_a, only_b = sorted(a.keys() - b.keys()), sorted(b.keys() - a.keys())
    if only_a or only_b:
        unmatched = [
            f"{len(names)} in {folder} without a partner in {other} ({_few(names)})"
            for names, folder, other in ((only_a, a_folder, b_folder), (only_b, b_folder, a_folder))
            if names
        ]
        raise ConfigError(
            f"PairedImages: unmatched images: {'; '.join(unmatched)}. Give each image a partner of the same name "
            "(any extension) in the other folder, or remove it."
        )
    if not a:
        raise DatasetNotFoundError(
            f"PairedImages: no images in {a_folder} or {b_folder} (looked for {', '.join(IMAGE_EXTENSIONS)}). "
            "Add pairs or remove the empty folders."
        )
    return [(a[name], b[name]) for name in sorted(a)]


def _by_name(folder: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in find_images(folder):
        name = path.relative_to(folder).with_suffix("").as_posix()
        if name in found:
            raise ConfigError(
                f"PairedImages: {found[name]} and {path} have the same name; keep one, so each image has one partner."
            )
        found[name] = path
    return found


def _few(names: Sequence[str]) -> str:
    return ", ".join(names[:_SHOWN]) + (f", ... ({len(names) - _SHOWN} more)" if len(names) > _SHOWN else "")


def _upright_size(path: Path) -> tuple[int, int] | None:
    """(width, height) as the image is shown (EXIF rotation applied), read from the header; None if unreadable."""
    try:
        with Image.open(path) as image:
            width, height = image.size
            rotated = image.getexif().get(0x0112, 1) in (5, 6, 7, 8)  # Orientation: a quarter turn
    except Exception:  # unreadable files are reported (or skipped) by the decoder, as in any image folder
        return None
    return (height, width) if rotated else (width, height)


def _check_aspect(a: Path, b: Path) -> None:
    sizes = _upright_size(a), _upright_size(b)
    if sizes[0] is None or sizes[1] is None:
        return
    (wa, ha), (wb, hb) = sizes
    if abs(wa * hb - wb * ha) > 0.01 * max(wa * hb, wb * ha):
        raise ConfigError(
            f"PairedImages: {a} is {wa}x{ha} but its partner {b} is {wb}x{hb}: both are cut to their centred "
            "square, which shows different content when the aspect ratios differ. Crop the pair alike or remove it."
        )


def _split_side_by_side(source: Path, a: Path, b: Path) -> str:
    """Write the left (A) and right (B) halves of ``source`` as PNG; the error text, or ''.

    The halves take the source's modification time, so a replaced source (even by an older file) is split again.
    """
    try:
        stamp = source.stat().st_mtime_ns
        if all(half.is_file() and half.stat().st_mtime_ns == stamp for half in (a, b)):
            return ""
        with Image.open(source) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
        upright = upright if upright.mode in _PNG_MODES else upright.convert("RGB")
        width, height = upright.size
        if width < 2:
            return f"{width}x{height} is not two images side by side"
        half = width // 2
        for path, box in ((a, (0, 0, half, height)), (b, (half, 0, 2 * half, height))):
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f"{path.name}.partial-{os.getpid()}.png")
            upright.crop(box).save(partial, compress_level=1)
            os.utime(partial, ns=(stamp, stamp))
            partial.replace(path)
    except Exception as exc:  # PIL's format plugins raise all kinds of errors on malformed files
        return f"{type(exc).__name__}: {exc}"
    return ""
