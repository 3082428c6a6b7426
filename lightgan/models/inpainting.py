"""Inpainting (Pathak et al., 2016; Iizuka et al., 2017): G fills the holes a mask cuts into an image."""

from __future__ import annotations

from typing import Any, Literal

import torch
from torch import Tensor, nn

from lightgan.core.module import Batch, GANModule
from lightgan.core.players import DISCRIMINATOR, GENERATOR, Player
from lightgan.core.steps import ConditionalCritic, DiscriminatorStep, Fakes, GeneratorStep
from lightgan.errors import ConfigError
from lightgan.models.checks import check_translator_options, reject_packing, require_images
from lightgan.nets.dcgan import DCGANDiscriminator
from lightgan.nets.norm import Norm, check_choice, noise_from
from lightgan.nets.translators import translator_generator

Reconstruction = Literal["l1", "l2"]
#: The discriminator players: one judges whole images, the other what fills their holes.
GLOBAL, LOCAL = "d_global", "d_local"
#: What the error for data without masks tells the user to set.
MASK_FIX = "Use data: Degraded with data.init_args.degradation: mask."


def composite(generated: Tensor, source: Tensor, mask: Tensor) -> Tensor:
    """G's pixels in the hole (mask 1), the input's elsewhere: known pixels are kept exactly, whatever G says."""
    return mask * generated + (1 - mask) * source


def hole_loss(output: Tensor, target: Tensor, mask: Tensor, kind: Reconstruction) -> Tensor:
    """Mean absolute (``l1``) or squared (``l2``) error over the hole's pixels only, normalised by the hole's area
    (pixels x channels in the batch), so a small hole weighs as much per pixel as a large one."""
    error = (output - target).abs() if kind == "l1" else (output - target).square()
    area = mask.sum() * output.shape[1]
    return (mask * error).sum() / area.clamp_min(1)


def local_view(images: Tensor, mask: Tensor) -> Tensor:
    """What the local D sees: the hole's pixels (everything else zeroed) and the mask, stacked along channels."""
    return torch.cat([mask * images, mask], 1)


