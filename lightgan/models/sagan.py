"""SAGAN (Zhang et al., 2019): self-attention in G and D, spectral norm in both, hinge loss, TTUR."""

from __future__ import annotations

from typing import Any, Literal

from torch import Tensor, nn

from lightgan.core.losses import AdversarialLoss
from lightgan.core.module import GANModule
from lightgan.errors import ConfigError
from lightgan.models.checks import reject_packing, require_images
from lightgan.nets.resnet_gan import ResNetDiscriminator, ResNetGenerator, attention_resolutions
from lightgan.nets.spectral import apply_spectral_norm


class SAGAN(GANModule):
    """SNGAN's residual networks (``lightgan.nets.resnet_gan``) with a ``SelfAttention`` block in G and D.

    Every linear, convolutional and embedding layer of both networks is spectrally normalised
    from construction on (SN in G too, not only in D, prevents the escalation of its parameters'
    magnitudes and unusual gradients, the paper found), and D and G learn at different rates, 4e-4 and
    1e-4, with one D step per G step (the two-timescale update rule, in place of several D steps).
    The loss is the hinge loss.

    Class-conditional when the data is labelled (``num_classes > 0``, linked from the datamodule):
    G's batch norms take per-class scales and shifts and D adds the projection term
    ``<embed(y), h>``, as the paper's ImageNet models do. On unlabelled data (an image folder,
    CelebA) the same networks run unconditionally, so the variant is not limited to labelled
    datasets. Packing (``pack``) is refused when conditional: D projects each sample's own label.

    Args:
        base_channels: the width of every residual block of G and D (128, as WGAN-GP's CIFAR-10
            ResNet; SNGAN's has 256 in G).
        attention_resolution: the side of the feature maps that attention reads, in G and D, from 8
            to half the image size; ``auto``: half the image size (16 at 32 px), the largest both
            networks reach, since the paper's attention helped most on the larger, middle-to-high
            level maps (feat32 and feat64 of its 128 px models, Table 1); null: no attention.
        n_power_iterations: power-iteration steps per forward pass that estimate each singular value.
        loss: ``hinge`` (the paper's) or any other registered loss.
        latent_dim, lr_g, lr_d, betas_g, betas_d: the paper's 128, 1e-4, 4e-4 and Adam betas (0, 0.9).
        **kwargs: everything ``GANModule`` takes (n_critic, seed, ...).
    """

    def __init__(
        self,
        base_channels: int = 128,
        attention_resolution: int | Literal["auto"] | None = "auto",
        n_power_iterations: int = 1,
        loss: str | dict | AdversarialLoss = "hinge",
        latent_dim: int = 128,
        lr_g: float = 1e-4,
        lr_d: float = 4e-4,
        betas_g: tuple[float, float] = (0.0, 0.9),
        betas_d: tuple[float, float] = (0.0, 0.9),
        **kwargs: Any,
    ) -> None:
        if n_power_iterations < 1:
            raise ConfigError(f"model.init_args.n_power_iterations must be >= 1, got {n_power_iterations}.")
        super().__init__(
            loss=loss, latent_dim=latent_dim, lr_g=lr_g, lr_d=lr_d, betas_g=betas_g, betas_d=betas_d, **kwargs
        )
        name = type(self).__name__
        require_images(name, self.data_shape)
        #: The class attribute says "never"; this instance takes labels exactly when its data has them.
        self.conditional = self.num_classes > 0
        if self.conditional:
            reject_packing(name, self.pack, "D projects each sample's class label")
        if attention_resolution == "auto":
            attention_resolution = max(attention_resolutions(self.data_shape[1]), default=None)
        classes = self.num_classes
        generator = ResNetGenerator(latent_dim, self.data_shape, base_channels, classes, attention_resolution)
        discriminator = ResNetDiscriminator(self.packed_shape, base_channels, classes, attention_resolution)
        self.generator = apply_spectral_norm(generator, n_power_iterations)
        self.discriminator = apply_spectral_norm(discriminator, n_power_iterations)

    def generate(self, z: Tensor, labels: Tensor | None = None, net: nn.Module | None = None) -> Tensor:
        return (net or self.generator)(z, labels)

    def discriminate(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        return self.discriminator(self.pack_samples(x), labels)
