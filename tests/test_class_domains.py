"""ClassDomains: one class (or a few) of a labelled datamodule, or two classes as unpaired domains."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from fakedata import write_image_folder

from lightgan.data import ClassDomains, Degraded, FashionMNIST, ImageFolder, RingMixture
from lightgan.data.base import held_in_memory, labels_of
from lightgan.data.mnist import DEBIAN_FASHION_MNIST
from lightgan.errors import ConfigError

SNEAKER, ANKLE_BOOT = 7, 9


def _drawn_class(images: torch.Tensor) -> list[int]:
    """The class each fabricated image shows: its bright square's position encodes the label (fakedata)."""
    classes = []
    for image in images:
        bright = [label for label in range(10) if _square(image, label).min() == 255]
        assert len(bright) == 1
        classes.append(bright[0])
    return classes


def _square(image: torch.Tensor, label: int) -> torch.Tensor:
    row, col = divmod(label, 5)
    return image[0, 4 + row * 10 : 12 + row * 10, 2 + col * 5 : 6 + col * 5]


def _ready(root: Path, **kwargs) -> ClassDomains:
    dm = ClassDomains(base=FashionMNIST(root=str(root), download=False, val_size=64), batch_size=4, **kwargs)
    dm.prepare_data()
    dm.setup("fit")
    return dm


def test_one_domain_trains_on_the_chosen_classes_only(fashion_root: Path) -> None:
    dm = _ready(fashion_root, classes=[SNEAKER])
    labels = labels_of(dm.base.train_set)
    assert len(dm.train_set) == int((labels == SNEAKER).sum()) > 0
    assert dm.num_classes == 10 and dm.data_shape == (1, 28, 28)  # labels kept: still the base's classes
    batch = dm.train_set[torch.arange(len(dm.train_set))]
    assert set(batch) == {"real", "label"} and (batch["label"] == SNEAKER).all()
    assert set(_drawn_class(batch["real"])) == {SNEAKER}
    assert (labels_of(dm.val_set) == SNEAKER).all() and len(dm.val_set) > 0
    assert held_in_memory(dm.train_set)


def test_two_domains_are_unpaired_sneakers_to_ankle_boots(fashion_root: Path) -> None:
    dm = _ready(fashion_root, classes=[ANKLE_BOOT], source_classes=[SNEAKER])
    assert dm.num_classes == 0 and dm.source_shape == dm.data_shape == (1, 28, 28)
    batch = next(iter(dm.train_dataloader()))
    assert set(batch) == {"real", "source"} and batch["source"].dtype == torch.uint8
    every = dm.train_set[torch.arange(len(dm.train_set))]
    assert set(_drawn_class(every["source"])) == {SNEAKER} and set(_drawn_class(every["real"])) == {ANKLE_BOOT}
    labels = labels_of(dm.base.train_set)
    assert len(dm.train_set) == max(int((labels == SNEAKER).sum()), int((labels == ANKLE_BOOT).sum()))
    val = dm.val_set[torch.arange(len(dm.val_set))]
    assert set(_drawn_class(val["source"])) == {SNEAKER} and set(_drawn_class(val["real"])) == {ANKLE_BOOT}


def test_it_composes_with_degraded(fashion_root: Path) -> None:
    subset = ClassDomains(base=FashionMNIST(root=str(fashion_root), download=False, val_size=64), classes=[SNEAKER])
    dm = Degraded(base=subset, degradation="edges", batch_size=4)
    dm.prepare_data()
    dm.setup("fit")
    batch = dm.train_set[torch.arange(3)]
    assert (batch["label"] == SNEAKER).all() and batch["source"].shape == (3, 1, 28, 28)


def test_classes_that_do_not_fit_are_rejected(fashion_root: Path, tmp_path: Path) -> None:
    base = FashionMNIST(root=str(fashion_root), download=False)
    with pytest.raises(ConfigError, match=r"classes=\[10\] must list distinct classes of FashionMNIST, 0 to 9"):
        ClassDomains(base=base, classes=[10])
    with pytest.raises(ConfigError, match=r"source_classes=\[1, 1\]"):
        ClassDomains(base=base, classes=[2], source_classes=[1, 1])
    with pytest.raises(ConfigError, match=r"class\(es\) \[7\] are in both"):
        ClassDomains(base=base, classes=[7, 9], source_classes=[7])
    with pytest.raises(ConfigError, match="classes is empty"):
        ClassDomains(base=base, classes=[])
    with pytest.raises(ConfigError, match="RingMixture has no labels"):
        ClassDomains(base=RingMixture(), classes=[0])


def test_a_split_without_the_class_names_it(tmp_path: Path) -> None:
    write_image_folder(tmp_path / "pets", {"cat": 3, "dog": 2})
    base = ImageFolder(root=str(tmp_path / "pets"), class_subfolders=True, image_size=8, num_workers=0)
    dm = ClassDomains(base=base, classes=[1], batch_size=2)  # no validation split at all: fine
    dm.prepare_data()
    dm.setup("fit")
    assert len(dm.train_set) == 2 and dm.val_set is None
    base = ImageFolder(root=str(tmp_path / "pets"), class_subfolders=True, image_size=8, num_workers=0, batch_size=2)
    base.setup("fit")
    base.train_set.labels[:] = 0  # as if no dog were left in the training split
    dm = ClassDomains(base=base, classes=[1], batch_size=2)
    with pytest.raises(ConfigError, match=r"the training split of ImageFolder has no images of class\(es\) \[1\]"):
        dm.setup("fit")


@pytest.mark.skipif(
    not (DEBIAN_FASHION_MNIST / "train-images-idx3-ubyte.gz").is_file(),
    reason="Debian's dataset-fashion-mnist package is not installed",
)
def test_the_offline_cyclegan_demo_on_real_fashion_mnist(tmp_path: Path) -> None:
    dm = ClassDomains(
        base=FashionMNIST(root=str(tmp_path / "data"), download=False), classes=[9], source_classes=[7], batch_size=64
    )
    dm.prepare_data()
    dm.setup("fit")
    # 6,000 of each class in the training file; validation holds 10,000 of the 60,000 out
    assert 4_500 < len(dm.train_set) < 5_500 and 800 < len(dm.val_set) < 1_200 and len(dm.test_set) == 1_000
