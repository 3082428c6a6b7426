"""Every config parses, and every variant's config trains a few steps through the real CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml
from helpers import fit, last_checkpoint

from lightgan.app.cli import run_lightning
from lightgan.core.checkpoint import load_gan

CONFIGS = Path(__file__).resolve().parents[1] / "configs"

TINY_2D = [
    "--data.init_args.num_samples=500",  # wgan_gp_grid: one step takes n_critic=5 batches of 100
    "--data.init_args.val_samples=40",
    "--model.init_args.hidden_dims=[16, 16]",
    "--model.init_args.discriminator_hidden_dims=[8, 8]",
]
TINY_IMAGES = ["--model.init_args.base_channels=4", "--data.init_args.batch_size=8", "--data.init_args.image_size=16"]

# config -> (variant it builds, data fixture, tiny overrides, what it must have set)
RUNS = {
    "gan_ring": ("GAN", None, TINY_2D, {"pack": 1}),
    "gan_grid": ("GAN", None, TINY_2D, {"pack": 1}),
    "pacgan2_ring": ("GAN", None, TINY_2D, {"pack": 2}),
    "pacgan2_ring_ema_decay": ("GAN", None, TINY_2D, {"pack": 2}),
    "pacgan2_grid": ("GAN", None, TINY_2D, {"pack": 2}),
    "pacgan4_grid": ("GAN", None, TINY_2D, {"pack": 4}),
    "unrolled_ring": ("UnrolledGAN", None, TINY_2D, {"unroll_steps": 5}),
    "wgan_gp_grid": ("WGANGP", None, TINY_2D, {"n_critic": 5, "gp_weight": 10.0}),
    "wgan_gp_grid_authors": (
        "WGANGP",
        None,
        [*TINY_2D, "--data.init_args.batch_size=50"],
        {"gp_weight": 0.1, "betas_d": [0.5, 0.9], "discriminator_activation": "relu", "init": "kaiming_uniform"},
    ),
    "wgan_mnist": ("WGAN", "mnist_root", TINY_IMAGES, {"n_critic": 5, "clip_value": 0.01, "critic_schedule": "bursts"}),
    "wgan_gp_cifar10": ("WGANGP", "cifar_root", TINY_IMAGES, {"n_critic": 5, "gp_weight": 10.0}),
    "lsgan_mnist": ("LSGAN", "mnist_root", TINY_IMAGES, {}),
    "infogan_mnist_authors": (
        "InfoGAN",
        "mnist_root",
        TINY_IMAGES,
        {"network": "authors", "noise": "uniform", "continuous_info_weight": 1.0},
    ),
    "sngan_cifar10": ("SNGAN", "cifar_root", TINY_IMAGES, {}),
    "sngan_resnet_fashion_mnist": ("SNGAN", "fashion_root", TINY_IMAGES, {"architecture": "resnet", "n_critic": 5}),
    "sagan_fashion_mnist": (
        "SAGAN",
        "fashion_root",
        [*TINY_IMAGES, "--model.init_args.attention_resolution=8"],
        {"lr_d": 4e-4},
    ),
    "stylegan_fashion_mnist": (
        "StyleGAN",
        "fashion_root",
        [*TINY_IMAGES, "--model.init_args.max_channels=16", "--model.init_args.latent_dim=8"],
        {"style_mode": "modulated", "mixing_prob": 0.9, "r1_every": 16, "r1_gamma": 0.01, "w_dim": 128},
    ),
    "progan_fashion_mnist": (
        "ProGAN",
        "fashion_root",
        [*TINY_IMAGES, "--model.init_args.resolutions=[4, 8, 16]", "--model.init_args.latent_dim=8"],
        {"fade_images": 9600, "stable_images": 9600, "lr_g": 1e-3, "betas_d": [0.0, 0.99], "drift_weight": 0.001},
    ),
    "dragan_mnist": ("DRAGAN", "mnist_root", TINY_IMAGES, {"penalty_weight": 10.0}),
    "madgan_ring": ("MADGAN", None, TINY_2D, {"num_generators": 4}),
    "madgan_fashion_mnist": ("MADGAN", "fashion_root", TINY_IMAGES, {"num_generators": 4}),
    "mgan_grid": ("MGAN", None, TINY_2D, {"num_generators": 4, "beta": 0.125}),
    "mgan_fashion_mnist": ("MGAN", "fashion_root", TINY_IMAGES, {"share_generator_layers": True}),
    "gman_ring": ("GMAN", None, TINY_2D, {"num_discriminators": 5, "combination": "mean"}),
    "dropout_gan_grid": ("DropoutGAN", None, TINY_2D, {"num_discriminators": 5, "p": 0.5}),
    "d2gan_ring": ("D2GAN", None, TINY_2D, {"alpha": 1.0, "beta": 1.0}),
    "egan_ring": ("EGAN", None, TINY_2D, {"population_size": 1, "gamma": 0.1}),
    "fgan_grid": ("GAN", None, TINY_2D, {"loss": "f_kl"}),
    "fgan_fashion_mnist": ("DCGAN", "fashion_root", TINY_IMAGES, {"loss": "f_kl"}),
    "srgan_photos": (
        "SRGAN",
        None,
        [
            "--data.init_args.base.init_args.crop_size=16",
            "--data.init_args.base.init_args.train_crops=32",
            "--data.init_args.base.init_args.val_crops=4",
            "--data.init_args.batch_size=4",
            "--model.init_args.base_channels=4",
            "--model.init_args.blocks=1",
        ],
        {"scale": 4},
    ),
}


@pytest.mark.parametrize("config", sorted(p.name for p in CONFIGS.glob("*.yaml")))
def test_config_parses(config: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run_lightning(["fit", "--config", str(CONFIGS / config), "--print_config"])
    assert exit_info.value.code in (None, 0)
    assert "class_path: lightgan.models." in capsys.readouterr().out


@pytest.mark.parametrize("config", list(RUNS))
def test_config_trains_through_the_cli(config: str, request: pytest.FixtureRequest) -> None:
    variant, data_fixture, overrides, settings = RUNS[config]
    if data_fixture:
        request.getfixturevalue(data_fixture)  # fabricated files where the config's root "data" points
    steps = ["--trainer.max_steps=2", "--trainer.limit_val_batches=1"]
    cli = fit("--config", str(CONFIGS / f"{config}.yaml"), *overrides, *steps)
    model = cli.model
    assert type(model).__name__ == variant and cli.trainer.global_step == 2
    for key, value in settings.items():
        assert model.hparams[key] == value, key
    assert all(torch.isfinite(p).all() for p in model.generator.parameters())


def test_lsgan_targets_survive_a_checkpoint(mnist_root: Path) -> None:
    cli = fit(
        "--config", str(CONFIGS / "lsgan_mnist.yaml"), *TINY_IMAGES, "--trainer.max_steps=1",
        "--model.init_args.a=-1", "--model.init_args.c=0",
    )  # fmt: skip
    model = load_gan(last_checkpoint(cli.run_dir))
    assert type(model).__name__ == "LSGAN"
    assert (model.loss.a, model.loss.b, model.loss.c) == (-1.0, 1.0, 0.0)


@pytest.mark.parametrize("name", ["pacgan2_ring", "pacgan2_ring_ema_decay", "pacgan2_grid", "pacgan4_grid"])
def test_pacgan_configs_give_d_100_packs_a_step_as_the_paper(name: str) -> None:
    config = yaml.safe_load((CONFIGS / f"{name}.yaml").read_text())
    pack, data = config["model"]["init_args"]["pack"], config["data"]["init_args"]
    assert data["batch_size"] == 100 * pack
    assert data["num_samples"] // data["batch_size"] == 1000  # an epoch is 1,000 generator steps, as for the GAN


def test_the_ring_recipe_config_averages_g_decays_the_lr_and_measures_modes() -> None:
    cli = fit(
        "--config", str(CONFIGS / "pacgan2_ring_ema_decay.yaml"), *TINY_2D, "--trainer.max_steps=4",
        "--model.init_args.lr_scheduler.init_args.total_iters=4", "--trainer.callbacks.every_n_steps=2",
        "--trainer.callbacks.num_samples=200", "--trainer.limit_val_batches=1",
    )  # fmt: skip
    model = cli.model
    assert model.generator_ema is not None
    assert [opt.param_groups[0]["lr"] for opt in model.optimizers()] == pytest.approx([1e-6, 1e-6])  # 1 % of 1e-4
    logged = cli.trainer.callback_metrics
    assert {"val/modes_captured", "val/high_quality_pct", "val/reverse_kl"} <= set(logged)
