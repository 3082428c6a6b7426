"""``FixedNoiseSamples``: the generator's outputs for the same inputs, drawn all run long.

The inputs (noise, labels, and for models that take data as input the same held-out batch)
are part of the callback's checkpoint state, so successive pictures show how the generator
changes rather than a new random draw. Images become a grid; vectors a histogram (1-D), a
scatter plot (2-D) or a scatter matrix of their first dimensions, over the datamodule's mode
centres. Conditional models get one row per class, models with several generators one row (or
one colour of points) per generator; models that take images get the rows of their
``picture_rows``: input, output and target (pix2pix, super-resolution, inpainting), or A, G(A)
and F(G(A)) (CycleGAN). Samples of any other shape are not drawn (a warning says so) and
training goes on.
"""

from __future__ import annotations

from typing import Any

import lightning as L
import numpy as np
import torch
from lightning.pytorch.utilities import rank_zero_warn
from torch import Tensor

from lightgan import registry
from lightgan.core.module import GANModule
from lightgan.errors import ConfigError
from lightgan.monitors.pictures import PeriodicPicture
from lightgan.monitors.render import drawable, render_samples


def conditional_model_names() -> list[str]:
    """Registered models whose generator takes class labels (for error messages)."""
    return [name for name in registry.names("model") if getattr(registry.try_load("model", name), "conditional", False)]


class FixedNoiseSamples(PeriodicPicture):
    """Draw the same inputs through the generator at regular points of training.

    Args:
        every_n_epochs: draw at the end of every N-th epoch (0: never).
        every_n_steps: also draw every N generator steps (None: only per epoch).
        num_images: images in the grid for image data (``nrow`` per class for conditional models, per generator
            for models with several instead).
        num_points: points in the plot for vector data.
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
        self.can_draw = True
        self.z: Tensor | None = None
        self.labels: Tensor | None = None
        self.conditions: dict[str, Tensor] = {}
        #: The held-out targets of the inputs (``real``), for models that take data as input.
        self.real: Tensor | None = None

    def setup(self, trainer: L.Trainer, pl_module: GANModule, stage: str) -> None:
        super().setup(trainer, pl_module, stage)
        conditional = pl_module.conditional
        if self.class_rows and not conditional:
            names = ", ".join(conditional_model_names()) or "none registered"
            raise ConfigError(
                f"FixedNoiseSamples class_rows=true draws one row per class, but {type(pl_module).__name__} is not "
                f"conditional (its generator takes no labels). Use a conditional model ({names}) "
                "or set class_rows: false."
            )
        self.can_draw = drawable(pl_module.data_shape)
        if not self.can_draw:
            rank_zero_warn(
                f"FixedNoiseSamples: samples of shape {tuple(pl_module.data_shape)} cannot be drawn "
                "(images (C, H, W) or vectors (D,) can); training goes on without sample pictures."
            )
            return
        if self.z is not None or self.conditions or (conditional and not pl_module.num_classes):
            return  # resumed, or a conditional model without labels (its own setup reports that)
        is_points = len(pl_module.data_shape) == 1
        by_class = conditional and not is_points and self.class_rows is not False
        n = self.num_points if is_points else pl_module.num_classes * self.nrow if by_class else self.num_images
        generators = generator_count(pl_module, n)
        if generators > 1 and not is_points and not by_class:  # one row of nrow samples per generator
            n = generators * self.nrow
        if pl_module.input_conditions:  # the generator translates data: always the same held-out inputs
            if not hasattr(trainer.datamodule, "held_out_batch"):
                raise ConfigError(
                    f"FixedNoiseSamples draws {type(pl_module).__name__}'s outputs for held-out inputs, which a "
                    "lightgan datamodule provides: train it with one (trainer.fit(model, datamodule=...))."
                )
            batch = trainer.datamodule.held_out_batch(n)
            self.conditions = {k: v.cpu() for k, v in pl_module.data_conditions(batch).items()}
            self.real = batch["real"].cpu()
            n = len(batch["real"])
        if conditional:
            self.labels = (torch.arange(n) // self.nrow if by_class else torch.arange(n)) % pl_module.num_classes
        inputs = pl_module.draw_inputs(n, torch.Generator().manual_seed(self.seed), labels=self.labels)
        self.z = inputs.z.cpu() if inputs.z is not None else None

    def state_dict(self) -> dict[str, Any]:
        return {"z": self.z, "labels": self.labels, "conditions": self.conditions, "real": self.real}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.z, self.labels = state_dict["z"], state_dict["labels"]
        self.conditions, self.real = state_dict.get("conditions", {}), state_dict.get("real")

    def render(self, trainer: L.Trainer, pl_module: GANModule, title: str) -> np.ndarray | None:
        if not self.can_draw:
            return None
        device = pl_module.device
        z = self.z.to(device) if self.z is not None else None
        labels = self.labels.to(device) if self.labels is not None else None
        samples = pl_module.sample(labels=labels, z=z, **self.conditions)
        centers = getattr(trainer.datamodule, "mode_centers", None)
        sources = pl_module.sample_sources(len(samples))
        rows = pl_module.picture_rows(self.conditions, samples, self.real) if self.conditions else ()
        return render_samples(samples, centers=centers, title=title, nrow=self.nrow, rows=rows, sources=sources)


def generator_count(pl_module: GANModule, n: int) -> int:
    """How many generators make a batch of ``n`` samples (1 for a model with one)."""
    sources = pl_module.sample_sources(n)
    return int(sources.max()) + 1 if sources is not None and len(sources) else 1
