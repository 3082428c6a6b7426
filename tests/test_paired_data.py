"""PairedImages: pix2pix's side-by-side layout and two folders of the same names; pairing, splits, errors."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from fakedata import write_image
from PIL import Image

from lightgan.data import PairedImages
from lightgan.data.base import held_in_memory
from lightgan.data.cache import MemmapImages
from lightgan.errors import ConfigError, DatasetNotFoundError


def _flat(path: Path, value: int, width: int, height: int, mode: str = "RGB") -> Path:
    """An image of one grey ``value``, so every pixel after resizing still says which image it was."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, (width, height), value if mode == "L" else (value,) * 3).save(path)
    return path


def _side_by_side(path: Path, left: int, right: int, side: int = 16) -> Path:
    """pix2pix's format: A (left) and B (right), each ``side`` x ``side``, in one image twice as wide."""
    pixels = np.empty((side, 2 * side, 3), dtype=np.uint8)
    pixels[:, :side], pixels[:, side:] = left, right
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path, quality=95)
    return path


def _pix2pix(root: Path, splits: dict[str, int]) -> Path:
    """``root/<split>/<i>.jpg``: A is grey 10 * i + 10 (+100 for val), B is 255 minus A."""
    for split, count in splits.items():
        (root / split).mkdir(parents=True, exist_ok=True)
        for i in range(count):
            a = 10 * i + 10 + (100 if split != "train" else 0)
            _side_by_side(root / split / f"{i}.jpg", a, 255 - a)
    return root


def _ready(**kwargs) -> PairedImages:
    dm = PairedImages(**{"image_size": 8, "batch_size": 2, "num_workers": 0, **kwargs})
    dm.prepare_data()
    dm.setup("fit")
    return dm


def _grey(images: torch.Tensor) -> list[int]:
    """The mean grey of each image, rounded (JPEG moves flat colours by a level or two)."""
    return images.float().mean(dim=(1, 2, 3)).round().long().tolist()


def test_side_by_side_layout_splits_each_image_into_source_and_target(tmp_path: Path) -> None:
    root = _pix2pix(tmp_path / "facades", {"train": 4, "val": 2})
    dm = _ready(root=str(root))
    assert dm.data_shape == dm.source_shape == (3, 8, 8)
    assert (len(dm.train_set), len(dm.val_set)) == (4, 2) and dm.test_set is dm.val_set
    batch = dm.train_set[torch.arange(4)]
    assert set(batch) == {"real", "source"}
    assert batch["real"].dtype == batch["source"].dtype == torch.uint8
    assert batch["source"].shape == batch["real"].shape == (4, 3, 8, 8)
    for a, b, i in zip(_grey(batch["source"]), _grey(batch["real"]), range(4), strict=True):
        assert abs(a - (10 * i + 10)) <= 2 and abs(b - (245 - 10 * i)) <= 2  # A is the left half, B the right
    held_out = dm.held_out_batch(2)
    assert held_out["source"].dtype == torch.float32 and held_out["source"].min() >= -1  # both images scaled
    assert (root / ".lightgan_cache" / "halves" / "A" / "train" / "0.png").is_file()
    assert "PairedImages: 6 pairs" in dm.summary


def test_btoa_swaps_input_and_target(tmp_path: Path) -> None:
    root = _pix2pix(tmp_path / "maps", {"train": 2})
    batch = _ready(root=str(root), direction="BtoA").train_set[torch.arange(2)]
    assert abs(_grey(batch["source"])[0] - 245) <= 2 and abs(_grey(batch["real"])[0] - 10) <= 2


def test_halves_are_rewritten_only_when_an_image_changes(tmp_path: Path) -> None:
    root = _pix2pix(tmp_path / "p", {"train": 2})
    _ready(root=str(root))
    half = root / ".lightgan_cache" / "halves" / "B" / "train" / "1.png"
    written = half.stat().st_mtime_ns
    _ready(root=str(root))
    assert half.stat().st_mtime_ns == written
    replaced = _side_by_side(root / "train" / "1.jpg", 0, 200)
    os.utime(replaced, ns=(written - 10**9, written - 10**9))  # an older file put in its place
    dm = _ready(root=str(root))
    assert half.stat().st_mtime_ns != written
    assert abs(_grey(dm.train_set[torch.tensor([1])]["real"])[0] - 200) <= 2


