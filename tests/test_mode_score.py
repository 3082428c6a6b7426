"""Mode Score: known answers on fabricated logits, its relation to IS, and its place in ``Evaluator``."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from lightgan.data import MNIST
from lightgan.metrics import Evaluator, inception_score
from lightgan.metrics.features import Extracted
from lightgan.metrics.mode_score import mode_score


def confident(labels: list[int], classes: int = 10) -> torch.Tensor:
    """Logits that put all the probability on each sample's label (softmax error below 1e-40)."""
    logits = torch.full((len(labels), classes), -50.0)
    logits[torch.arange(len(labels)), torch.tensor(labels)] = 50.0
    return logits


BALANCED_10 = confident([i % 10 for i in range(100)])
TWO_CLASSES = confident([i % 2 for i in range(100)])


def test_a_generator_with_the_real_class_histogram_scores_its_inception_score() -> None:
    # confident, all 10 classes equally often, as the real data: MS = IS = 10
    assert mode_score(BALANCED_10, BALANCED_10) == pytest.approx(10.0, rel=1e-9)
    # any logits at all: when p(y) = p*(y) the penalty is exp(-0) and MS is IS over all samples
    logits = torch.randn(200, 7, generator=torch.Generator().manual_seed(0)) * 3
    assert mode_score(logits, logits) == pytest.approx(inception_score(logits, splits=1)[0], rel=1e-6)


def test_a_generator_of_two_classes_out_of_ten_is_penalised_by_its_histogram() -> None:
    # IS = 2 (confident, two classes equally often); KL(p(y) || p*) = 2 * 0.5 * log(0.5 / 0.1) = log 5
    assert inception_score(TWO_CLASSES, splits=1)[0] == pytest.approx(2.0, rel=1e-6)
    assert mode_score(TWO_CLASSES, BALANCED_10) == pytest.approx(2.0 / 5.0, rel=1e-9)
    # the same two classes are the whole real histogram: no penalty
    assert mode_score(TWO_CLASSES, TWO_CLASSES) == pytest.approx(2.0, rel=1e-9)


def test_uninformative_predictions_score_one_against_the_same_marginal_and_less_against_another() -> None:
    uniform = torch.zeros(50, 4)
    assert mode_score(uniform, uniform) == pytest.approx(1.0)
    # p(y) uniform over 4, p* = (0.7, 0.1, 0.1, 0.1): MS = exp(-KL(p(y) || p*))
    real = torch.log(torch.tensor([[0.7, 0.1, 0.1, 0.1]])).expand(10, 4)
    expected = math.exp(-sum(0.25 * math.log(0.25 / q) for q in (0.7, 0.1, 0.1, 0.1)))
    assert mode_score(uniform, real) == pytest.approx(expected, rel=1e-6)  # float32 logits


def test_a_class_the_real_data_never_shows_scores_zero() -> None:
    real = confident([0, 1, 2, 2], classes=4)
    real[:, 3] = -math.inf  # p*(3) = 0 exactly
    assert mode_score(confident([0, 1, 2, 3], classes=4), real) == 0.0


def test_the_evaluator_scores_ms_from_generated_and_real_logits(mnist_root: Path, tmp_path: Path) -> None:
    from lightgan.metrics.classifier import DomainClassifier, save_classifier

    path = save_classifier(DomainClassifier((1, 28, 28), 10, width=4, feature_dim=8), tmp_path / "clf.pt")
    mnist = MNIST(root=str(mnist_root), download=False)
    scorer = Evaluator(mnist, metrics="is,ms", features=f"domain:{path}", progress=False, cache_dir=tmp_path)
    features = torch.zeros(100, 8)
    result = scorer._score(
        Extracted(n=100, features=features, logits=TWO_CLASSES),
        Extracted(n=100, features=features, logits=BALANCED_10),
        "generator",
    )
    score = result.scores["mode_score"]
    assert score.value == pytest.approx(0.4, rel=1e-9)  # generated and real the right way round (swapped: 0)
    assert score.basis.startswith("class logits of domain classifier clf.pt")


def test_mode_score_needs_logits_like_is(tmp_path: Path) -> None:
    from lightgan.data import RingMixture
    from lightgan.errors import ConfigError

    with pytest.raises(ConfigError, match="MS needs class logits, which raw samples"):
        Evaluator(RingMixture(num_samples=200, val_samples=100), metrics="ms", progress=False, cache_dir=tmp_path)
