"""RelativisticGAN: registered by entry point, judged against real data in the G step, trainable through the CLI."""

from __future__ import annotations

import lightning as L
import pytest
import torch
from lightgan.api import ConfigError, GeneratorStep, registry, run_lightning

from lightgan_relativistic import RelativisticAverageLoss, RelativisticGAN, RelativisticLoss

QUIET = [
    "--trainer.enable_progress_bar=false",
    "--trainer.enable_model_summary=false",
    "--trainer.accelerator=cpu",
    "--trainer.logger=false",
    "--trainer.num_sanity_val_steps=0",
]
TINY_RING = [
    "--data=RingMixture",
    "--data.init_args.num_samples=64",
    "--data.init_args.val_samples=32",
    "--data.init_args.batch_size=32",
]


def test_entry_points_are_registered() -> None:
    model = registry.find("model", "RelativisticGAN")
    assert (model.distribution, model.class_path) == (
        "lightgan-relativistic",
        "lightgan_relativistic.model.RelativisticGAN",
    )
    assert registry.load("loss", "relativistic") is RelativisticLoss
    assert registry.load("loss", "relativistic_average") is RelativisticAverageLoss


def test_generator_loss_sees_the_real_batch() -> None:
    torch.manual_seed(0)
    model = RelativisticGAN(data_shape=(2,), latent_dim=2, hidden_dims=(8,))
    z = torch.randn(6, 2)
    fake = model.generate(z)

    def g_loss(real: torch.Tensor) -> torch.Tensor:
        return model.generator_loss(GeneratorStep(batch={"real": real}, z=z, fake=fake))

    real = torch.randn(6, 2)
    d_real, d_fake = model.discriminator(real), model.discriminator(fake)
    expected = RelativisticAverageLoss().generator_loss(d_fake, d_real)
    assert torch.allclose(g_loss(real), expected)
    # a standard GAN's generator loss ignores the real batch; this one does not
    assert not torch.allclose(g_loss(real), g_loss(real + 3.0))


def test_dcgan_networks_for_images_and_mlp_for_vectors() -> None:
    images = RelativisticGAN(data_shape=(1, 16, 16), latent_dim=8, base_channels=4)
    assert images.sample(2).shape == (2, 1, 16, 16)
    assert type(images.discriminator).__name__ == "DCGANDiscriminator"
    assert type(RelativisticGAN(data_shape=(2,), latent_dim=2).generator).__name__ == "MLPGenerator"
    with pytest.raises(ConfigError, match="architecture: mlp"):
        RelativisticGAN(data_shape=(2,), architecture="dcgan")


def test_training_moves_both_networks() -> None:
    L.seed_everything(0)
    model = RelativisticGAN(data_shape=(2,), latent_dim=2, hidden_dims=(16, 16), loss="relativistic")
    before = {k: v.clone() for k, v in model.state_dict().items()}
    data = registry.load("datamodule", "RingMixture")(num_samples=128, val_samples=32, batch_size=32)
    trainer = L.Trainer(
        max_steps=3,
        logger=False,
        enable_progress_bar=False,
        enable_checkpointing=False,
        enable_model_summary=False,
        limit_val_batches=0,
        accelerator="cpu",
    )
    trainer.fit(model, data)
    moved = {k.split(".")[0] for k, v in model.state_dict().items() if not torch.equal(v, before[k])}
    assert {"generator", "discriminator"} <= moved
    assert trainer.global_step == 3


def test_cli_selects_model_and_loss_by_short_name_and_validates() -> None:
    cli = run_lightning(
        [
            "fit",
            *QUIET,
            "--model=RelativisticGAN",
            "--model.init_args.loss=relativistic",
            "--model.init_args.latent_dim=2",
            "--model.init_args.hidden_dims=[16, 16]",
            *TINY_RING,
            "--trainer.max_epochs=1",
            "--trainer.default_root_dir=run",
        ]
    )
    assert isinstance(cli.model, RelativisticGAN)
    assert isinstance(cli.model.loss, RelativisticLoss)
    assert cli.trainer.global_step == 2  # 64 samples in batches of 32
    # validation judges fixed fakes against held-out reals with the same relativistic objective
    assert torch.isfinite(cli.trainer.callback_metrics["val/g_loss"])


def test_relativistic_losses_work_with_builtin_variants() -> None:
    cli = run_lightning(
        [
            "fit",
            *("--model=GAN", "--model.init_args.loss=relativistic", "--model.init_args.latent_dim=2"),
            *("--model.init_args.hidden_dims=[8]", "--data=RingMixture", "--data.init_args.num_samples=200"),
            *("--trainer.max_steps=2", "--trainer.logger=false", "--trainer.enable_progress_bar=false"),
        ]
    )
    assert cli.trainer.global_step == 2
