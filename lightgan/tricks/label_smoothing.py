"""Label smoothing (Salimans et al., 2016): softer discriminator targets for real data."""

from __future__ import annotations

import lightning as L
import torch

from lightgan.core.hooks import DiscriminatorStep, GANCallback
from lightgan.core.module import GANModule
from lightgan.errors import ConfigError


class LabelSmoothing(GANCallback):
    """Replace D's real target 1.0 by ``real_target`` (one-sided, the default) or by a value drawn
    per sample from ``real_range``; ``fake_target`` also smooths the fake side (two-sided).

    Only the discriminator's targets change; the generator's objective is left alone, which is
    what makes the one-sided form safe (smoothing fakes rewards G for staying where it is).
    """

    def __init__(
        self,
        real_target: float = 0.9,
        real_range: tuple[float, float] | None = None,
        fake_target: float | None = None,
    ) -> None:
        if real_range is not None and not real_range[0] < real_range[1]:
            raise ConfigError(f"LabelSmoothing real_range must be (low, high) with low < high, got {real_range}.")
        self.real_target, self.real_range, self.fake_target = real_target, real_range, fake_target

    def setup(self, trainer: L.Trainer, pl_module: GANModule, stage: str) -> None:
        loss = getattr(pl_module, "loss", None)
        if loss is not None and not loss.uses_targets:
            raise ConfigError(
                f"LabelSmoothing changes D's targets, but {type(pl_module).__name__} uses {loss!r}, which has none. "
                "Use it with loss minimax, non_saturating or least_squares, or remove the callback."
            )

    def on_discriminator_targets(self, trainer: L.Trainer, pl_module: GANModule, step: DiscriminatorStep) -> None:
        if self.real_range is not None:
            low, high = self.real_range
            outputs = step.real.shape[0] // pl_module.pack  # one D output per pack of samples
            u = torch.rand(outputs, generator=pl_module.noise_rng, device=step.real.device)
            step.real_target = low + (high - low) * u
        else:
            step.real_target = self.real_target
        if self.fake_target is not None:
            step.fake_target = self.fake_target
