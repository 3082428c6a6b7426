"""InfoGAN's MNIST networks as the paper's appendix (C.1) and the authors' code build them.

D and Q share the convolutions *and* a fully connected layer of 1024 units; D's head is one
linear layer on it, Q's head (``QNetwork``) a hidden layer of 128 on it. G mirrors D: two fully
connected layers, then two transposed convolutions. lightgan's default InfoGAN uses DCGAN networks
instead, with Q on the convolutional features. Weights start N(0, 0.02) with zero biases and
batch-norm scales N(1, 0.02), as in the authors' code. The one thing paper and code disagree on
is D's LeakyReLU slope: 0.1 in the appendix, 0.01 in the code (``leaky_rectify``'s default).
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from lightgan.errors import ConfigError
from lightgan.nets.initialization import init_layer

#: Width of the fully connected layer D and Q share (and G's first layer).
SHARED_WIDTH = 1024


def check_paper_size(data_shape: Sequence[int]) -> None:
    """The networks halve the image twice: sides must be square and divisible by 4 (MNIST's 28 is)."""
    _, height, width = data_shape
    if height != width or height % 4:
        raise ConfigError(
            f"InfoGAN's paper networks need square images whose side is divisible by 4, got {height}x{width}. "
            "Set data.init_args.image_size: 28 (MNIST), or model.init_args.network: dcgan."
        )


class InfoGANGenerator(nn.Module):
    """z -> FC 1024 -> FC (s/4)^2 x 128 -> up-conv 64 -> up-conv C, batch norm and ReLU between, tanh out."""

    def __init__(self, latent_dim: int, data_shape: Sequence[int]) -> None:
        super().__init__()
        check_paper_size(data_shape)
        channels, side, _ = data_shape
        self.start = side // 4
        self.dense = nn.Sequential(
            nn.Linear(latent_dim, SHARED_WIDTH),
            nn.BatchNorm1d(SHARED_WIDTH),
            nn.ReLU(inplace=True),
            nn.Linear(SHARED_WIDTH, 128 * self.start * self.start),
            nn.BatchNorm1d(128 * self.start * self.start),
            nn.ReLU(inplace=True),
        )
        self.convs = nn.Sequential(
            nn.ConvTranspose2d(128, 64, 4, 2, 1),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
            nn.ConvTranspose2d(64, channels, 4, 2, 1),
            nn.Tanh(),
        )

        self.apply(init_paper_weights)

    def forward(self, z: Tensor) -> Tensor:
        return self.convs(self.dense(z).view(len(z), 128, self.start, self.start))


class InfoGANDiscriminator(nn.Module):
    """conv 64 -> conv 128 -> FC 1024 (batch norm after both), LeakyReLU ``slope``; ``features`` ends at FC 1024."""

    def __init__(self, data_shape: Sequence[int], slope: float = 0.1) -> None:
        super().__init__()
        check_paper_size(data_shape)
        channels, side, _ = data_shape
        quarter = side // 4
        self.features = nn.Sequential(
            nn.Conv2d(channels, 64, 4, 2, 1),
            nn.LeakyReLU(slope, inplace=True),
            nn.Conv2d(64, 128, 4, 2, 1),
            nn.BatchNorm2d(128),
            nn.LeakyReLU(slope, inplace=True),
            nn.Flatten(),
            nn.Linear(128 * quarter * quarter, SHARED_WIDTH),
            nn.BatchNorm1d(SHARED_WIDTH),
            nn.LeakyReLU(slope, inplace=True),
        )
        self.head = nn.Linear(SHARED_WIDTH, 1)
        self.apply(init_paper_weights)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x)).view(-1)


def init_paper_weights(module: nn.Module) -> None:
    """Weights N(0, 0.02), biases 0, batch-norm scales N(1, 0.02): the authors' initialisers."""
    if isinstance(module, nn.BatchNorm1d | nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)
    else:
        init_layer(module, "normal_0.02")
