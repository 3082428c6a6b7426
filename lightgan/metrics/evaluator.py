"""``Evaluator``: the one place that turns a generator (or real data) into recorded scores.

It owns the choices a score depends on: which metrics, how many samples, which feature space,
which real split the samples are compared with. Real features are extracted once and reused;
the real-vs-real floor (train split against the evaluation split) comes from the disk cache.
Every ``Score`` carries its setup: what it was computed in, from how many samples, against
which split.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from lightgan.data.base import GANDataModule
from lightgan.errors import ConfigError
from lightgan.metrics.features import (
    ClassifierFeatures,
    Extracted,
    FeatureExtractor,
    build_extractor,
    check_feature_spec,
    extract,
)
from lightgan.metrics.image_metrics import UnreliableScoreWarning, fid, inception_score, kid
from lightgan.metrics.mode_coverage import class_coverage, mixture_coverage
from lightgan.metrics.mode_score import mode_score
from lightgan.metrics.precision_recall import precision_recall
from lightgan.metrics.reference import cached_reference, dataset_fingerprint, default_cache_dir
from lightgan.metrics.sources import dataset_batches, generator_batches, subset_indices

#: Metric names users choose from, and what each reports.
METRICS: dict[str, str] = {
    "fid": "Fréchet distance of features (lower is better)",
    "kid": "kernel distance of features, mean ± std over subsets (lower is better)",
    "is": "inception score from class logits, mean ± std over splits (higher is better)",
    "ms": "mode score: IS penalised by KL(generated || real) class histograms, from the same logits (higher is better)",
    "pr": "improved precision and recall, k-NN manifolds (higher is better)",
    "modes": "2-D mixtures: modes captured, high-quality samples %, reverse KL vs uniform",
    "classes": "labelled data: classes covered, KL(generated || real) class histograms",
}
#: The scores each metric reports.
SCORE_NAMES: dict[str, tuple[str, ...]] = {
    "fid": ("fid",),
    "kid": ("kid",),
    "is": ("is",),
    "ms": ("mode_score",),
    "pr": ("precision", "recall"),
    "modes": ("modes_captured", "high_quality_pct", "reverse_kl"),
    "classes": ("classes_covered", "class_kl"),
}
FEATURE_METRICS = ("fid", "kid", "is", "ms", "pr")
DEFAULT_N = {"images": 10_000, "vectors": 2_500}


def parse_metrics(value: str | Sequence[str]) -> tuple[str, ...]:
    """``"fid,kid,pr"`` or a list -> validated names, in the order given."""
    names = [v.strip().lower() for v in (value.split(",") if isinstance(value, str) else value) if v.strip()]
    unknown = [name for name in names if name not in METRICS]
    if unknown or not names:
        raise ConfigError(f"Unknown metric(s) {unknown or names}: choose from {', '.join(METRICS)}.")
    return tuple(dict.fromkeys(names))


@dataclass
class Score:
    """One reported number and the setup that produced it."""

    value: float
    basis: str  # the feature space or rule it is computed in
    n: int  # evaluated samples (generated, or real training samples for a reference score)
    n_real: int  # samples of the real split compared against
    split: str  # that split
    std: float | None = None


@dataclass
class Evaluation:
    """Scores of one sample set ("generator" or a real split) against the evaluation split."""

    samples: str
    scores: dict[str, Score]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"samples": self.samples, "scores": {k: asdict(v) for k, v in self.scores.items()}, "notes": self.notes}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Evaluation:
        scores = {k: Score(**v) for k, v in data["scores"].items()}
        return cls(samples=data["samples"], scores=scores, notes=list(data.get("notes", [])))

    def values(self) -> dict[str, float]:
        return {name: score.value for name, score in self.scores.items()}


def has_modes(datamodule: Any) -> bool:
    """Whether the data is a mixture the modes metric can measure: it needs both the centres and their spread."""
    return getattr(datamodule, "mode_centers", None) is not None and getattr(datamodule, "mode_std", None) is not None


class Evaluator:
    """Scores generators against one real split of ``datamodule``.

    Args:
        metrics: names from ``METRICS``.
        n: generated samples per evaluation (default 10,000 for images, 2,500 for vectors); the
            real split contributes ``min(n, its size)`` samples.
        features: feature space spec (``auto``, ``inception``, ``inception:PATH``, ``domain:PATH``, ``raw``).
        split: the real split to compare with (``val``, ``test`` or ``train``).
        classifier: classifier file for ``classes`` (default: the domain features' classifier).
        batch_size: samples per generator / feature-extractor batch.
        device: where features are extracted (default: the model's device).
        seed: seed of the real subset, the generator's noise and the random KID/IS subsets.
        kid_subsets, kid_subset_size: KID's random subsets.
        pr_k: neighbourhood size of precision/recall.
        progress: show progress bars during feature extraction.
        cache_dir: where reference scores are cached (default ``~/.cache/lightgan/reference``).
    """

    def __init__(
        self,
        datamodule: GANDataModule,
        metrics: str | Sequence[str] = ("fid", "kid", "pr"),
        n: int | None = None,
        features: str = "auto",
        split: str = "val",
        classifier: str | None = None,
        batch_size: int = 64,
        device: str | torch.device | None = None,
        seed: int = 0,
        kid_subsets: int = 100,
        kid_subset_size: int = 1000,
        pr_k: int = 3,
        progress: bool = True,
        cache_dir: str | Path | None = None,
    ) -> None:
        self.datamodule, self.metrics = datamodule, parse_metrics(metrics)
        shape = tuple(datamodule.data_shape)
        self.n = n if n is not None else DEFAULT_N["images" if len(shape) == 3 else "vectors"]
        if self.n < 2 or batch_size < 1:
            raise ConfigError(f"Evaluation needs n >= 2 samples and batch_size >= 1, got n={self.n}, {batch_size}.")
        if split not in ("train", "val", "test"):
            raise ConfigError(f"split must be train, val or test, got {split!r}.")
        self.split, self.batch_size, self.device, self.seed, self.progress = split, batch_size, device, seed, progress
        self.kid_subsets, self.kid_subset_size, self.pr_k = kid_subsets, kid_subset_size, pr_k
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        check_feature_spec(features)  # also when no metric asked needs features: a typo is still a typo
        self.extractor: FeatureExtractor | None = None
        if any(m in FEATURE_METRICS for m in self.metrics):
            self.extractor = build_extractor(features, shape)
            logit_metrics = [name.upper() for name in ("is", "ms") if name in self.metrics]
            if logit_metrics and not self.extractor.num_logits:
                raise ConfigError(
                    f"{' and '.join(logit_metrics)} need{'s' * (len(logit_metrics) == 1)} class logits, which "
                    f"{self.extractor.describe()} lack: "
                    "use features inception or domain:PATH."
                )
        self.classifier = self._class_metric_classifier(classifier, features)
        if "modes" in self.metrics:
            self._check_mixture()
        self._real: Extracted | None = None

    # ------------------------------------------------------------------ set-up checks
    def _class_metric_classifier(self, path: str | None, features: str) -> FeatureExtractor | None:
        if "classes" not in self.metrics:
            return None
        if path:
            return build_extractor(f"domain:{path}", tuple(self.datamodule.data_shape))
        if isinstance(self.extractor, ClassifierFeatures):
            return self.extractor
        if features.startswith("domain:"):  # no feature metric was asked for, so no extractor was built
            return build_extractor(features, tuple(self.datamodule.data_shape))
        raise ConfigError(
            "The classes metric needs a classifier of the data: give classifier PATH, or features domain:PATH "
            "(train one with `lightgan train-classifier`)."
        )

    def _check_mixture(self) -> None:
        if not has_modes(self.datamodule):
            raise ConfigError(
                f"The modes metric needs a 2-D mixture datamodule with mode_centers and mode_std (RingMixture, "
                f"GridMixture); {type(self.datamodule).__name__} has none. For labelled images use classes."
            )

    # ------------------------------------------------------------------ samples
    def _dataset(self, split: str) -> Any:
        dataset = getattr(self.datamodule, f"{split}_set", None)
        if dataset is None:
            self.datamodule.setup("test" if split == "test" else "fit")
            dataset = getattr(self.datamodule, f"{split}_set", None)
        return dataset

    def _to_data_space(self, batch: dict[str, Any]) -> dict[str, Any]:
        return self.datamodule.on_after_batch_transfer(batch, 0)

    def _extract(self, batches: Any, total: int, desc: str, device: Any) -> Extracted:
        for net in (self.extractor, self.classifier):
            if net is not None:
                net.to(device)
        return extract(
            batches,
            total,
            extractor=self.extractor,
            classifier=self.classifier if self.classifier is not self.extractor else None,
            keep_samples="modes" in self.metrics,
            device=device,
            desc=desc,
            progress=self.progress,
        )

    def _real_split(self, split: str, n: int, device: Any) -> Extracted:
        dataset = self._dataset(split)
        if dataset is None:
            raise ConfigError(f"{type(self.datamodule).__name__} has no {split} split to evaluate against.")
        index = subset_indices(len(dataset), n, self.seed)
        batches = dataset_batches(dataset, index, self.batch_size, self._to_data_space)
        return self._extract(batches, len(index), f"features: {split} split", device)

    def real_features(self, device: Any = "cpu") -> Extracted:
        """The evaluation split's samples through the extractor (computed once)."""
        if self._real is None:
            self._real = self._real_split(self.split, self.n, device)
        return self._real

    # ------------------------------------------------------------------ scores
    def evaluate(self, model: Any) -> Evaluation:
        """Score ``model.sample`` output (``n`` samples, seeded noise) against the evaluation split."""
        device = self.device or model.device
        real = self.real_features(device)
        batches = generator_batches(model, self.n, self.batch_size, self.seed)
        fake = self._extract(batches, self.n, "features: generated", device)
        return self._score(fake, real, "generator", device)

    @property
    def reference_split(self) -> str:
        return "val" if self.split == "train" else "train"

    def reference(self, device: Any = "cpu") -> Evaluation | None:
        """The real-vs-real floor: ``n`` samples of the other split scored like a generator (cached on disk)."""
        other = self._dataset(self.reference_split)
        if other is None:
            return None
        parts = {
            "data": type(self.datamodule).__name__,
            "split": self.split,
            "split_data": dataset_fingerprint(self._dataset(self.split)),
            "reference_split": self.reference_split,
            "reference_data": dataset_fingerprint(other),
            "metrics": sorted(self.metrics),
            "n": self.n,
            "features": self.extractor.fingerprint() if self.extractor else None,
            "classifier": self.classifier.fingerprint() if self.classifier else None,
            "seed": self.seed,
            "kid": [self.kid_subsets, self.kid_subset_size],
            "pr_k": self.pr_k,
        }

        def compute() -> dict[str, Any]:
            fake = self._real_split(self.reference_split, self.n, device)
            real = self.real_features(device)
            return self._score(fake, real, f"{self.reference_split} split", device).to_dict()

        return Evaluation.from_dict(cached_reference(parts, compute, self.cache_dir))

    def _score(self, fake: Extracted, real: Extracted, samples: str, device: Any = "cpu") -> Evaluation:
        scores: dict[str, Score] = {}
        notes: list[str] = []

        def add(name: str, value: float, basis: str, std: float | None = None) -> None:
            scores[name] = Score(value=value, basis=basis, n=fake.n, n_real=real.n, split=self.split, std=std)

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UnreliableScoreWarning)
            self._feature_scores(fake, real, add, device)
        for warning in caught:
            notes.append(str(warning.message))
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
        if "modes" in self.metrics:
            coverage = mixture_coverage(fake.samples, self.datamodule.mode_centers, self.datamodule.mode_std)
            basis = f"nearest of {len(coverage.counts)} mode centres, within 3 std"
            add("modes_captured", coverage.modes_captured, basis)
            add("high_quality_pct", 100 * coverage.high_quality_fraction, basis)
            add("reverse_kl", coverage.reverse_kl, basis)
        if "classes" in self.metrics:
            if real.labels is None:
                raise ConfigError(f"The classes metric needs labels, but the {self.split} split has none.")
            predictions = fake.predictions if fake.predictions is not None else fake.logits.argmax(dim=1)
            coverage = class_coverage(predictions, real.labels, self.datamodule.num_classes)
            basis = self.classifier.describe()
            add("classes_covered", coverage.classes_covered, basis)
            add("class_kl", coverage.kl, basis)
        return Evaluation(samples=samples, scores=scores, notes=notes)

    def _feature_scores(self, fake: Extracted, real: Extracted, add: Any, device: Any) -> None:
        if self.extractor is None:
            return
        basis = self.extractor.describe()
        if "fid" in self.metrics:
            add("fid", fid(real.features, fake.features), basis)
        if "kid" in self.metrics:
            mean, std = kid(real.features, fake.features, self.kid_subsets, self.kid_subset_size, self.seed, device)
            add("kid", mean, basis, std)
        if "is" in self.metrics:
            mean, std = inception_score(fake.logits, seed=self.seed)
            add("is", mean, f"class logits of {basis}", std)
        if "ms" in self.metrics:
            add("mode_score", mode_score(fake.logits, real.logits), f"class logits of {basis}, p*(y) of the real split")
        if "pr" in self.metrics:
            precision, recall = precision_recall(real.features, fake.features, self.pr_k, device)
            add("precision", precision, f"{basis}, k={self.pr_k}")
            add("recall", recall, f"{basis}, k={self.pr_k}")
