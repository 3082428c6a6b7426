"""Fixed-noise samples, drawn every epoch (or every N generator steps) and kept as PNG files.

The same latent vectors are used for the whole run (they are part of the callback's checkpoint
state), so successive pictures show how the generator changes rather than a new random draw.
Images become a grid; 2-D data becomes a scatter plot over the datamodule's mode centres.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.utilities import rank_zero_only
from torch import Tensor

from lightgan.loggers import log_image
from lightgan.visual import render_samples, save_png


class FixedNoiseSamples(L.Callback):
    """Draw the same noise through the generator at regular points of training.

    Args:
        every_n_epochs: draw at the end of every N-th epoch (0: never).
        every_n_steps: also draw every N generator steps (None: only per epoch).
        num_images: images in the grid for image data.
        num_points: points in the scatter plot for 2-D data.
        nrow: images per grid row.
        seed: seed of the fixed noise.
        folder: sub-folder of the run directory for the PNG files.
    """

    def __init__(
        self,
        every_n_epochs: int = 1,
        every_n_steps: int | None = None,
        num_images: int = 64,
        num_points: int = 2_500,
        nrow: int = 8,
        seed: int = 1234,
        folder: str = "samples",
    ) -> None:
        self.every_n_epochs, self.every_n_steps = every_n_epochs, every_n_steps
        self.num_images, self.num_points, self.nrow, self.seed, self.folder = num_images, num_points, nrow, seed, folder
        self.z: Tensor | None = None
        self.labels: Tensor | None = None
        self.out_dir: Path | None = None
        self.saved: list[Path] = []
        self._last_step_drawn = -1

    def setup(self, trainer: L.Trainer, pl_module: Any, stage: str) -> None:
        self.out_dir = Path(trainer.log_dir or trainer.default_root_dir) / self.folder
        if self.z is not None:
            return
        is_points = len(pl_module.data_shape) == 1
        n = self.num_points if is_points else self.num_images
        rng = torch.Generator().manual_seed(self.seed)
        self.z = pl_module.sample_noise(n, rng).cpu()
        if getattr(pl_module, "conditional", False) and pl_module.num_classes:  # 0: setup() reports missing labels
            # one row per class where the grid allows it
            self.labels = (torch.arange(n) // max(1, self.nrow)) % pl_module.num_classes

    def state_dict(self) -> dict[str, Any]:
        return {"z": self.z, "labels": self.labels}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.z, self.labels = state_dict["z"], state_dict["labels"]

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: Any, *args: Any) -> None:
        step = trainer.global_step
        if self.every_n_steps and step % self.every_n_steps == 0 and step != self._last_step_drawn:
            self.draw(trainer, pl_module)

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: Any) -> None:
        if self.every_n_epochs and (trainer.current_epoch + 1) % self.every_n_epochs == 0:
            self.draw(trainer, pl_module)

    @rank_zero_only
    def draw(self, trainer: L.Trainer, pl_module: Any) -> Path:
        """Render the fixed noise now; returns the PNG path."""
        assert self.z is not None and self.out_dir is not None
        self._last_step_drawn = trainer.global_step
        labels = self.labels.to(pl_module.device) if self.labels is not None else None
        samples = pl_module.sample(len(self.z), labels=labels, z=self.z.to(pl_module.device))
        name = f"epoch={trainer.current_epoch:03d}-step={trainer.global_step:07d}"
        datamodule = trainer.datamodule
        image = render_samples(samples, centers=getattr(datamodule, "mode_centers", None), title=name, nrow=self.nrow)
        path = save_png(image, self.out_dir / f"{name}.png")
        self.saved.append(path)
        log_image(trainer, "samples", image, caption=name)
        return path
