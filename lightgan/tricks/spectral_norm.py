"""Spectral normalisation (Miyato et al., 2018) of D (or G) by a callback, for any variant.

Bounding each layer's largest singular value makes D Lipschitz, which keeps its gradients
informative without a gradient penalty. The change is made at setup, before the optimizers
exist, and recorded in the model so that checkpoints load back into the same structure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import lightning as L

from lightgan.errors import ConfigError
from lightgan.nets.spectral import apply_spectral_norm

Network = Literal["generator", "discriminator"]


def spectral_norm_networks(pl_module: Any, networks: Sequence[str], n_power_iterations: int) -> None:
    for name in networks:
        apply_spectral_norm(getattr(pl_module, name), n_power_iterations)


class SpectralNorm(L.Callback):
    """Apply spectral norm to every linear/convolutional layer of the chosen networks at setup.

    Args:
        networks: ``discriminator`` (the usual choice), ``generator``, or both.
        n_power_iterations: power iterations per forward pass to estimate the singular value.
    """

    def __init__(self, networks: Sequence[Network] = ("discriminator",), n_power_iterations: int = 1) -> None:
        bad = [n for n in networks if n not in ("generator", "discriminator")]
        if bad or not networks:
            raise ConfigError(f"SpectralNorm networks {list(networks)!r}: choose discriminator, generator or both.")
        if n_power_iterations < 1:
            raise ConfigError(f"SpectralNorm n_power_iterations must be >= 1, got {n_power_iterations}.")
        self.networks, self.n_power_iterations = list(networks), n_power_iterations

    def setup(self, trainer: L.Trainer, pl_module: Any, stage: str) -> None:
        pl_module.change_structure(
            f"{__name__}.spectral_norm_networks", networks=self.networks, n_power_iterations=self.n_power_iterations
        )
