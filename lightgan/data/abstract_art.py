"""Abstract art: Kaggle's "Abstract Art Gallery", 2,782 abstract paintings scraped from WikiArt.

The Kaggle zip unpacks to ``Abstract_gallery/Abstract_gallery/Abstract_image_*.jpg`` (the 2,782)
and ``Abstract_gallery_2/Abstract_gallery_2/`` (90 more). A plain folder of images works too.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from lightgan.data.decode import IMAGE_EXTENSIONS, find_images
from lightgan.data.image_files import ImageFilesDataModule, ImageList
from lightgan.data.kaggle import KaggleFetch, manual_steps

KAGGLE_SLUG = "bryanb/abstract-art-gallery"
GALLERY, GALLERY_2 = "Abstract_gallery", "Abstract_gallery_2"
_EXAMPLE = f"{GALLERY}/{GALLERY}"


class AbstractArt(KaggleFetch, ImageFilesDataModule):
    """Abstract paintings in RGB, resized and centre-cropped (64 x 64 by default; 128 works too).

    Args:
        root: folder holding ``abstract_art/`` (the unzipped Kaggle download) or the images themselves.
        include_gallery_2: also use the 90 images of ``Abstract_gallery_2``.
        download: download from Kaggle when the files are missing and Kaggle credentials exist.
        **kwargs: image_size, channels, caching and loader options of ``ImageFilesDataModule``.
    """

    subfolder = "abstract_art"
    kaggle_slug = KAGGLE_SLUG

    def __init__(self, root: str = "data", include_gallery_2: bool = False, download: bool = True, **kwargs: Any):
        super().__init__(root=root, **kwargs)
        self.include_gallery_2, self.download = include_gallery_2, download

    def holds_dataset(self, folder: Path) -> bool:
        if not folder.is_dir():
            return False
        if _galleries(folder, (GALLERY, GALLERY_2)):
            return True
        if folder == self.root / self.subfolder:
            return bool(find_images(folder))
        # ``root`` itself counts only as a flat folder of images, never as a tree of other datasets.
        return any(entry.name.lower().endswith(IMAGE_EXTENSIONS) for entry in os.scandir(folder))

    def missing_message(self) -> str:
        dest = self.root / self.subfolder
        return f"AbstractArt: no images in {dest} (nor directly in {self.root}). " + manual_steps(
            KAGGLE_SLUG, dest, _EXAMPLE
        )

    def list_images(self, folder: Path) -> ImageList:
        wanted = (GALLERY, GALLERY_2) if self.include_gallery_2 else (GALLERY,)
        galleries = _galleries(folder, wanted)
        if not galleries:
            return ImageList(find_images(folder))
        per_gallery = {gallery: find_images(gallery) for gallery in galleries}
        files = [path for images in per_gallery.values() for path in images]
        counts = ", ".join(f"{gallery.relative_to(folder)} {len(images):,}" for gallery, images in per_gallery.items())
        return ImageList(files, notes=[f"galleries: {counts}"])


def _galleries(folder: Path, names: tuple[str, ...], depth: int = 3) -> list[Path]:
    """The outermost folders named one of ``names`` within ``depth`` levels of ``folder``."""
    found: list[Path] = []
    for current, dirs, _ in os.walk(folder):
        level = len(Path(current).relative_to(folder).parts)
        matched = sorted(d for d in dirs if d in names)
        found += [Path(current, d) for d in matched]
        dirs[:] = [] if level + 1 >= depth else sorted(d for d in dirs if d not in matched and not d.startswith("."))
    return sorted(found)
