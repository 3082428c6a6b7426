"""Pictures a variant draws once per epoch (InfoGAN traversals, BiGAN reconstructions)."""

from __future__ import annotations

from pathlib import Path

import lightning as L
import numpy as np

from lightgan.loggers import log_image
from lightgan.run_dir import output_dir
from lightgan.visual import save_png


def save_and_log(trainer: L.Trainer, folder: str, key: str, image: np.ndarray) -> Path:
    """Write ``image`` to ``<run dir>/<folder>/epoch=…-step=….png`` and send it to every image logger."""
    name = f"epoch={trainer.current_epoch:03d}-step={trainer.global_step:07d}"
    path = save_png(image, output_dir(trainer) / folder / f"{name}.png")
    log_image(trainer, key, image, caption=name)
    return path
