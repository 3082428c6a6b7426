"""``BackboneGAN``: the shared base of the objective variants (WGAN, LSGAN, SNGAN, ...).

Those variants change the objective or the training procedure, not the networks, so each runs
on images and on vector data alike: ``architecture`` picks DCGAN networks for images and fully
connected ones (optionally PacGAN's maxout discriminator) for vectors such as the 2-D mixtures;
``resnet`` picks the residual networks of SNGAN's CIFAR-10 experiments for images.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from torch import nn

from lightgan.core.module import GANModule
from lightgan.errors import ConfigError
from lightgan.nets.dcgan import DCGANDiscriminator, DCGANGenerator
from lightgan.nets.initialization import InitScheme, init_weights
from lightgan.nets.mlp import MLPGenerator, fully_connected_discriminator
from lightgan.nets.resnet_gan import ResNetDiscriminator, ResNetGenerator


class BackboneGAN(GANModule):
    """A ``GANModule`` whose networks are chosen by ``architecture``; variants subclass it.

    Args:
        architecture: ``dcgan`` (images), ``resnet`` (images of a power-of-two size >= 8: SNGAN's
            residual networks, ``lightgan.nets.resnet_gan``), ``mlp`` (any data) or ``auto``: dcgan
            for images, mlp for vectors.
        base_channels: dcgan: channel width of the largest feature map; resnet: the width of every
            block (SNGAN's CIFAR-10 networks: 256 in G, 128 in D).
        hidden_dims: mlp: widths of the generator's hidden layers (and the discriminator's,
            unless ``discriminator_hidden_dims`` is set).
        generator_batch_norm: mlp: batch norm after each hidden generator layer (dcgan always has it).
        discriminator_type: mlp: ``mlp`` or ``maxout`` (PacGAN's 2-D discriminator).
        discriminator_activation: mlp with ``discriminator_type: mlp``: ``leaky_relu`` (0.2) or
            ``relu`` (WGAN-GP's toy critic).
        discriminator_hidden_dims: mlp: widths of the discriminator's hidden layers (None: ``hidden_dims``).
        maxout_pieces: mlp: linear pieces per maxout unit.
        init: weight initialisation of the generators and discriminators built: ``default``
            (PyTorch's for mlp, DCGAN's for dcgan, the SNGAN code's Glorot for resnet), ``normal_0.02``
            (weights N(0, 0.02)), ``xavier``, ``kaiming``, ``kaiming_uniform`` or ``orthogonal``; every scheme
            but ``default`` zeroes the biases, norm layers keep theirs.
        **kwargs: everything ``GANModule`` takes (loss, learning rates, n_critic, pack, ...).
    """

    #: Batch norm in the DCGAN discriminator; off for variants whose per-sample gradient penalties
    #: or Lipschitz constraints batch statistics would couple across samples.
    discriminator_batch_norm: ClassVar[bool] = True

    def __init__(
        self,
        architecture: Literal["auto", "dcgan", "resnet", "mlp"] = "auto",
        base_channels: int = 64,
        hidden_dims: tuple[int, ...] = (500, 500),
        generator_batch_norm: bool = False,
        discriminator_type: Literal["mlp", "maxout"] = "mlp",
        discriminator_hidden_dims: tuple[int, ...] | None = None,
        maxout_pieces: int = 5,
        discriminator_activation: Literal["leaky_relu", "relu"] = "leaky_relu",
        init: InitScheme = "default",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        is_image = len(self.data_shape) == 3
        if architecture == "auto":
            architecture = "dcgan" if is_image else "mlp"
        if architecture not in ("dcgan", "resnet", "mlp"):
            raise ConfigError(f"model.init_args.architecture must be auto, dcgan, resnet or mlp, got {architecture!r}.")
        if architecture in ("dcgan", "resnet") and not is_image:
            raise ConfigError(
                f"architecture {architecture!r} needs image data (channels, height, width), got data_shape="
                f"{self.data_shape}. Use model.init_args.architecture: mlp (or auto) for vector data."
            )
        self.architecture = architecture
        self._networks = {
            "base_channels": base_channels,
            "hidden_dims": hidden_dims,
            "generator_batch_norm": generator_batch_norm,
            "discriminator_type": discriminator_type,
            "discriminator_hidden_dims": discriminator_hidden_dims or hidden_dims,
            "maxout_pieces": maxout_pieces,
            "discriminator_activation": discriminator_activation,
            "init": init,
        }
        self.generator = self.build_generator()
        self.discriminator = self.build_discriminator()

    def build_generator(self) -> nn.Module:
        """A new generator of the configured architecture and ``init`` (variants with several call it several times)."""
        n = self._networks
        if self.architecture == "dcgan":
            network = DCGANGenerator(self.latent_dim, self.data_shape, n["base_channels"])
        elif self.architecture == "resnet":
            network = ResNetGenerator(self.latent_dim, self.data_shape, n["base_channels"])
        else:
            activation = "tanh" if len(self.data_shape) == 3 else "identity"
            network = MLPGenerator(
                self.latent_dim, self.data_shape, n["hidden_dims"], n["generator_batch_norm"], activation
            )
        return init_weights(network, n["init"])

    def build_discriminator(self) -> nn.Module:
        """A new discriminator of the configured architecture and ``init``, for ``packed_shape`` inputs."""
        n = self._networks
        if self.architecture == "dcgan":
            network = DCGANDiscriminator(self.packed_shape, n["base_channels"], self.discriminator_batch_norm)
        elif self.architecture == "resnet":
            network = ResNetDiscriminator(self.packed_shape, n["base_channels"])
        else:
            network = fully_connected_discriminator(
                self.packed_shape,
                n["discriminator_type"],
                n["discriminator_hidden_dims"],
                n["maxout_pieces"],
                n["discriminator_activation"],
            )
        return init_weights(network, n["init"])
