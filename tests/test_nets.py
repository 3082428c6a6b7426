from __future__ import annotations

import pytest
import torch

from lightgan.errors import ConfigError
from lightgan.nets import DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator, dcgan_layout


@pytest.mark.parametrize(("size", "layout"), [(28, (7, 2)), (32, (4, 3)), (64, (4, 4)), (48, (6, 3)), (16, (4, 2))])
def test_dcgan_layout(size: int, layout: tuple[int, int]) -> None:
    assert dcgan_layout(size) == layout


@pytest.mark.parametrize("size", [30, 8, 100, 17])
def test_dcgan_rejects_sizes_it_cannot_produce(size: int) -> None:
    with pytest.raises(ConfigError, match=f"{size}x{size}.*28, 32, 64"):
        dcgan_layout(size)


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32), (3, 64, 64)])
def test_dcgan_shapes(shape: tuple[int, int, int]) -> None:
    g, d = DCGANGenerator(16, shape, base_channels=8), DCGANDiscriminator(shape, base_channels=8)
    images = g(torch.randn(3, 16))
    assert images.shape == (3, *shape)
    assert images.abs().max() <= 1
    assert d(images).shape == (3,)


def test_dcgan_is_all_convolutional() -> None:
    layers = list(DCGANGenerator(16, (3, 32, 32)).modules()) + list(DCGANDiscriminator((3, 32, 32)).modules())
    assert not any(isinstance(m, torch.nn.MaxPool2d | torch.nn.AvgPool2d | torch.nn.Linear) for m in layers)
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in layers)


def test_classic_mlp_widths() -> None:
    g, d = MLPGenerator(100, (1, 28, 28), (500, 500)), MLPDiscriminator((1, 28, 28), (500, 500))
    g_widths = [(m.in_features, m.out_features) for m in g.modules() if isinstance(m, torch.nn.Linear)]
    d_widths = [(m.in_features, m.out_features) for m in d.modules() if isinstance(m, torch.nn.Linear)]
    assert g_widths == [(100, 500), (500, 500), (500, 784)]
    assert d_widths == [(784, 500), (500, 500), (500, 1)]
    assert g(torch.randn(2, 100)).shape == (2, 1, 28, 28)


def test_mlp_discriminator_activation_is_leaky_by_default_relu_on_request() -> None:
    leaky, relu = MLPDiscriminator((2,), (8, 8)), MLPDiscriminator((2,), (8, 8), activation="relu")
    assert [type(m) for m in leaky.features if not isinstance(m, torch.nn.Linear | torch.nn.Flatten)] == [
        torch.nn.LeakyReLU
    ] * 2
    assert [type(m) for m in relu.features if not isinstance(m, torch.nn.Linear | torch.nn.Flatten)] == [
        torch.nn.ReLU
    ] * 2
    with pytest.raises(ConfigError, match="discriminator_activation must be one of leaky_relu, relu, got 'tanh'"):
        MLPDiscriminator((2,), (8,), activation="tanh")
