"""End to end: QualityMetrics during fit, ``lightgan evaluate`` and ``lightgan train-classifier``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from helpers import TINY_RING, assert_same_weights, fit, last_checkpoint, state_of

from lightgan.app.cli import main
from lightgan.errors import ConfigError
from lightgan.metrics import inception
from lightgan.monitors import QualityMetrics

# 320 samples / batch 32: 10 generator steps per epoch.
RING = [*TINY_RING, "--seed_everything=1", "--trainer.limit_val_batches=1"]
METRICS_CALLBACK = [
    "--trainer.callbacks+=QualityMetrics",
    "--trainer.callbacks.metrics=modes,fid",
    "--trainer.callbacks.num_samples=200",
]


def test_quality_metrics_log_each_epoch_and_checkpoint_the_best_fid(tmp_path: Path) -> None:
    cli = fit(
        *RING,
        *METRICS_CALLBACK,
        f"--trainer.callbacks.cache_dir={tmp_path / 'cache'}",
        "--trainer.callbacks+=ModelCheckpoint",
        "--trainer.callbacks.monitor=val/fid",
        "--trainer.callbacks.mode=min",
        "--trainer.callbacks.filename=best-{step}",
        "--trainer.max_steps=30",
        "--trainer.default_root_dir=run",
    )
    tracker = next(cb for cb in cli.trainer.callbacks if isinstance(cb, QualityMetrics))
    fids = [entry["fid"] for entry in tracker.history]
    assert [entry["step"] for entry in tracker.history] == [10, 20, 30]
    checkpoint = cli.trainer.checkpoint_callback
    assert float(checkpoint.best_model_score) == pytest.approx(min(fids))
    assert Path(checkpoint.best_model_path).name == f"best-step={10 * (fids.index(min(fids)) + 1)}.ckpt"
    assert cli.trainer.callback_metrics["val/modes_captured_floor"] == 8  # the validation split's own coverage

    records = sorted((tmp_path / "run" / "metrics").glob("*.json"))
    assert [p.name for p in records][-1] == "epoch=002-step=0000030.json"
    last = json.loads(records[-1].read_text())
    assert last["scores"]["fid"]["value"] == pytest.approx(fids[-1])
    setup = last["scores"]["fid"]
    assert (setup["computed_in"], setup["n_generated"], setup["n_real"], setup["split"]) == (
        "raw samples (2-d)",
        200,
        64,
        "val",
    )


def test_checkpointing_on_a_score_on_epochs_it_is_not_measured_fails_before_training(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="set the ModelCheckpoint's every_n_epochs to 2 \\(or a multiple of it\\)"):
        fit(
            *RING,
            *METRICS_CALLBACK,
            "--trainer.callbacks.every_n_epochs=2",
            "--trainer.callbacks+=ModelCheckpoint",
            "--trainer.callbacks.monitor=val/fid",
            "--trainer.max_steps=30",
        )


def test_measuring_during_training_does_not_change_the_trained_weights(tmp_path: Path) -> None:
    plain = fit(*RING, "--trainer.max_steps=20", "--trainer.default_root_dir=plain")
    measured = fit(
        *RING,
        *METRICS_CALLBACK,
        "--trainer.callbacks.every_n_steps=5",
        f"--trainer.callbacks.cache_dir={tmp_path / 'cache'}",
        "--trainer.max_steps=20",
        "--trainer.default_root_dir=measured",
    )
    tracker = next(cb for cb in measured.trainer.callbacks if isinstance(cb, QualityMetrics))
    assert [entry["step"] for entry in tracker.history] == [5, 10, 10, 15, 20, 20]  # steps and epoch ends
    assert_same_weights(state_of(plain.model), state_of(measured.model))


@pytest.fixture
def ring_checkpoint() -> Path:
    fit(*RING, "--trainer.max_steps=10", "--trainer.default_root_dir=ring")
    return last_checkpoint(Path("ring"))


def test_evaluate_prints_a_table_and_writes_json(ring_checkpoint: Path, tmp_path: Path, capsys) -> None:
    argv = ["evaluate", "--ckpt", str(ring_checkpoint), "--metrics", "modes,fid,kid,pr", "--n", "300"]
    argv += ["--kid-subsets", "5", "--no-progress", "--cache-dir", str(tmp_path / "cache")]
    assert main(argv) == 0  # the data comes from the run directory's config.yaml
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("metric"))
    assert header.split() == [
        "metric",
        "value",
        "real",
        "floor",
        "n",
        "gen",
        "n",
        "real",
        "vs",
        "split",
        "computed",
        "in",
    ]
    assert "modes_captured ↑" in out and "reverse_kl ↓" in out

    record = json.loads(ring_checkpoint.with_suffix(".metrics.json").read_text())
    modes = record["scores"]["modes_captured"]
    assert (modes["n_generated"], modes["n_real"], modes["split"], modes["real_floor"]) == (300, 64, "val", 8)
    assert record["reference"]["samples"] == "train split"
    assert set(record["scores"]) == {"modes_captured", "high_quality_pct", "reverse_kl", "fid", "kid", "precision"} | {
        "recall"
    }


def test_evaluate_without_inception_weights_or_network_fails_in_one_line(
    ring_checkpoint: Path, mnist_root: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    monkeypatch.setattr(inception, "weights_host_reachable", lambda timeout=3.0: False)
    config = tmp_path / "mnist.yaml"
    config.write_text(yaml.safe_dump({"data": {"class_path": "MNIST", "init_args": {"root": str(mnist_root)}}}))
    fit_mnist = ["--model=GAN", "--model.init_args.hidden_dims=[8]", f"--config={config}", "--trainer.max_steps=1"]
    fit(*fit_mnist, "--data.init_args.batch_size=32", "--trainer.default_root_dir=mnist")

    code = main(["evaluate", "--ckpt", "mnist/checkpoints/last.ckpt", "--metrics", "fid", "--features", "inception"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("lightgan: error: Inception weights are not available")


def test_evaluate_rejects_a_config_whose_data_does_not_fit_the_model(
    ring_checkpoint: Path, mnist_root: Path, tmp_path: Path, capsys
) -> None:
    config = tmp_path / "mnist.yaml"
    config.write_text(yaml.safe_dump({"data": {"class_path": "MNIST", "init_args": {"root": str(mnist_root)}}}))
    assert main(["evaluate", "--ckpt", str(ring_checkpoint), "--config", str(config)]) == 2
    assert "makes (2,) samples but the config's data is (1, 28, 28)" in capsys.readouterr().err


def test_domain_features_from_train_classifier(mnist_root: Path, tmp_path: Path, capsys) -> None:
    config = tmp_path / "mnist.yaml"
    config.write_text(yaml.safe_dump({"data": {"class_path": "MNIST", "init_args": {"root": "nowhere"}}}))
    root = f"--data.init_args.root={mnist_root}"
    argv = ["train-classifier", "--config", str(config), root, "--out", "clf.pt", "--epochs", "3"]
    assert main([*argv, "--width", "8", "--feature-dim", "32", "--batch-size", "32", "--no-progress"]) == 0
    assert "validation accuracy" in capsys.readouterr().out

    fit("--model=GAN", "--model.init_args.hidden_dims=[8]", f"--config={config}", root, "--trainer.max_steps=2")
    ckpt = next(Path("runs/mnist").glob("version_*/checkpoints/last.ckpt"))
    argv = ["evaluate", "--ckpt", str(ckpt), "--config", str(config), root, "--features", "domain:clf.pt"]
    argv += ["--metrics", "fid,is,classes", "--n", "24", "--no-progress", "--cache-dir", str(tmp_path / "cache")]
    with pytest.warns(UserWarning, match="FID from 24 samples of 32-d features is unreliable"):
        assert main(argv) == 0
    record = json.loads(ckpt.with_suffix(".metrics.json").read_text())
    assert record["scores"]["fid"]["computed_in"].startswith("domain classifier clf.pt (32-d, trained on MNIST)")
    assert 1 <= record["scores"]["classes_covered"]["value"] <= 10
    assert record["scores"]["classes_covered"]["real_floor"] >= 8  # 24 real test digits span most classes
    assert 1.0 <= record["scores"]["is"]["value"] <= 10.0
    assert any("unreliable" in note for note in record["notes"])
