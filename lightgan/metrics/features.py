"""Feature extractors: the space in which FID, KID, IS and precision/recall compare samples.

Every extractor takes samples in data space (images in [-1, 1], vectors as they are) and
returns features, plus class logits when it has a classifier head (IS and the class-coverage
metrics need those). The choice is a short spec string so it fits YAML and the command line:

- ``inception`` / ``inception:PATH``: Inception-v3 pool features and logits (see ``inception.py``);
- ``domain:PATH``: the penultimate layer of a classifier trained on the data (``lightgan train-classifier``);
- ``raw``: the samples themselves, flattened (meant for low-dimensional data such as 2-D mixtures).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from lightgan.errors import ConfigError

FEATURE_SPECS = "inception, inception:PATH, domain:PATH or raw"


class FeatureExtractor(nn.Module):
    """Data-space samples -> (features, logits or None). Always in eval mode, never trained here."""

    num_features: int
    num_logits: int = 0

    def describe(self) -> str:
        """What a reader of a score needs to know about the feature space."""
        raise NotImplementedError

    def fingerprint(self) -> str:
        """Identifies the exact feature space, for caching scores computed in it."""
        raise NotImplementedError

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor | None]:
        raise NotImplementedError


class RawFeatures(FeatureExtractor):
    """The flattened samples: FID on 2-D points compares their means and covariances directly."""

    def __init__(self, data_shape: tuple[int, ...]) -> None:
        super().__init__()
        self.num_features = math.prod(data_shape)

    def describe(self) -> str:
        return f"raw samples ({self.num_features}-d)"

    def fingerprint(self) -> str:
        return f"raw:{self.num_features}"

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor | None]:
        return x.flatten(1).float(), None


class ClassifierFeatures(FeatureExtractor):
    """Penultimate layer and logits of a classifier trained on the dataset ("domain" features)."""

    def __init__(self, path: str | Path) -> None:
        from lightgan.metrics.classifier import load_classifier

        super().__init__()
        self.path = Path(path)
        self.classifier, self.info = load_classifier(self.path)
        self.classifier.eval().requires_grad_(False)
        self.num_features = self.classifier.feature_dim
        self.num_logits = self.classifier.num_classes
        self._digest = hashlib.sha256(self.path.read_bytes()).hexdigest()[:16]

    def describe(self) -> str:
        return f"domain classifier {self.path.name} ({self.num_features}-d, trained on {self.info.get('data', '?')})"

    def fingerprint(self) -> str:
        return f"domain:{self._digest}"

    def train(self, mode: bool = True) -> ClassifierFeatures:
        return super().train(False)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor | None]:
        features = self.classifier.features(x.float())
        return features, self.classifier.head(features)


def check_feature_spec(spec: str) -> None:
    """A features spec names a known kind (and a file where the kind needs one), or a ConfigError says which."""
    kind, _, arg = spec.partition(":")
    if kind not in ("auto", "raw", "inception", "domain") or ((kind == "domain") != bool(arg) and kind != "inception"):
        raise ConfigError(f"Unknown features {spec!r}: use {FEATURE_SPECS}.")


def build_extractor(spec: str, data_shape: tuple[int, ...]) -> FeatureExtractor:
    """The extractor a spec names; ``auto`` is Inception for images and raw samples for vectors."""
    check_feature_spec(spec)
    kind, _, arg = spec.partition(":")
    if kind == "auto":
        kind = "inception" if len(data_shape) == 3 else "raw"
    if kind == "raw":
        return RawFeatures(data_shape)
    if kind == "inception":
        from lightgan.metrics.inception import InceptionFeatures

        return InceptionFeatures(data_shape, weights=arg or None)
    if not Path(arg).is_file():
        raise ConfigError(
            f"Classifier {arg} does not exist. Train one with `lightgan train-classifier --config X.yaml --out {arg}`."
        )
    return ClassifierFeatures(arg)


@dataclass
class Extracted:
    """What one pass over a sample set keeps: features, logits, raw vectors and labels as available."""

    n: int
    features: Tensor | None = None
    logits: Tensor | None = None
    samples: Tensor | None = None
    labels: Tensor | None = None
    predictions: Tensor | None = None


def _cat(parts: list[Tensor]) -> Tensor | None:
    return torch.cat(parts) if parts else None


@torch.no_grad()
def extract(
    batches: Iterable[dict[str, Tensor]],
    total: int,
    extractor: FeatureExtractor | None = None,
    classifier: FeatureExtractor | None = None,
    keep_samples: bool = False,
    device: str | torch.device = "cpu",
    desc: str = "features",
    progress: bool = True,
) -> Extracted:
    """Run every batch (``{"real": samples, "label": ...}``) through the extractor, with a progress bar.

    ``classifier`` adds class predictions (argmax of its logits) for the class-coverage metrics;
    ``keep_samples`` keeps the samples themselves (for the 2-D mixture metrics).
    """
    parts: dict[str, list[Tensor]] = {name: [] for name in ("features", "logits", "samples", "labels", "predictions")}
    n = 0
    with tqdm(total=total, desc=desc, unit="sample", disable=not progress, leave=False, dynamic_ncols=True) as bar:
        for batch in batches:
            x = batch["real"].to(device)
            if extractor is not None:
                features, logits = extractor(x)
                parts["features"].append(features.float().cpu())
                if logits is not None:
                    parts["logits"].append(logits.float().cpu())
            if classifier is not None:
                parts["predictions"].append(classifier(x)[1].argmax(dim=1).cpu())
            if keep_samples:
                parts["samples"].append(x.float().cpu())
            if "label" in batch:
                parts["labels"].append(batch["label"].cpu())
            n += x.shape[0]
            bar.update(x.shape[0])
    return Extracted(n=n, **{name: _cat(values) for name, values in parts.items()})
