"""Training tricks: callbacks that change how the GAN trains, each usable with any variant."""

from lightgan.tricks.ada import ADA
from lightgan.tricks.diffaugment import DiffAugment
from lightgan.tricks.ema import GeneratorEMA
from lightgan.tricks.experience_replay import ExperienceReplay
from lightgan.tricks.feature_matching import FeatureMatching
from lightgan.tricks.gradient_penalties import DRAGANPenalty, GradientPenalty, R1Penalty, R2Penalty
from lightgan.tricks.historical_averaging import HistoricalAveraging
from lightgan.tricks.instance_noise import InstanceNoise
from lightgan.tricks.label_smoothing import LabelSmoothing
from lightgan.tricks.minibatch_discrimination import MinibatchDiscrimination
from lightgan.tricks.spectral_norm import SpectralNorm
from lightgan.tricks.weight_clipping import WeightClipping

__all__ = [
    "ADA",
    "DRAGANPenalty",
    "DiffAugment",
    "ExperienceReplay",
    "FeatureMatching",
    "GeneratorEMA",
    "GradientPenalty",
    "HistoricalAveraging",
    "InstanceNoise",
    "LabelSmoothing",
    "MinibatchDiscrimination",
    "R1Penalty",
    "R2Penalty",
    "SpectralNorm",
    "WeightClipping",
]
