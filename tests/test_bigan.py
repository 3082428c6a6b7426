"""BiGAN / ALI: D judges (x, z) pairs, E trains with G, G(E(x)) reconstructs."""

from __future__ import annotations

import lightning as L
import torch
import torch.nn.functional as F
from helpers import state_of

from lightgan.core.hooks import DiscriminatorStep, GeneratorStep
from lightgan.data import MNIST
from lightgan.models import ALI, BiGAN


def tiny(cls=BiGAN) -> BiGAN:
    torch.manual_seed(0)
    return cls(data_shape=(1, 16, 16), latent_dim=8, base_channels=4)


def test_d_judges_pairs_of_image_and_code() -> None:
    model = tiny()
    x = torch.rand(4, 1, 16, 16)
    z1, z2 = torch.randn(4, 8), torch.randn(4, 8)
    assert not torch.allclose(model.discriminator(x, z1), model.discriminator(x, z2))
    model.eval()
    torch.testing.assert_close(model.discriminate(x), model.discriminator(x, model.encode(x)))


def test_real_pairs_use_the_encoder_and_fake_pairs_the_noise_they_came_from() -> None:
    model = tiny()
    model.eval()  # no dropout, so the same pair gets the same score
    real = torch.rand(4, 1, 16, 16) * 2 - 1
    z = model.sample_noise(4, torch.Generator().manual_seed(0))
    fake = model.generate(z)
    d_step = DiscriminatorStep({"real": real}, real, fake, z=z)
    d_loss = model.discriminator_loss(d_step)
    real_out, fake_out = model.discriminator(real, model.encoder(real)), model.discriminator(fake, z)
    torch.testing.assert_close(d_loss, F.softplus(-real_out).mean() + F.softplus(fake_out).mean())

    g_step = GeneratorStep({"real": real}, z, fake)
    # G and E minimise D's loss with the labels swapped: fakes should look real, reals fake.
    torch.testing.assert_close(model.generator_loss(g_step), F.softplus(-fake_out).mean() + F.softplus(real_out).mean())


def test_encoder_trains_with_the_generator(mnist_root) -> None:
    model = tiny()
    opt_g, opt_d = model.configure_optimizers()
    g_params = {id(p) for group in opt_g.param_groups for p in group["params"]}
    assert {id(p) for p in model.encoder.parameters()} <= g_params
    assert g_params.isdisjoint(id(p) for group in opt_d.param_groups for p in group["params"])

    before = state_of(model)
    data = MNIST(root=str(mnist_root), image_size=16, batch_size=16)
    L.Trainer(
        max_steps=1, logger=False, enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False
    ).fit(model, data)
    after = state_of(model)
    moved = {name.split(".")[0] for name in before if not torch.equal(before[name], after[name])}
    assert moved == {"encoder", "generator", "discriminator"}


def test_ali_samples_codes_in_training_and_uses_the_mean_otherwise() -> None:
    model = tiny(ALI)
    model.eval()
    x = torch.rand(3, 1, 16, 16)
    mean = model.encoder(x)[:, :8]
    torch.testing.assert_close(model.encode(x), mean)
    draws = [model.encode(x, torch.Generator().manual_seed(seed)) for seed in (0, 1)]
    assert not torch.allclose(draws[0], draws[1]) and not torch.allclose(draws[0], mean)
    torch.testing.assert_close(model.reconstruct(x), model.generate(mean))
