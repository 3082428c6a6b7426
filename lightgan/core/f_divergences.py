"""f-GAN (Nowozin et al., 2016): adversarial losses from the variational bound of an f-divergence.

For a divergence ``f`` with output activation ``g_f`` and convex conjugate ``f*``, D's raw
output ``v`` becomes ``T = g_f(v)`` and the game is ``min_G max_D E_P[T(x)] - E_Q[f*(T(x))]``.
D minimises ``-E_real[g_f(v)] + E_fake[f*(g_f(v))]``; G minimises ``-E_fake[g_f(v)]`` (the
paper's practical objective, ``generator_objective: activation``) or the saturating
``-E_fake[f*(g_f(v))]`` (``conjugate``). ``f*(g_f(v))`` is written in closed form so every
divergence stays finite for any ``v``. Each divergence is a registered loss (``f_kl``,
``f_reverse_kl``, ``f_pearson``, ``f_hellinger``, ``f_jensen_shannon``, ``f_gan``) that any
variant can use.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import ClassVar, Literal

import torch
import torch.nn.functional as F
from torch import Tensor

from lightgan.core.losses import AdversarialLoss, Target
from lightgan.errors import ConfigError

Objective = Literal["activation", "conjugate"]
_LOG2 = math.log(2.0)

#: name -> (g_f(v), f*(g_f(v))), from Table 2 of the paper.
DIVERGENCES: dict[str, tuple[Callable[[Tensor], Tensor], Callable[[Tensor], Tensor]]] = {
    "kl": (lambda v: v, lambda v: torch.exp(v - 1.0)),
    "reverse_kl": (lambda v: -torch.exp(-v), lambda v: v - 1.0),
    "pearson": (lambda v: v, lambda v: v * v / 4.0 + v),
    "hellinger": (lambda v: 1.0 - torch.exp(-v), lambda v: torch.expm1(v)),
    "jensen_shannon": (lambda v: _LOG2 - F.softplus(-v), lambda v: F.softplus(v) - _LOG2),
    "gan": (lambda v: -F.softplus(-v), F.softplus),
}


class FDivergenceLoss(AdversarialLoss):
    """The f-GAN objective of one divergence.

    Args:
        divergence: ``kl``, ``reverse_kl``, ``pearson``, ``hellinger``, ``jensen_shannon`` or ``gan``.
        generator_objective: ``activation`` (G maximises ``E[g_f(v)]``, the paper's choice) or
            ``conjugate`` (G minimises the bound itself, which saturates like the minimax GAN).
    """

    uses_targets = False
    expects_logits = False
    #: The divergence of a registered subclass (the base takes it as an argument).
    divergence: ClassVar[str] = ""

    def __init__(self, divergence: str | None = None, generator_objective: Objective = "activation") -> None:
        name = divergence or self.divergence
        if name not in DIVERGENCES:
            raise ConfigError(f"Unknown f-divergence {name!r}: choose one of {', '.join(DIVERGENCES)}.")
        if generator_objective not in ("activation", "conjugate"):
            raise ConfigError(f"generator_objective must be activation or conjugate, got {generator_objective!r}.")
        # plain data only: a loss given as an object is kept in checkpoints by its arguments
        self.divergence, self.generator_objective = name, generator_objective

    def discriminator_loss(
        self, real_out: Tensor, fake_out: Tensor, real_target: Target = None, fake_target: Target = None
    ) -> Tensor:
        activation, conjugate = DIVERGENCES[self.divergence]
        return -activation(real_out).mean() + conjugate(fake_out).mean()

    def generator_loss(self, fake_out: Tensor, real_out: Tensor | None = None) -> Tensor:
        activation, conjugate = DIVERGENCES[self.divergence]
        if self.generator_objective == "conjugate":
            return -conjugate(fake_out).mean()
        return -activation(fake_out).mean()

    def __repr__(self) -> str:
        return f"FDivergenceLoss({self.divergence!r}, generator_objective={self.generator_objective!r})"


class KLLoss(FDivergenceLoss):
    divergence = "kl"


class ReverseKLLoss(FDivergenceLoss):
    divergence = "reverse_kl"


class PearsonLoss(FDivergenceLoss):
    divergence = "pearson"


class HellingerLoss(FDivergenceLoss):
    divergence = "hellinger"


class JensenShannonLoss(FDivergenceLoss):
    divergence = "jensen_shannon"


class FGANLoss(FDivergenceLoss):
    divergence = "gan"
