"""``ClassDomains``: the images of chosen classes of a labelled datamodule, as one domain or two unpaired ones.

One domain trains an unconditional model on part of a dataset (only Fashion-MNIST's sneakers); two
make an unpaired translation task with no download: Fashion-MNIST's sneakers (class 7) to ankle
boots (class 9), ``{"source": sneaker, "real": ankle boot}``. Splits follow the base's, filtered.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from lightgan.data.base import DatasetView, DerivedDataModule, GANDataModule, labels_of
from lightgan.data.loader import BatchIndexable
from lightgan.data.unpaired import UnpairedSet
from lightgan.errors import ConfigError

_SPLIT_NAMES = {"train_set": "training", "val_set": "validation", "test_set": "test"}


class ClassSubset(DatasetView):
    """The samples ``rows`` of a dataset, in order; their labels are kept apart, like an in-memory dataset's."""

    def __init__(self, base: BatchIndexable, rows: Tensor, labels: Tensor) -> None:
        super().__init__(base)
        self.base, self.rows, self.labels = base, rows, labels

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: Tensor) -> dict[str, Tensor]:
        return self.base[self.rows[index.cpu()]]


class ClassDomains(DerivedDataModule):
    """The images of ``classes`` of a labelled datamodule; with ``source_classes`` too, two unpaired domains.

    Args:
        base: a labelled datamodule, e.g. ``{class_path: FashionMNIST, init_args: {root: data}}``.
        classes: class indices of the target domain (``real``); alone, the only images trained on (their labels
            and the base's ``num_classes`` are kept).
        source_classes: class indices of the input domain (``source``); the batches are then
            ``{"real": target image, "source": input image}`` drawn independently, without labels.
        **kwargs: loader options of ``GANDataModule`` (batch_size, num_workers, seed, ...).
    """

    def __init__(
        self, base: GANDataModule, classes: list[int], source_classes: list[int] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(base, **kwargs)
        name = type(base).__name__
        if not base.num_classes:
            raise ConfigError(
                f"ClassDomains: the base {name} has no labels to choose classes by. Use a labelled datamodule "
                "(MNIST, FashionMNIST, CIFAR10, ImageFolder with class_subfolders: true)."
            )
        source_classes = list(source_classes or [])
        for option, chosen in (("classes", classes), ("source_classes", source_classes)):
            wrong = [c for c in chosen if not 0 <= c < base.num_classes]
            if wrong or len(set(chosen)) != len(chosen):
                raise ConfigError(
                    f"ClassDomains: data.init_args.{option}={chosen} must list distinct classes of {name}, "
                    f"0 to {base.num_classes - 1}."
                )
        if not classes:
            raise ConfigError("ClassDomains: data.init_args.classes is empty; list the classes to train on.")
        if shared := sorted(set(classes) & set(source_classes)):
            raise ConfigError(
                f"ClassDomains: class(es) {shared} are in both data.init_args.classes and source_classes; "
                "the two domains must not share classes."
            )
        self.classes, self.source_classes = list(classes), source_classes
        if source_classes:
            self.num_classes = 0  # two domains: the labels say nothing the domains do not
            self.source_shape = base.data_shape

    def derive(self, split: BatchIndexable, name: str) -> BatchIndexable:
        labels = labels_of(split)
        target = self._subset(split, labels, self.classes, name)
        if not self.source_classes:
            return target
        return UnpairedSet(self._subset(split, labels, self.source_classes, name), target)

    def _subset(self, split: BatchIndexable, labels: Tensor, classes: list[int], name: str) -> ClassSubset:
        rows = torch.isin(labels, torch.tensor(classes, dtype=labels.dtype)).nonzero().flatten()
        if len(rows) == 0:
            raise ConfigError(
                f"ClassDomains: the {_SPLIT_NAMES[name]} split of {type(self.base).__name__} has no images of "
                f"class(es) {classes}. Choose classes it has."
            )
        return ClassSubset(split, rows, labels[rows])
