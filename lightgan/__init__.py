"""lightgan: GAN research experiments on PyTorch Lightning."""

from lightgan import compat

__version__ = "0.2.0"

compat.install()
