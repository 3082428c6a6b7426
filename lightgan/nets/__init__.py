"""Network building blocks shared by the variants."""

from lightgan.nets.dcgan import DCGANDiscriminator, DCGANGenerator, dcgan_layout
from lightgan.nets.mlp import MLPDiscriminator, MLPGenerator
from lightgan.nets.spectral import apply_spectral_norm, has_spectral_norm

__all__ = [
    "DCGANDiscriminator",
    "DCGANGenerator",
    "MLPDiscriminator",
    "MLPGenerator",
    "apply_spectral_norm",
    "dcgan_layout",
    "has_spectral_norm",
]
