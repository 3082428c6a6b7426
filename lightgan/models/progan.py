"""ProGAN (Karras et al., 2018): G and D grow together, one resolution at a time, with WGAN-GP.

Training starts at the first resolution of ``resolutions`` (4x4 by default) and doubles it at
each stage. A new resolution first fades in: its blocks are mixed with the upsampled (in D:
downsampled) path they replace, with a weight alpha that rises linearly from 0 to 1 over
``fade_images`` images; then it trains alone for ``stable_images`` images. The first stage has
nothing to fade from and only its stable part; the last one goes on for as long as training does.

"Images" are real images shown to D, as the paper counts them: every data batch the
discriminator trains on (``n_critic`` per generator step, on every device) adds its size. The
count is kept in checkpoints, and the stage and alpha follow from it, so a run resumed in the
middle of a fade continues exactly. Stage and alpha are fixed for a whole training step (its D and
G updates); they are logged as ``train/resolution`` and ``train/fade_alpha``, the count as
``train/images_shown``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import lightning as L
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lightgan.core.checkpoint import CHECKPOINT_KEY
from lightgan.core.module import Batch, GANModule
from lightgan.core.players import Player
from lightgan.core.steps import DiscriminatorStep
from lightgan.errors import ConfigError
from lightgan.models.checks import check_count, require_images
from lightgan.models.wgan import log_wasserstein_estimate
from lightgan.nets.progressive import ProgressiveDiscriminator, ProgressiveGenerator, downsample, growth_resolutions
from lightgan.tricks import ExperienceReplay, GradientPenalty


@dataclass(frozen=True)
class GrowthSchedule:
    """Which resolution trains, and with which fade-in weight alpha, after a number of images."""

    resolutions: tuple[int, ...]
    fade_images: int
    stable_images: int

    def stage_start(self, stage: int) -> int:
        """Images shown before ``stage`` begins (the first stage is only stable; the others fade in, then stabilise)."""
        return 0 if stage == 0 else self.stable_images + (stage - 1) * (self.fade_images + self.stable_images)

    def at(self, images: int) -> tuple[int, float]:
        """(stage, alpha) after ``images`` images: alpha rises linearly over a stage's first ``fade_images``."""
        stage = 0
        while stage + 1 < len(self.resolutions) and images >= self.stage_start(stage + 1):
            stage += 1
        if stage == 0 or images - self.stage_start(stage) >= self.fade_images:
            return stage, 1.0
        return stage, (images - self.stage_start(stage)) / self.fade_images


def check_resolutions(resolutions: list[int] | None, size: int) -> tuple[int, ...]:
    """The stages' resolutions: successive doublings from 4 or more up to the data's ``size`` (None: from 4)."""
    grown = growth_resolutions(size)
    if resolutions is None:
        return tuple(grown)
    resolutions = list(resolutions)
    example = grown[grown.index(resolutions[0]) :] if resolutions and resolutions[0] in grown else grown
    if not resolutions or resolutions[-1] != size:
        raise ConfigError(
            f"model.init_args.resolutions must end at the data's resolution {size}, got {resolutions}. "
            f"Use e.g. {example}."
        )
    if resolutions != example:
        raise ConfigError(
            f"model.init_args.resolutions must double from one stage to the next, from 4 or more up to {size} "
            f"(e.g. {grown}), got {resolutions}."
        )
    return tuple(resolutions)


#: Tricks that cannot do what they say on ProGAN, and why.
REFUSED_TRICKS: dict[type[L.Callback], str] = {
    ExperienceReplay: "its buffer keeps fakes of one resolution, and ProGAN's change resolution from stage to stage",
}


