"""``ImageFilesDataModule``: the shared path of every dataset that is a set of image files.

A subclass says where its files are (``locate``), how to fetch them (``fetch``) and which files
and labels make up the dataset (``list_images``). This base decodes them once into a cache file
next to the data (``<folder>/.lightgan_cache``, or ``~/.cache/lightgan`` when that folder is
read-only), then serves batches either from one uint8 tensor in memory (small datasets, moved to
the GPU when training there) or from the memory-mapped cache through DataLoader workers with
pinned memory (large ones).
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import torch
from lightning.pytorch.utilities import rank_zero_info, rank_zero_warn
from torch import Tensor

from lightgan.data.base import GANDataModule, InMemoryDataset
from lightgan.data.cache import BadImagePolicy, DecodedSet, MemmapImages, load_or_build
from lightgan.data.decode import IMAGE_EXTENSIONS, ImageSpec
from lightgan.data.loader import BatchIndexable
from lightgan.errors import ConfigError, DatasetNotFoundError

#: Datasets whose decoded images take less than this are held in memory when ``in_memory`` is None.
IN_MEMORY_LIMIT_BYTES = 1 << 30
CACHE_FOLDER = ".lightgan_cache"
TRAIN, VALIDATION, TEST = 0, 1, 2


@dataclass
class ImageList:
    """The files that make up a dataset, with optional labels and an official split per file."""

    files: list[Path]
    labels: list[int] | None = None
    class_names: Sequence[str] = ()
    split: list[int] | None = None  # TRAIN, VALIDATION or TEST per file
    notes: list[str] = field(default_factory=list)  # extra lines for the summary printed at setup


class ImageFilesDataModule(GANDataModule):
    """Base of datamodules over image files (not registered itself).

    Args:
        root: folder that holds the dataset (see each dataset for the layout).
        image_size: side of the square images the model sees.
        channels: 1 (grayscale) or 3 (RGB); images of the other kind are converted.
        crop_size: centred square cut out before resizing; None takes the largest one.
        in_memory: hold all images in one uint8 tensor (True), read them from the cache file
            with ``num_workers`` workers (False), or decide by size (None: in memory under 1 GiB).
        cache: keep the decoded images in a cache file reused by later runs (rebuilt when the
            files or the size change); false decodes into memory on every run.
        cache_dir: where cache files go; None puts them in ``<dataset folder>/.lightgan_cache``
            (``~/.cache/lightgan`` if that is not writable).
        on_bad_image: ``skip`` unreadable images with a warning naming each, or ``raise``.
        val_fraction: share of the images held out for validation (datasets without an official split).
        num_workers: processes that decode images and, for data read from the cache file, load batches.
    """

    #: Folder under ``root`` where the dataset is expected; ``root`` itself is tried as well.
    subfolder: ClassVar[str] = ""

    def __init__(
        self,
        root: str = "data",
        image_size: int = 64,
        channels: int = 3,
        crop_size: int | None = None,
        in_memory: bool | None = None,
        cache: bool = True,
        cache_dir: str | None = None,
        on_bad_image: BadImagePolicy = "skip",
        val_fraction: float = 0.0,
        num_workers: int = 4,
        **kwargs: Any,
    ) -> None:
        super().__init__(num_workers=num_workers, **kwargs)
        if channels not in (1, 3):
            raise ConfigError(f"data.init_args.channels must be 1 (grayscale) or 3 (RGB), got {channels!r}.")
        if image_size < 4:
            raise ConfigError(f"data.init_args.image_size must be at least 4, got {image_size!r}.")
        if crop_size is not None and crop_size < image_size:
            raise ConfigError(
                f"data.init_args.crop_size ({crop_size}) is smaller than image_size ({image_size}): "
                "the crop would be enlarged. Use a larger crop_size or null."
            )
        if on_bad_image not in ("skip", "raise"):
            raise ConfigError(f"data.init_args.on_bad_image must be 'skip' or 'raise', got {on_bad_image!r}.")
        if not 0.0 <= val_fraction < 1.0:
            raise ConfigError(f"data.init_args.val_fraction must be in [0, 1), got {val_fraction!r}.")
        self.root = Path(root).expanduser()
        self.spec = ImageSpec(image_size, channels, crop_size)
        self.in_memory, self.cache, self.on_bad_image, self.val_fraction = in_memory, cache, on_bad_image, val_fraction
        self.cache_dir = Path(cache_dir).expanduser() if cache_dir else None
        self.data_shape = self.spec.shape
        self.folder: Path | None = None
        self.images: ImageList | None = None
        self.decoded: DecodedSet | None = None
        #: What setup() loaded, as printed: counts, splits, classes, where batches come from.
        self.summary = ""

    @property
    def dataset_name(self) -> str:
        return type(self).__name__

    # ------------------------------------------------------------------ what subclasses provide
    def candidate_folders(self) -> list[Path]:
        """Folders that may hold the dataset, most specific first."""
        return [self.root / self.subfolder, self.root] if self.subfolder else [self.root]

    def holds_dataset(self, folder: Path) -> bool:
        """Whether ``folder`` looks like this dataset (enough to start listing it)."""
        return folder.is_dir() and any(True for _ in folder.iterdir())

    def missing_message(self) -> str:
        """Why the dataset is missing and how to get it; names the paths that were searched."""
        return f"{self.dataset_name}: no dataset found at {self.root}."

    def fetch(self) -> None:
        """Download the dataset into ``root`` (datasets that can); the default explains instead."""
        raise DatasetNotFoundError(self.missing_message())

    def list_images(self, folder: Path) -> ImageList:
        raise NotImplementedError

    # ------------------------------------------------------------------ loading
    def locate(self) -> Path | None:
        return next((folder for folder in self.candidate_folders() if self.holds_dataset(folder)), None)

    def _find_or_fetch(self) -> Path:
        folder = self.locate()
        if folder is None:
            self.fetch()
            folder = self.locate()
            if folder is None:
                raise DatasetNotFoundError(self.missing_message())
        return folder

    def _decode(self) -> DecodedSet:
        if self.decoded is None:
            self.folder = self._find_or_fetch()
            self.images = self.list_images(self.folder)
            if not self.images.files:
                raise DatasetNotFoundError(
                    f"{self.dataset_name}: no images found under {self.folder} "
                    f"(looked for {', '.join(IMAGE_EXTENSIONS)})."
                )
            self.decoded = load_or_build(
                self.images.files,
                self.folder,
                self.spec,
                self._cache_file(self.folder) if self.cache else None,
                name=self.dataset_name,
                workers=self.num_workers,
                on_bad_image=self.on_bad_image,
            )
        return self.decoded

    def _cache_file(self, folder: Path) -> Path | None:
        assert self.images is not None
        # the folders the files come from: settings that pick other files (ChestXray's sets, ImageFolder's
        # class_subfolders) get their own cache instead of replacing another's; a file added in place does not
        folders = sorted({path.parent.relative_to(folder).as_posix() for path in self.images.files})
        selection = hashlib.sha256("\n".join(folders).encode()).hexdigest()[:8]
        stem = f"{self.dataset_name.lower()}-{self.spec.describe()}-{selection}"
        tag = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:10]
        if self.cache_dir is not None:
            candidates = [self.cache_dir / f"{stem}-{tag}.uint8"]
        else:
            candidates = [folder / CACHE_FOLDER / f"{stem}.uint8", user_cache_dir() / f"{stem}-{tag}.uint8"]
        for candidate in candidates:
            if writable_folder(candidate.parent):
                return candidate
        rank_zero_warn(
            f"{self.dataset_name}: no writable cache folder ({', '.join(str(c.parent) for c in candidates)}); "
            "decoding into memory on every run. Set data.init_args.cache_dir to a writable folder."
        )
        return None

    def prepare_data(self) -> None:
        # Rank 0 of each node decodes and writes the cache; the other ranks read it in setup().
        self._decode()

    def setup(self, stage: str) -> None:
        if self.train_set is not None:
            return
        decoded = self._decode()
        assert self.images is not None
        rows = self._split_rows(decoded)
        labels = self._labels(decoded)
        in_memory = decoded.path is None or (
            self.in_memory if self.in_memory is not None else decoded.nbytes < IN_MEMORY_LIMIT_BYTES
        )
        pixels = decoded.tensor() if in_memory else None

        def subset(part: Tensor | None) -> BatchIndexable | None:
            if part is None or len(part) == 0:
                return None
            part_labels = labels[part] if labels is not None else None
            if pixels is not None:
                return InMemoryDataset(pixels if len(part) == len(pixels) else pixels[part], part_labels)
            assert decoded.path is not None
            return MemmapImages(decoded.path, (len(decoded), *self.spec.shape), part, part_labels)

        self.train_set = subset(rows[TRAIN])
        self.val_set = subset(rows[VALIDATION])
        test_set = subset(rows[TEST])
        self.test_set = test_set if test_set is not None else self.val_set
        if self.train_set is None or len(self.train_set) < self.batch_size:
            raise ConfigError(
                f"{self.dataset_name}: {len(rows[TRAIN])} training images is fewer than one batch "
                f"(batch_size={self.batch_size}). Lower data.init_args.batch_size or add images."
            )
        self.summary = self._summary(decoded, rows, labels, in_memory)
        rank_zero_info(self.summary)

    def _split_rows(self, decoded: DecodedSet) -> dict[int, Tensor | None]:
        assert self.images is not None
        if self.images.split is not None:
            split = torch.as_tensor(self.images.split)[torch.from_numpy(decoded.sources)]
            return {part: torch.nonzero(split == part).flatten() for part in (TRAIN, VALIDATION, TEST)}
        order = torch.randperm(len(decoded), generator=torch.Generator().manual_seed(0))
        n_val = round(len(decoded) * self.val_fraction)
        return {TRAIN: order[n_val:].sort().values, VALIDATION: order[:n_val].sort().values, TEST: None}

    def _labels(self, decoded: DecodedSet) -> Tensor | None:
        assert self.images is not None
        if self.images.labels is None:
            return None
        return torch.as_tensor(self.images.labels, dtype=torch.long)[torch.from_numpy(decoded.sources)]

    def _summary(self, decoded: DecodedSet, rows: dict[int, Tensor | None], labels: Tensor | None, memory: bool) -> str:
        assert self.images is not None
        train, val = (len(rows[part]) if rows[part] is not None else 0 for part in (TRAIN, VALIDATION))
        where = "in memory" if memory else f"read from {decoded.path} by {self.num_workers} worker(s)"
        lines = [
            f"{self.dataset_name}: {len(decoded):,} images from {self.folder} as {self.spec.describe()}, "
            f"train {train:,} / validation {val:,}, {where}"
        ]
        if labels is not None:
            counts = Counter(labels.tolist())
            names = self.images.class_names or [str(k) for k in range(self.num_classes)]
            lines.append("  classes: " + ", ".join(f"{names[k]} {counts.get(k, 0):,}" for k in range(len(names))))
        lines += [f"  {note}" for note in self.images.notes]
        return "\n".join(lines)


def user_cache_dir() -> Path:
    """lightgan's folder in the user's cache (``$XDG_CACHE_HOME`` or ``~/.cache``), for caches the data
    folder cannot hold."""
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "lightgan"


def writable_folder(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK)
