"""``ImageFolder``: any folder tree of images, the general path for your own data."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

from lightgan.data.decode import IMAGE_EXTENSIONS, find_images
from lightgan.data.image_files import ImageFilesDataModule, ImageList
from lightgan.errors import ConfigError, DatasetNotFoundError


class ImageFolder(ImageFilesDataModule):
    """Every image below ``root`` (JPEG, PNG, BMP, GIF, TIFF, WebP), in any folder layout.

    Args:
        root: the folder of images.
        class_subfolders: label each image by the top-level subfolder it sits in (``root/cat/…``,
            ``root/dog/…``; classes are the sorted folder names), so conditional models can use
            them. Images directly in ``root`` are then left out.
        **kwargs: image_size, channels, crop_size, caching and loader options of ``ImageFilesDataModule``.
    """

    def __init__(self, root: str, class_subfolders: bool = False, **kwargs: Any) -> None:
        super().__init__(root=root, **kwargs)
        self.class_subfolders = class_subfolders
        self.class_names = self._class_folders() if class_subfolders else []
        self.num_classes = len(self.class_names)

    def holds_dataset(self, folder: Path) -> bool:
        return folder.is_dir()

    def missing_message(self) -> str:
        return (
            f"ImageFolder: the folder {self.root} does not exist. Set data.init_args.root to a folder of images "
            f"({', '.join(IMAGE_EXTENSIONS)}); with class_subfolders: true put each class in its own subfolder."
        )

    def _class_folders(self) -> list[str]:
        if not self.root.is_dir():
            raise DatasetNotFoundError(self.missing_message())
        names = sorted(
            entry.name
            for entry in os.scandir(self.root)
            if entry.is_dir() and not entry.name.startswith(".") and _has_image(Path(entry.path))
        )
        if len(names) < 2:
            raise ConfigError(
                f"ImageFolder: class_subfolders is true but {self.root} has {len(names)} subfolder(s) with images "
                f"({', '.join(names) or 'none'}); labels need at least two. Put each class in its own subfolder, "
                "or set data.init_args.class_subfolders=false."
            )
        return names

    def list_images(self, folder: Path) -> ImageList:
        files = find_images(folder)
        if not self.class_subfolders:
            return ImageList(files)
        index = {name: i for i, name in enumerate(self.class_names)}
        labelled = [(path, index[path.relative_to(folder).parts[0]]) for path in files if path.parent != folder]
        loose = len(files) - len(labelled)
        if loose:
            warnings.warn(
                f"ImageFolder: {loose} image(s) directly in {folder} belong to no class subfolder and are left out.",
                stacklevel=2,
            )
        return ImageList([p for p, _ in labelled], [label for _, label in labelled], self.class_names)


def _has_image(folder: Path) -> bool:
    for _, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        if any(not name.startswith(".") and name.lower().endswith(IMAGE_EXTENSIONS) for name in files):
            return True
    return False
