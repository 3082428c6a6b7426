"""Tricks through the real CLI: exact resume of stateful tricks, sampling from changed networks, setup errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from helpers import assert_same_weights, fit, state_of

from lightgan.app.cli import main
from lightgan.callbacks import ADA, ExperienceReplay, GeneratorEMA, HistoricalAveraging

TRICKS_CONFIG = Path(__file__).resolve().parents[1] / "configs" / "dcgan_fashion_mnist_tricks.yaml"

# 256 fabricated MNIST images, 64 of them held out for validation, batch 32: 6 generator steps per epoch
TINY_MNIST = [
    "--model=GAN",
    "--model.init_args.latent_dim=8",
    "--model.init_args.hidden_dims=[16, 16]",
    "--data=MNIST",
    "--data.init_args.root=data",
    "--data.init_args.batch_size=32",
    "--trainer.limit_val_batches=0",
    "--seed_everything=3",
]
STATEFUL_TRICKS = [
    "--trainer.callbacks+=ExperienceReplay",
    "--trainer.callbacks.buffer_size=48",
    "--trainer.callbacks+=ADA",
    "--trainer.callbacks.initial_p=0.5",
    "--trainer.callbacks.interval=1",
    "--trainer.callbacks.speed_images=320",
    "--trainer.callbacks+=GeneratorEMA",
    "--trainer.callbacks.decay=0.9",
    "--trainer.callbacks+=HistoricalAveraging",
    "--trainer.callbacks.weight=0.01",
    "--trainer.callbacks+=MinibatchDiscrimination",
    "--trainer.callbacks.num_kernels=4",
    "--trainer.callbacks+=SpectralNorm",
    "--trainer.callbacks+=InstanceNoise",
    "--trainer.callbacks.anneal_steps=20",
]


def _callback(cli, kind):
    return next(cb for cb in cli.trainer.callbacks if isinstance(cb, kind))


def _same_state(a: object, b: object) -> bool:
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and torch.equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same_state(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same_state(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def test_stateful_tricks_resume_exactly(mnist_root: Path) -> None:
    total, stop_at = 11, 5  # stopped mid-epoch 0, finished in epoch 1
    args = [*TINY_MNIST, *STATEFUL_TRICKS]
    straight = fit(*args, f"--trainer.max_steps={total}", "--trainer.default_root_dir=straight")
    fit(*args, f"--trainer.max_steps={stop_at}", "--trainer.default_root_dir=resumed")
    resumed = fit(*args, f"--trainer.max_steps={total}", "--trainer.default_root_dir=resumed", "--ckpt_path=last")

    assert resumed.trainer.global_step == total
    weights = state_of(straight.model)
    assert any(k.startswith("generator_ema.") for k in weights)
    assert any(".minibatch.T" in k for k in weights) and any("parametrizations" in k for k in weights)
    assert_same_weights(weights, state_of(resumed.model))
    for opt_a, opt_b in zip(straight.trainer.optimizers, resumed.trainer.optimizers, strict=True):
        assert _same_state(opt_a.state_dict(), opt_b.state_dict())
    for kind in (ADA, ExperienceReplay, GeneratorEMA, HistoricalAveraging):
        assert _same_state(_callback(straight, kind).state_dict(), _callback(resumed, kind).state_dict()), kind
    assert _callback(straight, ADA).last_rt is not None  # p was adjusted along the way
    assert _callback(straight, ExperienceReplay).filled == 48
    assert _callback(resumed, GeneratorEMA).updates == total


def test_sample_works_on_a_run_whose_callbacks_changed_the_networks(
    fashion_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = fit(
        f"--config={TRICKS_CONFIG}",
        "--model.init_args.base_channels=4",
        "--data.init_args.batch_size=16",
        "--trainer.max_steps=2",
        "--trainer.limit_val_batches=1",
        "--trainer.callbacks+=SpectralNorm",
        "--trainer.callbacks.networks=[generator, discriminator]",
        "--trainer.callbacks+=MinibatchDiscrimination",
        "--trainer.callbacks.num_kernels=8",
        "--trainer.default_root_dir=run",
    )
    model = cli.model
    assert model.generator_ema is not None
    assert type(model.discriminator.head).__name__ == "MinibatchDiscriminationHead"
    assert Path("run/samples/progress.gif").is_file()
    ckpt = "run/checkpoints/last.ckpt"
    for extra, use_ema in (([], True), (["--no-ema"], False)):
        assert main(["sample", "--ckpt", ckpt, "--n", "6", "--seed", "3", "--out", "s.pt", *extra]) == 0
        expected = model.sample(6, generator=torch.Generator().manual_seed(3), use_ema=use_ema)
        assert torch.allclose(torch.load("s.pt"), expected, atol=1e-6)
    assert main(["sample", "--ckpt", ckpt, "--n", "4", "--out", "grid.png"]) == 0
    assert "lightgan: error" not in capsys.readouterr().err


def test_a_callback_missing_its_feature_fails_at_setup_listing_the_choices(
    mnist_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["fit", *TINY_MNIST, "--trainer.logger=false", "--trainer.enable_progress_bar=false"]
    code = main(
        [*args, "--trainer.max_steps=1", "--trainer.callbacks+=FeatureMatching", "--trainer.callbacks.layer=fc9"]
    )
    assert code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("lightgan: error: FeatureMatching layer 'fc9' is not a submodule of MLPDiscriminator.")
    assert "Valid layers: features, features.0, features.1" in error and error.endswith("head.")
    assert not Path("runs").exists() or not list(Path("runs").rglob("*.ckpt"))  # stopped before any training
