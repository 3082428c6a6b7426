"""The original fully connected GAN (Goodfellow et al., 2014)."""

from __future__ import annotations

from typing import Any, Literal

from lightgan.models.base import GANModule
from lightgan.nets.mlp import MLPDiscriminator, MLPGenerator


class GAN(GANModule):
    """MLP generator and discriminator; on MNIST 100 -> 500 -> 500 -> 784 and 784 -> 500 -> 500 -> 1.

    Args:
        hidden_dims: widths of the hidden layers of both networks.
        generator_batch_norm: batch norm after each hidden generator layer.
        output_activation: ``tanh`` for images in [-1, 1], ``identity`` for unbounded data
            such as 2-D points; ``auto`` picks by the data's shape.
        **kwargs: everything ``GANModule`` takes (loss, learning rates, n_critic, ...).
    """

    def __init__(
        self,
        hidden_dims: tuple[int, ...] = (500, 500),
        generator_batch_norm: bool = False,
        output_activation: Literal["auto", "tanh", "identity"] = "auto",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if output_activation == "auto":
            output_activation = "tanh" if len(self.data_shape) > 1 else "identity"
        self.generator = MLPGenerator(
            self.latent_dim, self.data_shape, hidden_dims, generator_batch_norm, output_activation
        )
        self.discriminator = MLPDiscriminator(self.data_shape, hidden_dims)
