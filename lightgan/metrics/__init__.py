"""Measured quality: FID/KID/IS, precision/recall, mode coverage, their feature spaces and floors."""

from lightgan.metrics.evaluator import METRICS, Evaluation, Evaluator, Score
from lightgan.metrics.features import FeatureExtractor, build_extractor
from lightgan.metrics.image_metrics import UnreliableScoreWarning, fid, inception_score, kid
from lightgan.metrics.mode_coverage import ClassCoverage, MixtureCoverage, class_coverage, mixture_coverage
from lightgan.metrics.precision_recall import precision_recall

__all__ = [
    "METRICS",
    "ClassCoverage",
    "Evaluation",
    "Evaluator",
    "FeatureExtractor",
    "MixtureCoverage",
    "Score",
    "UnreliableScoreWarning",
    "build_extractor",
    "class_coverage",
    "fid",
    "inception_score",
    "kid",
    "mixture_coverage",
    "precision_recall",
]


def __getattr__(name: str):
    """``lightgan.metrics.QualityMetrics`` (0.1) lives with the other monitors now; metrics stay below them."""
    if name == "QualityMetrics":
        import warnings

        from lightgan.monitors.quality import QualityMetrics

        warnings.warn(
            "lightgan.metrics.QualityMetrics moved to lightgan.monitors (also in lightgan.callbacks).",
            DeprecationWarning,
            stacklevel=2,
        )
        return QualityMetrics
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
