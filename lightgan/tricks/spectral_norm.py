"""Spectral normalisation (Miyato et al., 2018) of D (or G) by a callback, for any variant.

Bounding each layer's largest singular value makes D Lipschitz, which keeps its gradients
informative without a gradient penalty. The change is made at setup, before the optimizers
exist, and recorded in the model so that checkpoints load back into the same structure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import lightning as L
from torch import nn

from lightgan.core.module import GANModule
from lightgan.errors import ConfigError
from lightgan.nets.spectral import apply_spectral_norm, normalisable_layers

Network = Literal["generator", "discriminator"]


def role_networks(pl_module: GANModule, role: Network) -> list[nn.Module]:
    """The network named after the role (``pl_module.discriminator``) or, in a module without one, the
    networks of every player of that role (CycleGAN's two discriminators)."""
    named = getattr(pl_module, role, None)
    if isinstance(named, nn.Module):
        return [named]
    return [pl_module.get_submodule(name) for player in pl_module.players_of(role) for name in player.networks]


def spectral_norm_networks(pl_module: GANModule, networks: Sequence[Network], n_power_iterations: int) -> None:
    for role in networks:
        for network in role_networks(pl_module, role):
            apply_spectral_norm(network, n_power_iterations)


class SpectralNorm(L.Callback):
    """Apply spectral norm to every linear/convolutional layer of the chosen networks at setup.

    Args:
        networks: ``discriminator`` (the usual choice), ``generator``, or both; in a module with
            several players of a role, every network of those players.
        n_power_iterations: power iterations per forward pass to estimate the singular value.
    """

    def __init__(self, networks: Sequence[Network] = ("discriminator",), n_power_iterations: int = 1) -> None:
        bad = [n for n in networks if n not in ("generator", "discriminator")]
        if bad or not networks:
            raise ConfigError(f"SpectralNorm networks {list(networks)!r}: choose discriminator, generator or both.")
        if n_power_iterations < 1:
            raise ConfigError(f"SpectralNorm n_power_iterations must be >= 1, got {n_power_iterations}.")
        self.networks, self.n_power_iterations = list(networks), n_power_iterations

    def setup(self, trainer: L.Trainer, pl_module: GANModule, stage: str) -> None:
        for role in self.networks:  # a network without such layers (equalised ones, none at all) would stay as it is
            if not any(normalisable_layers(network) for network in role_networks(pl_module, role)):
                raise ConfigError(
                    f"SpectralNorm finds no linear or convolution layer in {type(pl_module).__name__}'s {role} to "
                    "normalise (equalised-learning-rate layers are not ones it changes, and a variant without a "
                    f"{role} has none). Remove it from trainer.callbacks."
                )
        pl_module.change_structure(
            f"{__name__}.spectral_norm_networks", networks=self.networks, n_power_iterations=self.n_power_iterations
        )
