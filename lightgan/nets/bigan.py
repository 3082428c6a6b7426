"""BiGAN / ALI networks: an encoder x -> z and a discriminator over (x, z) pairs."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from lightgan.nets.heads import DCGANBody


class DCGANEncoder(nn.Module):
    """DCGAN discriminator body mapped to ``out_features`` numbers (z, or z's mean and log-std)."""

    def __init__(self, data_shape: Sequence[int], out_features: int, base_channels: int = 64) -> None:
        super().__init__()
        body = DCGANBody(data_shape, base_channels)
        self.net = nn.Sequential(body, nn.Linear(body.out_features, out_features))

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


class JointDiscriminator(nn.Module):
    """D(x, z): image features and latent features, concatenated, judged by a joint MLP.

    ``features`` is the joint hidden layer over ``[x_features(x), z_features(z)]``; ``head``
    the output logit. Dropout in the joint layers follows ALI, which found D overfits the
    pairs otherwise.
    """

    def __init__(
        self,
        data_shape: Sequence[int],
        latent_dim: int,
        base_channels: int = 64,
        hidden: int = 512,
        dropout: float = 0.2,
    ) -> None:
        super().__init__()
        self.x_features = DCGANBody(data_shape, base_channels, batch_norm=False)
        self.z_features = nn.Sequential(
            nn.Linear(latent_dim, hidden), nn.LeakyReLU(0.2, inplace=True), nn.Dropout(dropout)
        )
        self.features = nn.Sequential(
            nn.Linear(self.x_features.out_features + hidden, hidden),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Dropout(dropout),
        )
        self.head = nn.Linear(hidden, 1)

    def forward(self, x: Tensor, z: Tensor) -> Tensor:
        joint = torch.cat([self.x_features(x), self.z_features(z)], dim=1)
        return self.head(self.features(joint)).view(-1)
