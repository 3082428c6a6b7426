"""Pictures of a style-based generator: which layers' styles do what, and what the per-layer noise does.

**Style mixing** (the StyleGAN paper's Figure 3): the top row holds the destination images (a
blank corner first); below it, one block per range of styles (coarse, middle, fine: see
``lightgan.nets.stylegan.style_ranges``), one row per source image: the source, then every
destination with that range of its styles taken from the source. Coarse styles carry pose and
shape, fine ones colour and texture. ``StyleMixing`` draws it during training; ``lightgan sample
--style-mix`` afterwards.

**Noise variation** (the paper's Figure 4): one row per latent, its images with different
per-layer noise, then each pixel's standard deviation over ``NOISE_SAMPLES`` noise draws (mean
over channels, the row's largest white): where the noise acts (hair, texture) and where it
does not. ``lightgan sample --noise-variation`` draws it.

Both use the averaged generator when there is one and the fixed per-layer noise where noise is
not what varies, so a seed gives the same picture on any device.
"""

from __future__ import annotations

from typing import Any

import lightning as L
import numpy as np
import torch
from torch import Tensor

from lightgan.core.module import GANModule
from lightgan.errors import ConfigError
from lightgan.monitors.pictures import PeriodicPicture
from lightgan.monitors.render import image_grid

#: Noise draws each pixel's standard deviation is taken over (the paper's 100).
NOISE_SAMPLES = 100
#: Images synthesised per forward pass: memory stays bounded at large sizes, and passes of one size round alike
#: (without noise the spread is exactly 0).
DRAWS_PER_PASS = 20


def check_style_based(model: Any, user: str) -> None:
    """One line unless ``model`` has a style-based generator: ``styles``, ``synthesize`` and ``style_ranges``."""
    if not all(callable(getattr(model, name, None)) for name in ("styles", "synthesize", "style_ranges")):
        raise ConfigError(f"{user} needs a style-based generator (StyleGAN), but {type(model).__name__} has none.")


def _latents(model: Any, counts: tuple[int, ...], seed: int) -> list[Tensor]:
    """Latents for each count, drawn on the CPU from ``seed`` (the same on any device)."""
    rng = torch.Generator().manual_seed(seed)
    return [model.sample_noise(count, rng) for count in counts]


@torch.no_grad()
def style_mixing_images(
    model: Any, sources: Tensor, destinations: Tensor, truncation: float | None = None, use_ema: bool = True
) -> Tensor:
    """The figure's images in reading order, ``len(destinations) + 1`` a row (see the module's docstring)."""
    with model.sampling_networks_ready(use_ema):
        source_ws, destination_ws = model.styles(sources, truncation), model.styles(destinations, truncation)
        top = model.synthesize(destination_ws)
        source_images = model.synthesize(source_ws)
        rows = [torch.cat([torch.full_like(top[:1], -1.0), top])]
        for layers in model.style_ranges().values():
            mixed = destination_ws.unsqueeze(0).repeat(len(sources), 1, 1, 1)  # (source, destination, ws, w_dim)
            mixed[:, :, layers] = source_ws[:, None, layers]
            images = model.synthesize(mixed.flatten(0, 1)).unflatten(0, (len(sources), len(destinations)))
            rows += [torch.cat([source_images[i : i + 1], images[i]]) for i in range(len(sources))]
    return torch.cat(rows)


def style_mixing_picture(
    model: Any,
    sources: int,
    destinations: int,
    seed: int = 0,
    truncation: float | None = None,
    use_ema: bool = True,
) -> np.ndarray:
    """The style-mixing figure of ``sources`` x ``destinations`` latents drawn from ``seed``, as an HxWx3 array."""
    check_style_based(model, "The style-mixing picture")
    destination_z, source_z = _latents(model, (destinations, sources), seed)
    return image_grid(style_mixing_images(model, source_z, destination_z, truncation, use_ema), nrow=destinations + 1)


@torch.no_grad()
def noise_variation_images(
    model: Any,
    z: Tensor,
    realizations: int,
    rng: torch.Generator,
    truncation: float | None = None,
    use_ema: bool = True,
) -> Tensor:
    """Per latent: ``realizations`` images with noise drawn from ``rng``, then the per-pixel std image."""
    passes = -(-max(NOISE_SAMPLES, realizations) // DRAWS_PER_PASS)
    rows = []
    with model.sampling_networks_ready(use_ema):
        for ws in model.styles(z, truncation):
            batch = ws.expand(DRAWS_PER_PASS, -1, -1)
            images = torch.cat([model.synthesize(batch, rng, noise="random") for _ in range(passes)])
            std = images.std(dim=0).mean(dim=0, keepdim=True)
            shown = (std / std.max().clamp_min(1e-12) * 2 - 1).expand(images.shape[1], -1, -1)
            rows.append(torch.cat([images[:realizations], shown[None]]))
    return torch.cat(rows)


def noise_variation_picture(
    model: Any,
    latents: int,
    realizations: int,
    seed: int = 0,
    truncation: float | None = None,
    use_ema: bool = True,
) -> np.ndarray:
    """The noise-variation figure of ``latents`` rows drawn from ``seed``, as an HxWx3 array."""
    check_style_based(model, "The noise-variation picture")
    (z,) = _latents(model, (latents,), seed)
    rng = torch.Generator(device=model.device).manual_seed(seed)
    images = noise_variation_images(model, z, realizations, rng, truncation, use_ema)
    return image_grid(images, nrow=realizations + 1)


class StyleMixing(PeriodicPicture):
    """Draw the style-mixing figure of a style-based generator (StyleGAN brings it along).

    Args:
        every_n_epochs: draw at the end of every N-th epoch (0: never).
        every_n_steps: also draw every N generator steps (None: only per epoch).
        sources: rows per range of styles (the images styles are taken from).
        destinations: columns (the images that take them).
        truncation: psi of W truncation for the figure (None: none).
        seed: seed of the latents, the same for every picture of the run.
        folder: sub-folder of the run directory for the PNG files.
        log_key: key under which loggers show the pictures.
    """

    def __init__(
        self,
        every_n_epochs: int = 1,
        every_n_steps: int | None = None,
        sources: int = 3,
        destinations: int = 5,
        truncation: float | None = None,
        seed: int = 2468,
        folder: str = "style_mixing",
        log_key: str = "style_mixing",
    ) -> None:
        for name, value in (("sources", sources), ("destinations", destinations)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"StyleMixing {name} must be an integer >= 1, got {value!r}.")
        super().__init__(every_n_epochs, every_n_steps, folder, log_key)
        self.sources, self.destinations, self.truncation, self.seed = sources, destinations, truncation, seed

    def setup(self, trainer: L.Trainer, pl_module: GANModule, stage: str) -> None:
        super().setup(trainer, pl_module, stage)
        check_style_based(pl_module, "StyleMixing")
        if self.truncation is not None:
            pl_module.check_truncation(self.truncation)

    def render(self, trainer: L.Trainer, pl_module: GANModule, title: str) -> np.ndarray:
        return style_mixing_picture(pl_module, self.sources, self.destinations, self.seed, self.truncation)
