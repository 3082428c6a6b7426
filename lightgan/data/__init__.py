"""DataModules: every dataset a ``GANDataModule``."""

from lightgan.data.abstract_art import AbstractArt
from lightgan.data.base import GANDataModule, InMemoryDataset
from lightgan.data.celeba import CelebA
from lightgan.data.chest_xray import ChestXray
from lightgan.data.cifar10 import CIFAR10
from lightgan.data.degrade import Degraded
from lightgan.data.domains import ClassDomains
from lightgan.data.image_files import ImageFilesDataModule
from lightgan.data.image_folder import ImageFolder
from lightgan.data.mixtures import GridMixture, Mixture1D, RingMixture, ToyMixture
from lightgan.data.mnist import MNIST, FashionMNIST
from lightgan.data.paired import PairedImages
from lightgan.data.photos import SamplePhotos
from lightgan.data.scenes import Scenes
from lightgan.data.unpaired import UnpairedImages

__all__ = [
    "CIFAR10",
    "MNIST",
    "AbstractArt",
    "CelebA",
    "ChestXray",
    "ClassDomains",
    "Degraded",
    "FashionMNIST",
    "GANDataModule",
    "GridMixture",
    "ImageFilesDataModule",
    "ImageFolder",
    "InMemoryDataset",
    "Mixture1D",
    "PairedImages",
    "RingMixture",
    "SamplePhotos",
    "Scenes",
    "ToyMixture",
    "UnpairedImages",
]
