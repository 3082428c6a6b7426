"""GAN variants: each a LightningModule built on ``GANModule``."""

from lightgan.models.backbone import BackboneGAN
from lightgan.models.base import GANModule
from lightgan.models.dcgan import DCGAN
from lightgan.models.dragan import DRAGAN
from lightgan.models.gan import GAN
from lightgan.models.lsgan import LSGAN
from lightgan.models.sngan import SNGAN
from lightgan.models.unrolled import UnrolledGAN
from lightgan.models.wgan import WGAN, WGANGP

__all__ = ["DCGAN", "DRAGAN", "GAN", "LSGAN", "SNGAN", "WGAN", "WGANGP", "BackboneGAN", "GANModule", "UnrolledGAN"]
