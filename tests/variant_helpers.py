"""Small in-process training runs and probes shared by the variant tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import lightning as L
import torch
from torch import Tensor, nn

from lightgan.data import RingMixture
from lightgan.hooks import DiscriminatorStep, GANCallback

#: Keyword arguments for a tiny fully connected variant on 2-D data.
TINY_2D: dict[str, Any] = {"data_shape": (2,), "latent_dim": 2, "hidden_dims": (16, 16)}


def tiny_ring(num_samples: int = 192, val_samples: int = 40, batch_size: int = 16) -> RingMixture:
    return RingMixture(num_samples=num_samples, val_samples=val_samples, batch_size=batch_size)


def train(model: L.LightningModule, data: L.LightningDataModule, steps: int, *callbacks: L.Callback) -> L.Trainer:
    trainer = L.Trainer(
        max_steps=steps,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        callbacks=list(callbacks),
    )
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


def hand_penalty(critic: Callable[[Tensor], Tensor], points: Tensor) -> Tensor:
    """E[(||grad critic(x)|| - 1)^2] over ``points``, one gradient norm per sample."""
    points = points.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(points).sum(), points)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()
