"""A 2-D pinwheel dataset and a discriminator-accuracy diagnostic for lightgan."""

from lightgan_toybox.accuracy import DiscriminatorAccuracy
from lightgan_toybox.pinwheel import Pinwheel

__all__ = ["DiscriminatorAccuracy", "Pinwheel"]
