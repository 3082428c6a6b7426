"""The public API for plugins: what third-party packages may import and rely on.

Everything here keeps its name and call signature within a major version (new optional
arguments may appear). Anything else in lightgan, including names starting with an
underscore and modules not re-exported here, is private and may change in any release.

    from lightgan.api import GANModule, GANCallback, AdversarialLoss

See docs/plugins.md for how to build, register and test a plugin.
"""

from lightgan import registry
from lightgan.app.cli import run_lightning
from lightgan.core.f_divergences import (
    FDivergenceLoss,
    FGANLoss,
    HellingerLoss,
    JensenShannonLoss,
    KLLoss,
    PearsonLoss,
    ReverseKLLoss,
)
from lightgan.core.hooks import DiscriminatorStep, GANCallback, GeneratorStep
from lightgan.core.losses import (
    AdversarialLoss,
    HingeLoss,
    LeastSquaresLoss,
    MinimaxLoss,
    NonSaturatingLoss,
    Target,
    WassersteinLoss,
    broadcast_target,
)
from lightgan.core.module import GANModule
from lightgan.core.players import DISCRIMINATOR, GENERATOR, Player
from lightgan.core.regularizers import dragan_penalty, gradient_penalty, r1_penalty, r2_penalty
from lightgan.core.steps import ConditionalCritic, GeneratorInputs
from lightgan.data.base import GANDataModule, InMemoryDataset
from lightgan.errors import ConfigError, DatasetNotFoundError, LightGANError
from lightgan.models.backbone import BackboneGAN
from lightgan.nets import DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator
from lightgan.registry import PluginLoadWarning

__all__ = [
    "DISCRIMINATOR",
    "GENERATOR",
    "AdversarialLoss",
    "BackboneGAN",
    "ConditionalCritic",
    "ConfigError",
    "DCGANDiscriminator",
    "DCGANGenerator",
    "DatasetNotFoundError",
    "DiscriminatorStep",
    "FDivergenceLoss",
    "FGANLoss",
    "GANCallback",
    "GANDataModule",
    "GANModule",
    "GeneratorInputs",
    "GeneratorStep",
    "HellingerLoss",
    "HingeLoss",
    "InMemoryDataset",
    "JensenShannonLoss",
    "KLLoss",
    "LeastSquaresLoss",
    "LightGANError",
    "MLPDiscriminator",
    "MLPGenerator",
    "MinimaxLoss",
    "NonSaturatingLoss",
    "PearsonLoss",
    "Player",
    "PluginLoadWarning",
    "ReverseKLLoss",
    "Target",
    "WassersteinLoss",
    "broadcast_target",
    "dragan_penalty",
    "gradient_penalty",
    "r1_penalty",
    "r2_penalty",
    "registry",
    "run_lightning",
]
