"""Dropout-GAN (Mordido et al., 2018): each discriminator's feedback to the generator is dropped at random."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from lightgan.core.hooks import GeneratorStep
from lightgan.errors import ConfigError
from lightgan.models.multi_player import MultiDiscriminatorGAN


def keep_mask(count: int, drop_probability: float, rng: torch.Generator) -> Tensor:
    """Which of ``count`` discriminators G hears this batch: each dropped with ``drop_probability``, one always kept."""
    keep = torch.rand(count, generator=rng, device=rng.device) >= drop_probability
    if not keep.any():
        keep[torch.randint(count, (1,), generator=rng, device=rng.device)] = True
    return keep


class DropoutGAN(MultiDiscriminatorGAN):
    """K discriminators, all trained every step; G learns from a random subset of them per batch.

    Each discriminator's loss is left out of G's loss with probability ``p`` (at least one stays);
    G minimises the mean over those kept, so it cannot fit any single discriminator. The draw
    comes from the training-noise generator, so a resumed run drops the same ones. Logged:
    ``train/dropout_kept`` (how many G heard).

    Args:
        num_discriminators: K.
        p: probability of dropping each discriminator's feedback, in [0, 1) (0: GMAN's mean).
        **kwargs: everything ``BackboneGAN`` takes.
    """

    def __init__(self, num_discriminators: int = 5, p: float = 0.5, **kwargs: Any) -> None:
        if not isinstance(p, int | float) or not 0 <= p < 1:
            raise ConfigError(
                f"model.init_args.p must be in [0, 1) (the chance of dropping each discriminator's feedback), "
                f"got {p!r}. Use e.g. 0.5."
            )
        super().__init__(num_discriminators=num_discriminators, **kwargs)
        self.p = p

    def combine(self, losses: Tensor, step: GeneratorStep) -> Tensor:
        keep = keep_mask(len(losses), self.p, self.step_rng(step)).to(losses.device)
        step.logs["train/dropout_kept"] = keep.sum().float()
        return losses[keep].mean()
