"""model.init_args.init: the weight initialisation schemes, by the statistics of the weights they draw."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from lightgan.errors import ConfigError
from lightgan.models import GAN, GMAN
from lightgan.nets import INIT_SCHEMES, MLPGenerator, fully_connected_discriminator, init_weights

FAN_IN, FAN_OUT = 300, 200


def weight_layers(network: nn.Module) -> list[nn.Module]:
    return [m for m in network.modules() if isinstance(m, nn.Linear | nn.Conv2d | nn.ConvTranspose2d)]


def drawn(scheme: str) -> nn.Linear:
    torch.manual_seed(0)
    return init_weights(nn.Linear(FAN_IN, FAN_OUT), scheme)


@pytest.mark.parametrize(
    ("scheme", "std"),
    [
        ("normal_0.02", 0.02),
        ("xavier", math.sqrt(2 / (FAN_IN + FAN_OUT))),  # Glorot & Bengio
        ("kaiming", math.sqrt(2 / FAN_IN)),  # He et al., for ReLU
        ("kaiming_uniform", math.sqrt(2 / FAN_IN)),  # the same spread, uniform (WGAN-GP's tflib)
    ],
)
def test_each_scheme_draws_weights_of_its_spread_around_zero_and_zeroes_biases(scheme: str, std: float) -> None:
    layer = drawn(scheme)
    assert layer.weight.std().item() == pytest.approx(std, rel=0.03)
    assert abs(layer.weight.mean().item()) < std / 20
    assert torch.count_nonzero(layer.bias) == 0


def test_kaiming_uniform_is_bounded_where_a_uniform_of_that_spread_ends() -> None:
    weight = drawn("kaiming_uniform").weight
    bound = math.sqrt(3) * math.sqrt(2 / FAN_IN)
    assert weight.abs().max().item() <= bound
    assert weight.abs().max().item() > 0.95 * bound


def test_orthogonal_weights_have_orthonormal_rows() -> None:
    layer = drawn("orthogonal")
    gram = layer.weight @ layer.weight.T  # FAN_OUT rows of FAN_IN values
    assert torch.allclose(gram, torch.eye(FAN_OUT), atol=1e-5)
    assert torch.count_nonzero(layer.bias) == 0


def test_convolutions_are_drawn_and_norm_layers_keep_their_own() -> None:
    network = nn.Sequential(nn.Conv2d(64, 64, 3), nn.BatchNorm2d(64), nn.ConvTranspose2d(64, 32, 4))
    init_weights(network, "normal_0.02")
    for conv in (network[0], network[2]):
        assert conv.weight.std().item() == pytest.approx(0.02, rel=0.05)
        assert torch.count_nonzero(conv.bias) == 0
    assert torch.equal(network[1].weight, torch.ones(64)) and torch.count_nonzero(network[1].bias) == 0


def test_default_leaves_the_network_as_built_and_draws_nothing() -> None:
    network = nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 1))
    weights, rng = [p.clone() for p in network.parameters()], torch.get_rng_state()
    assert init_weights(network, "default") is network
    assert all(torch.equal(a, b) for a, b in zip(weights, network.parameters(), strict=True))
    assert torch.equal(torch.get_rng_state(), rng)


SHAPE = {"data_shape": (2,), "latent_dim": 2, "hidden_dims": (400, 400), "generator_batch_norm": True}


def test_the_model_option_draws_every_layer_of_both_networks_maxout_included() -> None:
    model = GAN(**SHAPE, discriminator_type="maxout", discriminator_hidden_dims=(200, 200), init="normal_0.02")
    for network in (model.generator, model.discriminator):
        layers = weight_layers(network)
        weights = torch.cat([layer.weight.flatten() for layer in layers])
        assert weights.std().item() == pytest.approx(0.02, rel=0.03)
        assert all(torch.count_nonzero(layer.bias) == 0 for layer in layers)
    norms = [m for m in model.generator.modules() if isinstance(m, nn.BatchNorm1d)]
    assert norms and all(torch.equal(m.weight, torch.ones_like(m.weight)) for m in norms)


def test_every_network_a_variant_builds_is_drawn() -> None:
    model = GMAN(**SHAPE, num_discriminators=3, init="orthogonal")
    networks = [model.generator, *model.discriminator]
    assert len(networks) == 4
    for layer in (layer for network in networks for layer in weight_layers(network)):
        w = layer.weight if layer.weight.shape[0] <= layer.weight.shape[1] else layer.weight.T
        assert torch.allclose(w @ w.T, torch.eye(len(w)), atol=1e-4)
        assert torch.count_nonzero(layer.bias) == 0


def test_default_is_pytorchs_initialisation_as_before() -> None:
    torch.manual_seed(0)
    model = GAN(**SHAPE)
    torch.manual_seed(0)
    generator = MLPGenerator(2, (2,), (400, 400), True, "identity")
    discriminator = fully_connected_discriminator((2,), "mlp", (400, 400))
    for ours, built in ((model.generator, generator), (model.discriminator, discriminator)):
        assert all(torch.equal(a, b) for a, b in zip(ours.parameters(), built.parameters(), strict=True))
    assert any(torch.count_nonzero(layer.bias) for layer in weight_layers(model.generator))


def test_an_unknown_scheme_is_named_with_the_valid_ones() -> None:
    valid = ", ".join(INIT_SCHEMES)
    assert valid == "default, normal_0.02, xavier, kaiming, kaiming_uniform, orthogonal"
    with pytest.raises(ConfigError, match=f"model.init_args.init must be one of {valid}, got 'he'") as error:
        GAN(data_shape=(2,), init="he")
    assert "\n" not in str(error.value)
