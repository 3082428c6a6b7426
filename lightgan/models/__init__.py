"""GAN variants: each a LightningModule built on ``GANModule``."""

from lightgan.models.acgan import ACGAN
from lightgan.models.base import GANModule
from lightgan.models.began import BEGAN
from lightgan.models.bigan import ALI, BiGAN
from lightgan.models.cgan import CGAN
from lightgan.models.dcgan import DCGAN
from lightgan.models.ebgan import EBGAN
from lightgan.models.gan import GAN
from lightgan.models.infogan import InfoGAN
from lightgan.models.sgan import SGAN

__all__ = ["ACGAN", "ALI", "BEGAN", "CGAN", "DCGAN", "EBGAN", "GAN", "SGAN", "BiGAN", "GANModule", "InfoGAN"]
