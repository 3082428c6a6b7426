"""CIFAR-10 from its python pickle batches (read without running code from them), loaded once into memory."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
import torchvision

from lightgan.data.base import GANDataModule, InMemoryDataset
from lightgan.data.images import resize_uint8
from lightgan.errors import DatasetError, DatasetNotFoundError

HOMEPAGE = "https://www.cs.toronto.edu/~kriz/cifar.html (file cifar-10-python.tar.gz)"
_BATCH_FILES = (*(f"data_batch_{i}" for i in range(1, 6)), "test_batch")


class _ArrayUnpickler(pickle.Unpickler):
    """Reads what a CIFAR-10 batch holds (dicts, lists, bytes, numbers and numpy arrays) and refuses any
    other object: a pickle can name any function to call, and a downloaded file should not choose one."""

    ALLOWED: ClassVar[set[tuple[str, str]]] = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
    }

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name}")
        return super().find_class(module, name)


def read_batch(path: Path) -> tuple[np.ndarray, list[int]]:
    """One python-format CIFAR-10 batch: (N, 32, 32, 3) uint8 images and their labels."""
    try:
        with path.open("rb") as file:
            batch = _ArrayUnpickler(file, encoding="latin1").load()
    except pickle.UnpicklingError as exc:
        raise DatasetError(
            f"{path} holds objects a CIFAR-10 batch does not ({exc}); lightgan does not open it. "
            f"Get the dataset from {HOMEPAGE}."
        ) from None
    except Exception as exc:
        raise DatasetError(f"{path} is not a readable CIFAR-10 batch ({type(exc).__name__}: {exc}).") from None
    images = np.asarray(batch["data"], dtype=np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return images, list(batch.get("labels", batch.get("fine_labels", [])))


class CIFAR10(GANDataModule):
    """32x32 colour images, 50k train / 10k test, 10 classes."""

    def __init__(
        self,
        root: str = "data",
        image_size: int = 32,
        download: bool = True,
        train_subset: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.root, self.image_size, self.download, self.train_subset = Path(root), image_size, download, train_subset
        self.data_shape = (3, image_size, image_size)
        self.num_classes = 10

    @property
    def batches_folder(self) -> Path:
        return self.root / "cifar-10-batches-py"

    def _has_files(self) -> bool:
        return all((self.batches_folder / name).is_file() for name in _BATCH_FILES)

    def prepare_data(self) -> None:
        if self._has_files():
            return
        if not self.download:
            raise DatasetNotFoundError(
                f"CIFAR-10 not found: {self.batches_folder} lacks data_batch_1..5 and test_batch. "
                f"Set data.init_args.download=true, or extract {HOMEPAGE} into {self.root}."
            )
        try:
            torchvision.datasets.CIFAR10(str(self.root), train=True, download=True)
        except Exception as exc:
            raise DatasetNotFoundError(
                f"Could not download CIFAR-10 into {self.root} ({type(exc).__name__}: {exc}). "
                f"Get {HOMEPAGE} and extract it into {self.root}."
            ) from exc

    def _split(self, train: bool) -> InMemoryDataset:
        names = _BATCH_FILES[:-1] if train else _BATCH_FILES[-1:]
        batches = [read_batch(self.batches_folder / name) for name in names]
        images = torch.from_numpy(np.concatenate([images for images, _ in batches])).permute(0, 3, 1, 2)
        labels = torch.tensor([label for _, batch_labels in batches for label in batch_labels], dtype=torch.long)
        if train and self.train_subset:
            images, labels = images[: self.train_subset], labels[: self.train_subset]
        return InMemoryDataset(resize_uint8(images, self.image_size).contiguous(), labels)

    def setup(self, stage: str) -> None:
        if not self._has_files():
            self.prepare_data()
        if stage == "fit" and self.train_set is None:
            self.train_set = self._split(train=True)
        if self.val_set is None:
            self.val_set = self.test_set = self._split(train=False)
