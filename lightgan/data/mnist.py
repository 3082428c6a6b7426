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
from lightning.pytorch.utilities import rank_zero_info, rank_zero_warn
from torch import Tensor

from lightgan.data.base import GANDataModule, InMemoryDataset, hold_out
from lightgan.data.images import resize_uint8
from lightgan.data.loader import ResumableLoader
from lightgan.errors import ConfigError, DatasetNotFoundError

DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
_IDX_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


class _IDXDigits(GANDataModule):
    """Shared loader for the 28x28 grayscale IDX datasets.

    Three disjoint splits, the same in every run whatever the seed:

    - training (``fit``): the training file less its validation part (``train_subset``: the first
      images of what is left);
    - validation (validation during ``fit``, ``lightgan validate``, held-out pictures, ``evaluate``'s
      default split): ``val_size`` images of the training file, chosen by a permutation seeded with 0
      and never trained on;
    - test (``lightgan test``, ``evaluate --split test``): the official test file.

    Checkpoints record how many images validation held out; resuming keeps that split, and a
    checkpoint from before the split existed resumes on the whole training file, validating on the
    test file, as it was trained.

    Args:
        train_subset: train on only this many of the training images (the first ones), for quick runs.
        val_size: training-file images held out for validation. None: as many as the test file has
            (10,000 of 60,000: the 50k/10k/10k split of the classic ``mnist.pkl.gz``), so validation
            and test compare equally many real images. 0: none; validation reads the test file.
    """

    torchvision_class: ClassVar[type[torchvision.datasets.MNIST]]
    homepage: ClassVar[str]

    def __init__(
        self,
        root: str = "data",
        image_size: int = 28,
        download: bool = True,
        train_subset: int | None = None,
        val_size: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if val_size is not None and val_size < 0:
            raise ConfigError(f"data.init_args.val_size must be >= 0 or null, got {val_size}.")
        self.root, self.image_size, self.download, self.train_subset = Path(root), image_size, download, train_subset
        self.val_size = val_size
        self.data_shape = (1, image_size, image_size)
        self.num_classes = 10
        #: Training-file images the current validation set holds out (None before setup).
        self.held_out: int | None = None
        self._restored_held_out: int | None = None

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

    def _file(self, train: bool) -> tuple[Tensor, Tensor]:
        """(N, 28, 28) uint8 images and labels of the training or the test file."""
        dataset = self.torchvision_class(str(self.root), train=train, download=False)
        return dataset.data, dataset.targets

    def _images(self, images: Tensor, labels: Tensor) -> InMemoryDataset:
        return InMemoryDataset(resize_uint8(images.unsqueeze(1), self.image_size).contiguous(), labels.long())

    def _configured_val_count(self) -> int:
        assert self.test_set is not None
        return self.val_size if self.val_size is not None else len(self.test_set)

    def _resuming(self) -> bool:
        return self.trainer is not None and bool(self.trainer.ckpt_path)

    def _val_count(self) -> int:
        """Training-file images to hold out: what a restored checkpoint's run held out (0 when its
        checkpoint predates the split: it trained on the whole file), else ``val_size``."""
        if self._restored_held_out is not None:
            return self._restored_held_out
        return 0 if self._resuming() else self._configured_val_count()

    def _hold_out(self) -> None:
        """Build the training and validation sets for ``_val_count()`` held-out images, unless built already."""
        n = self._val_count()
        if n == self.held_out:
            return
        name = self.torchvision_class.__name__
        images, labels = self._file(train=True)
        if n >= len(images):
            raise ConfigError(
                f"{name}: data.init_args.val_size={n:,} holds out all {len(images):,} training images; lower it."
            )
        train, val = hold_out(len(images), n)
        train = train[: self.train_subset] if self.train_subset else train
        self.train_set = self._images(images[train], labels[train])
        self.val_set = self._images(images[val], labels[val]) if n else self.test_set
        self.held_out = n

    def setup(self, stage: str) -> None:
        if not self._has_files():
            self.prepare_data()
        if self.test_set is None:
            self.test_set = self._images(*self._file(train=False))
        if stage in ("fit", "validate") and not self._resuming():
            self._hold_out()  # when resuming, the loaders build the split after the checkpoint says which

    def train_dataloader(self) -> ResumableLoader:
        self._hold_out()  # a resumed run builds its split here, after the checkpoint said which
        return super().train_dataloader()

    def val_dataloader(self) -> ResumableLoader | list:
        self._hold_out()
        return super().val_dataloader()

    def state_dict(self) -> dict[str, int]:
        """What checkpoints record, so that resuming holds out the same images."""
        return {"val_held_out": self.held_out} if self.held_out is not None else {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._restored_held_out = int(state["val_held_out"])
        configured = self._configured_val_count()
        if configured != self._restored_held_out:
            rank_zero_warn(
                f"{self.torchvision_class.__name__}: the checkpoint's run held out {self._restored_held_out:,} "
                f"training images for validation, not {configured:,}; keeping its split, so it resumes on the "
                "images it trained on."
            )


class MNIST(_IDXDigits):
    """Handwritten digits, 10 classes: 60k training images (50k train, 10k validation) and 10k test."""

    torchvision_class = torchvision.datasets.MNIST
    homepage = "https://yann.lecun.com/exdb/mnist/ (or the mirror https://ossci-datasets.s3.amazonaws.com/mnist/)"


class FashionMNIST(_IDXDigits):
    """Zalando's clothing images in MNIST's format, 10 classes, split like ``MNIST``.

    Args:
        debian_root: where Debian's ``dataset-fashion-mnist`` package keeps the gzipped IDX files.
    """

    torchvision_class = torchvision.datasets.FashionMNIST
    #: Names of the ten classes, by label, as Zalando lists them (``lightgan project --edit sneaker-boot``).
    class_names = (
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    )  # fmt: skip
    homepage = "https://github.com/zalandoresearch/fashion-mnist (or: apt-get install dataset-fashion-mnist)"

    def __init__(self, *args: Any, debian_root: str = str(DEBIAN_FASHION_MNIST), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.debian_root = Path(debian_root)

    def _gzipped_sources(self) -> list[Path]:
        return [self.raw_folder, self.debian_root]


__all__ = ["MNIST", "FashionMNIST"]
