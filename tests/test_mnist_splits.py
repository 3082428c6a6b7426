"""MNIST's three splits: training and validation from the training file, test from the test file."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import lightning as L
import pytest
import torch
import torchvision
from helpers import NO_LOGGER, QUIET, fit
from torch import Tensor

from lightgan.app.cli import run_lightning
from lightgan.data import MNIST
from lightgan.errors import ConfigError

TINY_DCGAN = [
    "--model=DCGAN",
    "--model.init_args.latent_dim=8",
    "--model.init_args.base_channels=4",
    "--data=MNIST",
    "--data.init_args.root=data",
    "--data.init_args.download=false",
    "--data.init_args.image_size=16",
    "--data.init_args.batch_size=16",
]


class EvaluatedImages(L.Callback):
    """Keeps every image that validation and test ran through the model."""

    def __init__(self) -> None:
        self.images: list[Tensor] = []

    def on_validation_batch_start(self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Any, *_: Any) -> None:
        self.images.append(batch["real"].cpu())

    def on_test_batch_start(self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Any, *_: Any) -> None:
        self.images.append(batch["real"].cpu())


def rows(images: Tensor) -> set[bytes]:
    return {image.numpy().tobytes() for image in images.contiguous()}


def digits(root: Path, **kwargs: Any) -> MNIST:
    dm = MNIST(root=str(root), download=False, batch_size=16, **kwargs)
    dm.setup("fit")
    return dm


def test_validation_is_held_out_of_the_training_file_and_test_is_the_test_file(mnist_root: Path) -> None:
    train_file = torchvision.datasets.MNIST(str(mnist_root), train=True)
    test_file = torchvision.datasets.MNIST(str(mnist_root), train=False)
    row_of = {image.numpy().tobytes(): i for i, image in enumerate(train_file.data)}
    assert len(row_of) == len(train_file.data) == 256  # every fabricated image is unique
    dm = digits(mnist_root)

    train, val = dm.train_set.real[:, 0], dm.val_set.real[:, 0]
    assert (len(train), len(val)) == (192, 64)  # as many held out as the test file has
    assert not rows(train) & rows(val) and rows(train) | rows(val) == set(row_of)
    val_rows = torch.tensor([row_of[image.numpy().tobytes()] for image in val])
    assert torch.equal(dm.val_set.labels, train_file.targets[val_rows])
    assert torch.equal(dm.test_set.real[:, 0], test_file.data) and torch.equal(dm.test_set.labels, test_file.targets)


def test_the_split_is_the_same_in_every_run_whatever_the_seed(mnist_root: Path) -> None:
    torch.manual_seed(1)
    first = digits(mnist_root, seed=0)
    torch.manual_seed(2)
    second = digits(mnist_root, seed=5)
    assert torch.equal(first.val_set.real, second.val_set.real)
    assert torch.equal(first.train_set.real, second.train_set.real)


def test_the_training_loader_never_hands_out_a_validation_image(mnist_root: Path) -> None:
    dm = digits(mnist_root, seed=3)
    loader = dm.train_dataloader()
    seen = torch.cat([batch["real"] for _ in range(3) for batch in loader])  # three shuffled epochs
    assert len(rows(seen)) == len(dm.train_set)
    assert not rows(seen) & rows(dm.val_set.real)


def test_val_size_sets_how_many_are_held_out_and_zero_validates_on_the_test_file(mnist_root: Path) -> None:
    dm = digits(mnist_root, val_size=32)
    assert (len(dm.train_set), len(dm.val_set)) == (224, 32)
    subset = digits(mnist_root, train_subset=100)
    assert len(subset.train_set) == 100 and not rows(subset.train_set.real) & rows(subset.val_set.real)
    none_held_out = digits(mnist_root, val_size=0)
    assert len(none_held_out.train_set) == 256 and none_held_out.val_set is none_held_out.test_set
    with pytest.raises(ConfigError, match=r"val_size=256 holds out all 256 training images"):
        digits(mnist_root, val_size=256)
    with pytest.raises(ConfigError, match=r"val_size must be >= 0"):
        MNIST(root=str(mnist_root), val_size=-1)


def test_validate_and_test_read_disjoint_splits_and_report_different_numbers(mnist_root: Path) -> None:
    trained = fit(*TINY_DCGAN, "--trainer.max_steps=2", "--trainer.limit_val_batches=0")
    ckpt = f"--ckpt_path={trained.run_dir / 'checkpoints' / 'last.ckpt'}"
    probe = "--trainer.callbacks+=test_mnist_splits.EvaluatedImages"
    runs = {
        stage: run_lightning([stage, *QUIET, *NO_LOGGER, *TINY_DCGAN, probe, ckpt]) for stage in ("validate", "test")
    }
    seen = {stage: rows(torch.cat(cli.trainer.callbacks[0].images)) for stage, cli in runs.items()}
    held_out = runs["validate"].datamodule
    assert seen["validate"] == rows(held_out.on_after_batch_transfer(held_out.val_set[torch.arange(64)], 0)["real"])
    assert len(seen["test"]) == 64 and not seen["validate"] & seen["test"]
    val, test = (runs[stage].trainer.callback_metrics for stage in ("validate", "test"))
    # what D reads from real images differs; g_loss and d_fake_score see only the seeded fakes
    assert val["val/d_loss"] != test["test/d_loss"] and val["val/d_real_score"] != test["test/d_real_score"]


def test_a_resumed_run_keeps_the_split_its_checkpoint_records(mnist_root: Path) -> None:
    first = fit(*TINY_DCGAN, "--trainer.max_steps=2", "--trainer.limit_val_batches=0", "--trainer.default_root_dir=a")
    ckpt = first.run_dir / "checkpoints" / "last.ckpt"
    assert torch.load(ckpt, weights_only=True)["MNIST"] == {"val_held_out": 64}
    with pytest.warns(UserWarning, match=r"held out 64 training images for validation, not 32"):
        resumed = fit(*TINY_DCGAN, "--data.init_args.val_size=32", "--trainer.max_steps=3", f"--ckpt_path={ckpt}")
    assert resumed.datamodule.held_out == 64 and len(resumed.datamodule.train_set) == 192
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        same = fit(*TINY_DCGAN, "--trainer.max_steps=3", f"--ckpt_path={ckpt}")  # the configured split: no note
    assert same.datamodule.held_out == 64 and not [w for w in caught if "held out" in str(w.message)]


def test_a_checkpoint_from_before_the_split_resumes_on_the_whole_training_file(mnist_root: Path) -> None:
    first = fit(*TINY_DCGAN, "--trainer.max_steps=2", "--trainer.limit_val_batches=0", "--trainer.default_root_dir=a")
    old = first.run_dir / "checkpoints" / "old.ckpt"
    checkpoint = torch.load(first.run_dir / "checkpoints" / "last.ckpt", weights_only=True)
    del checkpoint["MNIST"]  # what checkpoints written before the split hold
    torch.save(checkpoint, old)
    resumed = fit(*TINY_DCGAN, "--trainer.max_steps=3", f"--ckpt_path={old}")
    data = resumed.datamodule
    assert data.held_out == 0 and len(data.train_set) == 256 and data.val_set is data.test_set
