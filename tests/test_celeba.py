"""CelebA read from torchvision's layout (and the Kaggle copy's), with attribute labels and official splits."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torchvision
from fakedata import CELEBA_ATTRIBUTES, write_celeba

from lightgan.data.celeba import ATTRIBUTES, CelebA
from lightgan.errors import ConfigError, DatasetNotFoundError

PARTITIONS = [0, 0, 0, 1, 0, 2, 0, 1, 0, 2]  # 6 train, 2 validation, 2 test, interleaved like the real list


def _ready(root: Path, **kwargs) -> CelebA:
    dm = CelebA(root=str(root), **{"image_size": 16, "batch_size": 2, "num_workers": 0, "download": False, **kwargs})
    dm.prepare_data()
    dm.setup("fit")
    return dm


def test_attribute_names_match_the_official_header() -> None:
    assert list(ATTRIBUTES) == CELEBA_ATTRIBUTES and len(ATTRIBUTES) == 40


@pytest.mark.parametrize("kaggle_layout", [False, True], ids=["torchvision", "kaggle"])
def test_partitions_crop_and_attribute_labels(tmp_path: Path, kaggle_layout: bool) -> None:
    attributes = write_celeba(tmp_path, PARTITIONS, kaggle_layout=kaggle_layout)
    dm = _ready(tmp_path, attribute="Smiling")
    assert dm.num_classes == 2 and dm.data_shape == (3, 16, 16)
    assert (len(dm.train_set), len(dm.val_set), len(dm.test_set)) == (6, 2, 2)
    smiling = torch.as_tensor(attributes[:, CELEBA_ATTRIBUTES.index("Smiling")] > 0).long()
    split = torch.tensor(PARTITIONS)
    assert torch.equal(dm.train_set.labels, smiling[split == 0])
    assert torch.equal(dm.val_set.labels, smiling[split == 1])
    # The 178 crop drops the red bands at the top and bottom of the 178 x 218 faces: green is left (up
    # to JPEG colour bleeding at the edge rows; without the crop those rows would be mostly red).
    real = dm.train_set.real.int()
    assert (real[:, 1, 1:-1] > 240).all() and (real[:, 0, 1:-1] < 15).all()
    assert (real[:, 1] > 200).all() and (real[:, 0] < 60).all()
    assert f"classes: not Smiling {int((smiling == 0).sum())}, Smiling {int(smiling.sum())}" in dm.summary


def test_unconditional_by_default(tmp_path: Path) -> None:
    write_celeba(tmp_path, PARTITIONS)
    dm = _ready(tmp_path)
    assert dm.num_classes == 0 and dm.train_set.labels is None


def test_unknown_attribute_suggests_the_right_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Did you mean 'Eyeglasses'"):
        CelebA(root=str(tmp_path), attribute="Eyeglases")


def test_missing_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(DatasetNotFoundError) as missing:
        _ready(tmp_path)
    message = str(missing.value)
    assert str(tmp_path / "celeba") in message
    assert "img_align_celeba/" in message and "list_eval_partition.txt" in message
    write_celeba(tmp_path, PARTITIONS)
    (tmp_path / "celeba" / "list_attr_celeba.txt").unlink()
    with pytest.raises(DatasetNotFoundError, match=r"list_attr_celeba\.txt is missing"):
        _ready(tmp_path, attribute="Male")
    assert len(_ready(tmp_path).train_set) == 6  # without an attribute the list is not needed


def test_images_missing_from_the_folder_are_counted(tmp_path: Path) -> None:
    write_celeba(tmp_path, PARTITIONS)
    (tmp_path / "celeba" / "img_align_celeba" / "000002.jpg").unlink()
    with pytest.warns(UserWarning, match=r"1 of 10 images .* \(first: 000002\.jpg\)"):
        dm = _ready(tmp_path)
    assert len(dm.train_set) == 5


def test_failed_download_explains_the_manual_route(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def quota_exceeded(*args, **kwargs):
        raise RuntimeError("The daily quota of the file img_align_celeba.zip is exceeded")

    monkeypatch.setattr(torchvision.datasets, "CelebA", quota_exceeded)
    with pytest.raises(DatasetNotFoundError, match=r"quota.*mmlab\.ie\.cuhk\.edu\.hk.*img_align_celeba"):
        _ready(tmp_path, download=True)  # ok-offline: the download is patched to fail
