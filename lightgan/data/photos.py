"""``SamplePhotos``: random crops of the colour photographs scikit-image ships, a colour demo with no download.

scikit-image's wheel carries a few photographs in ``skimage/data/`` (its other images are fetched
on demand; these are not). lightgan reads the files where the package is installed, without
importing it, and uses five whose licences allow any use:

- ``astronaut``: Eileen Collins, NASA Great Images, public domain;
- ``hubble_deep_field``: Hubble eXtreme Deep Field, NASA, public domain;
- ``rocket``: DSCOVR's launch on Falcon 9, SpaceX, public domain;
- ``chelsea``: a cat, CC0 (Stefan van der Walt);
- ``coffee``: a cup of coffee, CC0 (Rachel Michetti).

Training crops come from ``train_photos``, validation crops from ``val_photos`` (by default
the coffee cup, which training never sees), so a super-resolution model is judged on a
photograph it did not learn. Crop positions are drawn from ``crop_seed``: the same crops in
every run and after a resume.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from lightgan.data.base import GANDataModule, InMemoryDataset
from lightgan.errors import ConfigError, DatasetNotFoundError

#: The photographs and their files in ``skimage/data/``.
PHOTOS = {
    "astronaut": "astronaut.png",
    "hubble_deep_field": "hubble_deep_field.jpg",
    "rocket": "rocket.jpg",
    "chelsea": "chelsea.png",
    "coffee": "coffee.png",
}


def photo_folder() -> Path:
    """``skimage/data`` of the installed scikit-image, found without importing it."""
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        raise DatasetNotFoundError(
            "SamplePhotos reads the photographs scikit-image ships, but scikit-image is not installed. "
            "Install it: pip install 'lightgan[photos]' (or pip install scikit-image)."
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def read_photo(name: str) -> Tensor:
    """One photograph as a (3, H, W) uint8 tensor."""
    path = photo_folder() / PHOTOS[name]
    if not path.is_file():
        raise DatasetNotFoundError(f"SamplePhotos: {path} is missing from the installed scikit-image; reinstall it.")
    with Image.open(path) as image:
        pixels = np.asarray(image.convert("RGB"))
    return torch.from_numpy(pixels.copy()).permute(2, 0, 1)


def random_crops(photos: list[Tensor], count: int, size: int, rng: torch.Generator) -> Tensor:
    """``count`` crops of ``size`` x ``size``, as many from each photo (the first photos take the remainder)."""
    per_photo = [count // len(photos) + (i < count % len(photos)) for i in range(len(photos))]
    crops = []
    for photo, n in zip(photos, per_photo, strict=True):
        _, height, width = photo.shape
        tops = torch.randint(0, height - size + 1, (n,), generator=rng).tolist()
        lefts = torch.randint(0, width - size + 1, (n,), generator=rng).tolist()
        crops += [photo[:, t : t + size, x : x + size] for t, x in zip(tops, lefts, strict=True)]
    return torch.stack(crops)


class SamplePhotos(GANDataModule):
    """Random ``crop_size`` crops of scikit-image's bundled colour photographs (RGB, in memory).

    Args:
        crop_size: side of each crop in pixels (64 by default: x4 super-resolution from 16).
        train_crops: crops drawn from the training photographs.
        val_crops: crops drawn from the validation photographs.
        train_photos, val_photos: which photographs each split uses (names in ``PHOTOS``; a
            photograph in both would let validation see training data and is refused).
        crop_seed: seed of the crop positions.
        **kwargs: ``batch_size`` and the loader options of ``GANDataModule``.
    """

    def __init__(
        self,
        crop_size: int = 64,
        train_crops: int = 10_000,
        val_crops: int = 500,
        train_photos: tuple[str, ...] = ("astronaut", "hubble_deep_field", "rocket", "chelsea"),
        val_photos: tuple[str, ...] = ("coffee",),
        crop_seed: int = 0,
        batch_size: int = 16,
        **kwargs: Any,
    ) -> None:
        super().__init__(batch_size=batch_size, **kwargs)
        for photo in (*train_photos, *val_photos):
            if photo not in PHOTOS:
                raise ConfigError(
                    f"data.init_args: unknown photograph {photo!r}; the photographs are {', '.join(PHOTOS)}."
                )
        shared = sorted(set(train_photos) & set(val_photos))
        if shared or not train_photos or not val_photos:
            raise ConfigError(
                f"data.init_args.train_photos and val_photos must be non-empty and apart, got {list(train_photos)} "
                f"and {list(val_photos)}{f' (both hold {shared})' if shared else ''}."
            )
        smallest = 300  # chelsea's height, the smallest side of the five
        if not 1 <= crop_size <= smallest:
            raise ConfigError(f"data.init_args.crop_size must be in [1, {smallest}], got {crop_size}.")
        if train_crops < batch_size or val_crops < 1:
            raise ConfigError(
                f"data.init_args.train_crops ({train_crops}) must be at least batch_size ({batch_size}) "
                f"and val_crops ({val_crops}) at least 1."
            )
        self.crop_size, self.train_crops, self.val_crops = crop_size, train_crops, val_crops
        self.train_photos, self.val_photos, self.crop_seed = tuple(train_photos), tuple(val_photos), crop_seed
        self.data_shape = (3, crop_size, crop_size)

    def prepare_data(self) -> None:
        photo_folder()  # a missing package is reported before any process starts training

    def setup(self, stage: str) -> None:
        if self.train_set is not None:
            return
        rng = torch.Generator().manual_seed(self.crop_seed)
        train = random_crops([read_photo(p) for p in self.train_photos], self.train_crops, self.crop_size, rng)
        val = random_crops([read_photo(p) for p in self.val_photos], self.val_crops, self.crop_size, rng)
        self.train_set, self.val_set = InMemoryDataset(train), InMemoryDataset(val)
        self.test_set = self.val_set