class Inpainting(GANModule):
    """Context-encoder style inpainting: G fills the hole of each ``source`` image (``mask`` 1 in the hole).

    G takes the masked image and the mask stacked along channels and returns a whole image, of
    which only the hole is kept: ``output = mask * G(source, mask) + (1 - mask) * source``, so the
    known pixels come out exactly as they went in. G is pix2pix's U-Net (or CycleGAN's ResNet
    generator): an encoder-decoder whose bottleneck sees the whole image, as the context
    encoder's does, and whose skips carry the border of the hole to the decoder at full resolution.

    Two discriminator players, as in Iizuka et al.: ``d_global`` judges whole images (the filled
    hole must fit its context) and ``d_local`` judges the hole alone (its texture). The local D
    sees the images multiplied by the mask, with the mask as an extra channel: every hole of a
    batch (a centre square, boxes, free-form strokes) in one tensor, without cropping or resizing,
    and nothing outside the hole. Iizuka et al. crop a patch around the single hole instead and
    join the two D's features in one final layer; as two players, each D has its own optimizer
    and its loss and scores are logged on their own (``train/d_global_loss``, ...). Both are
    DCGAN discriminators (one logit per image), as the context encoder's D is.

    G minimises the mean of its adversarial losses against the two Ds (``train/g_adversarial_global``,
    ``train/g_adversarial_local``) plus ``reconstruction_weight`` x the reconstruction error on
    the hole (``train/g_hole``): L2 by default, as in both papers (``l1`` as in pix2pix). The
    default weight, 999, is the context encoder's 0.999 reconstruction to 0.001 adversarial;
    Iizuka et al.'s alpha = 0.0004 is a weight of 2500. Their overlap weighting (Pathak) and
    Poisson blending (Iizuka) are left out.

    Args:
        generator: ``unet`` (default) or ``resnet``.
        base_channels: width of the first layers of G and of both Ds (64 in the papers' DCGAN-style nets).
        depth: U-Net encoder layers; None: as many as the image size allows (a 1x1 bottleneck).
        resnet_blocks: blocks of the ResNet generator; None: 9 from 256 px on, else 6.
        dropout: G's dropout probability, in [0, 1) (0: a deterministic G, as the context encoder).
        norm: ``batch`` (the papers) or ``instance`` normalisation in G; the Ds use batch norm.
        reconstruction: ``l2`` (the papers) or ``l1``, over the hole's pixels.
        reconstruction_weight: weight of the reconstruction term against the adversarial one (999).
        **kwargs: everything ``GANModule`` takes (``latent_dim`` is unused, ``pack`` refused); its defaults
            are the context encoder's: the non-saturating loss, Adam with lr 2e-4 and betas (0.5, 0.999).
    """

    input_conditions = ("source", "mask")
    takes_noise = False

    def __init__(
        self,
        generator: Literal["unet", "resnet"] = "unet",
        base_channels: int = 64,
        depth: int | None = None,
        resnet_blocks: int | None = None,
        dropout: float = 0.0,
        norm: Norm = "batch",
        reconstruction: Reconstruction = "l2",
        reconstruction_weight: float = 999.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        name = type(self).__name__
        require_images(name, self.data_shape)
        reject_packing(name, self.pack, "each output is judged with its own mask")
        check_translator_options(
            generator, ("unet", "resnet"), norm, base_channels, depth, resnet_blocks, dropout, "0: a deterministic G"
        )
        check_choice("reconstruction", reconstruction, ("l1", "l2"))
        if not isinstance(reconstruction_weight, int | float) or not reconstruction_weight >= 0:
            raise ConfigError(
                f"model.init_args.reconstruction_weight must be >= 0 (999 in the context encoder), "
                f"got {reconstruction_weight!r}."
            )
        channels, height, width = self.data_shape
        if height != width:
            raise ConfigError(
                f"{name}'s discriminators need square images, got {height}x{width}. "
                "Give square images, e.g. image_size: 32 in the (base) datamodule's init_args."
            )
        self.reconstruction, self.reconstruction_weight = reconstruction, reconstruction_weight
        common = {"image_size": (height, width), "base_channels": base_channels, "norm": norm, "dropout": dropout}
        self.generator = translator_generator(
            generator, channels + 1, channels, depth=depth, blocks=resnet_blocks, **common
        )
        self.discriminator_global = DCGANDiscriminator(self.data_shape, base_channels)
        self.discriminator_local = DCGANDiscriminator((channels + 1, height, width), base_channels)

    def players(self) -> list[Player]:
        return [
            self.player("generator", GENERATOR, self.generator_networks),
            self.player(GLOBAL, DISCRIMINATOR, ("discriminator_global",)),
            self.player(LOCAL, DISCRIMINATOR, ("discriminator_local",)),
        ]

    def setup(self, stage: str) -> None:
        super().setup(stage)
        datamodule = self.trainer.datamodule
        if stage == "fit" and hasattr(datamodule, "held_out_batch"):
            self._check_shapes(self.data_conditions(datamodule.held_out_batch(1)))

    def data_conditions(self, batch: Batch) -> dict[str, Tensor]:
        """The masked images and their masks; data without masks is refused naming the setting that gives them."""
        if "mask" not in batch:
            raise ConfigError(
                f"{type(self).__name__} fills the holes a mask marks, but the data's batches hold only "
                f"{sorted(batch)}. {MASK_FIX}"
            )
        return super().data_conditions(batch)

    def _check_shapes(self, conditions: dict[str, Tensor]) -> None:
        """Sources and masks of another size than the networks were built for stop before training."""
        found = {key: tuple(conditions[key].shape[1:]) for key in ("source", "mask")}
        expected = {"source": self.data_shape, "mask": (1, *self.data_shape[1:])}
        if found != expected:
            raise ConfigError(
                f"{type(self).__name__} was built for sources and masks of shapes {expected['source']} and "
                f"{expected['mask']}, but the data's are {found['source']} and {found['mask']}. Give one-channel "
                "masks of the images' size, 1 in the hole, as Degraded with data.init_args.degradation: mask does."
            )

    # ------------------------------------------------------------------ filling holes
    def example_conditions(self, n: int, device: torch.device | str | None = None) -> dict[str, Tensor]:
        """A zero image with a centred hole of half its side (``Degraded``'s default mask)."""
        channels, height, width = self.data_shape
        mask = torch.zeros(n, 1, height, width, device=device)
        mask[..., height // 4 : height // 4 + height // 2, width // 4 : width // 4 + width // 2] = 1
        return {"source": torch.zeros(n, channels, height, width, device=device), "mask": mask}

    def condition(self, conditions: dict[str, Tensor], key: str) -> Tensor:
        """``conditions[key]`` (``source`` or ``mask``); a ConfigError saying how to give it when it is missing."""
        if key not in conditions:
            raise ConfigError(
                f"{type(self).__name__} fills holes: give the masked images and their masks (1 in the hole) as "
                f"source=... and mask=..., e.g. model.sample(source=images, mask=masks); {key} is missing."
            )
        return conditions[key]

    def generate(
        self, z: Tensor | None, labels: Tensor | None = None, net: nn.Module | None = None, **conditions: Tensor
    ) -> Tensor:
        source, mask = self.condition(conditions, "source"), self.condition(conditions, "mask")
        return composite((net or self.generator)(torch.cat([source, mask], 1)), source, mask)

    def make_fakes(self, batch: Batch, rng: torch.Generator) -> Fakes:
        """G's dropout draws its masks from ``rng``, so a resumed run drops the same units."""
        with noise_from(self.generator, rng):
            return super().make_fakes(batch, rng)

    # ------------------------------------------------------------------ judging
    def discriminate(self, x: Tensor, labels: Tensor | None = None, **conditions: Tensor) -> Tensor:
        raise ConfigError(
            f"{type(self).__name__} has two discriminators: judge images with critic('{GLOBAL}', {{}}) or "
            f"critic('{LOCAL}', {{'mask': masks}}). Tricks that need a single discriminator do not apply to it."
        )

    def critic(self, player: str, conditions: dict[str, Tensor]) -> ConditionalCritic:
        """The global D on whole images for ``d_global``, the local D on the holes of ``conditions['mask']``
        for ``d_local``."""
        if player == GLOBAL:
            return lambda x, labels=None: self.discriminator_global(x)
        if player == LOCAL:
            mask = self.condition(conditions, "mask")
            return lambda x, labels=None: self.discriminator_local(local_view(x, mask))
        return super().critic(player, conditions)

    def discriminator_loss(self, step: DiscriminatorStep) -> Tensor:
        judge = self.critic(step.player, step.conditions)
        step.real_out, step.fake_out = judge(step.real), judge(step.fake)
        return self.loss.discriminator_loss(step.real_out, step.fake_out, step.real_target, step.fake_target)

    def generator_loss(self, step: GeneratorStep) -> Tensor:
        """The mean of G's adversarial losses against both Ds, plus the weighted reconstruction of the holes."""
        adversarial = []
        for player in (GLOBAL, LOCAL):
            judge = self.critic(player, step.conditions)
            fake_out = judge(step.fake)
            real_out = judge(step.batch["real"]) if self.loss.generator_needs_real else None
            adversarial.append(self.loss.generator_loss(fake_out, real_out))
            step.logs[f"train/g_adversarial_{player.removeprefix('d_')}"] = adversarial[-1].detach()
            if player == GLOBAL:
                step.fake_out = fake_out
        step.adversarial_loss = (adversarial[0] + adversarial[1]) / 2
        hole = hole_loss(step.fake, step.batch["real"], step.conditions["mask"], self.reconstruction)
        step.logs["train/g_hole"] = hole.detach()
        return step.adversarial_loss + self.reconstruction_weight * hole
