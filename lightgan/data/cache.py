"""Decode a list of image files once into one uint8 file that later runs reuse.

The cache is a raw ``(N, C, S, S)`` uint8 file plus a JSON file that says what it holds: a
fingerprint of the source files (relative path, size, modification time of each) and of the
``ImageSpec``, which source file every row came from, and which files could not be read. A
changed, added or removed source file, or another size, channel count or crop, gives another
fingerprint, and the cache is built again. Decoding runs in ``workers`` processes.

Small caches are then loaded into one tensor; large ones are read through a memory map, a
batch at a time (``MemmapImages``), by DataLoader workers.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from lightning.pytorch.utilities import rank_zero_info
from torch import Tensor
from torch.utils.data import DataLoader

from lightgan.data.decode import DecodedImage, ImageSpec, decode_image
from lightgan.errors import DatasetError

CACHE_FORMAT = 1
BadImagePolicy = Literal["skip", "raise"]
_DECODE_CHUNK = 32


@dataclass
class DecodedSet:
    """The outcome of decoding a file list: rows of pixels and where each came from."""

    spec: ImageSpec
    sources: np.ndarray  # index into the file list of every row
    skipped: list[str] = field(default_factory=list)
    converted: int = 0
    pixels: np.ndarray | None = None  # (N, C, S, S) in memory, or None when only in ``path``
    path: Path | None = None  # the cache file holding the rows

    def __len__(self) -> int:
        return len(self.sources)

    @property
    def nbytes(self) -> int:
        return len(self) * int(np.prod(self.spec.shape))

    def tensor(self) -> Tensor:
        """All rows as one uint8 tensor in memory."""
        if self.pixels is None:
            assert self.path is not None
            self.pixels = np.fromfile(self.path, dtype=np.uint8).reshape(len(self), *self.spec.shape)
        return torch.from_numpy(self.pixels)


def fingerprint(files: Sequence[Path], base: Path, spec: ImageSpec) -> str:
    """Changes when any source file is added, removed or modified, or when the spec changes."""
    digest = hashlib.sha256(f"{CACHE_FORMAT}|{spec}".encode())
    for path in files:
        try:
            stat = path.stat()
            entry = f"{path.relative_to(base).as_posix()}|{stat.st_size}|{stat.st_mtime_ns}\n"
        except FileNotFoundError:
            entry = f"{path.relative_to(base).as_posix()}|missing\n"
        digest.update(entry.encode())
    return digest.hexdigest()


def load_or_build(
    files: Sequence[Path],
    base: Path,
    spec: ImageSpec,
    cache_file: Path | None,
    *,
    name: str,
    workers: int = 0,
    on_bad_image: BadImagePolicy = "skip",
) -> DecodedSet:
    """The decoded images of ``files``: from ``cache_file`` when it is current, else decoded now.

    With ``cache_file`` None nothing is written and the images are decoded into memory.
    """
    key = fingerprint(files, base, spec)
    if cache_file is not None:
        cached = read_cache(cache_file, key, spec)
        if cached is not None:
            if cached.skipped and on_bad_image == "raise":  # built earlier with skip
                raise DatasetError(
                    f"{name}: cannot read the image {cached.skipped[0]} ({len(cached.skipped):,} unreadable in all, "
                    f"left out of the cache {cache_file}). Replace or delete the file(s), or set "
                    "data.init_args.on_bad_image=skip to leave unreadable images out."
                )
            note = f", {len(cached.skipped)} unreadable image(s) left out" if cached.skipped else ""
            rank_zero_info(f"{name}: {len(cached):,} images from the cache {cache_file}{note}")
            return cached
    rank_zero_info(
        f"{name}: decoding {len(files):,} images to {spec.describe()} with {workers} worker(s)"
        + (f" into the cache {cache_file} (once)" if cache_file else " (no cache)")
    )
    started = time.perf_counter()
    if cache_file is None:
        decoded = _decode_into_memory(files, spec, name, workers, on_bad_image)
    else:
        decoded = _decode_into_file(files, spec, cache_file, key, name, workers, on_bad_image)
    rank_zero_info(f"{name}: decoded {len(decoded):,} images in {time.perf_counter() - started:.1f} s")
    return decoded


def read_cache(cache_file: Path, key: str, spec: ImageSpec) -> DecodedSet | None:
    """The cache at ``cache_file`` if it was built from the same files and spec, else None."""
    meta_file = _meta_path(cache_file)
    try:
        meta = json.loads(meta_file.read_text())
    except (OSError, ValueError):
        return None
    if meta.get("format") != CACHE_FORMAT or meta.get("fingerprint") != key:
        return None
    sources = np.asarray(meta["sources"], dtype=np.int64)
    expected_bytes = len(sources) * int(np.prod(spec.shape))
    if not cache_file.is_file() or cache_file.stat().st_size != expected_bytes:
        return None
    return DecodedSet(spec, sources, list(meta["skipped"]), int(meta["converted"]), path=cache_file)


def _meta_path(cache_file: Path) -> Path:
    return cache_file.with_suffix(".json")


class _DecodeJob(torch.utils.data.Dataset):
    """Index -> (index, decoded image or None, error text); errors are returned, not raised, by workers."""

    def __init__(self, files: Sequence[Path], spec: ImageSpec) -> None:
        self.files, self.spec = list(files), spec

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> tuple[int, DecodedImage | None, str]:
        try:
            return i, decode_image(self.files[i], self.spec), ""
        except Exception as exc:  # PIL's format plugins raise all kinds of errors on malformed files
            return i, None, f"{type(exc).__name__}: {exc}"


def _as_list(items: list[Any]) -> list[Any]:
    return items


def _decoded(files: Sequence[Path], spec: ImageSpec, workers: int) -> Iterator[tuple[int, DecodedImage | None, str]]:
    job = _DecodeJob(files, spec)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)  # Linux only
    workers = min(workers, cpus, max(len(files) // _DECODE_CHUNK, 1))
    if workers == 0:
        yield from (job[i] for i in range(len(job)))
        return
    loader = DataLoader(job, batch_size=_DECODE_CHUNK, num_workers=workers, collate_fn=_as_list)
    for chunk in loader:
        yield from chunk


class _Tally:
    """Counts skipped and converted images; warns once per unreadable file and once at the end."""

    def __init__(self, files: Sequence[Path], name: str, on_bad_image: BadImagePolicy) -> None:
        self.files, self.name, self.on_bad_image = files, name, on_bad_image
        self.skipped: list[str] = []
        self.converted = 0
        self.total = len(files)
        self._report_every = max(self.total // 10, 1) if self.total >= 20_000 else 0

    def accept(self, i: int, image: DecodedImage | None, error: str) -> bool:
        if self._report_every and (i + 1) % self._report_every == 0:
            rank_zero_info(f"{self.name}: decoded {i + 1:,}/{self.total:,}")
        if image is not None:
            self.converted += image.converted
            return True
        path = self.files[i]
        if self.on_bad_image == "raise":
            raise DatasetError(
                f"{self.name}: cannot read the image {path} ({error}). Replace or delete the file, "
                "or set data.init_args.on_bad_image=skip to leave unreadable images out."
            )
        warnings.warn(f"{self.name}: skipping unreadable image {path} ({error})", stacklevel=2)
        self.skipped.append(str(path))
        return False

    def finish(self, kept: int, spec: ImageSpec) -> None:
        if kept == 0:
            raise DatasetError(
                f"{self.name}: none of the {self.total:,} image files could be read (first: {self.files[0]}). "
                "Check that they are complete image files."
            )
        if self.skipped:
            warnings.warn(
                f"{self.name}: skipped {len(self.skipped):,} unreadable image(s) of {self.total:,}; "
                "set data.init_args.on_bad_image=raise to stop at the first one instead.",
                stacklevel=2,
            )
        if self.converted:
            kind = "grayscale" if spec.channels == 1 else "RGB"
            rank_zero_info(f"{self.name}: converted {self.converted:,} image(s) to {kind} (channels={spec.channels})")


def _decode_into_memory(
    files: Sequence[Path], spec: ImageSpec, name: str, workers: int, on_bad_image: BadImagePolicy
) -> DecodedSet:
    tally = _Tally(files, name, on_bad_image)
    pixels = np.empty((len(files), *spec.shape), dtype=np.uint8)
    sources = []
    for i, image, error in _decoded(files, spec, workers):
        if tally.accept(i, image, error):
            pixels[len(sources)] = image.pixels
            sources.append(i)
    tally.finish(len(sources), spec)
    return DecodedSet(spec, np.asarray(sources, dtype=np.int64), tally.skipped, tally.converted, pixels[: len(sources)])


def _decode_into_file(
    files: Sequence[Path],
    spec: ImageSpec,
    cache_file: Path,
    key: str,
    name: str,
    workers: int,
    on_bad_image: BadImagePolicy,
) -> DecodedSet:
    """Rows are appended as they arrive, so memory stays flat however large the dataset is."""
    tally = _Tally(files, name, on_bad_image)
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    partial = cache_file.with_name(cache_file.name + f".partial-{os.getpid()}")
    sources = []
    try:
        with partial.open("wb") as out:
            for i, image, error in _decoded(files, spec, workers):
                if tally.accept(i, image, error):
                    out.write(image.pixels.tobytes())
                    sources.append(i)
        tally.finish(len(sources), spec)
        meta = {
            "format": CACHE_FORMAT,
            "fingerprint": key,
            "spec": {"size": spec.size, "channels": spec.channels, "crop_size": spec.crop_size},
            "sources": sources,
            "skipped": tally.skipped,
            "converted": tally.converted,
        }
        _meta_path(cache_file).unlink(missing_ok=True)  # never leave new pixels next to old metadata
        partial.replace(cache_file)
        meta_partial = partial.with_name(partial.name + ".json")  # keeps the process id: builders may race
        meta_partial.write_text(json.dumps(meta))
        meta_partial.replace(_meta_path(cache_file))
    finally:
        partial.unlink(missing_ok=True)
    return DecodedSet(spec, np.asarray(sources, dtype=np.int64), tally.skipped, tally.converted, path=cache_file)


class MemmapImages:
    """Rows of a cache file read a batch at a time through a memory map (each worker maps it itself).

    Args:
        rows: which rows of the file belong to this split, in order.
        labels: one label per entry of ``rows``, or None.
    """

    def __init__(self, path: Path, shape: tuple[int, ...], rows: Tensor, labels: Tensor | None = None) -> None:
        self.path, self.shape, self.rows, self.labels = path, shape, rows, labels
        self._array: np.memmap | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: Tensor) -> dict[str, Tensor]:
        if self._array is None:
            self._array = np.memmap(self.path, dtype=np.uint8, mode="r", shape=self.shape)
        batch = {"real": torch.from_numpy(self._array[self.rows[index].numpy()])}
        if self.labels is not None:
            batch["label"] = self.labels[index]
        return batch

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_array": None}  # a memmap pickles as a full copy; map anew instead
