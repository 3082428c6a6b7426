"""MNIST and Fashion-MNIST from their IDX files, loaded once into memory.

torchvision reads the IDX files. Fashion-MNIST additionally picks up the real files of
Debian's ``dataset-fashion-mnist`` package (``/usr/share/datasets/fashion-mnist``) when the
data root has none, so it trains with no download on machines that have that package.
"""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path
from typing import Any, ClassVar

import torchvision
from lightning.pytorch.utilities import rank_zero_info

from lightgan.data.base import GANDataModule, InMemoryDataset
from lightgan.data.images import resize_uint8
from lightgan.errors import DatasetNotFoundError

DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
_IDX_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


class _IDXDigits(GANDataModule):
    """Shared loader for the 28x28 grayscale IDX datasets."""

    torchvision_class: ClassVar[type[torchvision.datasets.MNIST]]
    homepage: ClassVar[str]

    def __init__(
        self,
        root: str = "data",
        image_size: int = 28,
        download: bool = True,
        train_subset: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.root, self.image_size, self.download, self.train_subset = Path(root), image_size, download, train_subset
        self.data_shape = (1, image_size, image_size)
        self.num_classes = 10

    @property
    def raw_folder(self) -> Path:
        return self.root / self.torchvision_class.__name__ / "raw"

    def _has_files(self) -> bool:
        return all((self.raw_folder / name).is_file() for name in _IDX_FILES)

    def _gzipped_sources(self) -> list[Path]:
        """Folders that may hold the four ``*.gz`` IDX files; the first complete one is used."""
        return [self.raw_folder]

    def _extract_gzipped(self) -> bool:
        """Unpack gzipped IDX files (a manual download or a system package) where torchvision reads them."""
        for folder in self._gzipped_sources():
            sources = [folder / f"{name}.gz" for name in _IDX_FILES]
            if not all(path.is_file() for path in sources):
                continue
            if folder != self.raw_folder:
                rank_zero_info(f"{self.torchvision_class.__name__}: using the files in {folder}")
            self.raw_folder.mkdir(parents=True, exist_ok=True)
            for source, name in zip(sources, _IDX_FILES, strict=True):
                partial = self.raw_folder / f"{name}.partial-{os.getpid()}"  # several processes may extract
                with gzip.open(source, "rb") as src, partial.open("wb") as dst:
                    shutil.copyfileobj(src, dst)
                partial.replace(self.raw_folder / name)
            return True
        return False

    def prepare_data(self) -> None:
        if self._has_files() or self._extract_gzipped():
            return
        name = self.torchvision_class.__name__
        if not self.download:
            raise DatasetNotFoundError(
                f"{name} not found: {self.raw_folder} lacks the IDX files ({', '.join(_IDX_FILES)}). "
                f"Set data.init_args.download=true, or put the files from {self.homepage} there."
            )
        try:
            self.torchvision_class(str(self.root), train=True, download=True)
        except Exception as exc:
            raise DatasetNotFoundError(
                f"Could not download {name} into {self.raw_folder} ({type(exc).__name__}: {exc}). "
                f"Download the four IDX files from {self.homepage} and put them there (gzipped or not)."
            ) from exc

    def _split(self, train: bool) -> InMemoryDataset:
        dataset = self.torchvision_class(str(self.root), train=train, download=False)
        images, labels = dataset.data, dataset.targets
        if train and self.train_subset:
            images, labels = images[: self.train_subset], labels[: self.train_subset]
        images = resize_uint8(images.unsqueeze(1), self.image_size)
        return InMemoryDataset(images.contiguous(), labels.long())

    def setup(self, stage: str) -> None:
        if not self._has_files():
            self.prepare_data()
        if stage == "fit" and self.train_set is None:
            self.train_set = self._split(train=True)
        if self.val_set is None:
            self.val_set = self.test_set = self._split(train=False)


class MNIST(_IDXDigits):
    """Handwritten digits, 60k train / 10k test, 10 classes."""

    torchvision_class = torchvision.datasets.MNIST
    homepage = "https://yann.lecun.com/exdb/mnist/ (or the mirror https://ossci-datasets.s3.amazonaws.com/mnist/)"


class FashionMNIST(_IDXDigits):
    """Zalando's clothing images in MNIST's format, 10 classes.

    Args:
        debian_root: where Debian's ``dataset-fashion-mnist`` package keeps the gzipped IDX files.
    """

    torchvision_class = torchvision.datasets.FashionMNIST
    homepage = "https://github.com/zalandoresearch/fashion-mnist (or: apt-get install dataset-fashion-mnist)"

    def __init__(self, *args: Any, debian_root: str = str(DEBIAN_FASHION_MNIST), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.debian_root = Path(debian_root)

    def _gzipped_sources(self) -> list[Path]:
        return [self.raw_folder, self.debian_root]


__all__ = ["MNIST", "FashionMNIST"]
