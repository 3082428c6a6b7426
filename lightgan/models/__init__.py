"""GAN variants: each a LightningModule built on ``GANModule``."""

from lightgan.core.module import GANModule
from lightgan.models.acgan import ACGAN
from lightgan.models.backbone import BackboneGAN
from lightgan.models.began import BEGAN
from lightgan.models.bigan import ALI, BiGAN
from lightgan.models.cgan import CGAN
from lightgan.models.cyclegan import CycleGAN
from lightgan.models.d2gan import D2GAN
from lightgan.models.dcgan import DCGAN
from lightgan.models.dragan import DRAGAN
from lightgan.models.dropout_gan import DropoutGAN
from lightgan.models.ebgan import EBGAN
from lightgan.models.egan import EGAN
from lightgan.models.gan import GAN
from lightgan.models.gman import GMAN
from lightgan.models.infogan import InfoGAN
from lightgan.models.inpainting import Inpainting
from lightgan.models.lsgan import LSGAN
from lightgan.models.madgan import MADGAN
from lightgan.models.mgan import MGAN
from lightgan.models.multi_player import MultiDiscriminatorGAN, MultiGeneratorGAN
from lightgan.models.pix2pix import Pix2Pix
from lightgan.models.progan import ProGAN
from lightgan.models.sagan import SAGAN
from lightgan.models.sgan import SGAN
from lightgan.models.sngan import SNGAN
from lightgan.models.srgan import SRGAN, SRResNet
from lightgan.models.stylegan import StyleGAN
from lightgan.models.unrolled import UnrolledGAN
from lightgan.models.wgan import WGAN, WGANGP

__all__ = [
    "ACGAN",
    "ALI",
    "BEGAN",
    "CGAN",
    "D2GAN",
    "DCGAN",
    "DRAGAN",
    "EBGAN",
    "EGAN",
    "GAN",
    "GMAN",
    "LSGAN",
    "MADGAN",
    "MGAN",
    "SAGAN",
    "SGAN",
    "SNGAN",
    "SRGAN",
    "WGAN",
    "WGANGP",
    "BackboneGAN",
    "BiGAN",
    "CycleGAN",
    "DropoutGAN",
    "GANModule",
    "InfoGAN",
    "Inpainting",
    "MultiDiscriminatorGAN",
    "MultiGeneratorGAN",
    "Pix2Pix",
    "ProGAN",
    "SRResNet",
    "StyleGAN",
    "UnrolledGAN",
]
