"""SRGAN and SRResNet (Ledig et al., 2017): super-resolution, a low-resolution image enlarged ``scale`` times."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from lightning.pytorch.utilities import rank_zero_info
from torch import Tensor, nn

from lightgan.core.module import GANModule
from lightgan.core.safe_files import load_weights_only
from lightgan.core.steps import GeneratorStep
from lightgan.errors import ConfigError
from lightgan.models.checks import check_count, reject_packing, require_images
from lightgan.nets.srresnet import SRGANDiscriminator, SRResNetGenerator, upsampling_stages
from lightgan.nets.vgg_features import ContentLoss, check_vgg_layer, vgg19_features

#: Squared peak-to-peak range of images in [-1, 1], for PSNR.
_PEAK_SQUARED = 4.0


def psnr(fake: Tensor, real: Tensor) -> Tensor:
    """Mean peak signal-to-noise ratio in dB of images in [-1, 1], image by image (the paper's measure)."""
    mse = (fake.float() - real.float()).pow(2).flatten(1).mean(1).clamp_min(1e-10)
    return (10 * torch.log10(_PEAK_SQUARED / mse)).mean()


class SRResNet(GANModule):
    """SRGAN's generator trained on the content loss alone: no discriminator, one player.

    G takes each batch's ``source`` (the low-resolution image; ``Degraded`` with
    ``degradation: downsample`` and ``factor: scale`` makes it) and returns an image ``scale``
    times larger, compared with the batch's ``real``. The content loss is pixel MSE, or the
    paper's VGG loss when ``vgg_weights`` names a local VGG19 file (which one is printed at
    setup); logged as ``train/g_content``, with ``train/psnr``. The paper trains SRResNet first
    and starts SRGAN from it (SRGAN's ``init_generator``).

    Args:
        scale: enlargement, a power of two (4 in the paper); it must divide the image size
            (``data_shape``, the high-resolution target's).
        base_channels: width of G's blocks and of D's first layers (64 in the paper).
        blocks: G's residual blocks (16 in the paper).
        vgg_weights: a local file of torchvision's VGG19 (``vgg19().features`` or the whole
            ``vgg19()``); None: pixel MSE. Never downloaded.
        vgg_layer: the ReLU whose features are compared (``relu5_4``: the paper's VGG54;
            ``relu2_2``: VGG22).
        content_weight: factor of the content loss.
        lr_g, betas_g: the paper's Adam (1e-4, beta1 0.9).
        **kwargs: everything ``GANModule`` takes (``latent_dim`` is unused, ``pack`` refused).
    """

    input_conditions = ("source",)
    takes_noise = False
    adversarial = False

    def __init__(
        self,
        scale: int = 4,
        base_channels: int = 64,
        blocks: int = 16,
        vgg_weights: str | None = None,
        vgg_layer: str = "relu5_4",
        content_weight: float = 1.0,
        lr_g: float = 1e-4,
        betas_g: tuple[float, float] = (0.9, 0.999),
        **kwargs: Any,
    ) -> None:
        super().__init__(lr_g=lr_g, betas_g=betas_g, **kwargs)
        name = type(self).__name__
        require_images(name, self.data_shape)
        reject_packing(name, self.pack, "each output is judged against its own target")
        upsampling_stages(scale)
        check_count("base_channels", base_channels, "the width of the networks", minimum=1)
        check_count("blocks", blocks, "G's residual blocks", minimum=1)
        check_vgg_layer(vgg_layer)
        if not isinstance(content_weight, int | float) or content_weight <= 0:
            raise ConfigError(f"model.init_args.content_weight must be > 0 (1.0 by default), got {content_weight!r}.")
        if not self.adversarial and self.n_critic != 1:
            raise ConfigError(
                f"model.init_args.n_critic={self.n_critic}: {name} has no discriminator, so each step is one generator "
                "update on one batch. Use n_critic: 1."
            )
        channels, height, width = self.data_shape
        if height % scale or width % scale:
            fitting = [2**k for k in range(1, scale.bit_length()) if height % 2**k == 0 and width % 2**k == 0]
            fix = (
                f"the largest scale that divides it is {fitting[-1]}" if fitting else "no scale of 2 or more divides it"
            )
            raise ConfigError(
                f"model.init_args.scale={scale} does not divide the image size {height}x{width} (the high-resolution "
                f"target); {fix}. Use that scale, or images whose sides are multiples of {scale}."
            )
        if vgg_weights is not None and channels not in (1, 3):
            raise ConfigError(
                f"model.init_args.vgg_weights: the VGG loss reads 1- or 3-channel images, but these have {channels}. "
                "Leave vgg_weights out for pixel MSE."
            )
        self.scale, self.content_weight = scale, content_weight
        self.source_shape = (channels, height // scale, width // scale)
        self.generator = SRResNetGenerator(channels, scale, base_channels, blocks)
        self._content: ContentLoss | None = None

    @property
    def content_loss(self) -> ContentLoss:
        """Built on first use, so that loading a checkpoint to sample reads no VGG file."""
        if self._content is None:
            path, layer = self.hparams.vgg_weights, self.hparams.vgg_layer
            if path is None:
                self._content = ContentLoss()
            else:
                state = load_weights_only(path, "VGG19 weights file")
                self._content = ContentLoss(vgg19_features(state, layer, str(path)), layer, str(path))
        return self._content

    def setup(self, stage: str) -> None:
        super().setup(stage)
        datamodule = self.trainer.datamodule
        if stage == "fit" and hasattr(datamodule, "held_out_batch"):
            self._check_source(tuple(self.data_conditions(datamodule.held_out_batch(1))["source"].shape[1:]))
        rank_zero_info(f"{type(self).__name__}: content loss: {self.content_loss.describe()}.")

    def _check_source(self, found: tuple[int, ...]) -> None:
        """Inputs that are not the targets made ``scale`` times smaller stop before training, with the fix."""
        if found == self.source_shape:
            return
        raise ConfigError(
            f"{type(self).__name__} enlarges {self.source_shape} inputs into {tuple(self.data_shape)} targets "
            f"(scale {self.scale}), but the data's inputs are {found}. Use data Degraded with degradation: downsample, "
            f"factor: {self.scale}."
        )

    def example_conditions(self, n: int, device: torch.device | str | None = None) -> dict[str, Tensor]:
        return {"source": torch.zeros(n, *self.source_shape, device=device)}

    def generate(
        self, z: Tensor | None, labels: Tensor | None = None, net: nn.Module | None = None, **conditions: Tensor
    ) -> Tensor:
        if "source" not in conditions:
            raise ConfigError(
                f"{type(self).__name__} enlarges low-resolution images: give them as source=..., "
                "e.g. model.sample(source=images)."
            )
        return (net or self.generator)(conditions["source"])

    def generator_loss(self, step: GeneratorStep) -> Tensor:
        real = step.batch["real"]
        content = self.content_loss(step.fake, real)
        step.logs["train/g_content"] = content.detach()
        step.logs["train/psnr"] = psnr(step.fake.detach(), real)
        return self.content_weight * content


class SRGAN(SRResNet):
    """SRResNet's generator against a VGG-style D: G minimises content + ``adversarial_weight`` x adversarial loss.

    D judges high-resolution images alone (real targets, or G's enlargements) with the
    non-saturating loss by default, as in the paper. G's adversarial term as it counts in its loss
    (times ``adversarial_weight``) is ``step.adversarial_loss``, what tricks that reweight it see.

    Args:
        adversarial_weight: factor of G's adversarial loss (1e-3 in the paper).
        init_generator: a lightgan checkpoint (of SRResNet, say) whose generator weights G starts
            from, as the paper starts SRGAN from its trained SRResNet; read when training starts,
            before a resumed run's own weights are restored.
        lr_d, betas_d: the paper's Adam (1e-4, beta1 0.9).
        **kwargs: everything ``SRResNet`` takes.
    """

    adversarial = True

    def __init__(
        self,
        adversarial_weight: float = 1e-3,
        init_generator: str | None = None,
        lr_d: float = 1e-4,
        betas_d: tuple[float, float] = (0.9, 0.999),
        **kwargs: Any,
    ) -> None:
        super().__init__(lr_d=lr_d, betas_d=betas_d, **kwargs)
        if not isinstance(adversarial_weight, int | float) or adversarial_weight <= 0:
            raise ConfigError(
                f"model.init_args.adversarial_weight must be > 0 (1e-3 in the paper), got {adversarial_weight!r}. "
                "For no adversarial term train SRResNet."
            )
        self.adversarial_weight = adversarial_weight
        channels, *size = self.data_shape
        self.discriminator = SRGANDiscriminator(channels, tuple(size), self.hparams.base_channels)

    def setup(self, stage: str) -> None:
        super().setup(stage)
        path = self.hparams.init_generator
        if stage == "fit" and path is not None:
            self._load_generator(Path(path))

    def _load_generator(self, path: Path) -> None:
        """G's weights from the ``generator.`` entries of a lightgan checkpoint; one line naming what does not fit."""
        checkpoint = load_weights_only(path, "checkpoint")
        weights = checkpoint.get("state_dict") if isinstance(checkpoint, dict) else None
        found = {k.removeprefix("generator."): v for k, v in (weights or {}).items() if k.startswith("generator.")}
        if not found:
            raise ConfigError(
                f"model.init_args.init_generator: {path} holds no generator weights (no 'generator.' entries in its "
                "state_dict). Give the last.ckpt of an SRResNet or SRGAN run."
            )
        own = self.generator.state_dict()
        misfits = sorted(set(own) ^ set(found)) + [k for k in own if k in found and found[k].shape != own[k].shape]
        if misfits:
            raise ConfigError(
                f"model.init_args.init_generator: the generator in {path} is not built like this one ({len(misfits)} "
                f"entries differ, e.g. {misfits[0]}). Use the scale, base_channels and blocks it was trained with."
            )
        self.generator.load_state_dict(found)
        rank_zero_info(f"{type(self).__name__}: generator initialised from {path}.")

    def discriminate(self, x: Tensor, labels: Tensor | None = None, **conditions: Tensor) -> Tensor:
        """D's logits for high-resolution images ``x``; it does not see the low-resolution inputs."""
        return self.discriminator(x)

    def generator_loss(self, step: GeneratorStep) -> Tensor:
        content = super().generator_loss(step)
        step.fake_out = self.discriminate(step.fake)
        step.adversarial_loss = self.adversarial_weight * self.adversarial_generator_loss(step)
        return content + step.adversarial_loss
