"""Network building blocks shared by the variants."""

from lightgan.nets.dcgan import DCGANDiscriminator, DCGANGenerator, dcgan_layout
from lightgan.nets.mlp import MLPDiscriminator, MLPGenerator

__all__ = ["DCGANDiscriminator", "DCGANGenerator", "MLPDiscriminator", "MLPGenerator", "dcgan_layout"]
