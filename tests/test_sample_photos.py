"""SamplePhotos: crops of the photographs scikit-image ships, read from the installed package's files."""

from __future__ import annotations

import pytest
import torch

from lightgan.data import SamplePhotos
from lightgan.data import photos as photos_module
from lightgan.errors import ConfigError, DatasetNotFoundError


def test_crops_are_real_colour_pixels_of_the_named_photographs() -> None:
    data = SamplePhotos(crop_size=32, train_crops=40, val_crops=6, batch_size=8)
    data.setup("fit")
    train, val = data.train_set.real, data.val_set.real
    assert train.shape == (40, 3, 32, 32) and val.shape == (6, 3, 32, 32) and train.dtype == torch.uint8
    assert data.data_shape == (3, 32, 32)
    coffee = photos_module.read_photo("coffee")
    assert coffee.shape == (3, 400, 600)  # the file, as PIL decodes it
    first = val[0]
    corners = (coffee[:, : 400 - 31, : 600 - 31] == first[:, :1, :1]).all(0).nonzero().tolist()
    assert any(torch.equal(coffee[:, t : t + 32, x : x + 32], first) for t, x in corners)  # a window of the photo
    assert (train.float().std(dim=(2, 3)) > 0).all()  # photographs, not constant fill
    assert not torch.equal(train[:, 0], train[:, 1])  # colour: channels differ


def test_the_same_seed_draws_the_same_crops_and_another_seed_others() -> None:
    a, b, c = (SamplePhotos(crop_size=16, train_crops=20, val_crops=2, batch_size=4, crop_seed=s) for s in (0, 0, 1))
    for data in (a, b, c):
        data.setup("fit")
    assert torch.equal(a.train_set.real, b.train_set.real)
    assert not torch.equal(a.train_set.real, c.train_set.real)


def test_bad_settings_name_the_value_and_the_choices() -> None:
    with pytest.raises(ConfigError, match=r"unknown photograph 'lena'.*astronaut, hubble_deep_field"):
        SamplePhotos(train_photos=("lena",))
    with pytest.raises(ConfigError, match=r"must be non-empty and apart.*both hold \['coffee'\]"):
        SamplePhotos(val_photos=("coffee",), train_photos=("coffee", "rocket"))
    with pytest.raises(ConfigError, match=r"crop_size must be in \[1, 300\], got 512"):
        SamplePhotos(crop_size=512)


def test_a_missing_package_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(photos_module.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(DatasetNotFoundError, match=r"scikit-image is not installed.*lightgan\[photos\]"):
        SamplePhotos(crop_size=16, train_crops=8, val_crops=1, batch_size=4).prepare_data()
