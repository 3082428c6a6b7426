"""DRAGAN (Kodali et al., 2017): a gradient penalty around the real data."""

from __future__ import annotations

from typing import Any

import lightning as L

from lightgan.errors import ConfigError
from lightgan.models.backbone import BackboneGAN
from lightgan.tricks import DRAGANPenalty


class DRAGAN(BackboneGAN):
    """The standard GAN objective plus lambda E[(||grad D(x_hat)|| - 1)^2] at points x_hat near real data.

    x_hat lies between a real sample and a copy of it perturbed by up to ``perturb_scale`` times
    the batch's standard deviation, so D is kept smooth around the data, where mode collapse
    starts, rather than between data and fakes as in WGAN-GP. The DCGAN discriminator has no
    batch norm. Defaults follow the authors' code: Adam lr 1e-4, betas (0.5, 0.9), lambda 10.
    The penalty is the ``DRAGANPenalty`` trick, which the variant brings along.

    Args:
        penalty_weight: lambda, the weight of the penalty.
        perturb_scale: size of the perturbation, in units of the batch's standard deviation.
        **kwargs: everything ``BackboneGAN`` takes (architecture, widths, loss, pack, ...).
    """

    discriminator_batch_norm = False

    def __init__(
        self,
        penalty_weight: float = 10.0,
        perturb_scale: float = 0.5,
        lr_g: float = 1e-4,
        lr_d: float = 1e-4,
        betas_g: tuple[float, float] = (0.5, 0.9),
        betas_d: tuple[float, float] = (0.5, 0.9),
        **kwargs: Any,
    ) -> None:
        if penalty_weight < 0 or perturb_scale <= 0:
            raise ConfigError(
                f"DRAGAN needs penalty_weight >= 0 and perturb_scale > 0, got {penalty_weight!r} and "
                f"{perturb_scale!r}. The paper uses 10 and 0.5."
            )
        super().__init__(lr_g=lr_g, lr_d=lr_d, betas_g=betas_g, betas_d=betas_d, **kwargs)
        self.penalty_weight, self.perturb_scale = penalty_weight, perturb_scale

    def configure_callbacks(self) -> list[L.Callback]:
        return [
            *super().configure_callbacks(),
            DRAGANPenalty(weight=self.penalty_weight, perturb_scale=self.perturb_scale),
        ]
