"""Fully connected generator and discriminator (the original GAN's shape)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from torch import Tensor, nn

from lightgan.errors import ConfigError
from lightgan.nets.maxout import MaxoutDiscriminator


class MLPGenerator(nn.Module):
    """z -> hidden layers (ReLU, optional batch norm) -> flat sample reshaped to ``data_shape``."""

    def __init__(
        self,
        latent_dim: int,
        data_shape: Sequence[int],
        hidden_dims: Sequence[int] = (500, 500),
        batch_norm: bool = False,
        output_activation: str = "tanh",
    ) -> None:
        super().__init__()
        self.data_shape = tuple(data_shape)
        layers: list[nn.Module] = []
        width = latent_dim
        for hidden in hidden_dims:
            layers.append(nn.Linear(width, hidden))
            if batch_norm:
                layers.append(nn.BatchNorm1d(hidden))
            layers.append(nn.ReLU(inplace=True))
            width = hidden
        layers.append(nn.Linear(width, math.prod(self.data_shape)))
        if output_activation == "tanh":
            layers.append(nn.Tanh())
        elif output_activation != "identity":
            raise ValueError(f"output_activation must be 'tanh' or 'identity', got {output_activation!r}")
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z).view(z.shape[0], *self.data_shape)


#: Hidden-layer activations an MLP discriminator can use: LeakyReLU 0.2 (lightgan's default) or
#: ReLU (WGAN-GP's toy critic).
ACTIVATIONS = ("leaky_relu", "relu")


class MLPDiscriminator(nn.Module):
    """Flattened sample -> hidden layers (LeakyReLU 0.2, or ReLU) -> one logit per sample.

    ``features`` is the last hidden representation and ``head`` the output layer, the same
    names every lightgan discriminator uses (feature matching and minibatch discrimination
    rely on them).
    """

    def __init__(
        self, data_shape: Sequence[int], hidden_dims: Sequence[int] = (500, 500), activation: str = "leaky_relu"
    ) -> None:
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ConfigError(
                f"model.init_args.discriminator_activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}."
            )
        layers: list[nn.Module] = [nn.Flatten()]
        width = math.prod(data_shape)
        for hidden in hidden_dims:
            unit = nn.LeakyReLU(0.2, inplace=True) if activation == "leaky_relu" else nn.ReLU(inplace=True)
            layers += [nn.Linear(width, hidden), unit]
            width = hidden
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(width, 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x)).view(-1)


def fully_connected_discriminator(
    input_shape: Sequence[int],
    kind: str = "mlp",
    hidden_dims: Sequence[int] = (500, 500),
    maxout_pieces: int = 5,
    activation: str = "leaky_relu",
) -> nn.Module:
    """The discriminator for flat inputs that a config names: ``mlp`` (``activation``) or ``maxout`` (PacGAN's)."""
    if kind == "mlp":
        return MLPDiscriminator(input_shape, hidden_dims, activation)
    if kind == "maxout":
        if maxout_pieces < 1:
            raise ConfigError(f"model.init_args.maxout_pieces must be >= 1, got {maxout_pieces}. PacGAN uses 5.")
        return MaxoutDiscriminator(input_shape, hidden_dims, maxout_pieces)
    raise ConfigError(f"model.init_args.discriminator_type must be 'mlp' or 'maxout', got {kind!r}.")
