"""DCGAN discriminator bodies with more than one real/fake logit on top.

AC-GAN adds a class head next to the source head, SGAN replaces the single logit by N + 1
class logits, InfoGAN puts a Q network on the shared body. They all share ``DCGANBody``: the
DCGAN discriminator's convolutions, flattened.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from lightgan.nets.dcgan import DCGANDiscriminator, dcgan_layout


def dcgan_feature_size(data_shape: Sequence[int], base_channels: int) -> int:
    """Number of values in the DCGAN discriminator's last feature map (its ``features`` output)."""
    start, doublings = dcgan_layout(data_shape[1])
    return base_channels * 2 ** (doublings - 1) * start * start


class DCGANBody(nn.Sequential):
    """DCGAN's discriminator convolutions followed by a flatten; ``out_features`` is its width."""

    def __init__(self, data_shape: Sequence[int], base_channels: int = 64, batch_norm: bool = True) -> None:
        convs = DCGANDiscriminator(data_shape, base_channels, batch_norm).features
        super().__init__(*convs, nn.Flatten())
        self.out_features = dcgan_feature_size(data_shape, base_channels)


class AuxiliaryClassifierDiscriminator(nn.Module):
    """AC-GAN's D: one body, a source head (real/fake logit) and a class head (class logits)."""

    def __init__(self, data_shape: Sequence[int], num_classes: int, base_channels: int = 64) -> None:
        super().__init__()
        self.features = DCGANBody(data_shape, base_channels)
        self.head = nn.Linear(self.features.out_features, 1)
        self.class_head = nn.Linear(self.features.out_features, num_classes)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(source logits of shape (N,), class logits of shape (N, num_classes))."""
        features = self.features(x)
        return self.head(features).view(-1), self.class_head(features)


class ClassifierDiscriminator(nn.Module):
    """A DCGAN body with ``num_outputs`` logits, e.g. SGAN's N classes + 1 fake class."""

    def __init__(self, data_shape: Sequence[int], num_outputs: int, base_channels: int = 64) -> None:
        super().__init__()
        self.features = DCGANBody(data_shape, base_channels)
        self.head = nn.Linear(self.features.out_features, num_outputs)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))


class QNetwork(nn.Module):
    """InfoGAN's Q head on D's features: logits per categorical code and means of continuous codes."""

    def __init__(
        self,
        in_features: int,
        categorical_codes: Sequence[int],
        continuous_codes: int,
        hidden: int = 128,
        slope: float = 0.2,
    ):
        super().__init__()
        self.categorical_codes, self.continuous_codes = tuple(categorical_codes), continuous_codes
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(in_features, hidden),
            nn.BatchNorm1d(hidden),
            nn.LeakyReLU(slope, inplace=True),
            nn.Linear(hidden, sum(self.categorical_codes) + continuous_codes),
        )

    def forward(self, features: Tensor) -> tuple[list[Tensor], Tensor]:
        """([logits of each categorical code], continuous means of shape (N, continuous_codes))."""
        out = self.net(features)
        *logits, means = out.split([*self.categorical_codes, self.continuous_codes], dim=1)
        return logits, means


def widened_head(head: nn.Module, outputs: int) -> nn.Module:
    """A new output layer like ``head`` (a discriminator's last ``Linear`` or ``Conv2d``) with ``outputs`` outputs."""
    if isinstance(head, nn.Linear):
        return nn.Linear(head.in_features, outputs, bias=head.bias is not None)
    if isinstance(head, nn.Conv2d):
        return nn.Conv2d(
            head.in_channels, outputs, head.kernel_size, head.stride, head.padding, bias=head.bias is not None
        )
    raise TypeError(f"cannot widen a discriminator head of type {type(head).__name__}")


class MultiOutputDiscriminator(nn.Module):
    """A discriminator's body (``features``) with a head of ``outputs`` logits: (N, outputs) per call."""

    def __init__(self, discriminator: nn.Module, outputs: int) -> None:
        super().__init__()
        self.features = discriminator.features
        self.head = widened_head(discriminator.head, outputs)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x)).flatten(1)
