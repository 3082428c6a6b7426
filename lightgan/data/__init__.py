"""DataModules: every dataset a ``GANDataModule``."""

from lightgan.data.base import GANDataModule, InMemoryDataset
from lightgan.data.cifar10 import CIFAR10
from lightgan.data.mixtures import GridMixture, RingMixture, ToyMixture
from lightgan.data.mnist import MNIST, FashionMNIST

__all__ = ["CIFAR10", "MNIST", "FashionMNIST", "GANDataModule", "GridMixture", "InMemoryDataset", "RingMixture", "ToyMixture"]
