"""Loading a trained GAN back from a checkpoint, whatever variant wrote it."""

from __future__ import annotations

from pathlib import Path

import torch

from lightgan.core.module import GANModule
from lightgan.errors import ConfigError
from lightgan.registry import import_object


def load_gan(path: str | Path, map_location: str | torch.device = "cpu") -> GANModule:
    """Rebuild the concrete variant recorded in the checkpoint and load its weights.

    Checkpoints are pickles: load only files you trust.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"Checkpoint {path} does not exist. Runs keep theirs in runs/<name>/version_N/checkpoints/.")
    try:
        checkpoint = torch.load(path, map_location="cpu", mmap=True, weights_only=False)
    except Exception as exc:  # a text file, a truncated download, ...: name the file, not the unpickler's insides
        raise ConfigError(f"{path} is not a readable checkpoint ({type(exc).__name__}: {exc}).") from exc
    info = checkpoint.get("lightgan") if isinstance(checkpoint, dict) else None
    if not info:
        raise ConfigError(f"{path} was not written by a lightgan model (no 'lightgan' entry in the checkpoint).")
    cls = import_object(info["class_path"])
    return cls.load_from_checkpoint(path, map_location=map_location, weights_only=False)
