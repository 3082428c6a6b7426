"""DiffAugment (Zhao et al., 2020): augment every image D sees, reals and fakes, in both steps.

With little data D memorises the training set. Augmenting only the reals would teach G to
produce augmented images; applying the same differentiable policy to everything D sees (also
when G is trained through D) keeps the target distribution unchanged.
"""

from __future__ import annotations

import lightning as L

from lightgan.core.augment import augment, check_images, parse_policy
from lightgan.core.hooks import DiscriminatorStep, GANCallback, GeneratorStep
from lightgan.core.module import GANModule


class DiffAugment(GANCallback):
    """Apply ``policy`` to D's real and fake inputs in the D step and to the fakes in the G step.

    Args:
        policy: comma-separated augmentations: ``color`` (brightness, saturation, contrast),
            ``translation`` (up to 1/8 of the size), ``cutout`` (half-size square), ``flip``, ``rotate90``.
    """

    def __init__(self, policy: str = "color,translation,cutout") -> None:
        self.policy = parse_policy(policy, "DiffAugment")

    def setup(self, trainer: L.Trainer, pl_module: GANModule, stage: str) -> None:
        check_images(pl_module.data_shape, self.policy, "DiffAugment")

    def on_discriminator_inputs(self, trainer: L.Trainer, pl_module: GANModule, step: DiscriminatorStep) -> None:
        step.real = augment(step.real, self.policy, pl_module.noise_rng)
        step.fake = augment(step.fake, self.policy, pl_module.noise_rng)

    def on_generator_inputs(self, trainer: L.Trainer, pl_module: GANModule, step: GeneratorStep) -> None:
        step.fake = augment(step.fake, self.policy, pl_module.noise_rng)
