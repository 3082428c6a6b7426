"""DiscriminatorAccuracy: hand-computed accuracies, nothing else changed, logged through a real run."""

from __future__ import annotations

import pytest
import torch
from lightgan.api import DiscriminatorStep, registry, run_lightning

from lightgan_toybox import DiscriminatorAccuracy
from lightgan_toybox.accuracy import ranking_accuracy


def step_with(real_out: list[float], fake_out: list[float]) -> DiscriminatorStep:
    real, fake = torch.zeros(len(real_out), 2), torch.ones(len(fake_out), 2)
    step = DiscriminatorStep(batch={"real": real}, real=real, fake=fake)
    step.real_out, step.fake_out = torch.tensor(real_out), torch.tensor(fake_out)
    step.loss = torch.tensor(0.7)
    return step


def test_registered_as_a_callback() -> None:
    assert registry.find("callback", "DiscriminatorAccuracy").distribution == "lightgan-toybox"


def test_accuracies_match_a_hand_count() -> None:
    step = step_with([2.0, -1.0, 0.5], [-2.0, 1.0])
    DiscriminatorAccuracy(threshold=0.0).on_discriminator_loss(None, None, step)
    # pairs ranked correctly: (2,-2) (2,1) (-1,-2) (0.5,-2) -> 4 of 6
    assert step.logs["train/d_auc"].item() == pytest.approx(4 / 6)
    assert step.logs["train/d_acc_real"].item() == pytest.approx(2 / 3)
    assert step.logs["train/d_acc_fake"].item() == pytest.approx(1 / 2)
    assert step.loss.item() == pytest.approx(0.7)  # a diagnostic: the loss is untouched


def test_ties_count_half_and_threshold_moves_the_split() -> None:
    assert ranking_accuracy(torch.tensor([1.0]), torch.tensor([1.0])).item() == 0.5
    step = step_with([0.6, 0.4], [0.2, 0.7])
    DiscriminatorAccuracy(threshold=0.5).on_discriminator_loss(None, None, step)
    assert step.logs["train/d_acc_real"].item() == 0.5
    assert step.logs["train/d_acc_fake"].item() == 0.5


def test_outputs_missing_means_nothing_logged() -> None:
    step = step_with([1.0], [0.0])
    step.real_out = None
    DiscriminatorAccuracy().on_discriminator_loss(None, None, step)
    assert step.logs == {}


def test_logged_during_training_through_the_cli() -> None:
    cli = run_lightning(
        [
            "fit",
            "--trainer.enable_progress_bar=false",
            "--trainer.enable_model_summary=false",
            "--trainer.accelerator=cpu",
            "--trainer.logger=false",
            "--trainer.limit_val_batches=0",
            "--model=GAN",
            "--model.init_args.latent_dim=2",
            "--model.init_args.hidden_dims=[8]",
            "--data=Pinwheel",
            "--data.init_args.num_samples=96",
            "--data.init_args.batch_size=32",
            "--trainer.callbacks+=DiscriminatorAccuracy",
            "--trainer.max_steps=2",
            "--trainer.log_every_n_steps=1",
            "--trainer.default_root_dir=run",
        ]
    )
    assert any(isinstance(cb, DiscriminatorAccuracy) for cb in cli.trainer.callbacks)
    metrics = cli.trainer.callback_metrics
    for key in ("train/d_auc", "train/d_acc_real", "train/d_acc_fake"):
        assert 0.0 <= metrics[key].item() <= 1.0