class ProGAN(GANModule):
    """Progressively grown G and D, equalised learning rate, pixel norm in G, minibatch std in D, WGAN-GP + drift.

    D's loss is the Wasserstein loss, plus the ``GradientPenalty`` trick (``gp_weight`` lambda = 10,
    brought along as WGAN-GP brings it) and ``drift_weight`` (epsilon_drift = 0.001) x E[D(x)^2]
    on real images, which keeps D's scores from drifting far from 0 (logged as ``train/drift``).
    D sees real images average-pooled to the current resolution; G's fakes are made at it.
    ``sample()`` gives the current resolution's images (fading in as in training) enlarged by
    nearest-neighbour upsampling to the data's size, so pictures taken during training show each
    stage's resolution, and once the last stage has faded in, samples are at full resolution.

    Args:
        resolutions: the stages, from 4 or more, each double the one before, ending at the data's (square,
            power-of-two) size; None: 4, 8, ... up to it.
        fade_images: real images over which alpha rises from 0 to 1 at the start of each stage
            after the first (800k in the paper).
        stable_images: real images each stage then trains at alpha = 1 (800k in the paper).
        base_channels: the most feature maps of any layer (512 in the paper).
        channel_base: a resolution r has ``min(base_channels, channel_base / r)`` feature maps
            (16384: the paper's 512 up to 32x32, halving with every doubling above).
        gp_weight: lambda of the gradient penalty.
        drift_weight: epsilon_drift, the weight of E[D(x)^2] on real images.
        latent_dim, lr_g, lr_d, betas_g, betas_d: the paper's 512, Adam 1e-3 and betas (0, 0.99).
        **kwargs: everything ``GANModule`` takes (n_critic, pack, ...); the loss is Wasserstein.
    """

    fixed_loss = True

    def __init__(
        self,
        resolutions: list[int] | None = None,
        fade_images: int = 800_000,
        stable_images: int = 800_000,
        base_channels: int = 512,
        channel_base: int = 16384,
        gp_weight: float = 10.0,
        drift_weight: float = 0.001,
        latent_dim: int = 512,
        lr_g: float = 1e-3,
        lr_d: float = 1e-3,
        betas_g: tuple[float, float] = (0.0, 0.99),
        betas_d: tuple[float, float] = (0.0, 0.99),
        **kwargs: Any,
    ) -> None:
        super().__init__(
            loss="wasserstein", latent_dim=latent_dim, lr_g=lr_g, lr_d=lr_d, betas_g=betas_g, betas_d=betas_d, **kwargs
        )
        require_images("ProGAN", self.data_shape)
        channels, height, width = self.data_shape
        if height != width:
            raise ConfigError(f"ProGAN needs square images, got {height}x{width}. Set data.init_args.image_size.")
        check_count("fade_images", fade_images, "real images over which a new resolution fades in", minimum=0)
        check_count("stable_images", stable_images, "real images each resolution trains alone", minimum=1)
        check_count("base_channels", base_channels, "the most feature maps of a layer", minimum=1)
        check_count("channel_base", channel_base, "feature maps at 1x1, before the cap", minimum=1)
        for name, value in (("gp_weight", gp_weight), ("drift_weight", drift_weight)):
            if not isinstance(value, int | float) or value < 0:
                raise ConfigError(f"model.init_args.{name} must be >= 0 (10 and 0.001 in the paper), got {value!r}.")
        self.schedule = GrowthSchedule(check_resolutions(resolutions, height), fade_images, stable_images)
        self.gp_weight, self.drift_weight = gp_weight, drift_weight
        networks = {"size": height, "base_channels": base_channels, "channel_base": channel_base}
        self.generator = ProgressiveGenerator(self.latent_dim, channels, **networks)
        self.discriminator = ProgressiveDiscriminator(self.packed_shape[0], **networks)
        #: Real images D has trained on (see the module's docstring); stage and alpha follow from it.
        self.images_shown = 0

    # ------------------------------------------------------------------ where training is
    @property
    def stage(self) -> int:
        return self.schedule.at(self.images_shown)[0]

    @property
    def alpha(self) -> float:
        """The weight of the newest resolution's blocks: 0 to 1 while they fade in, then 1."""
        return self.schedule.at(self.images_shown)[1]

    @property
    def resolution(self) -> int:
        return self.schedule.resolutions[self.stage]

    # ------------------------------------------------------------------ networks
    def generate(self, z: Tensor, labels: Tensor | None = None, net: nn.Module | None = None) -> Tensor:
        """G's images at the current resolution (training and D work at it; ``sample`` enlarges them)."""
        return (net or self.generator)(z, self.resolution, self.alpha)

    def discriminate(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        """D's scores for images at the current resolution, or larger ones (full-size data), average-pooled to it."""
        return self.discriminator(self.pack_samples(downsample(x, self.resolution)), self.alpha)

    @torch.no_grad()
    def sample(self, n: int | None = None, labels: Tensor | int | None = None, **kwargs: Any) -> Tensor:
        """Samples at the current resolution, enlarged (nearest neighbour) to the data's size."""
        images = super().sample(n, labels, **kwargs)
        return F.interpolate(images, size=self.data_shape[1:], mode="nearest")

    def discriminator_context(self, batch: Batch, player: Player, rng: torch.Generator) -> DiscriminatorStep:
        """The batch's real images average-pooled to the current resolution, the fakes' (penalties mix the two)."""
        step = super().discriminator_context(batch, player, rng)
        step.real = downsample(step.real, self.resolution)
        return step

    # ------------------------------------------------------------------ objective
    def configure_callbacks(self) -> list[L.Callback]:
        return [*super().configure_callbacks(), GradientPenalty(weight=self.gp_weight)]

    def discriminator_loss(self, step: DiscriminatorStep) -> Tensor:
        loss = super().discriminator_loss(step)
        log_wasserstein_estimate(step)
        drift = step.real_out.square().mean()
        step.logs["train/drift"] = drift.detach()
        return loss + self.drift_weight * drift

    # ------------------------------------------------------------------ training
    def setup(self, stage: str) -> None:
        super().setup(stage)
        for callback in self.trainer.callbacks:
            for trick, reason in REFUSED_TRICKS.items():
                if isinstance(callback, trick):
                    raise ConfigError(
                        f"ProGAN cannot train with {trick.__name__}: {reason}. Remove it from trainer.callbacks."
                    )

    def training_step(self, batch: Batch | list[Batch], batch_idx: int) -> None:
        """One step at the stage and alpha of the images shown so far; then its real images are counted."""
        growth = {"resolution": self.resolution, "fade_alpha": self.alpha, "images_shown": self.images_shown}
        self.log_dict({f"train/{key}": float(value) for key, value in growth.items()}, on_step=True, on_epoch=False)
        super().training_step(batch, batch_idx)
        batches = batch if isinstance(batch, list) else [batch]
        self.images_shown += sum(len(data["real"]) for data in batches) * self.trainer.world_size

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        super().on_save_checkpoint(checkpoint)
        checkpoint[CHECKPOINT_KEY]["growth"] = {
            "images_shown": self.images_shown,
            "resolution": self.resolution,
            "alpha": self.alpha,
        }

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        super().on_load_checkpoint(checkpoint)
        self.images_shown = int((checkpoint.get(CHECKPOINT_KEY) or {}).get("growth", {}).get("images_shown", 0))
