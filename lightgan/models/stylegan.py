"""StyleGAN (Karras et al., 2019) and StyleGAN 2 (Karras et al., 2020): styles from a mapped latent at every layer.

The networks are in ``lightgan.nets.stylegan``; ``style_mode`` picks StyleGAN 1's AdaIN or StyleGAN
2's weight (de)modulation. The training follows StyleGAN 2:

- **Non-saturating loss** with **lazy R1**: every ``r1_every``-th D update (the first included) adds
  ``r1_every * gamma / 2 * E||grad D(x_real)||^2`` (``lightgan.core.regularizers.r1_penalty``), so
  the penalty weighs gamma per update on average at 1 / r1_every of the cost; logged as
  ``train/lazy_r1``. StyleGAN 2 takes it as an optimizer step of its own and so adjusts Adam's lr and
  betas by 16/17; here it joins that update's loss, one step, and needs no adjustment.
- **Style mixing regularisation**: for a batch, with probability ``mixing_prob``, the ws from a
  second latent replace the first one's from a random layer on, so no layer can count on its
  neighbours sharing its style.
- **W average**: after each G update, ``w_avg`` (a buffer of the mapping network, in checkpoints)
  moves toward the mean w of that update's latents by ``1 - w_avg_beta``; truncation pulls toward it.
- **Path-length regularisation** (``pl_weight`` > 0, off by default): every ``pl_every``-th G update
  on half a batch, ``pl_every * pl_weight * E[(||J_w^T y|| - a)^2]`` with y random images, N(0, 1 /
  pixels) per pixel, J_w the Jacobian of the images w.r.t. the ws and ``a`` a running mean of the
  lengths (decay 0.01, in checkpoints); logged as ``train/path_length``.

Every draw (per-layer noise, mixing, path-length batches) comes from the step's random source, so a
resumed run continues exactly; the D update count that schedules lazy R1 is in checkpoints too.
``sample(truncation=psi)`` truncates in W; the ``StyleMixing`` monitor, which the variant brings
along, draws the paper's style-mixing figure each epoch.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import Any

import lightning as L
import torch
from torch import Tensor

from lightgan.core.losses import AdversarialLoss
from lightgan.core.module import Batch, GANModule
from lightgan.core.regularizers import r1_penalty
from lightgan.core.steps import DiscriminatorStep, Fakes, GeneratorStep
from lightgan.errors import ConfigError
from lightgan.models.checks import check_count, require_images
from lightgan.monitors.style_mixing import StyleMixing
from lightgan.nets.norm import check_choice
from lightgan.nets.stylegan import (
    STYLE_MODES,
    Noise,
    StyleDiscriminator,
    StyleGenerator,
    StyleMode,
    style_ranges,
)


def _check_range(name: str, value: float, interval: str, valid: bool, paper: str) -> None:
    if not valid:
        raise ConfigError(f"model.init_args.{name} must be in {interval}, got {value!r}. {paper}")


class StyleGAN(GANModule):
    """A mapping network and a style-driven synthesis network, StyleGAN 2's residual D and training.

    Args:
        style_mode: ``modulated`` (StyleGAN 2's weight demodulation, the default) or ``adain`` (StyleGAN 1).
        w_dim: size of w (None: ``latent_dim``; 512 in the papers).
        mapping_layers: fully connected layers of the mapping network (8).
        mapping_lr_multiplier: the mapping network's learning-rate multiplier (0.01).
        base_channels: feature maps at the image size, doubled per halving (32 at 1024 px in the papers).
        max_channels: the most feature maps of any layer (512).
        mixing_prob: probability of style mixing per batch (0.9).
        w_avg_beta: decay of the W average's moving mean (0.995).
        r1_gamma: gamma of the R1 penalty (10 for FFHQ; StyleGAN2-ADA uses 0.01 on CIFAR-10).
        r1_every: D updates per lazy R1 penalty (16).
        pl_weight: weight of path-length regularisation (2 in StyleGAN 2; 0 leaves it out).
        pl_every: G updates per path-length penalty (4).
        latent_dim, lr_g, lr_d, betas_g, betas_d: StyleGAN 2's 512, Adam 2e-3 and betas (0, 0.99)
            (StyleGAN 1 used lr 1e-3).
        loss: the adversarial loss (``non_saturating``, the papers').
        **kwargs: everything ``GANModule`` takes (n_critic, pack, noise, ...).
    """

    def __init__(
        self,
        style_mode: StyleMode = "modulated",
        w_dim: int | None = None,
        mapping_layers: int = 8,
        mapping_lr_multiplier: float = 0.01,
        base_channels: int = 64,
        max_channels: int = 512,
        mixing_prob: float = 0.9,
        w_avg_beta: float = 0.995,
        r1_gamma: float = 10.0,
        r1_every: int = 16,
        pl_weight: float = 0.0,
        pl_every: int = 4,
        latent_dim: int = 512,
        loss: str | dict | AdversarialLoss = "non_saturating",
        lr_g: float = 2e-3,
        lr_d: float = 2e-3,
        betas_g: tuple[float, float] = (0.0, 0.99),
        betas_d: tuple[float, float] = (0.0, 0.99),
        **kwargs: Any,
    ) -> None:
        super().__init__(
            latent_dim=latent_dim, loss=loss, lr_g=lr_g, lr_d=lr_d, betas_g=betas_g, betas_d=betas_d, **kwargs
        )
        require_images("StyleGAN", self.data_shape)
        check_choice("style_mode", style_mode, STYLE_MODES)
        check_count("mapping_layers", mapping_layers, "fully connected layers of the mapping network", minimum=1)
        check_count("base_channels", base_channels, "feature maps at the image size", minimum=1)
        check_count("max_channels", max_channels, "the most feature maps of a layer", minimum=1)
        check_count("r1_every", r1_every, "D updates per R1 penalty", minimum=1)
        check_count("pl_every", pl_every, "G updates per path-length penalty", minimum=1)
        if w_dim is not None:
            check_count("w_dim", w_dim, "the size of w", minimum=1)
        paper = "The papers use"
        _check_range("mixing_prob", mixing_prob, "[0, 1]", 0 <= mixing_prob <= 1, f"{paper} 0.9.")
        _check_range("w_avg_beta", w_avg_beta, "[0, 1)", 0 <= w_avg_beta < 1, f"{paper} 0.995.")
        _check_range("r1_gamma", r1_gamma, "[0, inf)", r1_gamma >= 0, "StyleGAN 2 uses 10 on FFHQ.")
        _check_range("pl_weight", pl_weight, "[0, inf)", pl_weight >= 0, "StyleGAN 2 uses 2; 0 leaves it out.")
        _check_range(
            "mapping_lr_multiplier", mapping_lr_multiplier, "(0, inf)", mapping_lr_multiplier > 0, f"{paper} 0.01."
        )
        self.generator = StyleGenerator(
            self.latent_dim,
            self.data_shape,
            w_dim or self.latent_dim,
            mapping_layers,
            mapping_lr_multiplier,
            base_channels,
            max_channels,
            style_mode,
        )
        self.discriminator = StyleDiscriminator(self.packed_shape, base_channels, max_channels)
        self.mixing_prob, self.w_avg_beta = mixing_prob, w_avg_beta
        self.r1_gamma, self.r1_every = r1_gamma, r1_every
        self.pl_weight, self.pl_every = pl_weight, pl_every
        self.register_buffer("discriminator_updates", torch.zeros((), dtype=torch.long))
        self.register_buffer("pl_mean", torch.zeros(()))
        self._rng: torch.Generator | None = None

    # ------------------------------------------------------------------ styles
    def style_ranges(self) -> dict[str, range]:
        """The ws of the coarse, middle and fine styles (what the style-mixing figure copies)."""
        return style_ranges(self.data_shape[1])

    def styles(self, z: Tensor, truncation: float | None = None) -> Tensor:
        """(n, num_ws, w_dim) ws of the latents ``z``, truncated toward ``w_avg`` when psi is given."""
        ws = self.generator.mapping(z)
        if truncation is None:
            return ws
        self.check_truncation(truncation)
        return self.generator.mapping.truncate(ws, truncation)

    def synthesize(self, ws: Tensor, rng: torch.Generator | None = None, noise: Noise = None) -> Tensor:
        """Images from ws; per-layer noise random (from ``rng``) or fixed, by default random only in training."""
        return self.generator.synthesis(ws, rng, noise)

    def mix_styles(self, ws: Tensor, generator: StyleGenerator, rng: torch.Generator) -> Tensor:
        """With probability ``mixing_prob``, the ws of a second latent from a random layer on (one draw per batch)."""
        device = rng.device
        if self.mixing_prob == 0 or float(torch.rand((), generator=rng, device=device)) >= self.mixing_prob:
            return ws
        cutoff = int(torch.randint(1, ws.shape[1], (), generator=rng, device=device))
        other = generator.mapping(self.sample_noise(len(ws), rng))
        return torch.cat([ws[:, :cutoff], other[:, cutoff:]], dim=1)

    @contextlib.contextmanager
    def _drawing_from(self, rng: torch.Generator) -> Iterator[None]:
        self._rng = rng
        try:
            yield
        finally:
            self._rng = None

    def make_fakes(self, batch: Batch, rng: torch.Generator) -> Fakes:
        """Fakes of an update: styles mixed and per-layer noise drawn from ``rng``, as a noise vector is."""
        with self._drawing_from(rng):
            return super().make_fakes(batch, rng)

    def generate(self, z: Tensor, labels: Tensor | None = None, net: StyleGenerator | None = None) -> Tensor:
        """G's output; within an update's draw (``make_fakes``) styles mixed and per-layer noise drawn from its rng."""
        generator = net or self.generator
        ws = generator.mapping(z)
        if self._rng is not None:
            ws = self.mix_styles(ws, generator, self._rng)
        return generator.synthesis(ws, self._rng)

    def generate_truncated(
        self, psi: float, z: Tensor | None, labels: Tensor | None = None, **conditions: Tensor
    ) -> Tensor:
        """Truncation in W: ``w_avg + psi (w - w_avg)`` at every layer (StyleGAN 2's default), fixed noise."""
        return self.synthesize(self.styles(z, psi))

    # ------------------------------------------------------------------ regularisation
    def discriminator_loss(self, step: DiscriminatorStep) -> Tensor:
        loss = super().discriminator_loss(step)
        due = self.training and self.r1_gamma > 0 and int(self.discriminator_updates) % self.r1_every == 0
        if not due:
            return loss
        judge = step.critic or self.critic(step.player, step.conditions)
        penalty = r1_penalty(lambda x: judge(x, step.labels), step.real, pack=self.pack)
        step.logs["train/lazy_r1"] = penalty.detach()
        return loss + self.r1_every * self.r1_gamma * penalty

    def after_discriminator_step(self, step: DiscriminatorStep) -> None:
        self.discriminator_updates += 1

    def generator_loss(self, step: GeneratorStep) -> Tensor:
        loss = super().generator_loss(step)
        if not (self.training and self.pl_weight > 0 and self.global_step % self.pl_every == 0):
            return loss
        lengths = self.path_lengths(max(1, len(step.fake) // 2), self.step_rng(step))
        self.pl_mean.copy_(self.pl_mean.lerp(lengths.mean().detach(), 0.01))
        step.logs["train/path_length"] = lengths.mean().detach()
        return loss + self.pl_every * self.pl_weight * (lengths - self.pl_mean).square().mean()

    def path_lengths(self, n: int, rng: torch.Generator) -> Tensor:
        """||J_w^T y|| for ``n`` fresh fakes (styles mixed as in training), y ~ N(0, 1 / pixels) per pixel."""
        ws = self.mix_styles(self.generator.mapping(self.sample_noise(n, rng)), self.generator, rng)
        images = self.generator.synthesis(ws, rng)
        y = torch.randn(images.shape, generator=rng, device=rng.device).to(images) / math.sqrt(images[0, 0].numel())
        (gradient,) = torch.autograd.grad((images * y).sum(), ws, create_graph=True)
        return gradient.square().sum(2).mean(1).sqrt()

    def after_generator_step(self, step: GeneratorStep) -> None:
        self.generator.mapping.track(step.z, self.w_avg_beta)

    # ------------------------------------------------------------------ training set-up
    def configure_callbacks(self) -> list[L.Callback]:
        """The ``StyleMixing`` figure each epoch, unless the trainer has one of its own."""
        configured = self._trainer.callbacks if self._trainer is not None else []
        own = [] if any(isinstance(cb, StyleMixing) for cb in configured) else [StyleMixing()]
        return [*super().configure_callbacks(), *own]
