"""Relativistic GANs for lightgan: the discriminator judges how much more realistic real data
is than generated data (Jolicoeur-Martineau, "The relativistic discriminator", 2018)."""

from lightgan_relativistic.losses import RelativisticAverageLoss, RelativisticLoss
from lightgan_relativistic.model import RelativisticGAN

__all__ = ["RelativisticAverageLoss", "RelativisticGAN", "RelativisticLoss"]
