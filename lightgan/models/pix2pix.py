"""pix2pix (Isola et al., 2017): image-to-image translation learned from paired examples."""

from __future__ import annotations

from typing import Any, Literal

import torch
from lightning.pytorch.utilities import rank_zero_info
from torch import Tensor, nn

from lightgan.core.module import Batch, GANModule
from lightgan.core.steps import Fakes, GeneratorStep
from lightgan.errors import ConfigError
from lightgan.models.checks import check_count, check_translator_options, reject_packing, require_images
from lightgan.nets.norm import PADDINGS, Norm, Padding, check_choice, noise_from
from lightgan.nets.patchgan import PatchGANDiscriminator
from lightgan.nets.translators import translator_generator


class Pix2Pix(GANModule):
    """G translates each batch's ``source`` image into an image like its ``real`` target; D judges (input, image) pairs.

    G (a U-Net, or CycleGAN's ResNet generator) takes no noise vector: its dropout, active in
    training, is the noise, drawn from the training-noise generator so a resumed run drops the
    same units. Samples are made in eval mode: one input, one output (``sample(source=...)``).
    D is a PatchGAN that sees the input and an image stacked along channels, so it judges
    whether the image fits that input, patch by patch; the adversarial loss averages its grid of
    logits. G minimises it plus ``l1_weight`` times the mean absolute error to the target (logged
    as ``train/g_l1``): L1 gets the low frequencies right, D the texture L1 would blur.
    The paper halves D's loss to slow D down; Adam's steps do not depend on the loss's scale, so
    that factor is left out.

    Args:
        generator: ``unet`` (pix2pix) or ``resnet`` (CycleGAN's ResNet-block generator).
        base_channels: width of G's and D's first layers (64 in the paper).
        depth: U-Net encoder layers; None: as many as the image size allows (8 at 256 px).
        resnet_blocks: blocks of the ResNet generator; None: 9 from 256 px on, else 6.
        dropout: G's dropout probability, in [0, 1) (0.5 in the paper; 0: a deterministic G).
        d_layers: strided layers of the PatchGAN, at most (3: 70x70 patches); fewer on images too
            small for them, so the grid keeps at least one patch (the patch size is printed at setup).
        norm: ``batch`` (the paper) or ``instance`` normalisation, in G and D.
        d_padding: ``zeros`` or ``reflect`` padding of D's convolutions.
        source_channels: channels of the input images; None: as many as the targets have.
        l1_weight: lambda, the weight of the L1 term (100 in the paper).
        **kwargs: everything ``GANModule`` takes (``latent_dim`` is unused, ``pack`` refused); its
            defaults are the paper's: non-saturating loss, Adam with lr 2e-4 and betas (0.5, 0.999).
    """

    input_conditions = ("source",)
    takes_noise = False

    def __init__(
        self,
        generator: Literal["unet", "resnet"] = "unet",
        base_channels: int = 64,
        depth: int | None = None,
        resnet_blocks: int | None = None,
        dropout: float = 0.5,
        d_layers: int = 3,
        norm: Norm = "batch",
        d_padding: Padding = "zeros",
        source_channels: int | None = None,
        l1_weight: float = 100.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        name = type(self).__name__
        require_images(name, self.data_shape)
        reject_packing(name, self.pack, "D judges each output with its own input")
        check_translator_options(
            generator, ("unet", "resnet"), norm, base_channels, depth, resnet_blocks, dropout, "0.5 in pix2pix"
        )
        check_choice("d_padding", d_padding, PADDINGS)
        check_count("d_layers", d_layers, "PatchGAN layers of stride 2", minimum=1)
        if source_channels is not None:
            check_count("source_channels", source_channels, "or leave it out", minimum=1)
        if not isinstance(l1_weight, int | float) or l1_weight < 0:
            raise ConfigError(f"model.init_args.l1_weight must be >= 0 (100 in pix2pix), got {l1_weight!r}.")
        self.l1_weight = l1_weight
        channels, *size = self.data_shape
        self.source_channels = source_channels or channels
        common = {"image_size": tuple(size), "base_channels": base_channels, "norm": norm, "dropout": dropout}
        self.generator = translator_generator(
            generator, self.source_channels, channels, depth=depth, blocks=resnet_blocks, **common
        )
        self.discriminator = PatchGANDiscriminator(
            self.source_channels + channels, tuple(size), base_channels, d_layers, norm, d_padding
        )

    def setup(self, stage: str) -> None:
        super().setup(stage)
        datamodule = self.trainer.datamodule
        if stage == "fit" and hasattr(datamodule, "held_out_batch"):
            self._check_source(self.data_conditions(datamodule.held_out_batch(1))["source"])
        d = self.discriminator
        rank_zero_info(
            f"{type(self).__name__}: D judges {d.patch_size}x{d.patch_size}-pixel patches, a {d.grid[0]}x{d.grid[1]} "
            f"grid per image ({d.layers} layers of stride 2)."
        )

    def _check_source(self, source: Tensor) -> None:
        """Inputs of another shape than G was built for stop before training, with the fix."""
        expected = (self.source_channels, *self.data_shape[1:])
        found = tuple(source.shape[1:])
        if found == expected:
            return
        fix = (
            f"Set model.init_args.source_channels: {found[0]}."
            if found[1:] == expected[1:]
            else "Give inputs and targets of one size."
        )
        raise ConfigError(
            f"{type(self).__name__} was built for inputs of shape {expected}, but the data's are {found}. {fix}"
        )

    def example_conditions(self, n: int, device: torch.device | str | None = None) -> dict[str, Tensor]:
        return {"source": torch.zeros(n, self.source_channels, *self.data_shape[1:], device=device)}

    def source_of(self, conditions: dict[str, Tensor]) -> Tensor:
        """The input image among ``conditions``; a ConfigError saying how to give it when it is missing."""
        if "source" not in conditions:
            raise ConfigError(
                f"{type(self).__name__}'s generator and discriminator both take the input images: give them as "
                "source=..., e.g. model.sample(source=images) or model.discriminate(images, source=inputs)."
            )
        return conditions["source"]

    def generate(
        self, z: Tensor | None, labels: Tensor | None = None, net: nn.Module | None = None, **conditions: Tensor
    ) -> Tensor:
        return (net or self.generator)(self.source_of(conditions))

    def discriminate(self, x: Tensor, labels: Tensor | None = None, **conditions: Tensor) -> Tensor:
        """D's patch logits for images ``x`` as translations of the inputs (``source``)."""
        return self.discriminator(torch.cat([self.source_of(conditions), x], 1))

    def make_fakes(self, batch: Batch, rng: torch.Generator) -> Fakes:
        """G's dropout draws its masks from ``rng``, as a noise vector would be: a resumed run drops the same units."""
        with noise_from(self.generator, rng):
            return super().make_fakes(batch, rng)

    def generator_loss(self, step: GeneratorStep) -> Tensor:
        l1 = (step.fake - step.batch["real"]).abs().mean()
        step.logs["train/g_l1"] = l1.detach()
        return super().generator_loss(step) + self.l1_weight * l1
