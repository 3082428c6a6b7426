"""Abstract art and chest X-rays: their Kaggle layouts, labels from file names, and getting the data."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest
import torch
from fakedata import write_abstract_art, write_celeba, write_chest_xray

from lightgan.data.abstract_art import AbstractArt
from lightgan.data.chest_xray import ChestXray
from lightgan.errors import ConfigError, DatasetNotFoundError


@pytest.fixture(autouse=True)
def _no_kaggle_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("KAGGLE_USERNAME", "KAGGLE_KEY", "KAGGLE_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(tmp_path / "no-kaggle-config"))


def _ready(cls, root: Path, **kwargs):
    dm = cls(root=str(root), **{"image_size": 8, "batch_size": 2, "num_workers": 0, **kwargs})
    dm.prepare_data()
    dm.setup("fit")
    return dm


def test_chest_xray_labels_come_from_file_names_and_masks_are_ignored(tmp_path: Path) -> None:
    write_chest_xray(tmp_path, shenzhen=(3, 4), montgomery=(2, 1))
    dm = _ready(ChestXray, tmp_path)
    assert dm.data_shape == (1, 8, 8) and dm.num_classes == 2
    train = dm.train_set
    assert len(train) == 10  # Montgomery's 6 lung masks share the scans' names but are not scans
    # Fabricated tuberculosis scans are bright, normal ones dark.
    assert torch.equal((train.real.float().mean(dim=(1, 2, 3)) > 128).long(), train.labels)
    assert "classes: normal 5, tuberculosis 5" in dm.summary
    assert "shenzhen: 3 normal, 4 tuberculosis" in dm.summary and "montgomery: 2 normal, 1 tuberculosis" in dm.summary


def test_chest_xray_one_set_and_rgb(tmp_path: Path) -> None:
    write_chest_xray(tmp_path, shenzhen=(2, 2), montgomery=(1, 1))
    dm = _ready(ChestXray, tmp_path, sets=("montgomery",), channels=3)
    assert len(dm.train_set) == 2 and dm.data_shape == (3, 8, 8)
    real = dm.train_set.real
    assert torch.equal(real[:, 0], real[:, 1]) and torch.equal(real[:, 1], real[:, 2])
    with pytest.raises(ConfigError, match="sets"):
        ChestXray(root=str(tmp_path), sets=())


def test_chest_xray_sets_keep_caches_of_their_own(tmp_path: Path) -> None:
    write_chest_xray(tmp_path, shenzhen=(2, 2), montgomery=(1, 1))
    one = _ready(ChestXray, tmp_path, sets=("montgomery",))
    both = _ready(ChestXray, tmp_path)
    again = _ready(ChestXray, tmp_path, sets=("montgomery",))
    assert len(one.train_set) == len(again.train_set) == 2 and len(both.train_set) == 6
    assert one.decoded.path == again.decoded.path != both.decoded.path
    assert one.decoded.path.is_file() and both.decoded.path.is_file()


def test_chest_xray_warns_when_a_requested_set_is_absent(tmp_path: Path) -> None:
    write_chest_xray(tmp_path, shenzhen=(2, 2), montgomery=(0, 0))
    with pytest.warns(UserWarning, match="no montgomery images"):
        dm = _ready(ChestXray, tmp_path)
    assert len(dm.train_set) == 4


def test_missing_chest_xray_gives_the_steps(tmp_path: Path) -> None:
    with pytest.raises(DatasetNotFoundError) as missing:
        _ready(ChestXray, tmp_path)
    message = str(missing.value)
    for needed in (str(tmp_path / "chest_xray"), "kmader/pulmonary-chest-xray-abnormalities", "kaggle.json", "NLM"):
        assert needed in message


def test_abstract_art_uses_the_main_gallery(tmp_path: Path) -> None:
    write_abstract_art(tmp_path, n=6, n_gallery_2=2)
    assert len(_ready(AbstractArt, tmp_path).train_set) == 6
    dm = _ready(AbstractArt, tmp_path, include_gallery_2=True)
    assert len(dm.train_set) == 8 and dm.num_classes == 0 and dm.data_shape == (3, 8, 8)


def test_abstract_art_from_a_flat_folder(tmp_path: Path) -> None:
    write_abstract_art(tmp_path, n=4, n_gallery_2=0)
    flat = tmp_path / "abstract_art" / "Abstract_gallery" / "Abstract_gallery"
    assert len(_ready(AbstractArt, flat).train_set) == 4


def test_abstract_art_never_takes_other_datasets_under_root(tmp_path: Path) -> None:
    write_celeba(tmp_path, [0, 0])
    with pytest.raises(DatasetNotFoundError, match="bryanb/abstract-art-gallery"):
        _ready(AbstractArt, tmp_path)


def test_kaggle_credentials_without_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAGGLE_USERNAME", "someone")
    monkeypatch.setenv("KAGGLE_KEY", "secret")
    monkeypatch.setitem(sys.modules, "kaggle", None)  # not installed
    with pytest.raises(DatasetNotFoundError, match="pip install kaggle"):
        _ready(AbstractArt, tmp_path)


def test_kaggle_download_fills_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real download path, with the Kaggle API replaced by one that writes the zip's content."""
    downloads = []

    class FakeKaggleApi:
        def authenticate(self) -> None:
            pass

        def dataset_download_files(self, slug: str, path: str, unzip: bool, quiet: bool) -> None:
            downloads.append((slug, Path(path), unzip))
            write_abstract_art(Path(path).parent, n=4, n_gallery_2=0)

    api_module = types.ModuleType("kaggle.api.kaggle_api_extended")
    api_module.KaggleApi = FakeKaggleApi
    for name, module in {
        "kaggle": types.ModuleType("kaggle"),
        "kaggle.api": types.ModuleType("kaggle.api"),
        "kaggle.api.kaggle_api_extended": api_module,
    }.items():
        monkeypatch.setitem(sys.modules, name, module)
    (tmp_path / "no-kaggle-config").mkdir()
    (tmp_path / "no-kaggle-config" / "kaggle.json").write_text('{"username": "someone", "key": "secret"}')
    dm = _ready(AbstractArt, tmp_path)
    assert downloads == [("bryanb/abstract-art-gallery", tmp_path / "abstract_art", True)]
    assert len(dm.train_set) == 4
    with pytest.raises(DatasetNotFoundError, match=r"kaggle\.json"):
        _ready(AbstractArt, tmp_path / "elsewhere", download=False)
