"""SNGAN: every discriminator weight layer spectrally normalised, hinge loss."""

from __future__ import annotations

import torch
from torch import nn
from variant_helpers import TINY_2D, set_up_tricks

from lightgan.core.losses import HingeLoss
from lightgan.models import DCGAN, SNGAN
from lightgan.nets import has_spectral_norm


def test_sngan_normalises_every_discriminator_layer_and_uses_the_hinge_loss() -> None:
    model = SNGAN(data_shape=(1, 16, 16), base_channels=4)
    set_up_tricks(model)
    layers = [m for m in model.discriminator.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
    assert layers and all(has_spectral_norm(layer) for layer in layers)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.discriminator.modules())
    assert not any(has_spectral_norm(m) for m in model.generator.modules())
    assert isinstance(model.loss, HingeLoss)


def _scale_weights(net: nn.Module, factor: float) -> None:
    with torch.no_grad():
        for name, p in net.named_parameters():
            if name.endswith("weight") or name.endswith("weight.original"):
                p.mul_(factor)


def test_spectrally_normalised_discriminator_ignores_the_scale_of_its_weights() -> None:
    x = torch.randn(6, 1, 16, 16)
    sngan, plain = SNGAN(data_shape=(1, 16, 16), base_channels=4), DCGAN(data_shape=(1, 16, 16), base_channels=4)
    set_up_tricks(sngan)
    for model, invariant in ((sngan, True), (plain, False)):
        model.eval()
        before = model.discriminate(x).detach()
        _scale_weights(model.discriminator, 10.0)
        after = model.discriminate(x).detach()
        assert torch.allclose(before, after, rtol=1e-4, atol=1e-5) == invariant


def test_sngan_keeps_the_largest_singular_value_of_each_layer_at_one_while_training() -> None:
    torch.manual_seed(0)
    model = SNGAN(**TINY_2D, n_power_iterations=5)
    set_up_tricks(model)
    optimizer = torch.optim.Adam(model.discriminator.parameters(), lr=0.05)
    for _ in range(20):  # large steps: without normalisation the raw weights grow well past norm 1
        optimizer.zero_grad()
        model.discriminate(torch.randn(32, 2) * 3).mean().neg().backward()
        optimizer.step()
    with torch.no_grad():  # the power iteration follows the weights across forward passes; let it settle
        for _ in range(10):
            model.discriminate(torch.randn(32, 2))
    model.eval()
    for layer in (m for m in model.discriminator.modules() if isinstance(m, nn.Linear)):
        sigma = torch.linalg.matrix_norm(layer.weight.detach(), ord=2)
        assert abs(sigma.item() - 1.0) < 1e-3
