"""D2GAN (Nguyen et al., 2017): dual discriminators, one for the forward and one for the reverse KL."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from lightgan.core.hooks import GeneratorStep
from lightgan.core.losses import AdversarialLoss, Target
from lightgan.errors import ConfigError
from lightgan.models.multi_player import MultiDiscriminatorGAN


def positive(v: Tensor) -> Tensor:
    """D2GAN's discriminators output positive values: softplus of the last layer."""
    return F.softplus(v)


def log_positive(v: Tensor) -> Tensor:
    """log softplus(v), finite for any v (softplus(v) ≈ e^v far below 0)."""
    return torch.where(v < -15, v, torch.log(F.softplus(v.clamp(min=-15))))


class RealRewardLoss(AdversarialLoss):
    """D1's game: D1 maximises alpha·E[log D1(x)] - E[D1(G(z))] (scores real data high); G maximises E[D1(G(z))].

    At the optimum G minimises alpha·KL(P_data ‖ P_G) (forward KL: covering every mode).
    """

    uses_targets = False
    expects_logits = False

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = alpha

    def discriminator_loss(
        self, real_out: Tensor, fake_out: Tensor, real_target: Target = None, fake_target: Target = None
    ) -> Tensor:
        return -self.alpha * log_positive(real_out).mean() + positive(fake_out).mean()

    def generator_loss(self, fake_out: Tensor, real_out: Tensor | None = None) -> Tensor:
        return -positive(fake_out).mean()

    def __repr__(self) -> str:
        return f"RealRewardLoss(alpha={self.alpha})"


class FakeRewardLoss(AdversarialLoss):
    """D2's game: D2 maximises -E[D2(x)] + β·E[log D2(G(z))] (scores fakes high); G minimises β·E[log D2(G(z))].

    At the optimum G minimises β·KL(P_G ‖ P_data) (reverse KL: no samples off the data).
    """

    uses_targets = False
    expects_logits = False

    def __init__(self, beta: float = 1.0) -> None:
        self.beta = beta

    def discriminator_loss(
        self, real_out: Tensor, fake_out: Tensor, real_target: Target = None, fake_target: Target = None
    ) -> Tensor:
        return positive(real_out).mean() - self.beta * log_positive(fake_out).mean()

    def generator_loss(self, fake_out: Tensor, real_out: Tensor | None = None) -> Tensor:
        return self.beta * log_positive(fake_out).mean()

    def __repr__(self) -> str:
        return f"FakeRewardLoss(beta={self.beta})"


class D2GAN(MultiDiscriminatorGAN):
    """Two discriminators with positive outputs: D1 (player ``d0``) rewards real data, D2 (``d1``) fakes.

    G maximises D1's score of its fakes and minimises β·log of D2's: the forward KL term makes
    it cover every mode, the reverse KL term keeps its samples on the data, and alpha, β weigh them
    (the authors' code for 2-D data uses 1 and 1, the default). G's loss is the sum of the two terms. The
    networks' last layer gives v and the discriminators output softplus(v); the logged scores
    (``train/d0_real_score`` ...) are the mean v.

    Args:
        alpha: weight of log D1(x) in D1's objective (forward KL).
        beta: weight of log D2(G(z)) in D2's and G's objectives (reverse KL).
        **kwargs: everything ``BackboneGAN`` takes except ``loss``.
    """

    fixed_loss = True

    def __init__(self, alpha: float = 1.0, beta: float = 1.0, **kwargs: Any) -> None:
        for name, value in (("alpha", alpha), ("beta", beta)):
            if not value > 0:
                raise ConfigError(f"model.init_args.{name} must be positive, got {value!r}. Use e.g. 1.0.")
        super().__init__(num_discriminators=2, loss=RealRewardLoss(alpha), **kwargs)
        self.hparams.pop("num_discriminators", None)  # not an argument of D2GAN: it always has two
        self.alpha, self.beta = alpha, beta
        self.losses = (RealRewardLoss(alpha), FakeRewardLoss(beta))

    def loss_of(self, index: int) -> AdversarialLoss:
        return self.losses[index]

    def combine(self, losses: Tensor, step: GeneratorStep) -> Tensor:
        return losses.sum()
