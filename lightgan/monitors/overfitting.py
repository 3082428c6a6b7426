"""Discriminator overfitting signal: D's output on real training images vs held-out real images.

When D memorises the training set, its outputs on training reals keep rising while those on
unseen reals fall toward its outputs on fakes; that gap is what ADA (Karras et al., 2020)
measures as ``r_v``, and ``r_t = E[sign(D(x_train))]`` is the cheaper estimate ADA adapts to.
"""

from __future__ import annotations

from typing import Any

import lightning as L
import torch
from torch import Tensor

from lightgan.core.hooks import DiscriminatorStep, GANCallback
from lightgan.core.module import GANModule
from lightgan.errors import ConfigError
from lightgan.nets.buffers import scratch_buffers


class _Mean:
    """A running mean kept on the device (no synchronisation until read)."""

    def __init__(self) -> None:
        self.total: Tensor | float = 0.0
        self.count = 0

    def add(self, values: Tensor) -> None:
        self.total = self.total + values.detach().float().sum()
        self.count += values.numel()

    def read(self) -> float:
        return float(self.total) / self.count


class DiscriminatorOverfitting(GANCallback):
    """At each validation, log D's mean raw output on the training reals it saw since the last one
    (``health/d_real_train``), on held-out reals (``health/d_real_val``) and on fakes
    (``health/d_fake_train``), their gap ``health/d_real_gap`` (train - val), ``health/r_v`` =
    (train - val) / (train - fake) (0: no overfitting, 1: held-out reals look like fakes to D) and
    ``health/r_t`` = E[sign(D(x_train))].

    Held-out reals are judged by D in training mode (batch norm on batch statistics, running
    statistics untouched), as the training reals were; in eval mode the gap would mostly measure
    the difference between batch and running statistics. They are not augmented: with ADA,
    DiffAugment or instance noise the training reals D judged were, so the gap also measures
    the augmentation. Under DDP the values are averaged over processes.
    """

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self.real_train, self.fake_train, self.real_val, self.sign_train = _Mean(), _Mean(), _Mean(), _Mean()

    def setup(self, trainer: L.Trainer, pl_module: GANModule, stage: str) -> None:
        pl_module.sole_player("discriminator", "DiscriminatorOverfitting")
        datamodule = trainer.datamodule
        no_val_set = datamodule is not None and getattr(datamodule, "val_set", True) is None
        if stage == "fit" and (no_val_set or trainer.limit_val_batches == 0):
            name = type(datamodule).__name__ if datamodule is not None else "the data"
            raise ConfigError(
                f"DiscriminatorOverfitting compares D on training and held-out reals, but {name} gives no "
                "validation data (or trainer.limit_val_batches is 0). Use a dataset with a validation split, "
                "or remove the callback."
            )

    def on_discriminator_loss(self, trainer: L.Trainer, pl_module: GANModule, step: DiscriminatorStep) -> None:
        self.real_train.add(step.real_out)
        self.sign_train.add(step.real_out.detach().sign())
        self.fake_train.add(step.fake_out)

    def on_validation_batch_end(
        self,
        trainer: L.Trainer,
        pl_module: GANModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
        dataloader_idx: int = 0,
    ) -> None:
        if trainer.sanity_checking:
            return
        discriminator = pl_module.discriminator
        discriminator.train()  # judged as in training (batch norm on batch statistics), not as in validation
        try:
            with torch.no_grad(), scratch_buffers(discriminator):
                n = batch["real"].shape[0] // pl_module.pack * pl_module.pack  # complete packs, as validation does
                labels = batch["label"][:n] if "label" in batch else None
                conditions = {key: value[:n] for key, value in pl_module.data_conditions(batch).items()}
                self.real_val.add(pl_module.discriminate(batch["real"][:n], labels, **conditions))
        finally:
            discriminator.eval()

    def on_validation_epoch_end(self, trainer: L.Trainer, pl_module: GANModule) -> None:
        if trainer.sanity_checking or not self.real_train.count or not self.real_val.count:
            return
        train, val, fake = self.real_train.read(), self.real_val.read(), self.fake_train.read()
        metrics = {
            "health/d_real_train": train,
            "health/d_real_val": val,
            "health/d_fake_train": fake,
            "health/d_real_gap": train - val,
            "health/r_t": self.sign_train.read(),
        }
        if train != fake:
            metrics["health/r_v"] = (train - val) / (train - fake)
        pl_module.log_dict(metrics, on_step=False, on_epoch=True, sync_dist=True)
        self._reset()
