"""``RelativisticGAN``: lightgan's networks with a relativistic objective (RaGAN by default)."""

from __future__ import annotations

from typing import Any

from lightgan.api import AdversarialLoss, BackboneGAN


class RelativisticGAN(BackboneGAN):
    """Relativistic GAN (RSGAN/RaGAN) on lightgan's DCGAN networks for images or MLPs for vectors.

    The shared loop, optimizers, hooks and checkpointing come from ``GANModule``, which also
    passes D's output on the real batch to losses that need it, and ``BackboneGAN`` builds the
    networks (``architecture``, ``hidden_dims``, ``base_channels``, ...); this variant only sets
    the default loss and MLP widths.

    Args:
        loss: ``relativistic_average`` (RaGAN, default), ``relativistic`` (RSGAN), or any other
            registered loss (they ignore the real outputs).
        hidden_dims: hidden widths of the MLP networks.
        **kwargs: everything ``BackboneGAN`` and ``GANModule`` take (architecture, learning rates, ...).
    """

    def __init__(
        self,
        loss: str | dict | AdversarialLoss = "relativistic_average",
        hidden_dims: tuple[int, ...] = (256, 256),
        **kwargs: Any,
    ) -> None:
        super().__init__(loss=loss, hidden_dims=hidden_dims, **kwargs)
