"""Network building blocks shared by the variants."""

from lightgan.nets.dcgan import DCGANDiscriminator, DCGANGenerator, dcgan_layout
from lightgan.nets.initialization import INIT_SCHEMES, init_weights
from lightgan.nets.maxout import Maxout, MaxoutDiscriminator
from lightgan.nets.mlp import MLPDiscriminator, MLPGenerator, fully_connected_discriminator
from lightgan.nets.spectral import apply_spectral_norm, has_spectral_norm

__all__ = [
    "INIT_SCHEMES",
    "DCGANDiscriminator",
    "DCGANGenerator",
    "MLPDiscriminator",
    "MLPGenerator",
    "Maxout",
    "MaxoutDiscriminator",
    "apply_spectral_norm",
    "dcgan_layout",
    "fully_connected_discriminator",
    "has_spectral_norm",
    "init_weights",
]
