"""AC-GAN: source + class log-likelihood for real and fake, and D's class accuracy."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from variant_helpers import image_batch

from lightgan.core.hooks import DiscriminatorStep, GeneratorStep
from lightgan.models import ACGAN


def tiny_acgan() -> ACGAN:
    torch.manual_seed(0)
    return ACGAN(data_shape=(1, 16, 16), num_classes=3, latent_dim=8, base_channels=4, class_loss_weight=0.5)


def steps(model: ACGAN) -> tuple[DiscriminatorStep, GeneratorStep]:
    batch = image_batch(6, num_classes=3)
    z = model.sample_noise(6, torch.Generator().manual_seed(1))
    fake_labels = torch.tensor([0, 1, 2, 0, 1, 2])
    fake = model.generate(z, fake_labels)
    d_step = DiscriminatorStep(batch, batch["real"], fake.detach(), batch["label"], fake_labels=fake_labels, z=z)
    return d_step, GeneratorStep(batch, z, fake, fake_labels)


def test_discriminator_loss_is_source_plus_class_likelihood_on_real_and_fake() -> None:
    model = tiny_acgan()
    d_step, _ = steps(model)
    loss = model.discriminator_loss(d_step)

    real_source, real_classes = model.discriminator(d_step.real)
    fake_source, fake_classes = model.discriminator(d_step.fake)
    source = F.binary_cross_entropy_with_logits(real_source, torch.ones(6)) + F.binary_cross_entropy_with_logits(
        fake_source, torch.zeros(6)
    )
    classes = F.cross_entropy(real_classes, d_step.labels) + F.cross_entropy(fake_classes, d_step.fake_labels)
    torch.testing.assert_close(loss, source + 0.5 * classes)
    accuracy = (real_classes.argmax(1) == d_step.labels).float().mean()
    torch.testing.assert_close(d_step.logs["train/d_class_acc"], accuracy)


def test_generator_is_rewarded_for_fooling_d_and_for_the_right_class() -> None:
    model = tiny_acgan()
    _, g_step = steps(model)
    loss = model.generator_loss(g_step)
    source, classes = model.discriminator(g_step.fake)
    expected = F.softplus(-source).mean() + 0.5 * F.cross_entropy(classes, g_step.fake_labels)
    torch.testing.assert_close(loss, expected)


def test_d_ignores_the_label_and_g_follows_it() -> None:
    model = tiny_acgan()
    x = torch.rand(4, 1, 16, 16)
    assert torch.equal(model.discriminate(x, torch.zeros(4, dtype=torch.long)), model.discriminate(x, None))
    z = model.sample_noise(4, torch.Generator().manual_seed(0))
    assert not torch.allclose(model.sample(4, labels=0, z=z), model.sample(4, labels=2, z=z))
