"""The original fully connected GAN (Goodfellow et al., 2014)."""

from __future__ import annotations

from typing import Any, Literal

from lightgan.core.module import GANModule
from lightgan.nets.initialization import InitScheme, init_weights
from lightgan.nets.mlp import MLPGenerator, fully_connected_discriminator


class GAN(GANModule):
    """MLP generator and discriminator; on MNIST 100 -> 500 -> 500 -> 784 and 784 -> 500 -> 500 -> 1.

    Args:
        hidden_dims: widths of the hidden layers of the generator, and of the discriminator
            unless ``discriminator_hidden_dims`` is set.
        generator_batch_norm: batch norm after each hidden generator layer.
        output_activation: ``tanh`` for images in [-1, 1], ``identity`` for unbounded data
            such as 2-D points; ``auto`` picks by the data's shape.
        discriminator_type: ``mlp`` (LeakyReLU layers) or ``maxout`` (PacGAN's 2-D discriminator:
            maxout layers of ``maxout_pieces`` pieces).
        discriminator_hidden_dims: widths of the discriminator's hidden layers (None: ``hidden_dims``).
        maxout_pieces: linear pieces per maxout unit.
        init: weight initialisation of both networks: ``default`` (PyTorch's), ``normal_0.02``
            (weights N(0, 0.02), as DCGAN's and PacGAN's code), ``xavier``, ``kaiming`` or
            ``orthogonal``; every scheme but ``default`` zeroes the biases.
        **kwargs: everything ``GANModule`` takes (loss, learning rates, n_critic, pack, ...).
    """

    def __init__(
        self,
        hidden_dims: tuple[int, ...] = (500, 500),
        generator_batch_norm: bool = False,
        output_activation: Literal["auto", "tanh", "identity"] = "auto",
        discriminator_type: Literal["mlp", "maxout"] = "mlp",
        discriminator_hidden_dims: tuple[int, ...] | None = None,
        maxout_pieces: int = 5,
        init: InitScheme = "default",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if output_activation == "auto":
            output_activation = "tanh" if len(self.data_shape) > 1 else "identity"
        generator = MLPGenerator(self.latent_dim, self.data_shape, hidden_dims, generator_batch_norm, output_activation)
        self.generator = init_weights(generator, init)
        discriminator = fully_connected_discriminator(
            self.packed_shape, discriminator_type, discriminator_hidden_dims or hidden_dims, maxout_pieces
        )
        self.discriminator = init_weights(discriminator, init)
