"""Experience replay of past fakes (Shrivastava et al., 2017): D keeps seeing what G used to make.

A discriminator that only sees the latest fakes forgets earlier ones, and G can cycle back to
them. Part of every fake batch is replaced by samples from a buffer of past fakes.
"""

from __future__ import annotations

from typing import Any

import lightning as L
import torch
from torch import Tensor

from lightgan.core.hooks import DiscriminatorStep, GANCallback
from lightgan.core.module import GANModule
from lightgan.errors import ConfigError

#: What a past fake brings back with it: its class (conditional models) and latent vector (BiGAN/ALI).
REPLAYED_FIELDS = ("fake", "fake_labels", "z")


class ExperienceReplay(GANCallback):
    """Replace ``replay_ratio`` of each fake batch D sees by past fakes from a buffer of ``buffer_size``.

    Fresh fakes fill the buffer until it is full, then overwrite distinct random entries. A
    replayed fake keeps its label and latent vector. The buffer is saved in checkpoints. List
    this callback before augmentation or noise callbacks so the buffer keeps the generator's own
    outputs (hooks run in the order of ``trainer.callbacks``).

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
        self.buffers: dict[str, Tensor] = {}
        self.filled = 0

    def setup(self, trainer: L.Trainer, pl_module: GANModule, stage: str) -> None:
        pl_module.sole_player("discriminator", "ExperienceReplay")  # one pool: fakes of one kind

    def on_fit_start(self, trainer: L.Trainer, pl_module: GANModule) -> None:
        # after the restore: checkpoints bring the buffers back on the CPU
        self.buffers = {name: values.to(pl_module.device) for name, values in self.buffers.items()}

    def on_discriminator_inputs(self, trainer: L.Trainer, pl_module: GANModule, step: DiscriminatorStep) -> None:
        rng = pl_module.noise_rng
        fresh = {name: getattr(step, name).detach() for name in REPLAYED_FIELDS if getattr(step, name) is not None}
        if self.filled:
            k = round(self.replay_ratio * step.fake.shape[0])
            index = torch.randint(0, self.filled, (k,), generator=rng, device=step.fake.device)
            for name, values in fresh.items():
                setattr(step, name, torch.cat([self.buffers[name][index], values[k:]]))
        self._store(fresh, rng)

    def _store(self, fresh: dict[str, Tensor], rng: torch.Generator) -> None:
        n, device = fresh["fake"].shape[0], fresh["fake"].device
        for name, values in fresh.items():
            if name not in self.buffers:
                self.buffers[name] = values.new_zeros((self.buffer_size, *values.shape[1:]))
        # empty slots first, then old entries at distinct random places (duplicate targets would make
        # the write order-dependent, so not reproducible); fakes beyond that are not kept
        free = min(self.buffer_size - self.filled, n)
        replaced = min(n - free, self.filled)
        old = torch.randperm(self.filled, generator=rng, device=device)[:replaced]
        slots = torch.cat([torch.arange(self.filled, self.filled + free, device=device), old])
        for name, values in fresh.items():
            self.buffers[name][slots] = values[: len(slots)]
        self.filled += free

    def state_dict(self) -> dict[str, Any]:
        return {"buffers": self.buffers, "filled": self.filled}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.buffers, self.filled = dict(state_dict["buffers"]), state_dict["filled"]
