"""BiGAN (Donahue et al., 2017) and ALI (Dumoulin et al., 2017): GANs that also learn to encode."""

from __future__ import annotations

from typing import Any

import lightning as L
import torch
from torch import Tensor

from lightgan.core.hooks import DiscriminatorStep, GeneratorStep
from lightgan.core.module import Batch, GANModule
from lightgan.models.checks import reject_packing, require_images
from lightgan.monitors.reconstructions import Reconstructions
from lightgan.nets.bigan import DCGANEncoder, JointDiscriminator
from lightgan.nets.dcgan import DCGANGenerator


class BiGAN(GANModule):
    """An encoder E: x -> z learns alongside G: z -> x; D judges pairs, (x, E(x)) against (G(z), z).

    At the optimum E inverts G, so G(E(x)) reconstructs x although no reconstruction loss is
    ever used. E trains with G's optimizer; G and E minimise D's loss with the real and fake
    roles swapped (the paper's "inverted labels"). ``discriminate(x)`` judges the pair
    (x, E(x)).

    Each epoch a reconstruction grid is saved as ``reconstructions/epoch=…-step=….png`` in the
    run folder and logged as ``bigan/reconstructions``: rows of held-out images alternate with
    rows of their reconstructions G(E(x)). Validation logs ``val/reconstruction_error`` (MSE).

    Args:
        base_channels: channel width of the largest feature map of G, E and D.
        stochastic_encoder: E outputs a mean and log-std and z is sampled from them (ALI);
            False gives BiGAN's deterministic encoder.
        num_reconstructions: images in the reconstruction grid.
        **kwargs: everything ``GANModule`` takes (loss, learning rates, n_critic, ...).
    """

    #: E trains with G's optimizer.
    generator_networks = ("generator", "encoder")

    def __init__(
        self,
        base_channels: int = 64,
        stochastic_encoder: bool = False,
        num_reconstructions: int = 32,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        require_images(type(self).__name__, self.data_shape)
        reject_packing(type(self).__name__, self.pack, "D judges each image together with its own code")
        self.stochastic_encoder, self.num_reconstructions = stochastic_encoder, num_reconstructions
        encoder_outputs = self.latent_dim * (2 if stochastic_encoder else 1)
        self.generator = DCGANGenerator(self.latent_dim, self.data_shape, base_channels)
        self.encoder = DCGANEncoder(self.data_shape, encoder_outputs, base_channels)
        self.discriminator = JointDiscriminator(self.data_shape, self.latent_dim, base_channels)

    # ------------------------------------------------------------------ encoder
    def encode(self, x: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """E(x). A stochastic encoder samples with ``generator`` and returns its mean when it is None."""
        out = self.encoder(x)
        if not self.stochastic_encoder:
            return out
        mean, log_std = out.chunk(2, dim=1)
        if generator is None:
            return mean
        eps = torch.randn(mean.shape, generator=generator, device=generator.device).to(mean)
        return mean + log_std.exp() * eps

    @torch.no_grad()
    def reconstruct(self, x: Tensor) -> Tensor:
        """G(E(x)) with both networks in eval mode."""
        was_training = self.encoder.training
        self.encoder.eval()
        try:
            return self.sample(len(x), z=self.encode(x))
        finally:
            self.encoder.train(was_training)

    # ------------------------------------------------------------------ objective
    def discriminate(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        return self.discriminator(x, self.encode(x))

    def discriminator_loss(self, step: DiscriminatorStep) -> Tensor:
        step.real_out = self.discriminator(step.real, self.encode(step.real, self.step_rng(step)))
        step.fake_out = self.discriminator(step.fake, step.z)
        return self.loss.discriminator_loss(step.real_out, step.fake_out, step.real_target, step.fake_target)

    def generator_loss(self, step: GeneratorStep) -> Tensor:
        real = step.batch["real"]
        real_out = self.discriminator(real, self.encode(real, self.step_rng(step)))
        step.fake_out = self.discriminator(step.fake, step.z)
        step.adversarial_loss = self.loss.discriminator_loss(real_out=step.fake_out, fake_out=real_out)
        return step.adversarial_loss

    # ------------------------------------------------------------------ evaluation and pictures
    def evaluation_metrics(self, batch: Batch) -> dict[str, Tensor]:
        """The players' objectives on held-out pairs, and how well G(E(x)) reconstructs x."""
        error = ((self.reconstruct(batch["real"]) - batch["real"]) ** 2).mean()
        return {**super().evaluation_metrics(batch), "reconstruction_error": error}

    def configure_callbacks(self) -> list[L.Callback]:
        return [
            *super().configure_callbacks(),
            Reconstructions(num_images=self.num_reconstructions, log_key="bigan/reconstructions"),
        ]


class ALI(BiGAN):
    """ALI: BiGAN with a stochastic encoder, z = mean(x) + std(x) * eps (sampled in training)."""

    def __init__(self, stochastic_encoder: bool = True, **kwargs: Any) -> None:
        super().__init__(stochastic_encoder=stochastic_encoder, **kwargs)