def test_folders_of_matching_names_pair_by_name_across_sizes_channels_and_formats(tmp_path: Path) -> None:
    for i in range(3):  # A: small grayscale PNGs; B: larger RGB JPEGs of the same names
        _flat(tmp_path / "A" / f"img{i}.png", 20 + 40 * i, 16, 12, mode="L")
        _flat(tmp_path / "B" / f"img{i}.jpg", 200 - 40 * i, 64, 48)
    dm = _ready(root=str(tmp_path), source_channels=1, val_fraction=0.34)
    assert dm.source_shape == (1, 8, 8) and dm.data_shape == (3, 8, 8)
    assert (len(dm.train_set), len(dm.val_set)) == (2, 1)
    both = [dm.train_set[torch.arange(2)], dm.val_set[torch.arange(1)]]
    for a, b in zip(
        [g for batch in both for g in _grey(batch["source"])],
        [g for batch in both for g in _grey(batch["real"])],
        strict=True,
    ):
        assert abs((a - 20) / 40 - (200 - b) / 40) < 0.1  # the same i on both sides


def test_a_dir_and_b_dir_with_split_folders(tmp_path: Path) -> None:
    for split, count in (("train", 3), ("val", 1), ("test", 2)):
        for i in range(count):
            write_image(tmp_path / "photos" / split / f"{split}{i}.png", 24, 24, seed=i)
            write_image(tmp_path / "labels" / split / f"{split}{i}.png", 24, 24, seed=100 + i)
    dm = _ready(a_dir=str(tmp_path / "photos"), b_dir=str(tmp_path / "labels"), in_memory=False)
    assert (len(dm.train_set), len(dm.val_set), len(dm.test_set)) == (3, 1, 2)
    assert isinstance(dm.train_set.source, MemmapImages) and not held_in_memory(dm.train_set)
    assert dm.train_set[torch.arange(3)]["real"].shape == (3, 3, 8, 8)


def test_unmatched_names_are_one_line_listing_a_few(tmp_path: Path) -> None:
    for i in range(6):
        _flat(tmp_path / "A" / f"a{i}.png", 10, 8, 8)
    _flat(tmp_path / "B" / "a0.png", 10, 8, 8)
    _flat(tmp_path / "B" / "stray.png", 10, 8, 8)
    with pytest.raises(ConfigError) as error:
        _ready(root=str(tmp_path))
    message = str(error.value)
    assert "\n" not in message
    assert "5 in" in message and "a1, a2, a3, ... (2 more)" in message and "stray" in message


def test_pairs_of_different_aspect_ratio_are_rejected_naming_the_file(tmp_path: Path) -> None:
    _flat(tmp_path / "A" / "x.png", 10, 32, 16)
    _flat(tmp_path / "B" / "x.png", 10, 16, 16)
    with pytest.raises(ConfigError, match=r"A/x\.png is 32x16 but its partner .*B/x\.png is 16x16"):
        _ready(root=str(tmp_path))


def test_empty_split_and_missing_layout_name_the_folder(tmp_path: Path) -> None:
    root = _pix2pix(tmp_path / "p", {"train": 2})
    (root / "val").mkdir()
    with pytest.raises(DatasetNotFoundError, match=f"no images in {root / 'val'}"):
        _ready(root=str(root))
    with pytest.raises(DatasetNotFoundError, match=str(tmp_path / "nothing" / "train")):
        _ready(root=str(tmp_path / "nothing"))
    _flat(tmp_path / "A" / "train" / "x.png", 10, 8, 8)
    (tmp_path / "B" / "train").mkdir(parents=True)
    with pytest.raises(ConfigError, match=f"1 in {tmp_path / 'A' / 'train'} without a partner"):
        _ready(root=str(tmp_path))


def test_an_unreadable_image_drops_its_pair_and_keeps_the_rest_aligned(tmp_path: Path) -> None:
    for i in range(4):
        _flat(tmp_path / "A" / f"{i}.png", 10 + 50 * i, 8, 8)
        _flat(tmp_path / "B" / f"{i}.png", 20 + 50 * i, 8, 8)
    (tmp_path / "A" / "1.png").write_bytes(b"not an image")
    with pytest.warns(UserWarning, match="1.png"):
        dm = _ready(root=str(tmp_path))
    batch = dm.train_set[torch.arange(3)]
    assert _grey(batch["source"]) == [10, 110, 160] and _grey(batch["real"]) == [20, 120, 170]


def test_bad_options_are_rejected() -> None:
    with pytest.raises(ConfigError, match="direction must be AtoB or BtoA"):
        PairedImages(direction="AB")
    with pytest.raises(ConfigError, match="source_channels"):
        PairedImages(source_channels=4)
    with pytest.raises(ConfigError, match=r"both data\.init_args\.a_dir and data\.init_args\.b_dir"):
        PairedImages(a_dir="x")
