"""The metric functions on sets whose scores are known in closed form."""

from __future__ import annotations

import math
import warnings

import pytest
import torch

from lightgan.data import GridMixture, RingMixture
from lightgan.metrics import (
    UnreliableScoreWarning,
    class_coverage,
    fid,
    inception_score,
    kid,
    mixture_coverage,
    precision_recall,
)


def gaussian(n: int, dim: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(n, dim, generator=torch.Generator().manual_seed(seed))


# ---------------------------------------------------------------------------------------------- FID / KID / IS
def test_fid_of_identical_sets_is_zero() -> None:
    x = gaussian(400, 8)
    assert fid(x, x.clone()) == pytest.approx(0.0, abs=1e-8)


def test_fid_of_a_shifted_set_is_the_squared_shift() -> None:
    # same covariance, means differ by s: FID = |s|^2 exactly
    x = gaussian(400, 8)
    shift = torch.arange(8, dtype=torch.float32) / 4
    assert fid(x, x + shift) == pytest.approx(float(shift.square().sum()), rel=1e-6)


def test_fid_of_a_scaled_set_matches_the_gaussian_formula() -> None:
    # fake = 2 * real: Tr(S + 4S - 2 * 2S) = Tr(S), means 0 -> FID = Tr(cov of real)
    x = gaussian(500, 6)
    x = x - x.mean(0)
    assert fid(x, 2 * x) == pytest.approx(float(torch.cov(x.T.double()).trace()), rel=1e-6)


def test_fid_warns_when_samples_are_fewer_than_feature_dimensions() -> None:
    with pytest.warns(UnreliableScoreWarning, match=r"FID from 20 samples of 32-d features is unreliable"):
        fid(gaussian(20, 32), gaussian(20, 32, seed=1))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnreliableScoreWarning)
        fid(gaussian(64, 32), gaussian(64, 32, seed=1))


def test_kid_is_near_zero_for_one_distribution_and_clearly_positive_for_two() -> None:
    real, same, shifted = gaussian(600, 8), gaussian(600, 8, seed=1), gaussian(600, 8, seed=2) + 1.0
    same_mean, same_std = kid(real, same, subsets=20, subset_size=300)
    shifted_mean, shifted_std = kid(real, shifted, subsets=20, subset_size=300)
    assert abs(same_mean) < 3 * same_std + 1e-3
    assert shifted_mean > 10 * max(shifted_std, same_std, abs(same_mean))


def test_kid_is_reproducible_and_leaves_the_global_rng_alone() -> None:
    real, fake = gaussian(300, 4), gaussian(300, 4, seed=1) + 0.5
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    first = kid(real, fake, subsets=5, subset_size=100, seed=7)
    assert torch.equal(torch.rand(3), expected_next)
    assert kid(real, fake, subsets=5, subset_size=100, seed=7) == first


def test_inception_score_is_one_for_uninformative_and_the_class_count_for_confident_balanced_logits() -> None:
    assert inception_score(torch.zeros(100, 10), splits=5)[0] == pytest.approx(1.0)
    confident = torch.full((100, 10), -50.0)
    confident[torch.arange(100), torch.arange(100) % 10] = 50.0
    assert inception_score(confident, splits=1)[0] == pytest.approx(10.0, rel=1e-6)


# ---------------------------------------------------------------------------------------------- precision / recall
def test_precision_and_recall_of_identical_sets_are_one() -> None:
    x = gaussian(300, 16)
    assert precision_recall(x, x.clone()) == (1.0, 1.0)


def test_precision_and_recall_of_disjoint_sets_are_zero() -> None:
    x = gaussian(200, 4)
    assert precision_recall(x, x + 100.0) == (0.0, 0.0)


def test_a_generator_covering_half_of_the_real_clusters_is_precise_but_recalls_half() -> None:
    centres = torch.eye(4) * 50  # four far-apart clusters
    real = torch.cat([c + gaussian(100, 4, seed=i) for i, c in enumerate(centres)])
    fake = torch.cat([c + gaussian(200, 4, seed=10 + i) for i, c in enumerate(centres[:2])])
    precision, recall = precision_recall(real, fake)
    assert precision > 0.9  # fakes lie in the real clusters (a few tail points fall between k-NN balls)
    assert 0.45 < recall <= 0.5  # only the two covered clusters' real samples are recalled


# ---------------------------------------------------------------------------------------------- mixtures
def ring() -> RingMixture:
    return RingMixture(num_samples=2_500, val_samples=10)


def test_a_generator_that_outputs_one_mode_captures_one_mode() -> None:
    data = ring()
    one_mode = data.mode_centers[3] + data.mode_std * gaussian(2_500, 2)
    coverage = mixture_coverage(one_mode, data.mode_centers, data.mode_std)
    assert coverage.modes_captured == 1
    assert coverage.counts[3] == sum(coverage.counts)
    assert coverage.reverse_kl == pytest.approx(math.log(8))  # all mass on one of 8 modes


def test_equal_counts_over_all_modes_give_zero_reverse_kl() -> None:
    data = GridMixture(num_samples=2_500, val_samples=10)
    points = data.mode_centers.repeat_interleave(100, dim=0)  # exactly 100 per mode, at the centres
    coverage = mixture_coverage(points, data.mode_centers, data.mode_std)
    assert (coverage.modes_captured, coverage.high_quality_fraction) == (25, 1.0)
    assert coverage.reverse_kl == pytest.approx(0.0, abs=1e-12)


def test_real_mixture_data_is_high_quality_at_the_two_dimensional_three_sigma_rate() -> None:
    data = ring()
    data.setup("fit")
    coverage = mixture_coverage(data.train_set.real, data.mode_centers, data.mode_std)
    # P(|x - mu| < 3 sigma) for an isotropic 2-D Gaussian is 1 - exp(-9/2) = 0.9889
    assert coverage.modes_captured == 8
    assert coverage.high_quality_fraction == pytest.approx(1 - math.exp(-4.5), abs=0.01)
    assert coverage.reverse_kl < 0.01


def test_samples_far_from_every_mode_are_not_high_quality() -> None:
    data = ring()
    coverage = mixture_coverage(torch.full((100, 2), 5.0), data.mode_centers, data.mode_std)
    assert (coverage.modes_captured, coverage.high_quality_fraction) == (0, 0.0)
    assert math.isinf(coverage.reverse_kl)


def test_a_point_just_inside_and_just_outside_three_std() -> None:
    data = ring()
    centre, std = data.mode_centers[0], data.mode_std
    direction = centre / centre.norm()
    points = torch.stack([centre + 2.99 * std * direction, centre + 3.01 * std * direction])
    assert mixture_coverage(points, data.mode_centers, std).high_quality_fraction == 0.5


# ---------------------------------------------------------------------------------------------- classes
def test_class_coverage_of_a_collapsed_and_of_a_faithful_generator() -> None:
    real = torch.arange(1000) % 10
    collapsed = class_coverage(torch.full((500,), 7), real, num_classes=10)
    assert collapsed.classes_covered == 1
    assert collapsed.kl == pytest.approx(math.log(10))
    faithful = class_coverage(torch.arange(500) % 10, real, num_classes=10)
    assert (faithful.classes_covered, faithful.kl) == (10, pytest.approx(0.0, abs=1e-12))
