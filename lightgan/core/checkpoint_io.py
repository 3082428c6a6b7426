"""Checkpoint files that appear whole or not at all.

Lightning's own writer goes through a temporary file in ``$TMPDIR`` that is then moved into
place: where the run folder is on another file system (node-local /tmp, runs on NFS or
scratch, the usual cluster layout) the move is a copy, and a kill or a full disk during it
leaves a truncated ``last.ckpt``. Here every checkpoint is written beside its final name,
flushed to disk and renamed, which is atomic on one file system; a failed write leaves the
previous file untouched and no partial file behind.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from lightning.fabric.plugins import TorchCheckpointIO

from lightgan.errors import LightGANError

#: Partial files are named ``.<final name>.partial-<pid>`` beside their target.
PARTIAL_GLOB = ".*.partial-*"


class AtomicCheckpointIO(TorchCheckpointIO):
    """``TorchCheckpointIO`` whose local writes are atomic (remote URLs go to Lightning's writer)."""

    def save_checkpoint(self, checkpoint: dict[str, Any], path: Any, storage_options: Any | None = None) -> None:
        if "://" in str(path):
            return super().save_checkpoint(checkpoint, path, storage_options)
        if storage_options is not None:
            raise TypeError(f"{type(self).__name__} takes no storage_options, got {storage_options!r}.")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
        try:
            with partial.open("wb") as file:
                torch.save(checkpoint, file)
                file.flush()
                os.fsync(file.fileno())
            os.replace(partial, path)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise LightGANError(
                f"Could not write the checkpoint {path} ({exc.strerror or exc}); the checkpoints written before "
                "it are intact. Free some space or point trainer.default_root_dir elsewhere, then resume with "
                "--ckpt_path last."
            ) from exc
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        _sync_folder(path.parent)
        return None


def _sync_folder(folder: Path) -> None:
    """Flush the folder entry of a renamed file, so the rename survives a power loss too (POSIX only)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def remove_partial_files(folder: str | Path) -> list[Path]:
    """Delete what writes killed midway left in ``folder``; returns what was removed."""
    removed = [path for path in Path(folder).glob(PARTIAL_GLOB) if path.is_file()]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed
