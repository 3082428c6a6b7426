"""Instance noise (Sønderby et al., 2017; Arjovsky & Bottou, 2017): blur the line D has to draw.

Early in training real and generated distributions barely overlap, so a perfect discriminator
exists and its gradients tell G little. Gaussian noise on everything D sees makes the two
distributions overlap; annealing its scale to 0 recovers the original problem.
"""

from __future__ import annotations

import lightning as L
import torch
from torch import Tensor

from lightgan.core.hooks import DiscriminatorStep, GANCallback, GeneratorStep
from lightgan.core.module import GANModule
from lightgan.errors import ConfigError


class InstanceNoise(GANCallback):
    """Add N(0, sigma_t^2) noise to D's real and fake inputs, in the D step and in the G step.

    Args:
        sigma: noise scale at the start of training (data lives in [-1, 1] for images).
        anneal_steps: generator steps over which sigma falls linearly to 0 (None: constant sigma).
    """

    def __init__(self, sigma: float = 0.1, anneal_steps: int | None = 10_000) -> None:
        if sigma < 0:
            raise ConfigError(f"InstanceNoise sigma must be >= 0, got {sigma}.")
        if anneal_steps is not None and anneal_steps < 1:
            raise ConfigError(
                f"InstanceNoise anneal_steps must be >= 1 (or null for constant noise), got {anneal_steps}."
            )
        self.sigma, self.anneal_steps = sigma, anneal_steps

    def sigma_at(self, step: int) -> float:
        """The noise scale at generator step ``step``."""
        if self.anneal_steps is None:
            return self.sigma
        return self.sigma * max(0.0, 1.0 - step / self.anneal_steps)

    def _noisy(self, x: Tensor, sigma: float, rng: torch.Generator) -> Tensor:
        return x + sigma * torch.randn(x.shape, generator=rng, device=x.device, dtype=x.dtype)

    def on_discriminator_inputs(self, trainer: L.Trainer, pl_module: GANModule, step: DiscriminatorStep) -> None:
        sigma = self.sigma_at(pl_module.global_step)
        step.logs["train/instance_noise_sigma"] = torch.tensor(sigma, device=step.real.device)
        if sigma > 0:
            step.real = self._noisy(step.real, sigma, pl_module.noise_rng)
            step.fake = self._noisy(step.fake, sigma, pl_module.noise_rng)

    def on_generator_inputs(self, trainer: L.Trainer, pl_module: GANModule, step: GeneratorStep) -> None:
        sigma = self.sigma_at(pl_module.global_step)
        if sigma > 0:
            step.fake = self._noisy(step.fake, sigma, pl_module.noise_rng)
