"""Mode-collapse alarm: warn when the generator's samples stop differing from one another.

A collapsing generator maps many latent vectors to the same few outputs. The mean pairwise
distance of a fixed batch of samples, compared with that of real data, shows it as a number
long before the sample grids make it obvious.
"""

from __future__ import annotations

from typing import Any

import lightning as L
import torch
from lightning.pytorch.utilities import rank_zero_warn
from torch import Tensor

from lightgan.core.module import GANModule
from lightgan.errors import ConfigError


def mean_pairwise_distance(x: Tensor) -> float:
    """Mean Euclidean distance between all pairs of (flattened) samples."""
    return float(torch.pdist(x.flatten(1).float()).mean())


class ModeCollapseAlarm(L.Callback):
    """Every ``every_n_steps`` generator steps, compare the samples' diversity with the real data's.

    The real reference is the mean pairwise distance of the first ``num_samples`` training
    samples seen (saved in checkpoints); the generated one uses fixed noise, from the generator
    being trained (not the EMA copy). The ratio is logged as ``health/diversity_ratio``; below
    ``fraction`` a warning is raised (and training stops with ``stop: true``).

    Args:
        num_samples: samples in each batch compared.
        fraction: alarm threshold on generated / real diversity.
        every_n_steps: generator steps between checks.
        stop: stop training at the alarm.
        seed: seed of the fixed noise (and labels of conditional models).
    """

    def __init__(
        self, num_samples: int = 256, fraction: float = 0.5, every_n_steps: int = 500, stop: bool = False, seed: int = 0
    ) -> None:
        if num_samples < 2:
            raise ConfigError(f"ModeCollapseAlarm num_samples must be >= 2, got {num_samples}.")
        if not 0 < fraction < 1:
            raise ConfigError(f"ModeCollapseAlarm fraction must be between 0 and 1, got {fraction}.")
        self.num_samples, self.fraction, self.every_n_steps = num_samples, fraction, every_n_steps
        self.stop, self.seed = stop, seed
        self.real_diversity: float | None = None
        self.last_ratio: float | None = None
        self._real: list[Tensor] = []

    def on_train_batch_start(self, trainer: L.Trainer, pl_module: GANModule, batch: Any, batch_idx: int) -> None:
        if self.real_diversity is not None:
            return
        self._real += [part["real"].detach() for part in (batch if isinstance(batch, list) else [batch])]
        real = torch.cat(self._real)
        if len(real) >= self.num_samples:
            self.real_diversity = mean_pairwise_distance(real[: self.num_samples])
            self._real = []

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: GANModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        step = trainer.global_step
        if self.real_diversity is None or step % self.every_n_steps:
            return
        last = batch[-1] if isinstance(batch, list) else batch
        inputs = {key: value[: self.num_samples] for key, value in pl_module.data_conditions(last).items()}
        ratio = self.check(pl_module, inputs)
        pl_module.log("health/diversity_ratio", ratio, on_step=True, on_epoch=False)
        if ratio < self.fraction:
            rank_zero_warn(
                f"ModeCollapseAlarm: at step {step} the samples' mean pairwise distance is {ratio:.3f} of the real "
                f"data's (alarm below {self.fraction}): the generator may be collapsing."
            )
        # each process measured against its own shard of real data; all stop if any raised the alarm
        if self.stop and trainer.strategy.reduce_boolean_decision(ratio < self.fraction, all=False):
            trainer.should_stop = True

    def check(self, pl_module: GANModule, inputs: dict[str, Tensor] | None = None) -> float:
        """Generated / real mean pairwise distance, now; a model that takes data as input translates ``inputs``
        (the step's batch) instead of ``num_samples`` draws."""
        assert self.real_diversity is not None
        rng = torch.Generator().manual_seed(self.seed)
        n = None if inputs else self.num_samples
        samples = pl_module.sample(n, generator=rng, use_ema=False, **(inputs or {}))
        self.last_ratio = mean_pairwise_distance(samples) / max(self.real_diversity, 1e-12)
        return self.last_ratio

    def state_dict(self) -> dict[str, Any]:
        return {"real_diversity": self.real_diversity}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.real_diversity = state_dict["real_diversity"]
