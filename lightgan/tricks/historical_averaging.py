"""Historical averaging (Salimans et al., 2016): penalise parameters for straying from their own past.

The penalty ``||theta - mean of past theta||^2`` damps the oscillations of the two-player game
(in fictitious play, averaging past strategies is what converges).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import lightning as L
import torch
from torch import Tensor

from lightgan.core.hooks import DiscriminatorStep, GANCallback, GeneratorStep
from lightgan.core.module import GANModule
from lightgan.errors import ConfigError

Network = Literal["generator", "discriminator"]


class HistoricalAveraging(GANCallback):
    """Add ``weight * sum ||theta - theta_avg||^2`` to the loss of each chosen network.

    ``theta_avg`` is the running mean of the network's parameters after each of its optimizer
    steps (starting with the values at the start of training); it is saved in checkpoints.

    Args:
        weight: factor of the penalty.
        networks: ``generator``, ``discriminator`` or both.
    """

    def __init__(self, weight: float = 1.0, networks: Sequence[Network] = ("generator", "discriminator")) -> None:
        bad = [n for n in networks if n not in ("generator", "discriminator")]
        if bad or not networks:
            raise ConfigError(
                f"HistoricalAveraging networks {list(networks)!r}: choose generator, discriminator or both."
            )
        self.weight, self.networks = weight, tuple(networks)
        self.averages: dict[str, list[Tensor]] = {}
        self.counts: dict[str, int] = {}

    @staticmethod
    def _parameters(pl_module: GANModule, network: str) -> list[Tensor]:
        params = pl_module.generator_parameters() if network == "generator" else pl_module.discriminator_parameters()
        return list(params)

    def on_fit_start(self, trainer: L.Trainer, pl_module: GANModule) -> None:
        for network in self.networks:
            params = self._parameters(pl_module, network)
            if network in self.averages:  # restored from a checkpoint
                self.averages[network] = [a.to(p.device) for a, p in zip(self.averages[network], params, strict=True)]
            else:
                self.averages[network] = [p.detach().clone() for p in params]
                self.counts[network] = 1

    def penalty(self, pl_module: GANModule, network: str) -> Tensor:
        params = self._parameters(pl_module, network)
        return sum(((p - a) ** 2).sum() for p, a in zip(params, self.averages[network], strict=True))

    def _add_penalty(self, pl_module: GANModule, network: str, step: DiscriminatorStep | GeneratorStep) -> None:
        if network in self.networks:
            value = self.penalty(pl_module, network)
            step.loss = step.loss + self.weight * value
            step.logs[f"train/historical_averaging_{network[0]}"] = value.detach()

    @torch.no_grad()
    def _update(self, pl_module: GANModule, network: str) -> None:
        if network in self.networks:
            self.counts[network] += 1
            for p, a in zip(self._parameters(pl_module, network), self.averages[network], strict=True):
                a.add_(p.detach() - a, alpha=1.0 / self.counts[network])

    def on_discriminator_loss(self, trainer: L.Trainer, pl_module: GANModule, step: DiscriminatorStep) -> None:
        self._add_penalty(pl_module, "discriminator", step)

    def on_generator_loss(self, trainer: L.Trainer, pl_module: GANModule, step: GeneratorStep) -> None:
        self._add_penalty(pl_module, "generator", step)

    def on_after_discriminator_step(self, trainer: L.Trainer, pl_module: GANModule, step: DiscriminatorStep) -> None:
        self._update(pl_module, "discriminator")

    def on_after_generator_step(self, trainer: L.Trainer, pl_module: GANModule, step: GeneratorStep) -> None:
        self._update(pl_module, "generator")

    def state_dict(self) -> dict[str, Any]:
        return {"averages": self.averages, "counts": self.counts}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.averages, self.counts = state_dict["averages"], state_dict["counts"]
