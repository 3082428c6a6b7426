"""``RelativisticGAN``: lightgan's networks with a relativistic objective (RaGAN by default)."""

from __future__ import annotations

from typing import Any, Literal

from lightgan.api import (
    AdversarialLoss,
    ConfigError,
    DCGANDiscriminator,
    DCGANGenerator,
    GANModule,
    MLPDiscriminator,
    MLPGenerator,
)


class RelativisticGAN(GANModule):
    """Relativistic GAN (RSGAN/RaGAN) on lightgan's DCGAN networks for images or MLPs for vectors.

    The shared loop, optimizers, hooks and checkpointing come from ``GANModule``, which also
    passes D's output on the real batch to losses that need it; this variant only picks the
    networks and the default loss.

    Args:
        loss: ``relativistic_average`` (RaGAN, default), ``relativistic`` (RSGAN), or any other
            registered loss (they ignore the real outputs).
        architecture: ``dcgan`` or ``mlp``; ``auto`` picks DCGAN for images and MLP for vectors.
        hidden_dims: hidden widths of the MLP networks.
        base_channels: channel width of the DCGAN networks.
        **kwargs: everything ``GANModule`` takes (learning rates, n_critic, ...).
    """

    def __init__(
        self,
        loss: str | dict | AdversarialLoss = "relativistic_average",
        architecture: Literal["auto", "dcgan", "mlp"] = "auto",
        hidden_dims: tuple[int, ...] = (256, 256),
        base_channels: int = 64,
        **kwargs: Any,
    ) -> None:
        super().__init__(loss=loss, **kwargs)
        is_image = len(self.data_shape) == 3
        if architecture == "auto":
            architecture = "dcgan" if is_image else "mlp"
        if architecture == "dcgan":
            if not is_image:
                raise ConfigError(
                    f"RelativisticGAN architecture 'dcgan' needs image data, got data_shape={self.data_shape}. "
                    "Use architecture: mlp (or auto) for vector data."
                )
            self.generator = DCGANGenerator(self.latent_dim, self.data_shape, base_channels)
            self.discriminator = DCGANDiscriminator(self.data_shape, base_channels)
        else:
            activation = "tanh" if is_image else "identity"
            self.generator = MLPGenerator(self.latent_dim, self.data_shape, hidden_dims, False, activation)
            self.discriminator = MLPDiscriminator(self.data_shape, hidden_dims)
