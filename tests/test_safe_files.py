"""No code runs from a file lightgan opens: checkpoints, classifier and Inception weights, CIFAR-10 batches.

Each malicious file carries a payload that would create a folder if unpickled in full; every
loader must refuse it in one line that names the file, and the folder must not appear.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
import torch
from fakedata import write_cifar10
from helpers import TINY_RING, fit

from lightgan.app.cli import main
from lightgan.core.checkpoint import load_gan
from lightgan.core.safe_files import load_weights_only
from lightgan.data import CIFAR10
from lightgan.errors import ConfigError, LightGANError
from lightgan.metrics.classifier import load_classifier
from lightgan.metrics.inception import InceptionFeatures


class Payload:
    """Unpickling this calls os.mkdir(marker)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (str(self.marker),))


def malicious(path: Path, marker: Path, fmt: str) -> Path:
    content = {"state_dict": {}, "lightgan": {"class_path": "lightgan.models.GAN"}, "x": Payload(marker)}
    if fmt == "zip":
        torch.save(content, path)
    else:
        with path.open("wb") as file:
            pickle.dump(content, file)
    return path


def assert_refused(err: str, path: Path, marker: Path) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lightgan: error:") and str(path) in lines[0], err
    assert "exec" not in lines[0] and "safe_globals" not in lines[0] and "weights_only=False" not in lines[0]
    assert not marker.exists(), "the payload ran"


@pytest.fixture
def ring_run() -> Path:
    return fit(*TINY_RING, "--trainer.max_steps=2", "--trainer.default_root_dir=ring").run_dir


@pytest.mark.parametrize("fmt", ["zip", "raw"])
@pytest.mark.parametrize(
    "command",
    [
        ["sample", "--ckpt", "{ckpt}", "--n", "4", "--out", "x.png"],
        ["evaluate", "--ckpt", "{ckpt}", "--config", "ring/config.yaml", "--metrics", "modes", "--n", "64"],
        ["fit", *TINY_RING, "--trainer.max_steps=3", "--trainer.logger=false", "--ckpt_path", "{ckpt}"],
        ["validate", *TINY_RING, "--trainer.logger=false", "--ckpt_path", "{ckpt}"],
        ["test", *TINY_RING, "--trainer.logger=false", "--ckpt_path", "{ckpt}"],
        ["predict", *TINY_RING, "--trainer.logger=false", "--ckpt_path", "{ckpt}"],
    ],
    ids=["sample", "evaluate", "fit", "validate", "test", "predict"],
)
def test_every_command_refuses_a_checkpoint_that_carries_code(
    ring_run: Path, command: list[str], fmt: str, tmp_path: Path, capsys
) -> None:
    marker = tmp_path / "pwned"
    ckpt = malicious(tmp_path / "evil.ckpt", marker, fmt)
    capsys.readouterr()
    assert main([arg.replace("{ckpt}", str(ckpt)) for arg in command]) == 2
    assert_refused(capsys.readouterr().err, ckpt, marker)


def test_the_refusal_names_what_the_file_holds(tmp_path: Path) -> None:
    ckpt = malicious(tmp_path / "evil.ckpt", tmp_path / "pwned", "zip")
    with pytest.raises(ConfigError, match=r"evil\.ckpt holds objects lightgan does not write \(posix\.mkdir\)"):
        load_weights_only(ckpt)


@pytest.mark.parametrize("fmt", ["zip", "raw"])
def test_classifier_and_inception_weights_are_read_weights_only(fmt: str, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    weights = malicious(tmp_path / "weights.pt", marker, fmt)
    with pytest.raises(ConfigError, match=r"weights\.pt"):
        load_classifier(weights)
    with pytest.raises(ConfigError, match=r"weights\.pt"):
        InceptionFeatures((3, 32, 32), weights=str(weights))
    assert not marker.exists()


def test_a_data_only_checkpoint_cannot_choose_what_is_imported(ring_run: Path, tmp_path: Path, capsys) -> None:
    checkpoint = torch.load(ring_run / "checkpoints" / "last.ckpt", weights_only=True)
    checkpoint["lightgan"]["class_path"] = "this.Zen"
    torch.save(checkpoint, tmp_path / "zen.ckpt")
    with pytest.raises(ConfigError, match=r"names the model class this\.Zen, which is not part of lightgan"):
        load_gan(tmp_path / "zen.ckpt")
    assert "Beautiful is better than ugly" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("where", "value"),
    [
        ("loss", {"class_path": "os.mkdir", "init_args": {"path": "{marker}"}}),
        ("lr_scheduler", {"class_path": "os.mkdir", "init_args": {"path": "{marker}"}}),
        ("structure", {"function": "os.mkdir", "kwargs": {}}),
    ],
)
def test_names_inside_a_checkpoint_are_imported_only_from_lightgan_and_its_plugins(
    ring_run: Path, tmp_path: Path, where: str, value: dict
) -> None:
    marker = tmp_path / "pwned"
    checkpoint = torch.load(ring_run / "checkpoints" / "last.ckpt", weights_only=True)
    if where == "structure":
        checkpoint["lightgan"]["structure_changes"] = [value]
    else:
        value["init_args"] = {"path": str(marker)}
        checkpoint["hyper_parameters"][where] = value
    torch.save(checkpoint, tmp_path / "named.ckpt")
    with pytest.raises(LightGANError, match=r"os\.mkdir, which is not part of lightgan"):
        load_gan(tmp_path / "named.ckpt")
    assert not marker.exists()


def test_a_loss_named_by_class_path_must_be_a_loss() -> None:
    """Names from a config are the user's choice, but nothing that is not a loss is called as one."""
    from lightgan.core.losses import resolve_loss

    with pytest.raises(ConfigError, match=r"loss 'os\.getcwd' is not an AdversarialLoss"):
        resolve_loss({"class_path": "os.getcwd"})


def test_a_cifar10_batch_that_carries_code_is_refused(tmp_path: Path) -> None:
    root = write_cifar10(tmp_path / "data")
    marker = tmp_path / "pwned"
    batch = root / "cifar-10-batches-py" / "test_batch"
    with batch.open("wb") as file:
        pickle.dump({"data": Payload(marker), "labels": [0]}, file)
    data = CIFAR10(root=str(root), download=False, batch_size=4)
    with pytest.raises(LightGANError, match=r"test_batch holds objects a CIFAR-10 batch does not \(posix\.mkdir\)"):
        data.setup("validate")
    assert not marker.exists()


def test_weights_only_false_is_refused(capsys) -> None:
    assert main(["fit", *TINY_RING, "--weights_only=false", "--trainer.max_steps=1"]) == 2
    assert "lightgan reads checkpoints weights-only" in capsys.readouterr().err


def test_nan_guard_restores_only_a_checkpoint_that_reads_weights_only(tmp_path: Path) -> None:
    from lightgan.core.divergence import NaNGuard
    from lightgan.models import GAN

    marker = tmp_path / "pwned"
    ckpt = malicious(tmp_path / "newest.ckpt", marker, "zip")
    with pytest.raises(ConfigError, match=r"newest\.ckpt holds objects lightgan does not write"):
        NaNGuard._restore(None, GAN(data_shape=(2,), latent_dim=2, hidden_dims=(4,)), ckpt)
    assert not marker.exists()
