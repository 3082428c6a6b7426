"""EBGAN (Zhao et al., 2017): D is an autoencoder whose reconstruction error is an energy."""

from __future__ import annotations

from typing import Any

import torch.nn.functional as F
from torch import Tensor

from lightgan.core.hooks import GeneratorStep
from lightgan.core.losses import AdversarialLoss
from lightgan.core.module import GANModule
from lightgan.errors import ConfigError
from lightgan.models.checks import reject_packing, require_images
from lightgan.nets.autoencoder import AutoencoderDiscriminator
from lightgan.nets.dcgan import DCGANGenerator


class EnergyMarginLoss(AdversarialLoss):
    """EBGAN's objectives on energies E (D's outputs): D minimises E(x) + max(0, m - E(G(z))),
    G minimises E(G(z)). D only pushes a fake's energy up while it is below the margin m."""

    uses_targets = False
    expects_logits = False

    def __init__(self, margin: float = 1.0) -> None:
        self.margin = margin

    def discriminator_loss(self, real_out, fake_out, real_target=None, fake_target=None):
        return real_out.mean() + F.relu(self.margin - fake_out).mean()

    def generator_loss(self, fake_out, real_out=None):
        return fake_out.mean()

    def __repr__(self) -> str:
        return f"EnergyMarginLoss(margin={self.margin})"


def squared_error_energy(reconstruction: Tensor, x: Tensor) -> Tensor:
    """Per-sample mean squared reconstruction error."""
    return ((reconstruction - x) ** 2).flatten(1).mean(1)


def pulling_away_term(codes: Tensor) -> Tensor:
    """EBGAN's repelling regulariser: mean squared cosine similarity between distinct codes of a batch."""
    unit = F.normalize(codes.flatten(1), dim=1)
    n = len(unit)
    similarity = unit @ unit.t()
    return ((similarity**2).sum() - n) / (n * (n - 1))


class EBGAN(GANModule):
    """Energy-based GAN: D(x) = ||Dec(Enc(x)) - x||^2 per pixel, low on data, high on fakes.

    The objective is the margin loss of :class:`EnergyMarginLoss` (not configurable: it is
    what makes the model EBGAN). ``pullaway_weight`` > 0 adds the pulling-away term on the
    encoder codes of the fakes to G's loss (EBGAN-PT, 0.1 in the paper), which keeps the
    generated batch from collapsing onto one mode; it is logged as ``train/pullaway``.

    Args:
        margin: m of the margin loss, in units of the per-pixel squared error.
        pullaway_weight: weight of the pulling-away term (0: plain EBGAN).
        code_dim: size of the autoencoder's code.
        base_channels: channel width of the largest feature map of G and of D's autoencoder.
        **kwargs: everything ``GANModule`` takes except ``loss``.
    """

    fixed_loss = True

    def __init__(
        self,
        margin: float = 1.0,
        pullaway_weight: float = 0.0,
        code_dim: int = 128,
        base_channels: int = 64,
        **kwargs: Any,
    ) -> None:
        if margin <= 0:
            raise ConfigError(f"EBGAN margin must be positive, got {margin}. Use e.g. 1.0.")
        if pullaway_weight < 0:
            raise ConfigError(f"EBGAN pullaway_weight must be >= 0 (0 turns it off), got {pullaway_weight}.")
        super().__init__(loss=EnergyMarginLoss(margin), **kwargs)
        require_images(type(self).__name__, self.data_shape)
        reject_packing(type(self).__name__, self.pack, "D's energy is each sample's reconstruction error")
        self.pullaway_weight = pullaway_weight
        self.generator = DCGANGenerator(self.latent_dim, self.data_shape, base_channels)
        self.discriminator = AutoencoderDiscriminator(self.data_shape, code_dim, base_channels)

    def discriminate(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        """The energy of each sample."""
        return squared_error_energy(self.discriminator(x), x)

    def generator_loss(self, step: GeneratorStep) -> Tensor:
        codes = self.discriminator.features(step.fake)
        step.fake_out = squared_error_energy(self.discriminator.head(codes), step.fake)
        loss = self.adversarial_generator_loss(step)
        if self.pullaway_weight:
            pullaway = pulling_away_term(codes)
            step.logs["train/pullaway"] = pullaway
            loss = loss + self.pullaway_weight * pullaway
        return loss
