"""CelebA: 202,599 aligned celebrity faces with 40 binary attributes (Liu et al., 2015).

Read from torchvision's layout, which is also what a manual download gives::

    <root>/celeba/img_align_celeba/000001.jpg … 202599.jpg
    <root>/celeba/list_eval_partition.txt     # "000001.jpg 0": 0 train, 1 validation, 2 test
    <root>/celeba/list_attr_celeba.txt        # count line, the 40 names, then "000001.jpg -1  1 …"

The Kaggle copy (``img_align_celeba/img_align_celeba/`` and ``.csv`` versions of both lists)
works as it is. The official Google Drive download often fails with a quota error, which is
why a folder downloaded by hand is the main path.
"""

from __future__ import annotations

import csv
import difflib
import os
import warnings
from pathlib import Path
from typing import Any

from lightgan.data.image_files import ImageFilesDataModule, ImageList
from lightgan.errors import ConfigError, DatasetNotFoundError

HOMEPAGE = "https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html"
KAGGLE_COPY = "https://www.kaggle.com/datasets/jessicali9530/celeba-dataset"
ATTRIBUTES = (
    "5_o_Clock_Shadow", "Arched_Eyebrows", "Attractive", "Bags_Under_Eyes", "Bald", "Bangs", "Big_Lips", "Big_Nose",
    "Black_Hair", "Blond_Hair", "Blurry", "Brown_Hair", "Bushy_Eyebrows", "Chubby", "Double_Chin", "Eyeglasses",
    "Goatee", "Gray_Hair", "Heavy_Makeup", "High_Cheekbones", "Male", "Mouth_Slightly_Open", "Mustache",
    "Narrow_Eyes", "No_Beard", "Oval_Face", "Pale_Skin", "Pointy_Nose", "Receding_Hairline", "Rosy_Cheeks",
    "Sideburns", "Smiling", "Straight_Hair", "Wavy_Hair", "Wearing_Earrings", "Wearing_Hat", "Wearing_Lipstick",
    "Wearing_Necklace", "Wearing_Necktie", "Young",
)  # fmt: skip
IMAGES = "img_align_celeba"
PARTITIONS = "list_eval_partition"
ATTRIBUTE_LIST = "list_attr_celeba"


