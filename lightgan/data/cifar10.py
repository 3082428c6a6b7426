"""CIFAR-10 from its python pickle batches, loaded once into memory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
import torchvision

from lightgan.data.base import GANDataModule, InMemoryDataset
from lightgan.data.images import resize_uint8
from lightgan.errors import DatasetNotFoundError

HOMEPAGE = "https://www.cs.toronto.edu/~kriz/cifar.html (file cifar-10-python.tar.gz)"
CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
_BATCH_FILES = (*(f"data_batch_{i}" for i in range(1, 6)), "test_batch")


class _CIFAR10Batches(torchvision.datasets.CIFAR10):
    """torchvision's reader of the pickle batches, checking that files exist rather than their md5.

    A download through torchvision is md5-verified already; skipping the check here lets a
    manually copied dataset (or a test's small fabricated one) load through the same code.
    """

    def _check_integrity(self) -> bool:
        return all((Path(self.root) / self.base_folder / name).is_file() for name in _BATCH_FILES)

    def _load_meta(self) -> None:
        self.classes = list(CLASS_NAMES)
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}


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
        dataset = _CIFAR10Batches(str(self.root), train=train, download=False)
        images = torch.from_numpy(dataset.data).permute(0, 3, 1, 2)
        labels = torch.tensor(dataset.targets, dtype=torch.long)
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
