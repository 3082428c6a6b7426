"""Adaptive discriminator augmentation (Karras et al., 2020): augment only as much as D overfits.

D's outputs on real training images drift positive as it starts to memorise them. ADA measures
``r_t = E[sign(D(x_real))]`` and raises the augmentation probability ``p`` when ``r_t`` is above
the target (0.6) and lowers it when below, so augmentation grows exactly when it is needed.
"""

from __future__ import annotations

from typing import Any

import lightning as L
import torch
from torch import Tensor

from lightgan.core.augment import augment, check_images, parse_policy
from lightgan.core.hooks import DiscriminatorStep, GANCallback, GeneratorStep
from lightgan.core.module import GANModule
from lightgan.errors import ConfigError


class ADA(GANCallback):
    """Augment D's inputs (reals and fakes, both steps) with probability ``p``, adjusted from ``r_t``.

    Every ``interval`` discriminator steps, ``p`` moves by ``sign(r_t - target) * images / speed_images``
    (``images``: real images seen in the interval), clamped to [0, ``max_p``]. ``p`` and ``r_t`` are
    logged as ``train/ada_p`` and ``train/ada_rt``; ``p`` is saved in checkpoints.

    The policy is a subset of the paper's pipeline: pixel blitting (flip, 90-degree rotation,
    integer translation) and colour; no geometric scaling/rotation or filtering.

    Args:
        target: the value of ``r_t`` to hold (0.6 in the paper).
        policy: comma-separated augmentations (see ``DiffAugment``).
        initial_p: ``p`` at the start of training.
        interval: discriminator steps between adjustments.
        speed_images: real images it takes ``p`` to move from 0 to 1 (500k in the paper).
        max_p: upper bound of ``p`` (values near 1 let augmentations leak into G's outputs).
    """

    def __init__(
        self,
        target: float = 0.6,
        policy: str = "flip,rotate90,translation,color",
        initial_p: float = 0.0,
        interval: int = 4,
        speed_images: int = 500_000,
        max_p: float = 1.0,
    ) -> None:
        if not 0 <= initial_p <= max_p <= 1:
            raise ConfigError(f"ADA needs 0 <= initial_p <= max_p <= 1, got initial_p={initial_p}, max_p={max_p}.")
        if interval < 1 or speed_images < 1:
            raise ConfigError(f"ADA interval and speed_images must be >= 1, got {interval} and {speed_images}.")
        self.policy = parse_policy(policy, "ADA")
        self.target, self.interval, self.speed_images, self.max_p = target, interval, speed_images, max_p
        self.p = initial_p
        self.last_rt: float | None = None
        self._sign_sum: Tensor | float = 0.0
        self._outputs = 0
        self._images = 0
        self._d_steps = 0

    def setup(self, trainer: L.Trainer, pl_module: GANModule, stage: str) -> None:
        check_images(pl_module.data_shape, self.policy, "ADA")

    def on_discriminator_inputs(self, trainer: L.Trainer, pl_module: GANModule, step: DiscriminatorStep) -> None:
        step.real = augment(step.real, self.policy, pl_module.noise_rng, self.p)
        step.fake = augment(step.fake, self.policy, pl_module.noise_rng, self.p)

    def on_generator_inputs(self, trainer: L.Trainer, pl_module: GANModule, step: GeneratorStep) -> None:
        step.fake = augment(step.fake, self.policy, pl_module.noise_rng, self.p)

    def on_discriminator_loss(self, trainer: L.Trainer, pl_module: GANModule, step: DiscriminatorStep) -> None:
        real_out = step.real_out.detach()
        self._sign_sum = self._sign_sum + real_out.sign().sum()
        self._outputs += real_out.numel()
        self._images += step.real.shape[0]
        self._d_steps += 1
        if self._d_steps % self.interval == 0:
            self.adjust(*self._totals(trainer, step.real.device))
        device = step.real.device
        step.logs["train/ada_p"] = torch.tensor(self.p, device=device)
        if self.last_rt is not None:
            step.logs["train/ada_rt"] = torch.tensor(self.last_rt, device=device)

    def _totals(self, trainer: L.Trainer, device: torch.device) -> tuple[float, int]:
        """r_t and the images seen since the last adjustment, summed over all processes (so p is the same in each)."""
        counts = torch.tensor([float(self._sign_sum), self._outputs, self._images], device=device)
        sign_sum, outputs, images = trainer.strategy.reduce(counts, reduce_op="sum").tolist()
        return sign_sum / outputs, round(images)

    def adjust(self, rt: float, images: int) -> None:
        """Move ``p`` toward holding ``r_t`` at the target, by the ``images`` seen since the last adjustment."""
        direction = (rt > self.target) - (rt < self.target)
        self.p = min(self.max_p, max(0.0, self.p + direction * images / self.speed_images))
        self.last_rt = rt
        self._sign_sum, self._outputs, self._images = 0.0, 0, 0

    def state_dict(self) -> dict[str, Any]:
        return {
            "p": self.p,
            "last_rt": self.last_rt,
            "sign_sum": float(self._sign_sum),
            "outputs": self._outputs,
            "images": self._images,
            "d_steps": self._d_steps,
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.p, self.last_rt = state_dict["p"], state_dict["last_rt"]
        self._sign_sum, self._outputs = state_dict["sign_sum"], state_dict["outputs"]
        self._images, self._d_steps = state_dict["images"], state_dict["d_steps"]
