"""``Evaluator``: scores with their setup, real-vs-real floors from the disk cache, input checks."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from lightgan.data import MNIST, RingMixture
from lightgan.errors import ConfigError
from lightgan.metrics import Evaluator, UnreliableScoreWarning


class PointSource:
    """Stands in for a trained GAN: its inputs are a mode and a 2-D offset, ``sample`` maps them to points."""

    device = torch.device("cpu")

    def __init__(self, centers: torch.Tensor, std: float) -> None:
        self.centers, self.std = centers, std

    def sample_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, None]:
        modes = torch.randint(0, len(self.centers), (n, 1), generator=generator)
        return torch.cat([modes.float(), torch.randn(n, 2, generator=generator)], dim=1), None

    def sample(self, n: int, labels: None = None, z: torch.Tensor | None = None) -> torch.Tensor:
        z = self.sample_inputs(n)[0] if z is None else z
        return self.centers[z[:, 0].long()] + self.std * z[:, 1:]


@pytest.fixture
def ring() -> RingMixture:
    return RingMixture(num_samples=3_000, val_samples=2_500)


def evaluator(data, tmp_path: Path, **kwargs) -> Evaluator:
    return Evaluator(data, progress=False, cache_dir=tmp_path / "cache", **kwargs)


def test_one_mode_and_all_modes_generators_with_their_setup(ring: RingMixture, tmp_path: Path) -> None:
    scorer = evaluator(ring, tmp_path, metrics="modes,fid,pr")
    collapsed = scorer.evaluate(PointSource(ring.mode_centers[:1], ring.mode_std))
    faithful = scorer.evaluate(PointSource(ring.mode_centers, ring.mode_std))

    assert collapsed.scores["modes_captured"].value == 1
    assert collapsed.scores["reverse_kl"].value == pytest.approx(math.log(8))
    assert faithful.scores["modes_captured"].value == 8
    assert faithful.scores["high_quality_pct"].value == pytest.approx(100 * (1 - math.exp(-4.5)), abs=1.0)
    assert faithful.scores["fid"].value < collapsed.scores["fid"].value
    assert faithful.scores["recall"].value > 0.9 > collapsed.scores["recall"].value
    fid_score = faithful.scores["fid"]
    assert (fid_score.n, fid_score.n_real, fid_score.split, fid_score.basis) == (2500, 2500, "val", "raw samples (2-d)")
    assert faithful.scores["modes_captured"].basis == "nearest of 8 mode centres, within 3 std"


def test_the_real_floor_is_computed_once_and_then_read_from_the_cache(ring: RingMixture, tmp_path: Path) -> None:
    first = evaluator(ring, tmp_path, metrics="modes,fid", n=500).reference()
    assert first.samples == "train split"
    assert first.scores["modes_captured"].value == 8
    assert first.scores["fid"].value < 0.05  # sampling noise only; one collapsed mode scores about 2
    assert len(list((tmp_path / "cache").glob("*.json"))) == 1

    again = evaluator(ring, tmp_path, metrics="modes,fid", n=500)
    again._real_split = lambda *args: pytest.fail("the cached floor was recomputed")
    assert again.reference() == first

    evaluator(ring, tmp_path, metrics="modes,fid", n=400).reference()  # another sample count: another entry
    assert len(list((tmp_path / "cache").glob("*.json"))) == 2


def test_bad_choices_fail_before_any_work(ring: RingMixture, mnist_root: Path, tmp_path: Path) -> None:
    mnist = MNIST(root=str(mnist_root), download=False)
    with pytest.raises(ConfigError, match=r"Unknown metric\(s\) \['fdi'\]: choose from fid, kid"):
        evaluator(ring, tmp_path, metrics="fdi")
    with pytest.raises(ConfigError, match="modes metric needs a 2-D mixture datamodule"):
        evaluator(mnist, tmp_path, metrics="modes")
    with pytest.raises(ConfigError, match="classes metric needs a classifier"):
        evaluator(mnist, tmp_path, metrics="classes", features="raw")
    with pytest.raises(ConfigError, match="IS needs class logits"):
        evaluator(ring, tmp_path, metrics="is")


def test_fewer_samples_than_feature_dimensions_is_warned_and_noted(mnist_root: Path, tmp_path: Path) -> None:
    mnist = MNIST(root=str(mnist_root), download=False)
    images = PointSource(torch.zeros(1, 2), 1.0)
    images.sample_inputs = lambda n, generator=None: (torch.rand(n, 784, generator=generator), None)
    images.sample = lambda n, labels=None, z=None: z.view(n, 1, 28, 28) * 2 - 1
    with pytest.warns(UnreliableScoreWarning, match="FID from 50 samples of 784-d features is unreliable"):
        result = evaluator(mnist, tmp_path, metrics="fid", features="raw", n=50).evaluate(images)
    assert result.scores["fid"].n_real == 50
    assert any("unreliable" in note for note in result.notes)


def test_the_classes_metric_alone_uses_a_domain_feature_classifier(mnist_root: Path, tmp_path: Path) -> None:
    from lightgan.metrics.classifier import DomainClassifier, save_classifier

    mnist = MNIST(root=str(mnist_root), download=False)
    path = save_classifier(DomainClassifier((1, 28, 28), 10, width=4, feature_dim=8), tmp_path / "clf.pt")
    scorer = evaluator(mnist, tmp_path, metrics="classes", features=f"domain:{path}")
    assert scorer.extractor is None and scorer.classifier is not None


def test_the_modes_metric_is_the_default_only_for_data_with_centres_and_their_spread() -> None:
    from types import SimpleNamespace

    from lightgan.data import RingMixture
    from lightgan.metrics.evaluator import has_modes

    assert has_modes(RingMixture(num_samples=16, val_samples=16, batch_size=8))
    assert not has_modes(SimpleNamespace(mode_centers=torch.zeros(4, 2)))  # centres alone cannot say "high quality"
    assert not has_modes(SimpleNamespace())
