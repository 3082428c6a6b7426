"""Exponential moving average of the generator's weights (Karras et al., 2018; Yazici et al., 2019).

The averaged generator is smoother than the one being trained, whose weights oscillate with the
game; it usually gives visibly better samples and lower FID. It lives in
``pl_module.generator_ema``: ``sample()`` (and so ``lightgan sample`` and the sample grids) uses
it, and checkpoints carry it. A generator with batch norm gets statistics of its own for the
averaged copy (one extra gradient-free forward per step); copying the live ones would normalise
the averaged weights with statistics of other weights.
"""

from __future__ import annotations

import copy
from typing import Any

import lightning as L
import torch
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

from lightgan.core.hooks import GANCallback, GeneratorStep
from lightgan.errors import ConfigError


@torch.no_grad()
def update_ema(ema: nn.Module, model: nn.Module, decay: float) -> None:
    """ema <- decay * ema + (1 - decay) * model for parameters; other buffers are copied.

    Batch-norm statistics are not copied: they describe the live weights' activations, and
    normalising the averaged weights with them skews every sample (see ``refresh_batch_norm``).
    """
    for averaged, current in zip(ema.parameters(), model.parameters(), strict=True):
        averaged.lerp_(current.detach(), 1.0 - decay)
    for averaged_module, current_module in zip(ema.modules(), model.modules(), strict=True):
        if isinstance(averaged_module, _BatchNorm):
            continue
        own = zip(averaged_module.buffers(recurse=False), current_module.buffers(recurse=False), strict=True)
        for averaged, current in own:
            averaged.copy_(current)


@torch.no_grad()
def refresh_batch_norm(pl_module: Any, z: Tensor, labels: Tensor | None) -> None:
    """One forward of the averaged generator with only its batch-norm layers in training mode.

    Their running statistics then follow the averaged weights (BigGAN's "standing statistics",
    kept up to date at the cost of one gradient-free generator forward per step).
    """
    ema = pl_module.generator_ema
    was_training = ema.training
    ema.eval()
    for module in ema.modules():
        if isinstance(module, _BatchNorm):
            module.train()
    try:
        pl_module.generate(z, labels, net=ema)
    finally:
        ema.train(was_training)


def has_batch_norm(net: nn.Module) -> bool:
    return any(isinstance(module, _BatchNorm) for module in net.modules())


class GeneratorEMA(GANCallback):
    """Keep ``generator_ema`` as an exponential moving average of G, updated after every G step.

    The decay ramps up as ``min(decay, (1 + t) / (ramp_up + t))`` after ``t`` updates, so the
    average does not stay anchored to the random initial weights; ``ramp_up: 0`` uses ``decay``
    from the first step.

    Args:
        decay: the decay once ramped up (0.999 is common; 0.9999 for long runs).
        ramp_up: how slowly the decay ramps up (10 reaches 0.99 after about 900 steps).
    """

    def __init__(self, decay: float = 0.999, ramp_up: float = 10.0) -> None:
        if not 0 < decay < 1:
            raise ConfigError(f"GeneratorEMA decay must be between 0 and 1 (e.g. 0.999), got {decay}.")
        if ramp_up < 0:
            raise ConfigError(f"GeneratorEMA ramp_up must be >= 0, got {ramp_up}.")
        self.decay, self.ramp_up = decay, ramp_up
        self.updates = 0
        self._step_inputs: tuple[Tensor, Tensor | None] | None = None
        self._refresh_batch_norm = False

    def decay_at(self, updates: int) -> float:
        if self.ramp_up <= 0:
            return self.decay
        return min(self.decay, (1 + updates) / (self.ramp_up + updates))

    def on_fit_start(self, trainer: L.Trainer, pl_module: Any) -> None:
        # after every setup, so structure changes to G (spectral norm) are part of the copy
        if pl_module.generator_ema is None:
            pl_module.generator_ema = copy.deepcopy(pl_module.generator).requires_grad_(False)
        self._refresh_batch_norm = has_batch_norm(pl_module.generator_ema)

    def on_generator_inputs(self, trainer: L.Trainer, pl_module: Any, step: GeneratorStep) -> None:
        # kept for refresh_batch_norm: reusing the step's noise draws nothing from any RNG
        if self._refresh_batch_norm:
            self._step_inputs = (step.z, step.fake_labels)

    def on_after_generator_step(self, trainer: L.Trainer, pl_module: Any) -> None:
        update_ema(pl_module.generator_ema, pl_module.generator, self.decay_at(self.updates))
        if self._step_inputs is not None:
            refresh_batch_norm(pl_module, *self._step_inputs)
        self._step_inputs = None
        self.updates += 1

    def state_dict(self) -> dict[str, Any]:
        return {"updates": self.updates}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.updates = state_dict["updates"]
