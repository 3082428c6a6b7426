"""Where monitors put what they make: files in the run folder, pictures in every logger that shows them."""

from __future__ import annotations

from pathlib import Path

import lightning as L
import numpy as np
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger, WandbLogger

from lightgan.monitors.render import save_png


def output_dir(trainer: L.Trainer) -> Path:
    """Where a run's pictures and reports go: the first logger's folder, else ``default_root_dir``.

    The same folder as ``trainer.log_dir`` but without its broadcast, a collective that would
    deadlock DDP when only rank 0 draws a picture.
    """
    logger = trainer.loggers[0] if trainer.loggers else None
    if isinstance(logger, TensorBoardLogger | CSVLogger):
        folder = logger.log_dir
    else:
        folder = logger.save_dir if logger is not None else None
    return Path(folder or trainer.default_root_dir)


def _captions(caption: str | None) -> dict[str, list[str]]:
    """Lightning's WandbLogger takes per-item options as lists, one entry per item: a None one fails its check."""
    return {"caption": [caption]} if caption else {}


def log_image(trainer: L.Trainer, key: str, image: np.ndarray, caption: str | None = None) -> None:
    """Send an HxWxC uint8 image to every logger that can show images (W&B, TensorBoard)."""
    step = trainer.global_step
    for logger in trainer.loggers:
        if isinstance(logger, WandbLogger):
            logger.log_image(key=key, images=[image], step=step, **_captions(caption))
        elif isinstance(logger, TensorBoardLogger):
            logger.experiment.add_image(key, image, global_step=step, dataformats="HWC")


def log_video(trainer: L.Trainer, key: str, path: Path, caption: str | None = None) -> None:
    """Send a video file (GIF, MP4) to every logger that plays files: W&B (TensorBoard takes frames, not files)."""
    for logger in trainer.loggers:
        if isinstance(logger, WandbLogger):
            logger.log_video(key=key, videos=[str(path)], step=trainer.global_step, **_captions(caption))


def picture_name(trainer: L.Trainer) -> str:
    """``epoch=…-step=…``: pictures named by when they were drawn sort in training order."""
    return f"epoch={trainer.current_epoch:03d}-step={trainer.global_step:07d}"


def save_and_log(trainer: L.Trainer, folder: str, key: str, image: np.ndarray) -> Path:
    """Write ``image`` to ``<run dir>/<folder>/epoch=…-step=….png`` and send it to every image logger."""
    name = picture_name(trainer)
    path = save_png(image, output_dir(trainer) / folder / f"{name}.png")
    log_image(trainer, key, image, caption=name)
    return path
