"""Weight clipping (Arjovsky et al., 2017): the original WGAN's crude way to keep the critic Lipschitz."""

from __future__ import annotations

import lightning as L
import torch

from lightgan.core.hooks import DiscriminatorStep, GANCallback
from lightgan.core.module import GANModule
from lightgan.errors import ConfigError


class WeightClipping(GANCallback):
    """Clamp every parameter the discriminator's optimizer updates to [-clip_value, clip_value] after each D step.

    Args:
        clip_value: the bound (0.01 in the WGAN paper).
    """

    def __init__(self, clip_value: float = 0.01) -> None:
        if clip_value <= 0:
            raise ConfigError(f"WeightClipping clip_value must be positive, got {clip_value}.")
        self.clip_value = clip_value

    @torch.no_grad()
    def on_after_discriminator_step(self, trainer: L.Trainer, pl_module: GANModule, step: DiscriminatorStep) -> None:
        for param in pl_module.player_parameters(pl_module.find_player(step.player)):
            param.clamp_(-self.clip_value, self.clip_value)
