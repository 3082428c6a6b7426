"""GMAN (Durugkar et al., 2017): one generator against several discriminators."""

from __future__ import annotations

from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lightgan.core.hooks import GeneratorStep
from lightgan.errors import ConfigError
from lightgan.models.multi_player import MultiDiscriminatorGAN

Combination = Literal["mean", "softmax"]


class Softness(nn.Module):
    """GMAN*'s λ as a parameter the generator learns, kept >= 0 (λ = softplus of the parameter)."""

    def __init__(self, initial: float) -> None:
        super().__init__()
        # softplus⁻¹(λ); a tiny floor keeps λ = 0 representable without -inf
        start = torch.tensor(max(initial, 1e-4))
        self.raw = nn.Parameter(start + torch.log(-torch.expm1(-start)))

    def forward(self) -> Tensor:
        return F.softplus(self.raw)


class GMAN(MultiDiscriminatorGAN):
    """K discriminators, each trained as in a GAN; G learns from all of them at once.

    ``combination: mean`` is GMAN's arithmetic mean of G's losses against the K discriminators.
    ``softmax`` weights them by softmax(λ · loss): λ = 0 is the mean, large λ listens to the
    harshest discriminator (the max), in between a soft max. ``learn_lambda`` makes λ a parameter
    G trains (GMAN*), with the paper's -0.001·λ added to G's loss so λ does not shrink to 0.
    Logged: G's loss against each discriminator (``train/g_loss_d{i}``), ``train/gman_lambda`` and
    the largest weight ``train/gman_max_weight``.

    Args:
        num_discriminators: K.
        combination: ``mean`` or ``softmax``.
        lam: λ of the softmax (its start when learnt).
        learn_lambda: G learns λ (softmax only).
        **kwargs: everything ``BackboneGAN`` takes.
    """

    generator_networks = ("generator", "softness")

    def __init__(
        self,
        num_discriminators: int = 5,
        combination: Combination = "mean",
        lam: float = 1.0,
        learn_lambda: bool = False,
        **kwargs: Any,
    ) -> None:
        if combination not in ("mean", "softmax"):
            raise ConfigError(f"model.init_args.combination must be mean or softmax, got {combination!r}.")
        if not lam >= 0:
            raise ConfigError(f"model.init_args.lam must be >= 0 (0 is the mean), got {lam!r}.")
        if learn_lambda and combination != "softmax":
            raise ConfigError("model.init_args.learn_lambda needs combination: softmax (λ weights the softmax).")
        super().__init__(num_discriminators=num_discriminators, **kwargs)
        self.combination, self.lam = combination, lam
        self.softness = Softness(lam)
        self.softness.requires_grad_(learn_lambda)

    def combine(self, losses: Tensor, step: GeneratorStep) -> Tensor:
        if self.combination == "mean":
            return losses.mean()
        lam = self.softness() if self.hparams.learn_lambda else losses.new_tensor(self.lam)
        weights = torch.softmax(lam * losses, dim=0)
        step.logs["train/gman_lambda"] = lam.detach()
        step.logs["train/gman_max_weight"] = weights.max().detach()
        combined = (weights * losses).sum()
        return combined - 0.001 * lam if self.hparams.learn_lambda else combined
