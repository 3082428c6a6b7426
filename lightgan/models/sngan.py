"""SNGAN (Miyato et al., 2018): spectral normalisation of the discriminator, hinge loss."""

from __future__ import annotations

from typing import Any

import lightning as L

from lightgan.core.losses import AdversarialLoss
from lightgan.errors import ConfigError
from lightgan.models.backbone import BackboneGAN
from lightgan.tricks import SpectralNorm


class SNGAN(BackboneGAN):
    """Every weight layer of D divided by its largest singular value, so D is 1-Lipschitz per layer.

    The normalisation is the ``SpectralNorm`` trick, which the variant brings along
    (``configure_callbacks``); it is applied when training (or loading a checkpoint) sets the
    model up.

    The DCGAN discriminator has no batch norm (as in the paper's standard CNN). The optimiser keeps
    lightgan's defaults (Adam lr 2e-4, betas (0.5, 0.999), one D step per G step), one of the
    settings the paper evaluates.

    Args:
        loss: ``hinge`` (the paper's choice) or any other registered loss.
        n_power_iterations: power-iteration steps per forward pass that estimate the singular value.
        **kwargs: everything ``BackboneGAN`` takes (architecture, widths, learning rates, pack, ...).
    """

    discriminator_batch_norm = False

    def __init__(
        self, loss: str | dict | AdversarialLoss = "hinge", n_power_iterations: int = 1, **kwargs: Any
    ) -> None:
        if n_power_iterations < 1:
            raise ConfigError(f"model.init_args.n_power_iterations must be >= 1, got {n_power_iterations}.")
        super().__init__(loss=loss, **kwargs)
        self.n_power_iterations = n_power_iterations

    def configure_callbacks(self) -> list[L.Callback]:
        return [
            *super().configure_callbacks(),
            SpectralNorm(networks=("discriminator",), n_power_iterations=self.n_power_iterations),
        ]
