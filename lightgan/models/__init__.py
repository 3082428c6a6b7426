"""GAN variants: each a LightningModule built on ``GANModule``."""

from lightgan.models.base import GANModule
from lightgan.models.dcgan import DCGAN
from lightgan.models.gan import GAN

__all__ = ["DCGAN", "GAN", "GANModule"]
