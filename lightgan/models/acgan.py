"""AC-GAN (Odena et al., 2017): a class-conditional G and a D that also classifies."""

from __future__ import annotations

from typing import Any

import torch.nn.functional as F
from torch import Tensor, nn

from lightgan.core.hooks import DiscriminatorStep, GeneratorStep
from lightgan.core.module import Batch, GANModule
from lightgan.models.checks import require_images
from lightgan.nets.conditional import ConditionalDCGANGenerator
from lightgan.nets.heads import AuxiliaryClassifierDiscriminator


class ACGAN(GANModule):
    """G(z, c) draws class c; D sees only the image and answers twice: real or fake (source),
    and which class (auxiliary classifier).

    D maximises L_S + L_C, the log-likelihood of the right source plus that of the right
    class, on real *and* generated images; G maximises L_C - L_S. With the configured
    adversarial loss standing for -L_S, D minimises ``adv_D + w (CE(real) + CE(fake))`` and G
    minimises ``adv_G + w CE(fake)``. D's class accuracy on the real batch is logged as
    ``train/d_class_acc`` and on held-out data as ``val/class_acc``.

    Args:
        base_channels: channel width of the largest feature map.
        class_loss_weight: w, the weight of the class log-likelihood (1 in the paper).
        **kwargs: everything ``GANModule`` takes (loss, learning rates, n_critic, ...).
    """

    conditional = True

    def __init__(self, base_channels: int = 64, class_loss_weight: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        require_images(type(self).__name__, self.data_shape)
        self.class_loss_weight = class_loss_weight
        self.generator = ConditionalDCGANGenerator(self.latent_dim, self.data_shape, self.num_classes, base_channels)
        # Unlabelled data (num_classes 0) is rejected in setup() with a message naming the datamodule;
        # until then the class head needs at least one output to be a valid layer.
        self.discriminator = AuxiliaryClassifierDiscriminator(self.data_shape, max(self.num_classes, 1), base_channels)

    def generate(self, z: Tensor, labels: Tensor | None = None, net: nn.Module | None = None) -> Tensor:
        return (net or self.generator)(z, labels)

    def discriminate(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        """The source (real/fake) logit; D never sees the label."""
        return self.discriminator(x)[0]

    def discriminator_loss(self, step: DiscriminatorStep) -> Tensor:
        step.real_out, real_classes = self.discriminator(step.real)
        step.fake_out, fake_classes = self.discriminator(step.fake)
        source = self.loss.discriminator_loss(step.real_out, step.fake_out, step.real_target, step.fake_target)
        classes = F.cross_entropy(real_classes, step.labels) + F.cross_entropy(fake_classes, step.fake_labels)
        step.logs["train/d_class_loss"] = classes
        step.logs["train/d_class_acc"] = (real_classes.argmax(1) == step.labels).float().mean()
        return source + self.class_loss_weight * classes

    def generator_loss(self, step: GeneratorStep) -> Tensor:
        step.fake_out, fake_classes = self.discriminator(step.fake)
        classes = F.cross_entropy(fake_classes, step.fake_labels)
        step.logs["train/g_class_loss"] = classes
        return self.adversarial_generator_loss(step) + self.class_loss_weight * classes

    def evaluation_metrics(self, batch: Batch) -> dict[str, Tensor]:
        _, classes = self.discriminator(batch["real"])
        accuracy = (classes.argmax(1) == batch["label"]).float().mean()
        return {**super().evaluation_metrics(batch), "class_acc": accuracy}
