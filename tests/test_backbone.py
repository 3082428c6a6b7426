"""BackboneGAN: the objective variants pick DCGAN networks for images and fully connected ones for vectors."""

from __future__ import annotations

import pytest
from torch import nn

from lightgan.errors import ConfigError
from lightgan.models import LSGAN, WGANGP
from lightgan.nets import DCGANDiscriminator, MaxoutDiscriminator, MLPDiscriminator, MLPGenerator


def test_auto_architecture_follows_the_data() -> None:
    images = LSGAN(data_shape=(1, 16, 16), base_channels=4)
    assert isinstance(images.discriminator, DCGANDiscriminator)
    assert any(isinstance(m, nn.BatchNorm2d) for m in images.discriminator.modules())  # LSGAN keeps DCGAN's BN
    points = LSGAN(data_shape=(2,), latent_dim=2, hidden_dims=(8,))
    assert isinstance(points.generator, MLPGenerator) and isinstance(points.discriminator, MLPDiscriminator)


def test_mlp_architecture_with_the_maxout_discriminator() -> None:
    model = WGANGP(data_shape=(2,), latent_dim=2, hidden_dims=(8,), discriminator_type="maxout")
    assert isinstance(model.discriminator, MaxoutDiscriminator)


def test_dcgan_architecture_on_vector_data_is_rejected() -> None:
    with pytest.raises(ConfigError, match="architecture: mlp"):
        LSGAN(data_shape=(2,), architecture="dcgan")
