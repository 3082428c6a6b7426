"""A conditional DCGAN and a callback that record what training saw, for end-to-end data tests."""

from __future__ import annotations

from typing import Any, ClassVar

import lightning as L
import torch
from torch import Tensor

from lightgan.core.hooks import DiscriminatorStep
from lightgan.models.dcgan import DCGAN


class LabelProbeDCGAN(DCGAN):
    """DCGAN declared conditional (it needs labels); records every real batch and its labels."""

    conditional: ClassVar[bool] = True

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seen: list[tuple[Tensor, Tensor]] = []

    def discriminator_loss(self, step: DiscriminatorStep) -> Tensor:
        self.seen.append((step.real.detach().cpu(), step.labels.detach().cpu()))
        return super().discriminator_loss(step)


class InitialWeights(L.Callback):
    """Keeps a copy of the generator's and discriminator's weights from before the first step."""

    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.state = {k: v.detach().clone() for k, v in pl_module.state_dict().items()}

    def moved(self, pl_module: L.LightningModule, prefix: str) -> bool:
        now = pl_module.state_dict()
        return any(
            not torch.equal(now[k], v) for k, v in self.state.items() if k.startswith(prefix) and v.is_floating_point()
        )
