"""Tricks that change weights or structure: weight clipping, EMA of G, spectral norm, minibatch discrimination."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn
from trick_steps import d_step, g_step, params_of, run_d_step, tiny_dcgan, tiny_gan

from lightgan.callbacks import GeneratorEMA, MinibatchDiscrimination, SpectralNorm, WeightClipping
from lightgan.core.hooks import GeneratorStep
from lightgan.errors import ConfigError
from lightgan.nets.minibatch import MinibatchDiscriminationHead, MinibatchDiscriminationLayer
from lightgan.nets.spectral import has_spectral_norm


# ---------------------------------------------------------------- weight clipping
def test_weight_clipping_clamps_d_and_leaves_g_alone() -> None:
    module = tiny_gan(data_shape=(2,))
    with torch.no_grad():
        for p in module.parameters():
            p.mul_(100)
    g_before, d_before = params_of(module.generator), params_of(module.discriminator)
    WeightClipping(0.05).on_after_discriminator_step(None, module, d_step(module))
    for name, value in params_of(module.discriminator).items():
        assert torch.equal(value, d_before[name].clamp(-0.05, 0.05)), name
    assert float(max(p.detach().abs().max() for p in module.discriminator.parameters())) == pytest.approx(0.05)
    assert all(torch.equal(v, g_before[k]) for k, v in params_of(module.generator).items())


# ---------------------------------------------------------------- EMA of G
def test_ema_decay_ramps_up_to_the_configured_value() -> None:
    ema = GeneratorEMA(decay=0.999, ramp_up=10)
    assert ema.decay_at(0) == pytest.approx(0.1)
    assert ema.decay_at(90) == pytest.approx(91 / 100)
    assert ema.decay_at(100_000) == 0.999
    assert GeneratorEMA(decay=0.99, ramp_up=0).decay_at(0) == 0.99


def test_ema_averages_g_and_sample_uses_it() -> None:
    module = tiny_gan()
    callback = GeneratorEMA(decay=0.9, ramp_up=0)
    callback.on_fit_start(None, module)
    assert module.generator_ema is not module.generator
    initial = params_of(module.generator)
    assert all(torch.equal(v, initial[k]) for k, v in params_of(module.generator_ema).items())
    assert not any(p.requires_grad for p in module.generator_ema.parameters())

    with torch.no_grad():  # a generator step
        for p in module.generator.parameters():
            p.add_(1.0)
    callback.on_after_generator_step(None, module, g_step(module))
    for name, value in params_of(module.generator_ema).items():
        assert torch.allclose(value, 0.9 * initial[name] + 0.1 * (initial[name] + 1.0)), name
    assert callback.updates == 1

    z = torch.randn(3, module.latent_dim)
    module.generator.eval()
    assert torch.equal(module.sample(3, z=z), module.generator_ema(z))
    assert not torch.equal(module.sample(3, z=z), module.generator(z))
    assert torch.equal(module.sample(3, z=z, use_ema=False), module.generator(z))


def test_ema_batch_norm_statistics_are_the_averaged_generators_own() -> None:
    module = tiny_gan(generator_batch_norm=True)
    callback = GeneratorEMA(decay=0.5, ramp_up=0)
    callback.on_fit_start(None, module)
    norms = [m for m in module.generator.modules() if isinstance(m, nn.BatchNorm1d)]
    assert norms, "the test needs a generator with batch norm"
    for norm in norms:  # statistics that belong to other weights, as after G has moved on
        norm.running_mean.fill_(5.0)
        norm.running_var.fill_(9.0)
    z = torch.randn(256, module.latent_dim)
    for _ in range(150):  # batch-norm momentum 0.1: the planted values fade to 0.9**150
        callback.on_after_generator_step(None, module, GeneratorStep(batch={}, z=z, fake=torch.empty(0)))

    ema_norms = [m for m in module.generator_ema.modules() if isinstance(m, nn.BatchNorm1d)]
    assert all(not torch.allclose(m.running_mean, torch.full_like(m.running_mean, 5.0)) for m in ema_norms)
    with torch.no_grad():
        batch_statistics = module.generator_ema.train()(z)
    assert torch.allclose(module.sample(256, z=z), batch_statistics, atol=5e-3)
    assert module.generator_ema.training, "the refresh restores the copy's mode"


def test_ema_keeps_a_restored_copy() -> None:
    module = tiny_gan()
    restored = copy.deepcopy(module.generator).requires_grad_(False)
    module.generator_ema = restored
    GeneratorEMA().on_fit_start(None, module)
    assert module.generator_ema is restored


# ---------------------------------------------------------------- spectral norm
@pytest.mark.parametrize("networks", [["discriminator"], ["generator"], ["generator", "discriminator"]])
def test_spectral_norm_applies_to_the_chosen_networks_at_setup(networks: list[str]) -> None:
    module = tiny_dcgan()
    SpectralNorm(networks=networks).setup(None, module, "fit")
    for name in ("generator", "discriminator"):
        layers = [m for m in getattr(module, name).modules() if isinstance(m, nn.Conv2d | nn.ConvTranspose2d)]
        assert all(has_spectral_norm(m) == (name in networks) for m in layers), name
    _, opt_d = module.configure_optimizers()
    d_params = {id(p) for group in opt_d.param_groups for p in group["params"]}
    assert all(id(p) in d_params for p in module.discriminator.parameters())
    SpectralNorm(networks=networks).setup(None, module, "fit")  # idempotent: one recorded change
    assert len(module._structure_changes) == 1


def test_spectral_norm_bounds_the_largest_singular_value() -> None:
    module = tiny_gan(data_shape=(2,))
    with torch.no_grad():
        module.discriminator.head.weight.mul_(50)
    SpectralNorm().setup(None, module, "fit")
    for _ in range(30):  # power iterations run in training-mode forward passes
        module.discriminate(torch.randn(4, 2))
    assert float(torch.linalg.matrix_norm(module.discriminator.head.weight.detach(), ord=2)) == pytest.approx(
        1.0, rel=1e-3
    )


def test_spectral_norm_rejects_unknown_networks() -> None:
    with pytest.raises(ConfigError, match="choose discriminator, generator or both"):
        SpectralNorm(networks=["critic"])


# ---------------------------------------------------------------- minibatch discrimination
def test_minibatch_layer_matches_the_definition() -> None:
    torch.manual_seed(0)
    layer = MinibatchDiscriminationLayer(in_features=5, num_kernels=3, kernel_dim=2)
    f = torch.randn(4, 5)
    m = (f @ layer.T).view(4, 3, 2)
    expected = torch.zeros(4, 3)
    for i in range(4):
        for b in range(3):
            expected[i, b] = sum(torch.exp(-(m[i, b] - m[j, b]).abs().sum()) for j in range(4))
    assert torch.allclose(layer(f), expected, atol=1e-6)


@pytest.mark.parametrize("make", [tiny_gan, tiny_dcgan], ids=["linear head", "conv head"])
def test_minibatch_discrimination_is_inserted_before_the_head_and_trained_by_d(make) -> None:
    module = make()
    old_head = module.discriminator.head
    MinibatchDiscrimination(num_kernels=6, kernel_dim=3).setup(None, module, "fit")
    head = module.discriminator.head
    assert isinstance(head, MinibatchDiscriminationHead) and head.head is old_head
    _, opt_d = module.configure_optimizers()
    d_params = {id(p) for group in opt_d.param_groups for p in group["params"]}
    assert id(head.minibatch.T) in d_params and id(head.project.weight) in d_params

    module.discriminator.eval()  # batch norm off: only the minibatch layer can make samples interact
    x = torch.rand(3, *module.data_shape) * 2 - 1
    other = torch.rand(1, *module.data_shape) * 2 - 1
    with torch.no_grad():
        out = module.discriminate(x)
        swapped = module.discriminate(torch.cat([x[:2], other]))
        assert out.shape == (3,)
        assert not torch.allclose(out[:2], swapped[:2])  # D's verdict on a sample depends on the rest of its batch
        plain = old_head(module.discriminator.features(x)).view(-1)
        appended = head.project(head.minibatch(module.discriminator.features(x).flatten(1))).view(-1)
        assert torch.allclose(out, plain + appended, atol=1e-6)
    step = run_d_step(module, [], d_step(module))
    step.loss.backward()
    assert head.minibatch.T.grad is not None and float(head.minibatch.T.grad.abs().sum()) > 0


def test_minibatch_discrimination_with_packed_samples() -> None:
    module = tiny_gan(pack=4)
    MinibatchDiscrimination(num_kernels=3).setup(None, module, "fit")
    assert module.discriminate(torch.rand(8, *module.data_shape)).shape == (2,)


def test_minibatch_discrimination_needs_a_head() -> None:
    module = tiny_gan(data_shape=(2,))
    module.discriminator = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
    with pytest.raises(ConfigError, match=r"no `head` submodule \(its submodules: 0, 1, 2\)"):
        MinibatchDiscrimination().setup(None, module, "fit")
