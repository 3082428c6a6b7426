"""``PeriodicPicture``: the base of every picture a monitor draws during training.

It holds the schedule (every N epochs and/or every N generator steps) and the output: each
picture is written as ``<run dir>/<folder>/epoch=…-step=….png`` and sent to every logger that
shows images. Subclasses only ``render``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
from lightning.pytorch.utilities import rank_zero_only

from lightgan.core.module import GANModule
from lightgan.monitors.outputs import output_dir, picture_name, save_and_log


class PeriodicPicture(L.Callback):
    """Calls ``render`` on schedule and saves and logs the result.

    Args:
        every_n_epochs: draw at the end of every N-th epoch (0: never).
        every_n_steps: also draw every N generator steps (None: only per epoch).
        folder: sub-folder of the run directory for the PNG files.
        log_key: key under which loggers show the pictures (None: the class's ``log_key``).
    """

    #: Key under which loggers show the pictures.
    log_key: str = "pictures"

    def __init__(self, every_n_epochs: int, every_n_steps: int | None, folder: str, log_key: str | None = None) -> None:
        self.every_n_epochs, self.every_n_steps, self.folder = every_n_epochs, every_n_steps, folder
        if log_key is not None:
            self.log_key = log_key
        self.out_dir: Path | None = None
        self.saved: list[Path] = []
        self.last_step_drawn = -1

    def setup(self, trainer: L.Trainer, pl_module: GANModule, stage: str) -> None:
        self.out_dir = output_dir(trainer) / self.folder

    def render(self, trainer: L.Trainer, pl_module: GANModule, title: str) -> np.ndarray | None:
        """The picture as an HxWx3 uint8 array (None: nothing to draw this time)."""
        raise NotImplementedError

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: GANModule, *args: Any) -> None:
        if self.every_n_steps and trainer.global_step % self.every_n_steps == 0:
            self.draw(trainer, pl_module)

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: GANModule) -> None:
        if self.every_n_epochs and (trainer.current_epoch + 1) % self.every_n_epochs == 0:
            self.draw(trainer, pl_module)

    @rank_zero_only
    def draw(self, trainer: L.Trainer, pl_module: GANModule) -> Path | None:
        """Render now; returns the PNG path."""
        self.last_step_drawn = trainer.global_step
        image = self.render(trainer, pl_module, picture_name(trainer))
        if image is None:
            return None
        path = save_and_log(trainer, self.folder, self.log_key, image)
        self.saved.append(path)
        return path
