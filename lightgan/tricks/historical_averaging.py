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
    """Add ``weight * sum ||theta - theta_avg||^2`` to the loss of each player of the chosen roles.

    ``theta_avg`` is the running mean of the player's parameters after each of its optimizer
    steps (starting with the values at the start of training); it is saved in checkpoints.

    Args:
        weight: factor of the penalty.
        networks: ``generator``, ``discriminator`` or both (every player of those roles).
    """

    def __init__(self, weight: float = 1.0, networks: Sequence[Network] = ("generator", "discriminator")) -> None:
        bad = [n for n in networks if n not in ("generator", "discriminator")]
        if bad or not networks:
            raise ConfigError(
                f"HistoricalAveraging networks {list(networks)!r}: choose generator, discriminator or both."
            )
        self.weight, self.networks = weight, tuple(networks)
        #: Per player: the running means of its parameters, and how many values each mean has seen.
        self.averages: dict[str, list[Tensor]] = {}
        self.counts: dict[str, int] = {}

    def on_fit_start(self, trainer: L.Trainer, pl_module: GANModule) -> None:
        for player in pl_module.declared_players:
            if player.role not in self.networks:
                continue
            params = list(pl_module.player_parameters(player))
            if player.name in self.averages:  # restored from a checkpoint
                self.averages[player.name] = [
                    a.to(p.device) for a, p in zip(self.averages[player.name], params, strict=True)
                ]
            else:
                self.averages[player.name] = [p.detach().clone() for p in params]
                self.counts[player.name] = 1

    def penalty(self, pl_module: GANModule, player: str) -> Tensor:
        params = pl_module.player_parameters(pl_module.find_player(player))
        return sum(((p - a) ** 2).sum() for p, a in zip(params, self.averages[player], strict=True))

    def _add_penalty(self, pl_module: GANModule, step: DiscriminatorStep | GeneratorStep) -> None:
        if step.player in self.averages:
            value = self.penalty(pl_module, step.player)
            step.loss = step.loss + self.weight * value
            log_name = pl_module.find_player(step.player).log_name
            step.logs[f"train/historical_averaging_{log_name}"] = value.detach()

    @torch.no_grad()
    def _update(self, pl_module: GANModule, step: DiscriminatorStep | GeneratorStep) -> None:
        if step.player in self.averages:
            self.counts[step.player] += 1
            params = pl_module.player_parameters(pl_module.find_player(step.player))
            for p, a in zip(params, self.averages[step.player], strict=True):
                a.add_(p.detach() - a, alpha=1.0 / self.counts[step.player])

    def on_discriminator_loss(self, trainer: L.Trainer, pl_module: GANModule, step: DiscriminatorStep) -> None:
        self._add_penalty(pl_module, step)

    def on_generator_loss(self, trainer: L.Trainer, pl_module: GANModule, step: GeneratorStep) -> None:
        self._add_penalty(pl_module, step)

    def on_after_discriminator_step(self, trainer: L.Trainer, pl_module: GANModule, step: DiscriminatorStep) -> None:
        self._update(pl_module, step)

    def on_after_generator_step(self, trainer: L.Trainer, pl_module: GANModule, step: GeneratorStep) -> None:
        self._update(pl_module, step)

    def state_dict(self) -> dict[str, Any]:
        return {"averages": self.averages, "counts": self.counts}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.averages, self.counts = state_dict["averages"], state_dict["counts"]
