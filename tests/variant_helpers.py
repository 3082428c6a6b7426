"""Small in-process training runs, probes and tiny image settings shared by the variant tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import lightning as L
import torch
from helpers import quiet_trainer
from torch import Tensor, nn
from trick_steps import run_d_step

from lightgan.core.hooks import DiscriminatorStep, GANCallback
from lightgan.data import MNIST, RingMixture

#: Keyword arguments for a tiny fully connected variant on 2-D data.
TINY_2D: dict[str, Any] = {"data_shape": (2,), "latent_dim": 2, "hidden_dims": (16, 16)}


def set_up_tricks(model: L.LightningModule) -> list[L.Callback]:
    """The tricks the variant brings along (``configure_callbacks``), set up on it as training would."""
    callbacks = list(model.configure_callbacks() or [])
    for callback in callbacks:
        callback.setup(None, model, "fit")
    return callbacks


def variant_discriminator_loss(model: Any, step: DiscriminatorStep) -> Tensor:
    """D's loss for ``step`` with the tricks the variant brings along (penalties), as in training."""
    return run_d_step(model, set_up_tricks(model), step).loss


def tiny_ring(num_samples: int = 192, val_samples: int = 40, batch_size: int = 16) -> RingMixture:
    return RingMixture(num_samples=num_samples, val_samples=val_samples, batch_size=batch_size)


def train(model: L.LightningModule, data: L.LightningDataModule, steps: int, *callbacks: L.Callback) -> L.Trainer:
    trainer = quiet_trainer(max_steps=steps, callbacks=list(callbacks))
    trainer.fit(model, data)
    return trainer


class RecordDiscriminatorSteps(GANCallback):
    """Keeps every discriminator step's context (after the loss is computed)."""

    def __init__(self) -> None:
        self.steps: list[DiscriminatorStep] = []

    def on_discriminator_loss(self, trainer, pl_module, step: DiscriminatorStep) -> None:
        self.steps.append(step)


class RecordInputs:
    """A forward pre-hook that keeps a copy of every input a network receives."""

    def __init__(self, net: nn.Module) -> None:
        self.inputs: list[Tensor] = []
        net.register_forward_pre_hook(lambda module, args: self.inputs.append(args[0].detach().clone()))


def hand_penalty(critic: Callable[[Tensor], Tensor], points: Tensor, pack: int = 1) -> Tensor:
    """E[(||grad critic(x)|| - 1)^2] over ``points``, one gradient norm per D input (a pack of samples)."""
    points = points.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(points).sum(), points)
    return ((grad.reshape(len(points) // pack, -1).norm(dim=1) - 1) ** 2).mean()


def tiny_images(root: Path, *, data: str = "MNIST", latent_dim: int = 8) -> list[str]:
    """CLI arguments for 16x16 fabricated images and 4-channel DCGAN-style networks."""
    return [
        f"--data={data}",
        f"--data.init_args.root={root}",
        "--data.init_args.image_size=16",
        "--data.init_args.batch_size=16",
        "--model.init_args.base_channels=4",
        f"--model.init_args.latent_dim={latent_dim}",
    ]


class UnlabelledDigits(MNIST):
    """The fabricated digits presented without labels, like an image folder with no classes."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.num_classes = 0


def image_batch(n: int = 6, num_classes: int = 3, seed: int = 0) -> dict[str, torch.Tensor]:
    """A batch as the datamodule delivers it: 16x16 images in [-1, 1] and class labels."""
    rng = torch.Generator().manual_seed(seed)
    return {
        "real": torch.rand(n, 1, 16, 16, generator=rng) * 2 - 1,
        "label": torch.randint(0, num_classes, (n,), generator=rng),
    }
