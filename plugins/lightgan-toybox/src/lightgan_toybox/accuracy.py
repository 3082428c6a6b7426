"""``DiscriminatorAccuracy``: how well D tells real from fake, logged at every training step.

A diagnostic, not a trick: it reads D's outputs in the ``on_discriminator_loss`` hook and
changes nothing. ``train/d_auc`` (the fraction of (real, fake) pairs D ranks correctly, ties
counting half) needs no threshold, so it means the same for every loss: 0.5 when D cannot tell
them apart, 1.0 when it separates them completely (and the generator gets little signal).
"""

from __future__ import annotations

from typing import Any

import torch
from lightgan.api import DiscriminatorStep, GANCallback
from torch import Tensor


def ranking_accuracy(real_out: Tensor, fake_out: Tensor) -> Tensor:
    """Fraction of (real, fake) pairs with the real output above the fake one; ties count half."""
    real, fake = real_out.detach().flatten().float(), fake_out.detach().flatten().float()
    diff = real[:, None] - fake[None, :]
    return (diff > 0).float().mean() + 0.5 * (diff == 0).float().mean()


class DiscriminatorAccuracy(GANCallback):
    """Logs ``train/d_auc`` and, against ``threshold``, ``train/d_acc_real`` / ``train/d_acc_fake``.

    Args:
        threshold: D output above which a sample counts as judged real. 0 suits logit losses
            (minimax, non_saturating) and hinge; use 0.5 for least_squares with its default targets.
    """

    def __init__(self, threshold: float = 0.0) -> None:
        self.threshold = threshold

    def on_discriminator_loss(self, trainer: Any, pl_module: Any, step: DiscriminatorStep) -> None:
        if step.real_out is None or step.fake_out is None:
            return  # a variant whose discriminator_loss keeps its outputs to itself
        with torch.no_grad():
            step.logs["train/d_auc"] = ranking_accuracy(step.real_out, step.fake_out)
            step.logs["train/d_acc_real"] = (step.real_out.detach().float() > self.threshold).float().mean()
            step.logs["train/d_acc_fake"] = (step.fake_out.detach().float() <= self.threshold).float().mean()
