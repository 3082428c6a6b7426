"""Feature extractors: spec parsing, Inception weights from local files (never downloaded), domain classifiers."""

from __future__ import annotations

import time
from pathlib import Path
from unittest import mock

import pytest
import torch
from torch_fidelity import feature_extractor_inceptionv3 as fidelity_inception

from lightgan.data import MNIST
from lightgan.errors import ConfigError
from lightgan.metrics import build_extractor, inception
from lightgan.metrics.classifier import load_classifier, save_classifier, train_classifier
from lightgan.metrics.features import ClassifierFeatures, RawFeatures


def random_inception_weights(path: Path) -> Path:
    """A randomly initialised Inception's state_dict in the file format of the real weights."""
    with (
        mock.patch.object(fidelity_inception, "load_state_dict_from_url", return_value={}),
        mock.patch.object(fidelity_inception.FeatureExtractorInceptionV3, "load_state_dict"),
    ):
        net = fidelity_inception.FeatureExtractorInceptionV3("inception-v3-compat", ["2048"])
    torch.save(net.state_dict(), path)
    return path


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty torch hub cache and a weights host that cannot be reached (no real connection is tried)."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    monkeypatch.setattr(inception, "weights_host_reachable", lambda timeout=3.0: False)
    return tmp_path / "torch_home" / "hub" / "checkpoints"


def test_specs_choose_the_extractor() -> None:
    assert isinstance(build_extractor("auto", (2,)), RawFeatures)
    assert build_extractor("raw", (1, 4, 4)).num_features == 16
    with pytest.raises(ConfigError, match="Unknown features 'vgg'"):
        build_extractor("vgg", (3, 32, 32))
    with pytest.raises(ConfigError, match="domain:PATH"):
        build_extractor("domain", (1, 28, 28))
    with pytest.raises(ConfigError, match=r"missing\.pt does not exist.*train-classifier"):
        build_extractor("domain:missing.pt", (1, 28, 28))
    with pytest.raises(ConfigError, match="Inception features need 1- or 3-channel images"):
        build_extractor("inception", (2,))


def test_no_weights_and_no_network_fails_fast_in_one_line(no_network: Path) -> None:
    started = time.perf_counter()
    with pytest.raises(ConfigError) as error:
        build_extractor("inception", (3, 32, 32))
    message = str(error.value)
    assert time.perf_counter() - started < 2
    assert "\n" not in message
    assert str(no_network / "weights-inception-2015-12-05-6726825d.pth") in message
    assert "inception:PATH" in message and "lightgan train-classifier" in message and "domain:" in message


def test_an_explicit_weights_path_that_does_not_exist_is_named(no_network: Path) -> None:
    with pytest.raises(ConfigError, match=r"Inception weights file nowhere\.pth does not exist"):
        build_extractor("inception:nowhere.pth", (3, 32, 32))


def test_inception_from_a_local_weights_file_and_from_the_hub_cache(no_network: Path, tmp_path: Path) -> None:
    weights = random_inception_weights(tmp_path / "inception.pth")
    local = build_extractor(f"inception:{weights}", (1, 28, 28))
    gray = torch.rand(2, 1, 28, 28) * 2 - 1
    features, logits = local(gray)
    assert features.shape == (2, 2048) and logits.shape == (2, 1008)
    rgb_features, _ = local(gray.expand(-1, 3, -1, -1))
    assert torch.equal(features, rgb_features)  # grayscale is repeated to three channels
    assert "inception.pth" in local.describe()

    cache = inception.cached_weights_path()
    assert cache.parent == no_network
    cache.parent.mkdir(parents=True)
    cache.write_bytes(weights.read_bytes())
    cached = build_extractor("inception", (3, 32, 32))  # found in the torch hub cache: no network needed
    assert cached.weights == cache
    assert torch.equal(cached(gray.expand(-1, 3, -1, -1))[0], features)


@pytest.fixture
def fake_mnist(mnist_root: Path) -> MNIST:
    return MNIST(root=str(mnist_root), download=False, batch_size=32)


def test_a_domain_classifier_learns_the_fake_digits_and_round_trips(fake_mnist: MNIST, tmp_path: Path) -> None:
    # The fabricated digits encode their class by a bright square's position: easy to learn (192 training
    # images, 64 held out for validation: 6 epochs are 36 steps).
    classifier, accuracy = train_classifier(fake_mnist, epochs=6, batch_size=32, width=8, feature_dim=16)
    assert accuracy > 0.9
    path = save_classifier(classifier, tmp_path / "clf.pt", data="MNIST", val_accuracy=accuracy)
    loaded, info = load_classifier(path)
    assert info == {"data": "MNIST", "val_accuracy": accuracy}
    x = torch.rand(5, 1, 28, 28) * 2 - 1
    assert torch.equal(loaded(x), classifier.cpu()(x))

    features = build_extractor(f"domain:{path}", (1, 28, 28))
    assert isinstance(features, ClassifierFeatures)
    feats, logits = features(x)
    assert feats.shape == (5, 16) and torch.equal(logits, loaded(x))
    assert features.fingerprint() != ClassifierFeatures(save_classifier(loaded, tmp_path / "b.pt", x=1)).fingerprint()


def test_a_classifier_needs_labelled_data() -> None:
    from lightgan.data import RingMixture

    with pytest.raises(ConfigError, match="needs a labelled dataset"):
        train_classifier(RingMixture(num_samples=200, val_samples=10))


def test_a_file_that_is_not_a_classifier_is_rejected(tmp_path: Path) -> None:
    torch.save({"something": 1}, tmp_path / "other.pt")
    with pytest.raises(ConfigError, match="not a classifier file"):
        load_classifier(tmp_path / "other.pt")
