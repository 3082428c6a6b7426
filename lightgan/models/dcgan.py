"""DCGAN (Radford et al., 2016)."""

from __future__ import annotations

from typing import Any

from lightgan.core.module import GANModule
from lightgan.errors import ConfigError
from lightgan.nets.dcgan import DCGANDiscriminator, DCGANGenerator


class DCGAN(GANModule):
    """Strided-convolution generator and discriminator with batch norm and no pooling.

    Args:
        base_channels: channel width of the largest feature map (64 in the paper).
        **kwargs: everything ``GANModule`` takes (loss, learning rates, n_critic, pack, ...).
    """

    def __init__(self, base_channels: int = 64, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if len(self.data_shape) != 3:
            raise ConfigError(
                f"DCGAN needs image data (channels, height, width), got data_shape={self.data_shape}. "
                "Use the GAN model for vector data such as the 2-D mixtures."
            )
        self.generator = DCGANGenerator(self.latent_dim, self.data_shape, base_channels)
        self.discriminator = DCGANDiscriminator(self.packed_shape, base_channels)
