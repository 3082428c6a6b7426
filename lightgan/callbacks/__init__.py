"""Training tricks, visual logging and health checks, each a Lightning Callback."""

from lightgan.callbacks.ada import ADA
from lightgan.callbacks.diffaugment import DiffAugment
from lightgan.callbacks.ema import GeneratorEMA
from lightgan.callbacks.experience_replay import ExperienceReplay
from lightgan.callbacks.feature_matching import FeatureMatching
from lightgan.callbacks.gradient_penalties import GradientPenalty, R1Penalty, R2Penalty
from lightgan.callbacks.historical_averaging import HistoricalAveraging
from lightgan.callbacks.instance_noise import InstanceNoise
from lightgan.callbacks.interpolation import LatentInterpolation
from lightgan.callbacks.label_smoothing import LabelSmoothing
from lightgan.callbacks.minibatch_discrimination import MinibatchDiscrimination
from lightgan.callbacks.mode_collapse import ModeCollapseAlarm
from lightgan.callbacks.nan_guard import NaNGuard, NonFiniteLossError
from lightgan.callbacks.overfitting import DiscriminatorOverfitting
from lightgan.callbacks.progress_gif import ProgressGIF
from lightgan.callbacks.samples import FixedNoiseSamples
from lightgan.callbacks.spectral_norm import SpectralNorm
from lightgan.callbacks.weight_clipping import WeightClipping

__all__ = [
    "ADA",
    "DiffAugment",
    "DiscriminatorOverfitting",
    "ExperienceReplay",
    "FeatureMatching",
    "FixedNoiseSamples",
    "GeneratorEMA",
    "GradientPenalty",
    "HistoricalAveraging",
    "InstanceNoise",
    "LabelSmoothing",
    "LatentInterpolation",
    "MinibatchDiscrimination",
    "ModeCollapseAlarm",
    "NaNGuard",
    "NonFiniteLossError",
    "ProgressGIF",
    "R1Penalty",
    "R2Penalty",
    "SpectralNorm",
    "WeightClipping",
]
