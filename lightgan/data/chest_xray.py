"""Chest X-rays of the two NLM tuberculosis sets (Jaeger et al., 2014), labelled by file name.

Shenzhen (``CHNCXR_0001_0.png`` …): 326 normal + 336 tuberculosis; Montgomery
(``MCUCXR_0001_0.png`` …): 80 normal + 58 tuberculosis. The last digit of the name is the label:
``_0`` normal, ``_1`` tuberculosis. Kaggle's copy (kmader/pulmonary-chest-xray-abnormalities) holds
both sets as ``ChinaSet_AllFiles/ChinaSet_AllFiles/CXR_png/`` and ``Montgomery/MontgomerySet/CXR_png/``;
any folder layout works, and lung masks (folders named ``*Mask*``) are left out.
"""

from __future__ import annotations

import os
import re
import warnings
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from lightgan.data.image_files import ImageFilesDataModule, ImageList
from lightgan.data.kaggle import KaggleFetch, manual_steps
from lightgan.errors import ConfigError

KAGGLE_SLUG = "kmader/pulmonary-chest-xray-abnormalities"
NLM_PAGE = "https://lhncbc.nlm.nih.gov/LHC-downloads/downloads.html#tuberculosis-image-data-sets"
PREFIXES = {"shenzhen": "CHNCXR", "montgomery": "MCUCXR"}
CLASS_NAMES = ("normal", "tuberculosis")
_NAME = re.compile(r"^(CHNCXR|MCUCXR)_\d{4}_([01])\.png$", re.IGNORECASE)
_EXAMPLE = "ChinaSet_AllFiles/ChinaSet_AllFiles/CXR_png/CHNCXR_0001_0.png"

XraySet = Literal["shenzhen", "montgomery"]


class ChestXray(KaggleFetch, ImageFilesDataModule):
    """Grayscale chest X-rays; label 0 normal / 1 tuberculosis from the file name (two classes).

    Args:
        root: folder holding ``chest_xray/`` (the unzipped Kaggle download or the NLM zips), or the images.
        sets: which sets to use: ``shenzhen``, ``montgomery`` or both.
        download: download from Kaggle (about 4 GB) when the files are missing and Kaggle credentials exist.
        channels: 1 (the scans are grayscale); 3 repeats the gray level for RGB models.
        **kwargs: image_size, caching and loader options of ``ImageFilesDataModule``.
    """

    subfolder = "chest_xray"
    kaggle_slug = KAGGLE_SLUG

    def __init__(
        self,
        root: str = "data",
        sets: tuple[XraySet, ...] = ("shenzhen", "montgomery"),
        download: bool = True,
        channels: int = 1,
        **kwargs: Any,
    ) -> None:
        super().__init__(root=root, channels=channels, **kwargs)
        unknown = [name for name in sets if name not in PREFIXES]
        if not sets or unknown:
            raise ConfigError(f"data.init_args.sets must list shenzhen and/or montgomery, got {list(sets)!r}.")
        self.sets, self.download = tuple(sets), download
        self.num_classes = len(CLASS_NAMES)

    def holds_dataset(self, folder: Path) -> bool:
        return folder.is_dir() and next(_scans(folder), None) is not None

    def missing_message(self) -> str:
        dest = self.root / self.subfolder
        return (
            f"ChestXray: no Shenzhen (CHNCXR_####_0/1.png) or Montgomery (MCUCXR_####_0/1.png) images in {dest} "
            f"(nor in {self.root}). Either unzip ChinaSet_AllFiles.zip and NLM-MontgomeryCXRSet.zip from "
            f"{NLM_PAGE} there, or: " + manual_steps(KAGGLE_SLUG, dest, _EXAMPLE)
        )

    def list_images(self, folder: Path) -> ImageList:
        prefixes = {PREFIXES[name] for name in self.sets}
        by_name: dict[str, Path] = {}
        for path in _scans(folder):
            if path.name[:6].upper() in prefixes:
                by_name.setdefault(path.name.upper(), path)  # the same scan in two copies counts once
        files = [by_name[name] for name in sorted(by_name)]
        labels = [int(_NAME.match(path.name).group(2)) for path in files]  # type: ignore[union-attr]
        counts = Counter((path.name[:6].upper(), label) for path, label in zip(files, labels, strict=True))
        notes = []
        for name in self.sets:
            prefix = PREFIXES[name]
            normal, tuberculosis = counts[(prefix, 0)], counts[(prefix, 1)]
            if not normal + tuberculosis:
                warnings.warn(
                    f"ChestXray: no {name} images ({prefix}_####_0/1.png) under {folder}; "
                    "using the other set only. Set data.init_args.sets to silence this.",
                    stacklevel=2,
                )
            notes.append(f"{name}: {normal:,} normal, {tuberculosis:,} tuberculosis")
        return ImageList(files, labels, CLASS_NAMES, notes=notes)


def _scans(folder: Path) -> Iterator[Path]:
    """X-ray files by their set's naming scheme, outside mask folders and hidden folders."""
    for current, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and "mask" not in d.lower())
        for name in sorted(files):
            if _NAME.match(name):
                yield Path(current, name)
