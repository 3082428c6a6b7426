"""Pictures drawn at regular points of training, kept as PNG files and sent to the loggers.

``PeriodicPicture`` holds the schedule (every N epochs and/or every N generator steps) and the
output; ``FixedNoiseSamples`` draws the same latent vectors through the generator all run long
(they are part of the callback's checkpoint state), so successive pictures show how the
generator changes rather than a new random draw. Images become a grid; 2-D data becomes a
scatter plot over the datamodule's mode centres. Conditional models get one row per class.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import lightning as L
import numpy as np
import torch
from lightning.pytorch.utilities import rank_zero_only
from torch import Tensor

from lightgan import registry
from lightgan.errors import ConfigError
from lightgan.monitors.outputs import log_image, output_dir
from lightgan.monitors.render import render_samples, save_png


class PeriodicPicture(L.Callback):
    """Base of the visual callbacks: calls ``render`` on schedule and saves/logs the result.

    Args:
        every_n_epochs: draw at the end of every N-th epoch (0: never).
        every_n_steps: also draw every N generator steps (None: only per epoch).
        folder: sub-folder of the run directory for the PNG files.
    """

    #: Key under which loggers show the pictures.
    log_key: ClassVar[str]

    def __init__(self, every_n_epochs: int, every_n_steps: int | None, folder: str) -> None:
        self.every_n_epochs, self.every_n_steps, self.folder = every_n_epochs, every_n_steps, folder
        self.out_dir: Path | None = None
        self.saved: list[Path] = []
        self.last_step_drawn = -1

    def setup(self, trainer: L.Trainer, pl_module: Any, stage: str) -> None:
        self.out_dir = output_dir(trainer) / self.folder

    def render(self, trainer: L.Trainer, pl_module: Any, title: str) -> np.ndarray:
        """The picture as an HxWx3 uint8 array."""
        raise NotImplementedError

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: Any, *args: Any) -> None:
        step = trainer.global_step
        if self.every_n_steps and step % self.every_n_steps == 0 and step != self.last_step_drawn:
            self.draw(trainer, pl_module)

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: Any) -> None:
        if self.every_n_epochs and (trainer.current_epoch + 1) % self.every_n_epochs == 0:
            self.draw(trainer, pl_module)

    @rank_zero_only
    def draw(self, trainer: L.Trainer, pl_module: Any) -> Path:
        """Render now; returns the PNG path."""
        assert self.out_dir is not None
        self.last_step_drawn = trainer.global_step
        name = f"epoch={trainer.current_epoch:03d}-step={trainer.global_step:07d}"
        image = self.render(trainer, pl_module, name)
        path = save_png(image, self.out_dir / f"{name}.png")
        self.saved.append(path)
        log_image(trainer, self.log_key, image, caption=name)
        return path


def conditional_model_names() -> list[str]:
    """Registered models whose generator takes class labels (for error messages)."""
    return [name for name in registry.names("model") if getattr(registry.try_load("model", name), "conditional", False)]


class FixedNoiseSamples(PeriodicPicture):
    """Draw the same noise through the generator at regular points of training.

    Args:
        every_n_epochs: draw at the end of every N-th epoch (0: never).
        every_n_steps: also draw every N generator steps (None: only per epoch).
        num_images: images in the grid for image data (conditional models: ``nrow`` per class instead).
        num_points: points in the scatter plot for 2-D data.
        nrow: images per grid row.
        class_rows: one row per class (conditional models only); None: whenever the model is conditional.
        seed: seed of the fixed noise.
        folder: sub-folder of the run directory for the PNG files.
    """

    log_key = "samples"

    def __init__(
        self,
        every_n_epochs: int = 1,
        every_n_steps: int | None = None,
        num_images: int = 64,
        num_points: int = 2_500,
        nrow: int = 8,
        class_rows: bool | None = None,
        seed: int = 1234,
        folder: str = "samples",
    ) -> None:
        super().__init__(every_n_epochs, every_n_steps, folder)
        self.num_images, self.num_points, self.nrow, self.seed = num_images, num_points, nrow, seed
        self.class_rows = class_rows
        self.z: Tensor | None = None
        self.labels: Tensor | None = None

    def setup(self, trainer: L.Trainer, pl_module: Any, stage: str) -> None:
        super().setup(trainer, pl_module, stage)
        conditional = getattr(pl_module, "conditional", False)
        if self.class_rows and not conditional:
            names = ", ".join(conditional_model_names()) or "none registered"
            raise ConfigError(
                f"FixedNoiseSamples class_rows=true draws one row per class, but {type(pl_module).__name__} is not "
                f"conditional (its generator takes no labels). Use a conditional model ({names}) "
                "or set class_rows: false."
            )
        if self.z is not None or (conditional and not pl_module.num_classes):
            return  # resumed, or a conditional model without labels (its own setup reports that)
        is_points = len(pl_module.data_shape) == 1
        by_class = conditional and not is_points and self.class_rows is not False
        n = self.num_points if is_points else pl_module.num_classes * self.nrow if by_class else self.num_images
        rng = torch.Generator().manual_seed(self.seed)
        self.z = pl_module.sample_noise(n, rng).cpu()
        if conditional:
            self.labels = (torch.arange(n) // self.nrow if by_class else torch.arange(n)) % pl_module.num_classes

    def state_dict(self) -> dict[str, Any]:
        return {"z": self.z, "labels": self.labels}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.z, self.labels = state_dict["z"], state_dict["labels"]

    def render(self, trainer: L.Trainer, pl_module: Any, title: str) -> np.ndarray:
        assert self.z is not None
        labels = self.labels.to(pl_module.device) if self.labels is not None else None
        samples = pl_module.sample(len(self.z), labels=labels, z=self.z.to(pl_module.device))
        centers = getattr(trainer.datamodule, "mode_centers", None)
        return render_samples(samples, centers=centers, title=title, nrow=self.nrow)
