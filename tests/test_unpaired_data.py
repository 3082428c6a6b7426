"""UnpairedImages: the CycleGAN datasets' layout; domains drawn independently, deterministically per index."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PIL import Image

from lightgan.data import UnpairedImages
from lightgan.data.base import InMemoryDataset
from lightgan.data.loader import ResumableLoader
from lightgan.data.unpaired import UnpairedSet
from lightgan.errors import ConfigError, DatasetNotFoundError


def _domain(folder: Path, greys: list[int]) -> None:
    """One flat grey image per value, named so that sorted order is the order given."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, grey in enumerate(greys):
        Image.new("RGB", (12, 12), (grey,) * 3).save(folder / f"{i:03d}.png")


#: Domain A: dark greys 0..40; domain B: bright greys 200..230 (one fewer: B is cycled).
A_GREYS, B_GREYS = [0, 10, 20, 30, 40], [200, 210, 220]


def _horse2zebra(root: Path, tests: bool = True) -> Path:
    _domain(root / "trainA", A_GREYS)
    _domain(root / "trainB", B_GREYS)
    if tests:
        _domain(root / "testA", [50, 60])
        _domain(root / "testB", [240, 250])
    return root


def _ready(**kwargs) -> UnpairedImages:
    dm = UnpairedImages(**{"image_size": 8, "batch_size": 2, "num_workers": 0, **kwargs})
    dm.prepare_data()
    dm.setup("fit")
    return dm


def _greys(images: torch.Tensor) -> list[int]:
    return images[:, 0, 0, 0].tolist()


def test_each_epoch_sees_every_image_of_the_larger_domain_once_and_cycles_the_smaller(tmp_path: Path) -> None:
    dm = _ready(root=str(_horse2zebra(tmp_path / "h2z")))
    assert dm.data_shape == dm.source_shape == (3, 8, 8)
    assert len(dm.train_set) == 5 and len(dm.val_set) == 2 and dm.test_set is dm.val_set
    batch = dm.train_set[torch.arange(5)]
    assert set(batch) == {"real", "source"} and batch["real"].dtype == torch.uint8
    assert _greys(batch["source"]) == A_GREYS  # source: A, in order
    real = _greys(batch["real"])
    assert set(real) == set(B_GREYS) and sorted(real.count(g) for g in B_GREYS) == [1, 2, 2]
    val = dm.val_set[torch.arange(2)]
    assert _greys(val["source"]) == [50, 60] and set(_greys(val["real"])) <= {240, 250}
    assert "A train 5 / test 2, B train 3 / test 2" in dm.summary


def test_the_pairing_is_a_function_of_the_index_so_resume_is_exact(tmp_path: Path) -> None:
    root = str(_horse2zebra(tmp_path / "h2z"))
    first, second = _ready(root=root), _ready(root=root)
    index = torch.tensor([4, 0, 2])
    for a, b in ((first.train_set[index], second.train_set[index]), (first.train_set[index], first.train_set[index])):
        assert torch.equal(a["real"], b["real"]) and torch.equal(a["source"], b["source"])

    def run(loader: ResumableLoader, n: int) -> list[list[int]]:
        return [_greys(batch["real"]) + _greys(batch["source"]) for _, batch in zip(range(n), loader, strict=False)]

    whole = ResumableLoader(first.train_set, 1, seed=3)
    expected = run(whole, 5) + run(whole, 5)  # two epochs
    stopped = ResumableLoader(first.train_set, 1, seed=3)
    run(stopped, 5)
    partial = run(stopped, 2)
    resumed = ResumableLoader(second.train_set, 1, seed=0, epoch=1)
    resumed.load_state_dict(stopped.state_dict())
    assert partial + run(resumed, 3) == expected[5:]


def test_names_shared_by_both_domains_do_not_pair_up() -> None:
    """Sets cut from paired data name both domains alike; sample i must not be the pair (i, i)."""
    ids = torch.arange(64).view(64, 1, 1, 1).to(torch.uint8)
    pairs = UnpairedSet(InMemoryDataset(ids), InMemoryDataset(ids.clone()))[torch.arange(64)]
    assert (pairs["source"] == pairs["real"]).sum() < 8


def test_btoa_and_channels(tmp_path: Path) -> None:
    dm = _ready(root=str(_horse2zebra(tmp_path / "h2z")), direction="BtoA", channels=1, source_channels=3)
    assert dm.data_shape == (1, 8, 8) and dm.source_shape == (3, 8, 8)
    batch = dm.train_set[torch.arange(5)]
    assert batch["real"].shape == (5, 1, 8, 8) and batch["source"].shape == (5, 3, 8, 8)
    assert sorted(_greys(batch["real"])) == A_GREYS and _greys(batch["source"]) == [200, 210, 220, 200, 210]


def test_without_test_folders_there_is_no_validation(tmp_path: Path) -> None:
    dm = _ready(root=str(_horse2zebra(tmp_path / "h2z", tests=False)))
    assert dm.val_set is None and dm.test_set is None
    assert _greys(dm.held_out_batch(2)["source"]) != []  # pictures come from the training split then


def test_layout_errors_name_the_folder(tmp_path: Path) -> None:
    root = _horse2zebra(tmp_path / "h2z", tests=False)
    (root / "testA").mkdir()
    with pytest.raises(ConfigError, match=f"{root / 'testA'} exists but {root / 'testB'} does not"):
        _ready(root=str(root))
    (root / "testB").mkdir()
    with pytest.raises(DatasetNotFoundError, match=f"no images in {root / 'testA'}"):
        _ready(root=str(root))
    with pytest.raises(DatasetNotFoundError, match=f"{tmp_path / 'none' / 'trainA'} does not exist"):
        _ready(root=str(tmp_path / "none"))
    with pytest.raises(ConfigError, match=r"5 training images is fewer than one batch \(batch_size=8\)"):
        _ready(root=str(_horse2zebra(tmp_path / "small", tests=False)), batch_size=8)
