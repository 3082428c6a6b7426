"""Exponential moving average of the generator's weights (Karras et al., 2018; Yazici et al., 2019).

The averaged generator is smoother than the one being trained, whose weights oscillate with the
game; it usually gives visibly better samples and lower FID. Each of the module's sampling
networks (``sampling_networks``: ``generator``, or every generator of a multi-generator model)
gets an averaged copy ``<name>_ema``: ``sample()`` (and so ``lightgan sample`` and the sample
grids) uses it, and checkpoints carry it. A generator with batch norm gets statistics of its own
for the averaged copy (one extra gradient-free forward per step); copying the live ones would
normalise the averaged weights with statistics of other weights.
"""

from __future__ import annotations

import copy
from typing import Any

import lightning as L
import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from lightgan.core.hooks import GANCallback, GeneratorStep
from lightgan.core.module import GANModule
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
def refresh_batch_norm(pl_module: GANModule, step: GeneratorStep) -> None:
    """One forward of the averaged networks on the step's inputs with only their batch-norm layers in
    training mode.

    Their running statistics then follow the averaged weights (BigGAN's "standing statistics",
    kept up to date at the cost of one gradient-free generator forward per step).
    """
    with pl_module.sampling_networks_ready(use_averaged=True):
        norms = [
            module
            for name in pl_module.sampling_networks
            for module in pl_module.get_submodule(name).modules()
            if isinstance(module, _BatchNorm)
        ]
        for module in norms:
            module.train()
        pl_module.generate(step.z, step.fake_labels, **step.conditions)


def has_batch_norm(net: nn.Module) -> bool:
    return any(isinstance(module, _BatchNorm) for module in net.modules())


class GeneratorEMA(GANCallback):
    """Keep ``<network>_ema`` as an exponential moving average of each sampling network, updated after G steps.

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
        self._refresh_batch_norm = False

    def decay_at(self, updates: int) -> float:
        if self.ramp_up <= 0:
            return self.decay
        return min(self.decay, (1 + updates) / (self.ramp_up + updates))

    def on_fit_start(self, trainer: L.Trainer, pl_module: GANModule) -> None:
        # after every setup, so structure changes to G (spectral norm) are part of the copy
        for name in pl_module.sampling_networks:
            if pl_module.averaged(name) is None:
                setattr(pl_module, f"{name}_ema", copy.deepcopy(pl_module.get_submodule(name)).requires_grad_(False))
        self._refresh_batch_norm = any(has_batch_norm(pl_module.averaged(n)) for n in pl_module.sampling_networks)

    def on_after_generator_step(self, trainer: L.Trainer, pl_module: GANModule, step: GeneratorStep) -> None:
        if step.player != pl_module.players_of("generator")[-1].name:
            return  # once per training step, after the last generator's update
        decay = self.decay_at(self.updates)
        for name in pl_module.sampling_networks:
            update_ema(pl_module.averaged(name), pl_module.get_submodule(name), decay)
        if self._refresh_batch_norm:  # reuses the step's inputs: draws nothing from any RNG
            refresh_batch_norm(pl_module, step)
        self.updates += 1

    def state_dict(self) -> dict[str, Any]:
        return {"updates": self.updates}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.updates = state_dict["updates"]
