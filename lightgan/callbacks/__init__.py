"""Training tricks and visual logging, each a Lightning Callback."""

from lightgan.callbacks.label_smoothing import LabelSmoothing
from lightgan.callbacks.samples import FixedNoiseSamples

__all__ = ["FixedNoiseSamples", "LabelSmoothing"]
