"""End to end through the installed example plugins in plugins/ (``make test`` installs them)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
import torch
import yaml
from helpers import fit, last_checkpoint

from lightgan.app import cli

EXAMPLES = ("lightgan-relativistic", "lightgan-toybox")


def _missing() -> list[str]:
    missing = []
    for name in EXAMPLES:
        try:
            version(name)
        except PackageNotFoundError:
            missing.append(name)
    return missing


pytestmark = pytest.mark.skipif(
    bool(_missing()),
    reason=f"example plugins not installed ({', '.join(_missing())}): `make test` installs them, or "
    "pip install --no-deps --no-build-isolation -e plugins/<name>",
)

PINWHEEL = [
    "--data.init_args.num_samples=96",
    "--data.init_args.val_samples=32",
    "--data.init_args.batch_size=32",
    "--trainer.limit_val_batches=0",
]


def test_plugins_command_lists_the_examples(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["plugins", "--plain", "--check"]) == 0
    rows = {line.split()[1]: line.split(maxsplit=5) for line in capsys.readouterr().out.splitlines()[1:]}
    expected = {
        "RelativisticGAN": ("model", "lightgan-relativistic"),
        "relativistic": ("loss", "lightgan-relativistic"),
        "relativistic_average": ("loss", "lightgan-relativistic"),
        "Pinwheel": ("datamodule", "lightgan-toybox"),
        "DiscriminatorAccuracy": ("callback", "lightgan-toybox"),
    }
    for name, (kind, dist) in expected.items():
        assert rows[name][0] == kind
        assert rows[name][3:] == [dist, version(dist), "ok"]


def test_short_names_from_two_plugins_in_one_run() -> None:
    run = fit(
        "--model=RelativisticGAN",
        "--model.init_args.loss=relativistic_average",
        "--model.init_args.latent_dim=2",
        "--model.init_args.hidden_dims=[8]",
        "--data=Pinwheel",
        *PINWHEEL,
        "--trainer.callbacks+=DiscriminatorAccuracy",
        "--trainer.log_every_n_steps=1",
        "--trainer.max_steps=2",
    )
    assert type(run.model).__module__ == "lightgan_relativistic.model"
    assert type(run.model.loss).__name__ == "RelativisticAverageLoss"
    assert type(run.datamodule).__name__ == "Pinwheel"
    assert 0.0 <= run.trainer.callback_metrics["train/d_auc"].item() <= 1.0
    assert run.trainer.global_step == 2


def test_full_class_paths_in_yaml_train_and_sample_back(capsys: pytest.CaptureFixture[str]) -> None:
    config = {
        "trainer": {"callbacks": [{"class_path": "lightgan_toybox.accuracy.DiscriminatorAccuracy"}]},
        "model": {
            "class_path": "lightgan_relativistic.RelativisticGAN",
            "init_args": {"loss": "lightgan_relativistic.losses.RelativisticLoss", "latent_dim": 2, "hidden_dims": [8]},
        },
        "data": {"class_path": "lightgan_toybox.Pinwheel", "init_args": {"num_samples": 96, "batch_size": 32}},
    }
    Path("plugins.yaml").write_text(yaml.safe_dump(config))
    run = fit("--config=plugins.yaml", "--trainer.limit_val_batches=0", "--trainer.max_steps=2")
    assert type(run.model.loss).__name__ == "RelativisticLoss"

    ckpt = last_checkpoint(Path(run.trainer.default_root_dir))
    assert cli.main(["sample", "--ckpt", str(ckpt), "--n", "5", "--out", "samples.pt"]) == 0
    assert torch.load("samples.pt").shape == (5, 2)
