"""Downloading a Kaggle dataset with the official API when credentials exist.

The ``kaggle`` package is optional and imported only here, when a download is needed (importing
it without credentials fails). Without credentials or without the package the error says
exactly how to get the files by hand and how to enable the download.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from lightning.pytorch.utilities import rank_zero_info

from lightgan.errors import DatasetNotFoundError

TOKEN_PAGE = "https://www.kaggle.com/settings (API: Create New Token)"


def kaggle_credentials() -> str | None:
    """Where Kaggle credentials were found, or None."""
    if os.environ.get("KAGGLE_API_TOKEN"):
        return "KAGGLE_API_TOKEN"
    if os.environ.get("KAGGLE_USERNAME") and os.environ.get("KAGGLE_KEY"):
        return "KAGGLE_USERNAME/KAGGLE_KEY"
    config_dir = Path(os.environ.get("KAGGLE_CONFIG_DIR", Path.home() / ".kaggle"))
    for name in ("kaggle.json", "access_token"):
        if (config_dir / name).is_file():
            return str(config_dir / name)
    return None


def manual_steps(slug: str, dest: Path, example: str) -> str:
    """How to get a Kaggle dataset without lightgan's help, and how to let lightgan fetch it."""
    return (
        f"Download https://www.kaggle.com/datasets/{slug} (the Download button, or "
        f"`kaggle datasets download -d {slug}`) and unzip it into {dest}, so that {dest / example} exists. "
        f"To let lightgan download it: `pip install kaggle`, create a token at {TOKEN_PAGE} and save it as "
        "~/.kaggle/kaggle.json (or set KAGGLE_USERNAME and KAGGLE_KEY)."
    )


def download_kaggle_dataset(slug: str, dest: Path, *, dataset: str, missing: str) -> None:
    """Download and unzip ``slug`` into ``dest``; DatasetNotFoundError saying why not otherwise.

    Args:
        dataset: the dataset's name in messages.
        missing: the dataset's own explanation of what is missing and how to get it by hand.
    """
    if kaggle_credentials() is None:
        raise DatasetNotFoundError(f"{missing} (Not downloaded: no Kaggle credentials.)")
    try:
        from kaggle.api.kaggle_api_extended import KaggleApi
    except ImportError as exc:
        raise DatasetNotFoundError(
            f"{missing} (Not downloaded: Kaggle credentials exist but the `kaggle` package is not installed; "
            "`pip install kaggle`.)"
        ) from exc
    dest.mkdir(parents=True, exist_ok=True)
    rank_zero_info(f"{dataset}: downloading {slug} from Kaggle into {dest}")
    try:
        api = KaggleApi()
        api.authenticate()
        api.dataset_download_files(slug, path=str(dest), unzip=True, quiet=False)
    except Exception as exc:
        raise DatasetNotFoundError(
            f"{missing} (The Kaggle download of {slug} failed: {type(exc).__name__}: {exc}.)"
        ) from exc


class KaggleFetch:
    """``fetch`` for image-file datamodules published on Kaggle (listed before the datamodule base).

    Downloads ``kaggle_slug`` into ``root/subfolder`` when ``download`` is on; otherwise, or
    without credentials, the datamodule's ``missing_message`` says how to get the files.
    """

    kaggle_slug: ClassVar[str]
    root: Path
    subfolder: ClassVar[str]
    download: bool
    dataset_name: str
    missing_message: Callable[[], str]

    def fetch(self) -> None:
        if not self.download:
            raise DatasetNotFoundError(self.missing_message())
        dest = self.root / self.subfolder
        download_kaggle_dataset(self.kaggle_slug, dest, dataset=self.dataset_name, missing=self.missing_message())
