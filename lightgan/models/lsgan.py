"""Least Squares GAN (Mao et al., 2017)."""

from __future__ import annotations

from typing import Any

from lightgan.core.losses import LeastSquaresLoss
from lightgan.errors import ConfigError
from lightgan.models.backbone import BackboneGAN


class LSGAN(BackboneGAN):
    """Least-squares objectives: D regresses fakes to ``a`` and reals to ``b``; G pushes fakes to ``c``.

    ``a=0, b=1, c=1`` (the default) is the common choice; ``a=-1, b=1, c=0`` minimises the Pearson
    chi-squared divergence (the paper's Eq. 9). The loss follows from the targets, so LSGAN has no
    ``loss`` argument.

    Args:
        a, b, c: the fake target, real target and generator target.
        **kwargs: everything ``BackboneGAN`` takes (architecture, widths, learning rates, pack, ...).
    """

    fixed_loss = True

    def __init__(self, a: float = 0.0, b: float = 1.0, c: float = 1.0, **kwargs: Any) -> None:
        if a == b:
            raise ConfigError(
                f"LSGAN needs different targets for fake (a) and real (b) data, got a = b = {a}. The paper uses "
                "a=0, b=1, c=1 or a=-1, b=1, c=0."
            )
        super().__init__(loss=LeastSquaresLoss(a, b, c), **kwargs)
