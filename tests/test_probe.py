"""The D-feature probe: D's penultimate features, the linear probe, the random D it is compared with, the command."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from helpers import fit

from lightgan.app.cli import main
from lightgan.data import RingMixture
from lightgan.errors import ConfigError
from lightgan.inspection.probe import (
    check_probed_model,
    discriminator_features,
    extract_features,
    labelled_images,
    linear_probe,
    random_counterpart,
)
from lightgan.models import CGAN, DCGAN, GAN, BiGAN


def separable(n: int, classes: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Features whose first ``classes`` dimensions are the one-hot class, buried in 20 noisy ones."""
    rng = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, classes, (n,), generator=rng)
    features = torch.randn(n, 20, generator=rng)
    features[:, :classes] += 10 * torch.nn.functional.one_hot(labels, classes)
    return features, labels


def test_a_linear_probe_reads_linearly_separable_classes_perfectly_and_noise_at_chance() -> None:
    result = linear_probe(separable(400, 4, seed=0), separable(200, 4, seed=1), num_classes=4)
    assert result.accuracy >= 0.98 and result.train_accuracy >= 0.98
    assert (result.num_features, result.n_train, result.n_test) == (20, 400, 200)
    noise, labels = torch.randn(600, 20, generator=torch.Generator().manual_seed(2)), torch.arange(600) % 4
    chance = linear_probe((noise[:400], labels[:400]), (noise[400:], labels[400:]), num_classes=4)
    assert chance.accuracy < 0.4


def test_the_features_are_d_s_penultimate_block_as_the_model_judges_images() -> None:
    model = DCGAN(data_shape=(1, 28, 28), base_channels=4).eval()
    x = torch.rand(3, 1, 28, 28) * 2 - 1
    expected = model.discriminator.features(x).flatten(1)
    assert torch.allclose(discriminator_features(model, x), expected)
    assert torch.allclose(extract_features(model, x, batch_size=2), expected)
    bigan = BiGAN(data_shape=(1, 28, 28), base_channels=4, latent_dim=8).eval()  # D judges (x, E(x))
    joint = torch.cat([bigan.discriminator.x_features(x), bigan.discriminator.z_features(bigan.encode(x))], dim=1)
    assert torch.allclose(discriminator_features(bigan, x), bigan.discriminator.features(joint))


def test_the_random_d_has_the_architecture_and_fresh_seeded_weights() -> None:
    torch.manual_seed(7)
    trained = DCGAN(data_shape=(1, 28, 28), base_channels=4)
    spectral = "lightgan.tricks.spectral_norm.spectral_norm_networks"
    trained.change_structure(spectral, networks=["discriminator"], n_power_iterations=1)
    with torch.no_grad():
        for weight in trained.discriminator.parameters():
            weight.add_(1.0)  # stands in for training
    first, again = random_counterpart(trained, seed=3), random_counterpart(trained, seed=3)
    ours, theirs = trained.discriminator.state_dict(), first.discriminator.state_dict()
    assert {k: v.shape for k, v in ours.items()} == {k: v.shape for k, v in theirs.items()}
    assert any(key.endswith("parametrizations.weight.original") for key in theirs)  # spectral norm made again
    assert not any(torch.equal(ours[k], theirs[k]) for k in ours if k.endswith("original"))
    assert all(torch.equal(theirs[k], again.discriminator.state_dict()[k]) for k in theirs)


def test_models_whose_d_is_told_the_answer_or_has_no_features_are_refused() -> None:
    with pytest.raises(ConfigError, match="CGAN's D is given the class with each image"):
        check_probed_model(CGAN(data_shape=(1, 28, 28), num_classes=10))
    with pytest.raises(ConfigError, match="judges packs of 2 samples"):
        check_probed_model(GAN(data_shape=(2,), latent_dim=2, hidden_dims=(8,), pack=2))


def test_unlabelled_data_is_refused() -> None:
    with pytest.raises(ConfigError, match="RingMixture is unlabelled: a probe needs classes"):
        labelled_images(RingMixture(num_samples=200, val_samples=50, batch_size=50), "train", 10, seed=0)


def test_the_command_prints_the_trained_and_the_random_d_s_accuracies(mnist_root: Path, capsys) -> None:
    fit(
        "--model=DCGAN",
        "--model.init_args.base_channels=4",
        "--data=MNIST",
        f"--data.init_args.root={mnist_root}",
        "--data.init_args.batch_size=32",
        "--trainer.max_steps=3",
        "--trainer.limit_val_batches=0",
        "--trainer.default_root_dir=run",
        "--seed_everything=0",
    )
    capsys.readouterr()
    argv = ["probe", "--ckpt_path", "run", "--n-train", "96", "--n-test", "48", "--steps", "20", "--out", "p.json"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    accuracies = {
        line.split(":")[0].strip(): float(line.split("accuracy ")[1].split()[0])
        for line in out.splitlines()
        if "held-out accuracy" in line
    }
    assert sorted(accuracies) == ["random D", "trained D"]
    assert all(0.0 <= value <= 1.0 for value in accuracies.values())
    assert "fitted on 96 training images, scored on 48 held-out ones" in out and "gap (trained - random)" in out
    assert '"n_test": 48' in Path("p.json").read_text()
