"""End-to-end through the `lightgan` command, training a few steps on tiny shapes."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest
import torch
import yaml
from helpers import NO_LOGGER, QUIET, TINY_RING, fit

from lightgan.app.cli import main
from lightgan.app.run_dir import next_version_dir, requeued_run_dir

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def run(*args: str) -> int:
    return main(list(args))


def test_top_level_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("--help") == 0
    out = capsys.readouterr().out
    for command in ("fit", "validate", "test", "predict", "sample"):
        assert f"\n  {command} " in out


def test_fit_help_lists_registered_models_and_datamodules(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run("fit", "--help")
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    listed = out.split("Registered models (--model): ", 1)[1].split("Registered", 1)[0]
    assert {"DCGAN", "GAN"} <= {name.strip() for name in listed.replace("\n", " ").split(",")}
    assert "FashionMNIST" in out and "RingMixture" in out and "LabelSmoothing" in out
    for kind in ("models", "datamodules", "callbacks", "losses"):  # each list is a paragraph of its own
        assert re.search(rf"^Registered {kind} ", out, re.MULTILINE), kind


def test_print_config_shows_the_resolved_config(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        run("fit", "--config", str(CONFIGS / "dcgan_mnist.yaml"), "--print_config")
    config = yaml.safe_load(capsys.readouterr().out)
    assert config["model"]["class_path"] == "lightgan.models.DCGAN"
    assert config["model"]["init_args"]["n_critic"] == 1  # base-class defaults are part of it
    assert config["data"]["init_args"]["batch_size"] == 128
    assert config["trainer"]["logger"]["class_path"] == "lightgan.app.loggers.WandbAutoModeLogger"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--model=DCGANN", "--data=MNIST"],
            r"Unknown model 'DCGANN'. Did you mean 'DCGAN'\? Registered models: .*DCGAN",
        ),
        (["--model=GAN", "--data=Ring"], "Unknown datamodule 'Ring'. .*Registered datamodules: .*RingMixture"),
        (["--model=lightgan.models.Nope", "--data=MNIST"], "Cannot import 'lightgan.models.Nope'"),
        ([*TINY_RING, "--model.init_args.latent_dim=0"], "latent_dim must be a positive integer, got 0"),
        ([*TINY_RING, "--model.init_args.n_critic=0"], "n_critic must be an integer >= 1"),
        (["--model=DCGAN", "--data=MNIST", "--data.init_args.image_size=30"], "DCGAN cannot produce 30x30 images"),
        (
            ["--model=GAN", "--data=MNIST", "--data.init_args.root=missing", "--data.init_args.download=false"],
            "MNIST not found: missing/MNIST/raw lacks the IDX files",
        ),
        ([*TINY_RING, "--ckpt_path=last"], "no checkpoint to resume under runs/gan_ringmixture"),
    ],
)
def test_bad_input_fails_before_training_with_one_line(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("fit", *QUIET, *NO_LOGGER, "--trainer.max_steps=1", *args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("lightgan: error: ")
    import re

    assert re.search(message, err[-1]), err[-1]
    assert not list(Path("runs").glob("*/*/checkpoints/*.ckpt"))


def test_runs_are_versioned_and_last_resumes_the_newest(tmp_path: Path) -> None:
    first = fit(*TINY_RING, "--trainer.max_steps=2")
    second = fit(*TINY_RING, "--trainer.max_steps=2")
    assert first.run_dir == Path("runs/gan_ringmixture/version_0")
    assert second.run_dir == Path("runs/gan_ringmixture/version_1")
    resumed = fit(*TINY_RING, "--trainer.max_steps=4", "--ckpt_path=last")
    assert resumed.run_dir == second.run_dir and resumed.trainer.global_step == 4
    assert (second.run_dir / "config.yaml").is_file()
    assert sorted(p.name for p in (second.run_dir / "samples").glob("*.png"))


def test_resuming_through_a_differently_spelled_path_keeps_last_ckpt_current(tmp_path: Path) -> None:
    first = fit(*TINY_RING, "--trainer.max_steps=2")
    absolute = (tmp_path / first.run_dir / "checkpoints" / "last.ckpt").resolve()
    resumed = fit(*TINY_RING, "--trainer.max_steps=4", f"--ckpt_path={absolute}")
    assert resumed.trainer.global_step == 4
    assert [p.name for p in (first.run_dir / "checkpoints").glob("last*.ckpt")] == ["last.ckpt"]
    assert torch.load(absolute, weights_only=False)["global_step"] == 4


def test_config_yaml_reruns_as_a_new_version(tmp_path: Path) -> None:
    first = fit(*TINY_RING, "--trainer.max_steps=2")
    saved = yaml.safe_load((first.run_dir / "config.yaml").read_text())
    assert saved["trainer"]["default_root_dir"] is None and saved["ckpt_path"] is None
    checkpoint = first.run_dir / "checkpoints" / "last.ckpt"
    before = checkpoint.stat().st_mtime_ns
    again = fit(f"--config={first.run_dir / 'config.yaml'}", "--trainer.max_steps=2")
    assert again.run_dir == first.run_dir.parent / "version_1" and checkpoint.stat().st_mtime_ns == before


def test_a_requeued_slurm_job_continues_the_run_with_the_hpc_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = tmp_path / "runs" / "x"
    for n in range(3):
        (base / f"version_{n}").mkdir(parents=True)
    (base / "version_1" / "hpc_ckpt_1.ckpt").touch()
    assert requeued_run_dir(base) is None  # a first launch
    monkeypatch.setenv("SLURM_RESTART_COUNT", "1")
    assert requeued_run_dir(base) == base / "version_1"


def test_runs_started_together_claim_different_versions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert [next_version_dir(tmp_path / "runs" / "x").name for _ in range(3)] == ["version_0", "version_1", "version_2"]
    monkeypatch.setenv("SLURM_PROCID", "3")  # another process of a run that srun started
    assert next_version_dir(tmp_path / "runs" / "x").name == "version_3"
    assert not (tmp_path / "runs" / "x" / "version_3").exists()


def test_an_lr_scheduler_from_the_command_line_steps_both_optimizers() -> None:
    scheduler = '{"class_path": "torch.optim.lr_scheduler.StepLR", "init_args": {"step_size": 1, "gamma": 0.5}}'
    cli = fit(*TINY_RING, "--trainer.max_steps=3", f"--model.init_args.lr_scheduler={scheduler}")
    schedulers = [config.scheduler for config in cli.trainer.lr_scheduler_configs]
    assert [s.last_epoch for s in schedulers] == [3, 3]
    assert [s.get_last_lr()[0] for s in schedulers] == pytest.approx([2e-4 / 8, 2e-4 / 8])


TINY_OVERRIDES = {
    "gan_mnist.yaml": ["--model.init_args.hidden_dims=[16, 16]"],
    "dcgan_mnist.yaml": ["--model.init_args.base_channels=4"],
    "dcgan_fashion_mnist.yaml": ["--model.init_args.base_channels=4"],
    "dcgan_cifar10.yaml": ["--model.init_args.base_channels=4"],
    "gan_ring.yaml": ["--data.init_args.num_samples=400", "--data.init_args.val_samples=100"],
    "gan_grid.yaml": ["--data.init_args.num_samples=400", "--data.init_args.val_samples=100"],
}


@pytest.mark.parametrize("config", sorted(TINY_OVERRIDES))
def test_every_config_trains(config: str, mnist_root: Path, fashion_root: Path, cifar_root: Path) -> None:
    data_args = (
        []
        if "ring" in config or "grid" in config
        else ["--data.init_args.download=false", "--data.init_args.batch_size=16"]
    )
    if "fashion" in config:
        data_args.append("--data.init_args.debian_root=absent")
    cli = fit(
        "--config",
        str(CONFIGS / config),
        *TINY_OVERRIDES[config],
        *data_args,
        "--trainer.max_steps=3",
        "--trainer.limit_val_batches=1",
    )
    assert cli.trainer.global_step == 3
    images = sorted((cli.run_dir / "samples").glob("*.png"))
    assert images, "a sample picture is saved when training ends"
    assert (cli.run_dir / "checkpoints" / "last.ckpt").is_file()


def test_gan_mnist_has_the_classic_architecture(mnist_root: Path) -> None:
    cli = fit("--config", str(CONFIGS / "gan_mnist.yaml"), "--data.init_args.download=false", "--trainer.max_steps=1")
    linear = [m for m in cli.model.generator.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linear] == [(100, 500), (500, 500), (500, 784)]
    linear = [m for m in cli.model.discriminator.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linear] == [(784, 500), (500, 500), (500, 1)]


def test_data_shape_and_classes_are_linked_into_the_model(cifar_root: Path) -> None:
    cli = fit(
        "--model=DCGAN",
        "--model.init_args.base_channels=4",
        "--data=CIFAR10",
        "--data.init_args.download=false",
        "--data.init_args.batch_size=8",
        "--trainer.max_steps=1",
        "--trainer.limit_val_batches=0",
    )
    assert cli.model.data_shape == (3, 32, 32) and cli.model.num_classes == 10
    assert cli.model.sample(2).shape == (2, 3, 32, 32)


def test_validate_test_and_predict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trained = fit(*TINY_RING, "--trainer.max_steps=2")
    ckpt = str(trained.run_dir / "checkpoints" / "last.ckpt")
    for command in ("validate", "test"):
        assert run(command, *QUIET, *NO_LOGGER, *TINY_RING, f"--ckpt_path={ckpt}") == 0
    assert (
        run("predict", *QUIET, *NO_LOGGER, *TINY_RING, f"--ckpt_path={ckpt}", "--data.init_args.predict_size=40") == 0
    )
    predictions = trained.run_dir / "predictions"
    assert torch.load(predictions / "samples.pt").shape == (40, 2)
    assert (predictions / "samples.png").is_file()
    assert (
        f"wrote 40 samples to {predictions / 'samples.pt'} and {predictions / 'samples.png'}" in capsys.readouterr().out
    )


def test_a_runs_config_is_written_once_by_fit_and_still_runs_fit_afterwards() -> None:
    trained = fit(*TINY_RING, "--trainer.max_steps=2")
    config = trained.run_dir / "config.yaml"
    written = config.read_text()
    ckpt = str(trained.run_dir / "checkpoints" / "last.ckpt")
    for command in ("validate", "test"):
        assert run(command, *QUIET, *NO_LOGGER, "--config", str(config), f"--ckpt_path={ckpt}") == 0
    assert run("predict", *QUIET, *NO_LOGGER, "--config", str(config), f"--ckpt_path={ckpt}") == 0
    resumed = fit("--config", str(config), "--trainer.max_steps=3", "--ckpt_path=last")
    assert resumed.run_dir == trained.run_dir and resumed.trainer.global_step == 3
    assert config.read_text() == written
    again = fit("--config", str(config), "--trainer.max_steps=1")  # a new version of the same run
    assert again.run_dir.parent == trained.run_dir.parent and again.trainer.global_step == 1


def test_csv_logger_is_a_one_line_swap() -> None:
    cli = fit(
        *TINY_RING,
        "--trainer.max_steps=4",
        "--trainer.log_every_n_steps=1",
        "--trainer.logger=CSVLogger",
        "--trainer.logger.save_dir=runs/csv",
        logger=True,
    )
    metrics = Path(cli.trainer.logger.log_dir) / "metrics.csv"
    text = metrics.read_text()
    assert "train/g_loss" in text and "train/d_loss" in text


def test_bf16_mixed_precision_with_gradient_clipping() -> None:
    cli = fit(
        *TINY_RING,
        "--trainer.max_steps=3",
        "--trainer.precision=bf16-mixed",
        "--model.init_args.gradient_clip_val_d=0.5",
        "--model.init_args.n_critic=2",
    )
    assert cli.trainer.global_step == 3
    assert all(torch.isfinite(p).all() for p in cli.model.parameters())


def test_progress_bar_counts_generator_steps_and_names_max_steps() -> None:
    from lightgan.app.progress import GANProgressBar

    # 640 training samples / 32 = 20 batches: 10 steps of n_critic = 2 batches per epoch
    ring = ["--data.init_args.num_samples=640", "--data.init_args.val_samples=64", "--data.init_args.batch_size=32"]
    cli = fit(
        *TINY_RING,
        *ring,
        "--model.init_args.n_critic=2",
        "--trainer.max_steps=12",
        "--trainer.enable_progress_bar=true",
    )
    bar = cli.trainer.progress_bar_callback
    assert isinstance(bar, GANProgressBar)
    assert cli.trainer.num_training_batches == 10
    task = bar.progress.tasks[bar.train_progress_bar_id]
    assert (task.completed, task.total) == (2, 2)  # the second epoch runs to step 12: two generator steps
    assert "(to step 12)" in task.description and "-2" not in task.description
    bounded = fit(*TINY_RING, *ring, "--trainer.max_epochs=2", "--trainer.enable_progress_bar=true")
    assert bounded.trainer.progress_bar_callback._get_train_description(1).strip() == "Epoch 1/1"


def test_a_second_config_that_replaces_the_callbacks_says_what_it_drops(tmp_path: Path) -> None:
    from lightgan.tricks import GeneratorEMA, InstanceNoise

    first, replacing, adding = (tmp_path / name for name in ("first.yaml", "replacing.yaml", "adding.yaml"))
    first.write_text("trainer:\n  callbacks:\n    - GeneratorEMA\n    - class_path: InstanceNoise\n")
    replacing.write_text("trainer:\n  callbacks:\n    - LabelSmoothing\n")
    adding.write_text("trainer:\n  callbacks+:\n    - LabelSmoothing\n")
    steps = ("--trainer.max_steps=1", "--trainer.limit_val_batches=0")
    with pytest.warns(UserWarning, match=r"replaces the list from .*first\.yaml, dropping GeneratorEMA, InstanceNoise"):
        replaced = fit(*TINY_RING, f"--config={first}", f"--config={replacing}", *steps)
    assert not any(isinstance(cb, GeneratorEMA | InstanceNoise) for cb in replaced.trainer.callbacks)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        added = fit(*TINY_RING, f"--config={first}", f"--config={adding}", *steps)
    assert not [w for w in caught if "replaces the list" in str(w.message)]
    names = {type(cb).__name__ for cb in added.trainer.callbacks}
    assert {"GeneratorEMA", "InstanceNoise", "LabelSmoothing"} <= names
