"""Experience replay of past fakes (Shrivastava et al., 2017): D keeps seeing what G used to make.

A discriminator that only sees the latest fakes forgets earlier ones, and G can cycle back to
them. Part of every fake batch is replaced by samples from a buffer of past fakes.
"""

from __future__ import annotations

from typing import Any

import lightning as L
import torch
from torch import Tensor

from lightgan.errors import ConfigError
from lightgan.hooks import DiscriminatorStep, GANCallback


class ExperienceReplay(GANCallback):
    """Replace ``replay_ratio`` of each fake batch D sees by past fakes from a buffer of ``buffer_size``.

    Fresh fakes fill the buffer until it is full, then overwrite distinct random entries. The buffer is
    saved in checkpoints. List this callback before augmentation or noise callbacks so the
    buffer keeps the generator's own outputs (hooks run in the order of ``trainer.callbacks``).

    Args:
        buffer_size: number of past fakes kept.
        replay_ratio: fraction of each fake batch taken from the buffer (0 to 1).
    """

    def __init__(self, buffer_size: int = 1024, replay_ratio: float = 0.5) -> None:
        if buffer_size < 1:
            raise ConfigError(f"ExperienceReplay buffer_size must be >= 1, got {buffer_size}.")
        if not 0 <= replay_ratio <= 1:
            raise ConfigError(f"ExperienceReplay replay_ratio must be between 0 and 1, got {replay_ratio}.")
        self.buffer_size, self.replay_ratio = buffer_size, replay_ratio
        self.buffer: Tensor | None = None
        self.buffer_labels: Tensor | None = None
        self.filled = 0

    def on_discriminator_inputs(self, trainer: L.Trainer, pl_module: Any, step: DiscriminatorStep) -> None:
        rng = pl_module.noise_rng
        fresh, fresh_labels = step.fake.detach(), step.fake_labels
        if self.filled:
            k = round(self.replay_ratio * fresh.shape[0])
            index = torch.randint(0, self.filled, (k,), generator=rng, device=fresh.device)
            step.fake = torch.cat([self.buffer[index], step.fake[k:]])
            if fresh_labels is not None:
                step.fake_labels = torch.cat([self.buffer_labels[index], fresh_labels[k:]])
        self._store(fresh, fresh_labels, rng)

    def _store(self, fakes: Tensor, labels: Tensor | None, rng: torch.Generator) -> None:
        if self.buffer is None:
            self.buffer = fakes.new_zeros((self.buffer_size, *fakes.shape[1:]))
            if labels is not None:
                self.buffer_labels = labels.new_zeros(self.buffer_size)
        self.buffer = self.buffer.to(fakes.device)
        if self.buffer_labels is not None:
            self.buffer_labels = self.buffer_labels.to(fakes.device)
        # empty slots first, then old entries at distinct random places (duplicate targets would make
        # the write order-dependent, so not reproducible); fakes beyond that are not kept
        free = min(self.buffer_size - self.filled, fakes.shape[0])
        replaced = min(fakes.shape[0] - free, self.filled)
        old = torch.randperm(self.filled, generator=rng, device=fakes.device)[:replaced]
        slots = torch.cat([torch.arange(self.filled, self.filled + free, device=fakes.device), old])
        fakes = fakes[: len(slots)]
        labels = labels[: len(slots)] if labels is not None else None
        self.buffer[slots] = fakes
        if self.buffer_labels is not None and labels is not None:
            self.buffer_labels[slots] = labels
        self.filled += free

    def state_dict(self) -> dict[str, Any]:
        return {"buffer": self.buffer, "buffer_labels": self.buffer_labels, "filled": self.filled}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.buffer, self.buffer_labels, self.filled = (
            state_dict["buffer"],
            state_dict["buffer_labels"],
            state_dict["filled"],
        )
