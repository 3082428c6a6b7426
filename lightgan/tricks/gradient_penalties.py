"""Gradient penalties on D as callbacks, for any variant and loss (the math is in ``lightgan.core.regularizers``).

- ``GradientPenalty`` (WGAN-GP): ``weight * E[(||grad D(x_hat)|| - center)^2]`` between reals and fakes.
- ``DRAGANPenalty``: the same penalty at points between reals and a perturbed copy of them.
- ``R1Penalty``: ``gamma / 2 * E||grad D(x)||^2`` on reals, the zero-centred penalty of StyleGAN.
- ``R2Penalty``: the same on fakes.

Each differentiates the step's own critic (``step.critic``: the discriminator player being
updated, with the step's conditions), so they work for every player of a multi-player module.
"""

from __future__ import annotations

from typing import ClassVar

import lightning as L
from torch import Tensor

from lightgan.core.hooks import DiscriminatorStep, GANCallback
from lightgan.core.module import GANModule
from lightgan.core.regularizers import Critic, dragan_penalty, gradient_penalty, r1_penalty, r2_penalty
from lightgan.errors import ConfigError


def _critic(pl_module: GANModule, step: DiscriminatorStep, labels: Tensor | None) -> Critic:
    judge = step.critic or pl_module.critic(step.player, step.conditions)
    return lambda x: judge(x, labels)


class _DiscriminatorPenalty(GANCallback):
    """Adds ``factor * penalty`` to D's loss and logs the penalty as ``train/<log_name>``."""

    log_name: ClassVar[str]

    def __init__(self, factor: float) -> None:
        if factor < 0:
            raise ConfigError(f"{type(self).__name__} needs a factor >= 0, got {factor}.")
        self.factor = factor

    def penalty(self, pl_module: GANModule, step: DiscriminatorStep) -> Tensor:
        raise NotImplementedError

    def on_discriminator_loss(self, trainer: L.Trainer, pl_module: GANModule, step: DiscriminatorStep) -> None:
        value = self.penalty(pl_module, step)
        step.loss = step.loss + self.factor * value
        step.logs[f"train/{self.log_name}"] = value.detach()


class GradientPenalty(_DiscriminatorPenalty):
    """WGAN-GP's penalty at random points between real and fake samples (one mixing weight per sample).

    Args:
        weight: lambda (10 in the paper).
        center: the target gradient norm (1; 0 gives the zero-centred variant).
    """

    log_name = "gradient_penalty"

    def __init__(self, weight: float = 10.0, center: float = 1.0) -> None:
        super().__init__(weight)
        self.center = center

    def penalty(self, pl_module: GANModule, step: DiscriminatorStep) -> Tensor:
        critic = _critic(pl_module, step, step.labels)
        return gradient_penalty(
            critic, step.real, step.fake, center=self.center, rng=pl_module.noise_rng, pack=pl_module.pack
        )


class DRAGANPenalty(_DiscriminatorPenalty):
    """DRAGAN's penalty (Kodali et al., 2017) at points near the real data, so D stays smooth where
    mode collapse starts rather than between data and fakes.

    Args:
        weight: lambda (10 in the paper).
        perturb_scale: the perturbation, in units of the batch's standard deviation (0.5 in the paper).
    """

    log_name = "gradient_penalty"

    def __init__(self, weight: float = 10.0, perturb_scale: float = 0.5) -> None:
        if perturb_scale <= 0:
            raise ConfigError(f"DRAGANPenalty perturb_scale must be positive, got {perturb_scale}. The paper uses 0.5.")
        super().__init__(weight)
        self.perturb_scale = perturb_scale

    def penalty(self, pl_module: GANModule, step: DiscriminatorStep) -> Tensor:
        critic = _critic(pl_module, step, step.labels)
        return dragan_penalty(
            critic, step.real, perturb_scale=self.perturb_scale, rng=pl_module.noise_rng, pack=pl_module.pack
        )


class R1Penalty(_DiscriminatorPenalty):
    """Mescheder et al.'s R1: ``gamma / 2 * E||grad D(x_real)||^2``.

    Args:
        gamma: the penalty weight (10 is common; 0.1 to 100 depending on data).
    """

    log_name = "r1_penalty"

    def __init__(self, gamma: float = 10.0) -> None:
        super().__init__(gamma)

    def penalty(self, pl_module: GANModule, step: DiscriminatorStep) -> Tensor:
        return r1_penalty(_critic(pl_module, step, step.labels), step.real, pack=pl_module.pack)


class R2Penalty(_DiscriminatorPenalty):
    """R2: ``gamma / 2 * E||grad D(x_fake)||^2``.

    Args:
        gamma: the penalty weight.
    """

    log_name = "r2_penalty"

    def __init__(self, gamma: float = 10.0) -> None:
        super().__init__(gamma)

    def penalty(self, pl_module: GANModule, step: DiscriminatorStep) -> Tensor:
        return r2_penalty(_critic(pl_module, step, step.fake_labels), step.fake, pack=pl_module.pack)
