"""``LatentTraversal``: one picture of what each latent code controls (InfoGAN's figures)."""

from __future__ import annotations

import lightning as L
import numpy as np

from lightgan.core.module import GANModule
from lightgan.errors import ConfigError
from lightgan.monitors.pictures import PeriodicPicture
from lightgan.monitors.render import image_grid


def has_traversal(pl_module: GANModule) -> bool:
    """Whether the model defines ``traversal() -> (z, columns)``: latents whose columns sweep a code."""
    return callable(getattr(pl_module, "traversal", None))


class LatentTraversal(PeriodicPicture):
    """Draw the model's traversal latents as a grid, for models that define ``traversal() -> (z, columns)``.

    InfoGAN brings it along: rows are the values of a categorical code, columns sweep a
    continuous code, the noise is fixed.

    Args:
        every_n_epochs: draw at the end of every N-th epoch (0: never).
        every_n_steps: also draw every N generator steps (None: only per epoch).
        folder: sub-folder of the run directory for the PNG files.
        log_key: key under which loggers show the pictures.
    """

    def __init__(
        self,
        every_n_epochs: int = 1,
        every_n_steps: int | None = None,
        folder: str = "traversals",
        log_key: str = "traversal",
    ) -> None:
        super().__init__(every_n_epochs, every_n_steps, folder, log_key)

    def setup(self, trainer: L.Trainer, pl_module: GANModule, stage: str) -> None:
        super().setup(trainer, pl_module, stage)
        if not has_traversal(pl_module):
            raise ConfigError(
                f"LatentTraversal draws the latents a model's traversal() gives, but {type(pl_module).__name__} has "
                "none (InfoGAN has). Remove the callback."
            )

    def render(self, trainer: L.Trainer, pl_module: GANModule, title: str) -> np.ndarray:
        z, columns = pl_module.traversal()
        return image_grid(pl_module.sample(z=z), nrow=columns)
