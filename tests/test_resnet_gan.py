"""The SNGAN CIFAR-10 residual networks: layout per image size, conditional BN, projection D, and
``architecture: resnet`` for the BackboneGAN variants."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import nn
from variant_helpers import set_up_tricks

from lightgan.errors import ConfigError
from lightgan.models import LSGAN, SNGAN
from lightgan.nets import has_spectral_norm
from lightgan.nets.attention import SelfAttention
from lightgan.nets.resnet_gan import (
    ConditionalBatchNorm2d,
    DiscriminatorBlock,
    GeneratorBlock,
    ResNetDiscriminator,
    ResNetGenerator,
)


def _output_sides(net: nn.Module, kind: type[nn.Module], run: Callable[[], object]) -> list[int]:
    """The side of the feature map each ``kind`` submodule of ``net`` outputs, in forward order."""
    sides: list[int] = []
    modules = [m for m in net.modules() if isinstance(m, kind)]
    handles = [m.register_forward_hook(lambda m, i, o: sides.append(o.shape[-1])) for m in modules]
    run()
    for handle in handles:
        handle.remove()
    return sides


@pytest.mark.parametrize(
    ("size", "g_sides", "d_sides"),
    [(32, [8, 16, 32], [16, 8, 8, 8]), (64, [8, 16, 32, 64], [32, 16, 8, 8, 8])],
)
def test_layout_and_shapes_follow_the_cifar_network(size: int, g_sides: list[int], d_sides: list[int]) -> None:
    generator, discriminator = ResNetGenerator(16, (3, size, size), 8), ResNetDiscriminator((3, size, size), 8)
    z, x = torch.randn(2, 16), torch.randn(2, 3, size, size)
    assert _output_sides(generator, GeneratorBlock, lambda: generator(z)) == g_sides
    assert _output_sides(discriminator, DiscriminatorBlock, lambda: discriminator(x)) == d_sides
    image = generator(z)
    assert image.shape == (2, 3, size, size) and image.abs().max() <= 1
    assert discriminator(x).shape == (2,) and discriminator.features(x).shape == (2, 8)
    blocks = [m for m in discriminator.modules() if isinstance(m, DiscriminatorBlock)]
    assert [b.first for b in blocks] == [True] + [False] * (len(blocks) - 1)
    assert [isinstance(b.shortcut, nn.Identity) for b in blocks[-2:]] == [True, True]  # the two plain blocks


def test_the_sum_pooled_features_scale_with_the_map() -> None:
    discriminator = ResNetDiscriminator((1, 16, 16), 4)
    x = torch.randn(2, 1, 16, 16)
    last = discriminator.features[:-1](x)  # the ReLU'd map before pooling
    assert torch.allclose(discriminator.features(x), last.sum(dim=(2, 3)))


@pytest.mark.parametrize("size", [28, 4, 48])
def test_sizes_that_are_not_a_power_of_two_of_at_least_8_are_refused(size: int) -> None:
    with pytest.raises(ConfigError, match=f"power-of-two size >= 8, got {size}\\. Set data.init_args.image_size"):
        ResNetGenerator(8, (1, size, size), 4)


@pytest.mark.parametrize("net", ["generator", "discriminator"])
@pytest.mark.parametrize("resolution", [32, 4, 12])
def test_an_attention_resolution_the_networks_never_reach_is_refused(net: str, resolution: int) -> None:
    build = {"generator": lambda: ResNetGenerator(8, (1, 32, 32), 8, attention_resolution=resolution)}
    build["discriminator"] = lambda: ResNetDiscriminator((1, 32, 32), 8, attention_resolution=resolution)
    with pytest.raises(ConfigError) as error:
        build[net]()
    message = str(error.value)
    assert f"attention_resolution={resolution}" in message and "Valid resolutions: 8, 16 (or null" in message
    assert "\n" not in message


@pytest.mark.parametrize("resolution", [8, 16])
def test_attention_sits_after_the_first_block_at_its_resolution(resolution: int) -> None:
    generator = ResNetGenerator(8, (1, 32, 32), 8, attention_resolution=resolution)
    discriminator = ResNetDiscriminator((1, 32, 32), 8, attention_resolution=resolution)
    assert _output_sides(generator, SelfAttention, lambda: generator(torch.randn(2, 8))) == [resolution]
    assert _output_sides(discriminator, SelfAttention, lambda: discriminator(torch.randn(2, 1, 32, 32))) == [resolution]
    layers = list(discriminator.features)
    attention = next(i for i, m in enumerate(layers) if isinstance(m, SelfAttention))
    assert isinstance(layers[attention - 1], DiscriminatorBlock)
    assert len(ResNetGenerator(8, (1, 32, 32), 8).blocks) == 3  # None: no attention


def test_conditional_batch_norm_scales_and_shifts_each_sample_by_its_class() -> None:
    torch.manual_seed(0)
    norm = ConditionalBatchNorm2d(3, num_classes=4)
    with torch.no_grad():
        norm.gain.normal_()
        norm.bias.normal_()
    x, labels = torch.randn(5, 3, 2, 2), torch.tensor([0, 3, 1, 3, 2])
    plain = nn.BatchNorm2d(3, affine=False)(x)
    expected = plain * norm.gain[labels][:, :, None, None] + norm.bias[labels][:, :, None, None]
    assert torch.allclose(norm(x, labels), expected, atol=1e-6)
    with pytest.raises(ValueError, match="pass class labels"):
        norm(x)
    shared = ConditionalBatchNorm2d(3)  # unconditional: one row, plain affine batch norm
    assert shared.gain.shape == (1, 3) and torch.allclose(shared(x), plain, atol=1e-6)


def test_conditional_batch_norm_lets_the_label_change_what_g_draws() -> None:
    torch.manual_seed(0)
    generator = ResNetGenerator(8, (1, 16, 16), 8, num_classes=3).eval()
    z = torch.randn(4, 8)
    zeros, twos = torch.zeros(4, dtype=torch.long), torch.full((4,), 2)
    assert torch.equal(generator(z, zeros), generator(z, twos))  # tables start as ones and zeros, as SNGAN's code
    with torch.no_grad():
        for module in generator.modules():
            if isinstance(module, ConditionalBatchNorm2d):
                module.gain[2].normal_(1.0, 0.5)
    assert not torch.allclose(generator(z, zeros), generator(z, twos))
    assert torch.equal(generator(z, zeros), generator(z, torch.ones(4, dtype=torch.long)))  # rows 0, 1 untouched


def test_the_projection_adds_the_inner_product_of_the_class_embedding_and_the_features() -> None:
    torch.manual_seed(0)
    discriminator = ResNetDiscriminator((1, 16, 16), 8, num_classes=5)
    x, labels = torch.randn(4, 1, 16, 16), torch.tensor([4, 0, 2, 2])
    h = discriminator.features(x)
    by_hand = h @ discriminator.head.weight[0] + discriminator.head.bias[0]
    by_hand = by_hand + torch.stack([discriminator.embed.weight[y] @ h[i] for i, y in enumerate(labels)])
    assert torch.allclose(discriminator(x, labels), by_hand, atol=1e-5)
    assert not torch.allclose(discriminator(x, labels), discriminator(x, torch.tensor([1, 1, 1, 1])))
    with pytest.raises(ValueError, match="projects class labels"):
        discriminator(x)
    assert ResNetDiscriminator((1, 16, 16), 8).embed is None


def test_backbone_variants_select_the_residual_networks() -> None:
    model = SNGAN(data_shape=(1, 16, 16), architecture="resnet", base_channels=4, latent_dim=8)
    assert isinstance(model.generator, ResNetGenerator) and isinstance(model.discriminator, ResNetDiscriminator)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.discriminator.modules())
    set_up_tricks(model)  # SNGAN's SpectralNorm reaches every layer: optimized block, 2 plain blocks, head
    layers = [m for m in model.discriminator.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
    assert len(layers) == 3 + 2 + 2 + 1 and all(has_spectral_norm(layer) for layer in layers)
    assert model.sample(3).shape == (3, 1, 16, 16)
    packed = LSGAN(data_shape=(1, 16, 16), architecture="resnet", base_channels=4, pack=2)
    assert packed.discriminator.features[0].conv1.in_channels == 2


def test_resnet_architecture_needs_images() -> None:
    with pytest.raises(ConfigError, match="architecture 'resnet' needs image data"):
        LSGAN(data_shape=(2,), architecture="resnet")
    with pytest.raises(ConfigError, match="must be auto, dcgan, resnet or mlp, got 'unet'"):
        LSGAN(data_shape=(1, 16, 16), architecture="unet")
