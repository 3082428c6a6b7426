"""Convolutional autoencoders: the discriminators of EBGAN and BEGAN, and BEGAN's generator.

The encoder halves the image with strided convolutions down to DCGAN's 4-7 pixel start and
maps it to a code vector; the decoder mirrors it with nearest-neighbour upsampling and 3x3
convolutions (BEGAN's design; ELU activations, no batch norm).
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from lightgan.nets.dcgan import dcgan_layout


class ConvEncoder(nn.Module):
    """Image -> code vector of size ``code_dim``."""

    def __init__(self, data_shape: Sequence[int], code_dim: int, base_channels: int = 64) -> None:
        super().__init__()
        channels, height, _ = data_shape
        start, doublings = dcgan_layout(height)
        layers: list[nn.Module] = [nn.Conv2d(channels, base_channels, 3, 1, 1), nn.ELU(inplace=True)]
        width = base_channels
        for _ in range(doublings):
            layers += [nn.Conv2d(width, width * 2, 4, 2, 1), nn.ELU(inplace=True)]
            width *= 2
        layers += [nn.Flatten(), nn.Linear(width * start * start, code_dim)]
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


class ConvDecoder(nn.Module):
    """Code vector -> image in [-1, 1] of ``data_shape``."""

    def __init__(self, code_dim: int, data_shape: Sequence[int], base_channels: int = 64) -> None:
        super().__init__()
        channels, height, _ = data_shape
        start, doublings = dcgan_layout(height)
        width = base_channels * 2**doublings
        self.start, self.width = start, width
        self.project = nn.Linear(code_dim, width * start * start)
        layers: list[nn.Module] = [nn.ELU(inplace=True)]
        for _ in range(doublings):
            layers += [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(width, width // 2, 3, 1, 1)]
            layers.append(nn.ELU(inplace=True))
            width //= 2
        layers += [nn.Conv2d(width, channels, 3, 1, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, code: Tensor) -> Tensor:
        return self.net(self.project(code).view(-1, self.width, self.start, self.start))


class AutoencoderDiscriminator(nn.Module):
    """D as an autoencoder: ``features`` encodes, ``head`` decodes, ``forward`` reconstructs.

    The variants turn the reconstruction into an energy (EBGAN: squared error, BEGAN: absolute
    error): low on real data, high on fakes.
    """

    def __init__(self, data_shape: Sequence[int], code_dim: int, base_channels: int = 64) -> None:
        super().__init__()
        self.features = ConvEncoder(data_shape, code_dim, base_channels)
        self.head = ConvDecoder(code_dim, data_shape, base_channels)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))
