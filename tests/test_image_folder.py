"""ImageFolder and the shared image-file datamodule behaviour: layout, labels, splits, memory, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from fakedata import write_image, write_image_folder
from PIL import Image

from lightgan.data.base import InMemoryDataset
from lightgan.data.cache import MemmapImages
from lightgan.data.image_folder import ImageFolder
from lightgan.errors import ConfigError, DatasetNotFoundError


def _ready(**kwargs) -> ImageFolder:
    kwargs = {"image_size": 8, "batch_size": 2, "num_workers": 0, **kwargs}
    dm = ImageFolder(**kwargs)
    dm.prepare_data()
    dm.setup("fit")
    return dm


def test_any_tree_of_images_unlabelled(tmp_path: Path) -> None:
    write_image_folder(tmp_path / "photos", {"": 2, "2019/summer": 3, "misc": 1})
    dm = _ready(root=str(tmp_path / "photos"))
    assert dm.num_classes == 0 and dm.data_shape == (3, 8, 8)
    batch = dm.train_set[torch.arange(6)]
    assert batch["real"].shape == (6, 3, 8, 8) and batch["real"].dtype == torch.uint8 and "label" not in batch
    assert (tmp_path / "photos" / ".lightgan_cache").is_dir()


def test_class_subfolders_are_labels(tmp_path: Path) -> None:
    write_image_folder(tmp_path / "pets", {"dog": 3, "cat": 2, "": 1})
    (tmp_path / "pets" / "empty").mkdir()
    with pytest.warns(UserWarning, match="1 image"):
        dm = _ready(root=str(tmp_path / "pets"), class_subfolders=True)
    assert dm.class_names == ["cat", "dog"] and dm.num_classes == 2
    assert dm.train_set.labels.tolist() == [0, 0, 1, 1, 1]
    assert "classes: cat 2, dog 3" in dm.summary


def test_class_subfolders_need_two_classes(tmp_path: Path) -> None:
    write_image_folder(tmp_path / "one", {"only": 2})
    with pytest.raises(ConfigError, match="class_subfolders"):
        ImageFolder(root=str(tmp_path / "one"), class_subfolders=True)


def test_missing_root_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(DatasetNotFoundError, match=str(missing)):
        ImageFolder(root=str(missing), class_subfolders=True)
    with pytest.raises(DatasetNotFoundError, match=f"{missing}.*data.init_args.root"):
        _ready(root=str(missing))


def test_folder_without_images_says_so(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "readme.txt").write_text("hello")
    with pytest.raises(DatasetNotFoundError, match=r"no images found under .*docs \(looked for \.jpg"):
        _ready(root=str(tmp_path / "docs"))


def test_rgb_images_are_converted_for_a_grayscale_model(tmp_path: Path) -> None:
    write_image_folder(tmp_path / "rgb", {"": 2}, ext=".png")
    dm = _ready(root=str(tmp_path / "rgb"), channels=1, image_size=48)
    assert dm.data_shape == (1, 48, 48)
    first = sorted((tmp_path / "rgb").glob("*.png"))[0]
    expected = np.asarray(Image.open(first).convert("L"))[:, 4:44]  # 48 x 40 image: centre 40 x 40 square ...
    expected = np.asarray(Image.fromarray(expected).resize((48, 48), Image.Resampling.BILINEAR))  # ... resized
    assert np.array_equal(dm.train_set.real[0, 0].numpy(), expected)
    with pytest.raises(ConfigError, match="channels must be 1"):
        ImageFolder(root=str(tmp_path / "rgb"), channels=4)


def test_validation_fraction_is_a_fixed_disjoint_split(tmp_path: Path) -> None:
    write_image_folder(tmp_path / "many", {"": 8})
    dm = _ready(root=str(tmp_path / "many"), val_fraction=0.25)
    again = _ready(root=str(tmp_path / "many"), val_fraction=0.25)
    train, val = dm.train_set.real, dm.val_set.real
    assert len(train) == 6 and len(val) == 2
    everything = torch.cat([train, val]).flatten(1)
    assert len(torch.unique(everything, dim=0)) == 8
    assert torch.equal(val, again.val_set.real)


def test_large_data_is_read_from_the_cache_file_by_workers(tmp_path: Path) -> None:
    write_image_folder(tmp_path / "imgs", {"": 4})
    small = _ready(root=str(tmp_path / "imgs"), num_workers=2)
    large = _ready(root=str(tmp_path / "imgs"), num_workers=2, in_memory=False)
    assert isinstance(small.train_set, InMemoryDataset) and isinstance(large.train_set, MemmapImages)
    assert small.train_dataloader().num_workers == 0  # in-memory gathers need no workers
    assert large.train_dataloader().num_workers == 2
    assert torch.equal(large.train_set[torch.arange(4)]["real"], small.train_set.real)


def test_cache_follows_the_image_size_and_cache_dir(tmp_path: Path) -> None:
    write_image_folder(tmp_path / "imgs", {"": 2})
    _ready(root=str(tmp_path / "imgs"), image_size=8)
    _ready(root=str(tmp_path / "imgs"), image_size=16, cache_dir=str(tmp_path / "elsewhere"))
    assert [p.name[:20] for p in (tmp_path / "imgs" / ".lightgan_cache").glob("*.uint8")] == ["imagefolder-8px-rgb-"]
    assert [p.name.split("-")[1] for p in (tmp_path / "elsewhere").glob("*.uint8")] == ["16px"]
    nocache = _ready(root=str(tmp_path / "imgs"), image_size=12, cache=False)
    assert nocache.decoded.path is None and not list((tmp_path / "imgs" / ".lightgan_cache").glob("*12px*"))


def test_fewer_images_than_a_batch_is_a_config_error(tmp_path: Path) -> None:
    write_image(tmp_path / "one" / "a.png")
    with pytest.raises(ConfigError, match="batch_size=2"):
        _ready(root=str(tmp_path / "one"))
