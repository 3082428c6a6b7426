"""GAN variants: each a LightningModule built on ``GANModule``."""

from lightgan.core.module import GANModule
from lightgan.models.acgan import ACGAN
from lightgan.models.backbone import BackboneGAN
from lightgan.models.began import BEGAN
from lightgan.models.bigan import ALI, BiGAN
from lightgan.models.cgan import CGAN
from lightgan.models.dcgan import DCGAN
from lightgan.models.dragan import DRAGAN
from lightgan.models.ebgan import EBGAN
from lightgan.models.gan import GAN
from lightgan.models.infogan import InfoGAN
from lightgan.models.lsgan import LSGAN
from lightgan.models.sgan import SGAN
from lightgan.models.sngan import SNGAN
from lightgan.models.unrolled import UnrolledGAN
from lightgan.models.wgan import WGAN, WGANGP

__all__ = [
    "ACGAN",
    "ALI",
    "BEGAN",
    "CGAN",
    "DCGAN",
    "DRAGAN",
    "EBGAN",
    "GAN",
    "LSGAN",
    "SGAN",
    "SNGAN",
    "WGAN",
    "WGANGP",
    "BackboneGAN",
    "BiGAN",
    "GANModule",
    "InfoGAN",
    "UnrolledGAN",
]
