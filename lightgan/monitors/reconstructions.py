"""``Reconstructions``: held-out images next to what an encoder-decoder model makes of them."""

from __future__ import annotations

import lightning as L
import numpy as np
import torch
from torch import Tensor

from lightgan.core.module import GANModule
from lightgan.errors import ConfigError
from lightgan.monitors.pictures import PeriodicPicture
from lightgan.monitors.render import image_grid


class Reconstructions(PeriodicPicture):
    """Rows of held-out images alternating with rows of their reconstructions ``pl_module.reconstruct(x)``.

    The images are the same at every picture: the first ``num_images`` of the validation split
    (of the training split when there is none). BiGAN and ALI bring it along.

    Args:
        num_images: images in the picture.
        per_row: images per row.
        every_n_epochs: draw at the end of every N-th epoch (0: never).
        every_n_steps: also draw every N generator steps (None: only per epoch).
        folder: sub-folder of the run directory for the PNG files.
        log_key: key under which loggers show the pictures.
    """

    def __init__(
        self,
        num_images: int = 32,
        per_row: int = 8,
        every_n_epochs: int = 1,
        every_n_steps: int | None = None,
        folder: str = "reconstructions",
        log_key: str = "reconstructions",
    ) -> None:
        super().__init__(every_n_epochs, every_n_steps, folder, log_key)
        self.num_images, self.per_row = num_images, per_row
        self.images: Tensor | None = None

    def setup(self, trainer: L.Trainer, pl_module: GANModule, stage: str) -> None:
        super().setup(trainer, pl_module, stage)
        if not callable(getattr(pl_module, "reconstruct", None)):
            raise ConfigError(
                f"Reconstructions draws what a model's reconstruct(x) makes of held-out images, but "
                f"{type(pl_module).__name__} has no reconstruct (BiGAN and ALI have). Remove the callback."
            )
        datamodule = trainer.datamodule
        if self.images is None and datamodule is not None and hasattr(datamodule, "held_out_batch"):
            self.images = datamodule.held_out_batch(self.num_images)["real"].cpu()

    def render(self, trainer: L.Trainer, pl_module: GANModule, title: str) -> np.ndarray | None:
        if self.images is None:  # trained without a lightgan datamodule: no held-out images to show
            return None
        x = self.images.to(pl_module.device)
        reconstructed, n = pl_module.reconstruct(x), self.per_row
        rows = [part for i in range(0, len(x), n) for part in (x[i : i + n], reconstructed[i : i + n])]
        return image_grid(torch.cat(rows), nrow=n)