class CelebA(ImageFilesDataModule):
    """Aligned CelebA faces, centre-cropped to 178 x 178 and resized (64 x 64 by default).

    Trains on the official training partition (162,770 images) and validates on the validation one.

    Args:
        root: folder holding ``celeba/`` (or the CelebA files themselves).
        attribute: label every image by one of the 40 attributes (e.g. ``Eyeglasses``, ``Smiling``,
            ``Male``): 1 when present, 0 when not, so conditional models get two classes. None: unlabelled.
        download: try torchvision's Google Drive download when the files are missing (needs ``gdown``).
        crop_size: centred square cut from the 178 x 218 images before resizing.
        **kwargs: image_size, channels, caching and loader options of ``ImageFilesDataModule``.
    """

    subfolder = "celeba"

    def __init__(
        self,
        root: str = "data",
        attribute: str | None = None,
        download: bool = True,
        crop_size: int | None = 178,
        **kwargs: Any,
    ) -> None:
        super().__init__(root=root, crop_size=crop_size, **kwargs)
        if self.val_fraction:
            raise ConfigError(
                "CelebA validates on its official validation partition; remove data.init_args.val_fraction."
            )
        if attribute is not None and attribute not in ATTRIBUTES:
            close = difflib.get_close_matches(attribute, ATTRIBUTES, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ConfigError(
                f"data.init_args.attribute {attribute!r} is not a CelebA attribute.{hint} "
                f"Choose one of: {', '.join(ATTRIBUTES)}."
            )
        self.attribute, self.download = attribute, download
        self.num_classes = 2 if attribute else 0

    def holds_dataset(self, folder: Path) -> bool:
        return (folder / IMAGES).is_dir() or _list_file(folder, PARTITIONS) is not None

    def _needed_files(self) -> str:
        needed = f"{IMAGES}/ (unzipped from Img/{IMAGES}.zip), {PARTITIONS}.txt (from Eval/)"
        return needed + (f" and {ATTRIBUTE_LIST}.txt (from Anno/)" if self.attribute else "")

    def missing_message(self, missing: str = "") -> str:
        where = self.root / self.subfolder
        lacks = f"{missing} is missing. " if missing else f"no CelebA files at {where} (nor {self.root}). "
        download = (
            "torchvision's Google Drive download needs `pip install gdown` and is often refused with a quota error."
            if self.download
            else "data.init_args.download=true tries torchvision's Google Drive download (needs `pip install gdown`)."
        )
        return (
            f"CelebA: {lacks}CelebA needs in {where}: {self._needed_files()}. Download them from {HOMEPAGE} "
            f"(Google Drive or Baidu links) or from {KAGGLE_COPY} (its .csv lists work too), so that "
            f"{where / IMAGES / '000001.jpg'} exists. {download}"
        )

    def fetch(self) -> None:
        if not self.download:
            raise DatasetNotFoundError(self.missing_message())
        import torchvision

        try:
            torchvision.datasets.CelebA(str(self.root), split="all", target_type=[], download=True)
        except Exception as exc:
            raise DatasetNotFoundError(
                f"Could not download CelebA ({type(exc).__name__}: {exc}). " + self.missing_message()
            ) from exc

    def list_images(self, folder: Path) -> ImageList:
        images = folder / IMAGES
        if (images / IMAGES).is_dir():  # the Kaggle zip nests the folder in itself
            images = images / IMAGES
        if not images.is_dir():
            raise DatasetNotFoundError(self.missing_message(f"{folder / IMAGES}/"))
        partition_file = _list_file(folder, PARTITIONS)
        if partition_file is None:
            raise DatasetNotFoundError(self.missing_message(str(folder / f"{PARTITIONS}.txt")))
        partitions = _read_partitions(partition_file)
        present = set(os.listdir(images))
        names = [name for name in partitions if name in present]
        if not names:
            raise DatasetNotFoundError(
                f"CelebA: none of the {len(partitions):,} images listed in {partition_file} is in {images}. "
                + self.missing_message()
            )
        if len(names) < len(partitions):
            first = next(name for name in partitions if name not in present)
            warnings.warn(
                f"CelebA: {len(partitions) - len(names):,} of {len(partitions):,} images listed in "
                f"{partition_file.name} are not in {images} (first: {first}); using the {len(names):,} present.",
                stacklevel=2,
            )
        images_list = ImageList([images / name for name in names], split=[partitions[name] for name in names])
        if self.attribute:
            attributes = self._attribute_values(folder)
            missing = [name for name in names if name not in attributes]
            if missing:
                raise DatasetNotFoundError(
                    f"CelebA: {len(missing):,} images have no row in the attribute list (first: {missing[0]}); "
                    f"use the complete {ATTRIBUTE_LIST}.txt from {HOMEPAGE}."
                )
            images_list.labels = [attributes[name] for name in names]
            images_list.class_names = (f"not {self.attribute}", self.attribute)
        return images_list

    def _attribute_values(self, folder: Path) -> dict[str, int]:
        attribute_file = _list_file(folder, ATTRIBUTE_LIST)
        if attribute_file is None:
            raise DatasetNotFoundError(self.missing_message(str(folder / f"{ATTRIBUTE_LIST}.txt")))
        names, rows = _read_attributes(attribute_file)
        if self.attribute not in names:
            raise DatasetNotFoundError(f"CelebA: {attribute_file} has no column {self.attribute!r}.")
        column = names.index(self.attribute)
        return {image: int(int(values[column]) > 0) for image, values in rows.items()}


def _list_file(folder: Path, stem: str) -> Path | None:
    """The official ``.txt`` list or the Kaggle copy's ``.csv`` version, whichever is there."""
    return next((folder / f"{stem}{ext}" for ext in (".txt", ".csv") if (folder / f"{stem}{ext}").is_file()), None)


def _read_partitions(path: Path) -> dict[str, int]:
    """``image -> 0/1/2`` from ``000001.jpg 0`` lines (or the CSV with an ``image_id,partition`` header)."""
    rows = _rows(path)
    if rows and not rows[0][-1].lstrip("-").isdigit():
        rows = rows[1:]
    try:
        return {row[0]: int(row[1]) for row in rows}
    except (IndexError, ValueError) as exc:
        raise DatasetNotFoundError(f"CelebA: {path} is not a partition list ({exc}).") from exc


def _read_attributes(path: Path) -> tuple[list[str], dict[str, list[str]]]:
    """(attribute names, image -> values) from the official layout or the Kaggle CSV."""
    rows = _rows(path)
    if path.suffix == ".csv":
        header, body = rows[0][1:], rows[1:]
    else:
        header, body = rows[1], rows[2:]  # line 1 is the image count
    return header, {row[0]: row[1:] for row in body}


def _rows(path: Path) -> list[list[str]]:
    with path.open(newline="") as f:
        if path.suffix == ".csv":
            return [row for row in csv.reader(f) if row]
        return [line.split() for line in f if line.strip()]
