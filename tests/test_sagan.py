"""SAGAN: self-attention (identity at start, learning), spectral norm in G and D, hinge loss, TTUR,
class-conditional on labelled data, and an exact resume."""

from __future__ import annotations

import pytest
import torch
from helpers import assert_same_weights, fit, last_checkpoint, state_of
from torch import nn
from variant_helpers import tiny_images

from lightgan.core.checkpoint import load_gan
from lightgan.core.losses import HingeLoss
from lightgan.errors import ConfigError
from lightgan.models import SAGAN
from lightgan.nets import has_spectral_norm
from lightgan.nets.attention import SelfAttention
from lightgan.nets.resnet_gan import ConditionalBatchNorm2d


def test_attention_starts_as_the_identity_and_learns_its_gamma() -> None:
    torch.manual_seed(0)
    attention = SelfAttention(16)
    x = torch.randn(2, 16, 4, 4, requires_grad=True)
    y = attention(x)
    assert torch.equal(y, x)
    (y * torch.randn_like(y)).sum().backward()
    assert attention.gamma.grad is not None and attention.gamma.grad.abs() > 0
    torch.optim.SGD(attention.parameters(), lr=0.1).step()
    assert attention.gamma.item() != 0 and not torch.allclose(attention(x), x)


def test_attention_map_rows_are_distributions_over_positions() -> None:
    torch.manual_seed(0)
    beta = SelfAttention(8).attention_map(torch.randn(3, 8, 3, 5))
    assert beta.shape == (3, 15, 15) and (beta >= 0).all()
    assert torch.allclose(beta.sum(dim=-1), torch.ones(3, 15))


def test_attention_computes_the_papers_formula() -> None:
    torch.manual_seed(0)
    attention = SelfAttention(8, reduction=2)
    with torch.no_grad():
        attention.gamma.fill_(0.7)
    x = torch.randn(2, 8, 2, 3)
    f, g, h = (conv(x).flatten(2) for conv in (attention.f, attention.g, attention.h))  # (N, C', positions)
    expected = torch.empty_like(x)
    for n in range(2):
        s = torch.stack([torch.stack([f[n, :, i] @ g[n, :, j] for j in range(6)]) for i in range(6)])  # s[i, j]
        beta = torch.softmax(s, dim=0).T  # beta[j, i] = exp(s_ij) / sum_i exp(s_ij)
        o = torch.stack([sum(beta[j, i] * h[n, :, i] for i in range(6)) for j in range(6)], dim=1)
        expected[n] = 0.7 * attention.v(o.view(1, -1, 2, 3))[0] + x[n]
    assert torch.allclose(attention(x), expected, atol=1e-5)


def tiny_sagan(**kwargs) -> SAGAN:
    torch.manual_seed(0)
    return SAGAN(**{"data_shape": (1, 16, 16), "num_classes": 10, "latent_dim": 8, "base_channels": 8, **kwargs})


def test_every_weight_layer_of_g_and_d_is_spectrally_normalised() -> None:
    model = tiny_sagan()
    for network in (model.generator, model.discriminator):
        layers = [m for m in network.modules() if isinstance(m, nn.Conv2d | nn.Linear | nn.Embedding)]
        assert len(layers) > 10 and all(has_spectral_norm(layer) for layer in layers)
    assert sum(isinstance(m, SelfAttention) for m in model.modules()) == 2


def test_hinge_loss_and_the_two_timescale_defaults() -> None:
    model = tiny_sagan()
    assert isinstance(model.loss, HingeLoss) and model.n_critic == 1
    optimizers = dict(zip((p.name for p in model.declared_players), model.configure_optimizers(), strict=True))
    assert [optimizers[name].defaults["lr"] for name in ("generator", "discriminator")] == [1e-4, 4e-4]
    assert all(optimizer.defaults["betas"] == (0.0, 0.9) for optimizer in optimizers.values())
    assert SAGAN(data_shape=(1, 16, 16)).latent_dim == 128


def test_labelled_data_makes_it_class_conditional() -> None:
    conditional, unconditional = tiny_sagan(), tiny_sagan(num_classes=0)
    assert conditional.conditional and not unconditional.conditional and not SAGAN.conditional
    assert conditional.sample_labels(4) is not None and unconditional.sample_labels(4) is None
    assert unconditional.discriminator.embed is None
    with torch.no_grad():
        for module in conditional.generator.modules():
            if isinstance(module, ConditionalBatchNorm2d):
                module.gain.normal_(1.0, 0.5)  # as training would make them: a scale per class
    z = conditional.sample_noise(4, torch.Generator().manual_seed(0))
    assert not torch.allclose(conditional.sample(4, labels=3, z=z), conditional.sample(4, labels=4, z=z))
    x = torch.rand(4, 1, 16, 16) * 2 - 1
    assert not torch.allclose(conditional.discriminate(x, torch.zeros(4)), conditional.discriminate(x, torch.ones(4)))


def test_packing_is_refused_only_when_d_projects_labels() -> None:
    with pytest.raises(ConfigError, match="pack=2: SAGAN cannot pack samples \\(D projects each sample's class"):
        tiny_sagan(pack=2)
    assert tiny_sagan(num_classes=0, pack=2).discriminate(torch.randn(4, 1, 16, 16)).shape == (2,)


@pytest.mark.parametrize(("size", "resolution"), [(32, 16), (16, 8), (8, None)])
def test_auto_attention_reads_the_largest_maps_both_networks_reach(size: int, resolution: int | None) -> None:
    model = SAGAN(data_shape=(1, size, size), base_channels=8)
    sides: list[int] = []
    for module in model.modules():
        if isinstance(module, SelfAttention):
            module.register_forward_hook(lambda m, i, o: sides.append(o.shape[-1]))
    model.discriminate(model.sample(2))
    assert sides == ([resolution] * 2 if resolution else [])


def test_a_bad_attention_resolution_or_image_size_is_refused_in_one_line() -> None:
    with pytest.raises(ConfigError, match=r"attention_resolution=32: .* Valid resolutions: 8, 16 \(or null"):
        SAGAN(data_shape=(3, 32, 32), attention_resolution=32)
    with pytest.raises(ConfigError, match="power-of-two size >= 8, got 28"):
        SAGAN(data_shape=(1, 28, 28))
    with pytest.raises(ConfigError, match="SAGAN needs image data"):
        SAGAN(data_shape=(2,))


def test_a_run_resumed_mid_way_ends_as_one_that_never_stopped(mnist_root, tmp_path) -> None:
    common = ["--model=SAGAN", *tiny_images(mnist_root), "--model.init_args.attention_resolution=8"]
    common += ["--seed_everything=3", "--trainer.limit_val_batches=1"]
    straight = fit(*common, "--trainer.max_steps=4", "--trainer.default_root_dir=straight")
    fit(*common, "--trainer.max_steps=2", "--trainer.default_root_dir=resumed")
    resumed = fit(*common, "--trainer.max_steps=4", "--trainer.default_root_dir=resumed", "--ckpt_path=last")
    assert resumed.model.conditional and resumed.trainer.global_step == 4
    assert_same_weights(state_of(straight.model), state_of(resumed.model))
    loaded = load_gan(last_checkpoint(tmp_path / "resumed"))
    z = loaded.sample_noise(3, torch.Generator().manual_seed(1))
    assert loaded.conditional and torch.equal(loaded.sample(3, labels=2, z=z), resumed.model.sample(3, labels=2, z=z))
