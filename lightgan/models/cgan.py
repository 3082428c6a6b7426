"""Conditional GAN (Mirza & Osindero, 2014) with DCGAN networks."""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn

from lightgan.core.module import GANModule
from lightgan.models.checks import require_images
from lightgan.nets.conditional import ConditionalDCGANDiscriminator, ConditionalDCGANGenerator


class CGAN(GANModule):
    """G(z, y) and D(x, y) both read the class label, so ``sample(n, labels=3)`` draws class 3.

    Fakes are drawn with uniformly random labels during training; D judges whether an image is
    a real example *of the given class*, which is what forces G to respect the label.

    Args:
        base_channels: channel width of the largest feature map (64 in DCGAN).
        **kwargs: everything ``GANModule`` takes (loss, learning rates, n_critic, ...).
    """

    conditional = True

    def __init__(self, base_channels: int = 64, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        require_images(type(self).__name__, self.data_shape)
        self.generator = ConditionalDCGANGenerator(self.latent_dim, self.data_shape, self.num_classes, base_channels)
        self.discriminator = ConditionalDCGANDiscriminator(self.data_shape, self.num_classes, base_channels)

    def generate(self, z: Tensor, labels: Tensor | None = None, net: nn.Module | None = None) -> Tensor:
        return (net or self.generator)(z, labels)

    def discriminate(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        return self.discriminator(x, labels)
