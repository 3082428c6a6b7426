"""Small datasets written in the exact on-disk formats the real ones use (no download ever)."""

from __future__ import annotations

import gzip
import pickle
import struct
from pathlib import Path

import numpy as np

IDX_NAMES = {
    ("train", "images"): "train-images-idx3-ubyte",
    ("train", "labels"): "train-labels-idx1-ubyte",
    ("test", "images"): "t10k-images-idx3-ubyte",
    ("test", "labels"): "t10k-labels-idx1-ubyte",
}


def _idx_bytes(array: np.ndarray) -> bytes:
    """IDX: magic (0, 0, dtype 0x08 = ubyte, ndim), big-endian sizes, raw bytes."""
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_idx_dataset(folder: Path, n_train: int = 256, n_test: int = 64, gzipped: bool = False, seed: int = 0) -> Path:
    """MNIST-style IDX files: 28x28 images with a bright square whose position encodes the class."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for split, n in (("train", n_train), ("test", n_test)):
        labels = rng.integers(0, 10, size=n).astype(np.uint8)
        images = rng.integers(0, 40, size=(n, 28, 28)).astype(np.uint8)
        for i, label in enumerate(labels):
            row, col = divmod(int(label), 5)
            images[i, 4 + row * 10 : 12 + row * 10, 2 + col * 5 : 6 + col * 5] = 255
        for kind, array in (("images", images), ("labels", labels)):
            data = _idx_bytes(array)
            name = IDX_NAMES[(split, kind)]
            if gzipped:
                (folder / f"{name}.gz").write_bytes(gzip.compress(data))
            else:
                (folder / name).write_bytes(data)
    return folder


def write_cifar10(root: Path, per_batch: int = 40, n_test: int = 40, seed: int = 0) -> Path:
    """cifar-10-batches-py: pickled dicts with a (N, 3072) uint8 'data' array and 'labels'."""
    rng = np.random.default_rng(seed)
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for name in names:
        n = n_test if name == "test_batch" else per_batch
        batch = {
            "batch_label": name,
            "data": rng.integers(0, 256, size=(n, 3072)).astype(np.uint8),
            "labels": rng.integers(0, 10, size=n).tolist(),
            "filenames": [f"img_{i}.png" for i in range(n)],
        }
        with (folder / name).open("wb") as f:
            pickle.dump(batch, f)
    return root
