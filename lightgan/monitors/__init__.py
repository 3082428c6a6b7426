"""Monitors: callbacks that watch training without changing it: pictures, health checks, quality scores."""

from lightgan.core.divergence import NaNGuard, NonFiniteLossError
from lightgan.monitors.density import DensityPlot
from lightgan.monitors.game import GameWatch
from lightgan.monitors.interpolation import LatentInterpolation
from lightgan.monitors.mode_collapse import ModeCollapseAlarm
from lightgan.monitors.overfitting import DiscriminatorOverfitting
from lightgan.monitors.progress_gif import ProgressGIF
from lightgan.monitors.quality import QualityMetrics
from lightgan.monitors.reconstructions import Reconstructions
from lightgan.monitors.samples import FixedNoiseSamples
from lightgan.monitors.style_mixing import StyleMixing
from lightgan.monitors.traversal import LatentTraversal

__all__ = [
    "DensityPlot",
    "DiscriminatorOverfitting",
    "FixedNoiseSamples",
    "GameWatch",
    "LatentInterpolation",
    "LatentTraversal",
    "ModeCollapseAlarm",
    "NaNGuard",
    "NonFiniteLossError",
    "ProgressGIF",
    "QualityMetrics",
    "Reconstructions",
    "StyleMixing",
]
