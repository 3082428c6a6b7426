"""BEGAN (Berthelot et al., 2017): autoencoder D balanced against G by a proportional controller."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from lightgan.core.hooks import DiscriminatorStep
from lightgan.core.losses import AdversarialLoss
from lightgan.core.module import GANModule
from lightgan.errors import ConfigError
from lightgan.models.checks import reject_packing, require_images
from lightgan.nets.autoencoder import AutoencoderDiscriminator, ConvDecoder


class ReconstructionLoss(AdversarialLoss):
    """Losses on reconstruction errors L(v) (D's outputs) with k_t = 1: D minimises L(x) - L(G(z)),
    G minimises L(G(z)). BEGAN scales the fake term by its equilibrium variable k_t itself."""

    uses_targets = False
    expects_logits = False

    def discriminator_loss(self, real_out, fake_out, real_target=None, fake_target=None):
        return real_out.mean() - fake_out.mean()

    def generator_loss(self, fake_out, real_out=None):
        return fake_out.mean()


def absolute_error(reconstruction: Tensor, x: Tensor) -> Tensor:
    """Per-sample mean absolute reconstruction error, BEGAN's L(v) = |v - D(v)|."""
    return (reconstruction - x).abs().flatten(1).mean(1)


class BEGAN(GANModule):
    """Boundary Equilibrium GAN.

    With L(v) the autoencoder's reconstruction error, D minimises L(x) - k_t L(G(z)) and G
    minimises L(G(z)). After each discriminator step k is updated as
    ``k <- clip(k + lambda_k (gamma L(x) - L(G(z))), 0, 1)``, which holds E[L(G(z))] at gamma
    times E[L(x)]: gamma trades diversity (high) against quality (low). The convergence
    measure M = L(x) + |gamma L(x) - L(G(z))| decreases as training converges; it is logged as
    ``train/convergence`` (and ``val/convergence``), k as ``train/k``. k is a buffer, so it is
    saved in checkpoints and a resumed run continues with the same value. As in the paper, G
    has the architecture of D's decoder.

    Args:
        gamma: diversity ratio gamma in (0, 1].
        lambda_k: learning rate of k.
        k_init: initial k (0 in the paper).
        code_dim: size of the autoencoder's code.
        base_channels: channel width of the largest feature map.
        **kwargs: everything ``GANModule`` takes except ``loss``.
    """

    fixed_loss = True

    def __init__(
        self,
        gamma: float = 0.5,
        lambda_k: float = 0.001,
        k_init: float = 0.0,
        code_dim: int = 64,
        base_channels: int = 64,
        **kwargs: Any,
    ) -> None:
        if not 0 < gamma <= 1:
            raise ConfigError(f"BEGAN gamma must be in (0, 1], got {gamma}. The paper uses 0.3 to 0.7.")
        if not 0 <= k_init <= 1:
            raise ConfigError(f"BEGAN k_init must be in [0, 1], got {k_init}.")
        super().__init__(loss=ReconstructionLoss(), **kwargs)
        require_images(type(self).__name__, self.data_shape)
        reject_packing(type(self).__name__, self.pack, "D's energy is each sample's reconstruction error")
        self.gamma, self.lambda_k = gamma, lambda_k
        self.register_buffer("k", torch.tensor(float(k_init)))
        self.generator = ConvDecoder(self.latent_dim, self.data_shape, base_channels)
        self.discriminator = AutoencoderDiscriminator(self.data_shape, code_dim, base_channels)

    def discriminate(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        """The reconstruction error of each sample."""
        return absolute_error(self.discriminator(x), x)

    def convergence(self, real_error: Tensor, fake_error: Tensor) -> Tensor:
        """M_global = L(x) + |gamma L(x) - L(G(z))|."""
        return real_error + (self.gamma * real_error - fake_error).abs()

    def discriminator_loss(self, step: DiscriminatorStep) -> Tensor:
        step.real_out = self.discriminate(step.real)
        step.fake_out = self.discriminate(step.fake)
        real_error, fake_error = step.real_out.mean(), step.fake_out.mean()
        step.logs["train/k"] = self.k.clone()
        step.logs["train/convergence"] = self.convergence(real_error, fake_error)
        return real_error - self.k * fake_error

    def after_discriminator_step(self, step: DiscriminatorStep) -> None:
        real_error, fake_error = step.real_out.detach().mean(), step.fake_out.detach().mean()
        self.k.add_(self.lambda_k * (self.gamma * real_error - fake_error)).clamp_(0.0, 1.0)
