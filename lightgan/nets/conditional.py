"""Label-conditioned DCGAN networks (conditional GAN, Mirza & Osindero 2014, in DCGAN form).

The generator reads ``[z, one_hot(y)]``; the discriminator reads the image with one extra
constant channel per class, set to 1 on the label's channel. Both see the label from their
first layer on, which is the original cGAN's recipe.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from lightgan.nets.dcgan import DCGANDiscriminator, DCGANGenerator


def one_hot(labels: Tensor | None, num_classes: int, like: Tensor) -> Tensor:
    """Float one-hot rows of ``labels`` in ``like``'s dtype; a clear error when labels are missing."""
    if labels is None:
        raise ValueError("this network is conditional: pass class labels along with the input")
    return F.one_hot(labels.long(), num_classes).to(dtype=like.dtype)


class ConditionalDCGANGenerator(DCGANGenerator):
    """DCGAN generator whose input is the noise vector concatenated with the one-hot label."""

    def __init__(self, latent_dim: int, data_shape: Sequence[int], num_classes: int, base_channels: int = 64) -> None:
        super().__init__(latent_dim + num_classes, data_shape, base_channels)
        self.num_classes = num_classes

    def forward(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        return super().forward(torch.cat([z, one_hot(labels, self.num_classes, z)], dim=1))


class ConditionalDCGANDiscriminator(DCGANDiscriminator):
    """DCGAN discriminator over the image stacked with one label channel per class.

    ``features`` and ``head`` are DCGAN's; ``features`` expects that stacked input
    (see :meth:`with_label_maps`).
    """

    def __init__(self, data_shape: Sequence[int], num_classes: int, base_channels: int = 64) -> None:
        channels, height, width = data_shape
        super().__init__((channels + num_classes, height, width), base_channels)
        self.num_classes = num_classes

    def with_label_maps(self, x: Tensor, labels: Tensor | None) -> Tensor:
        maps = one_hot(labels, self.num_classes, x)[:, :, None, None].expand(-1, -1, *x.shape[2:])
        return torch.cat([x, maps], dim=1)

    def forward(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        return super().forward(self.with_label_maps(x, labels))
