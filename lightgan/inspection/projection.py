"""Projection: the latent a trained generator would turn into a given image, found by optimisation.

Adam moves the latents to lower the pixel MSE between G(latent) and the image plus the distance
of D's penultimate features of the two (relative to the image's own, so its scale matches the
pixels'); D's features reward the right shapes where pixels alone settle for a blur. The learning
rate decays to zero on a cosine, so the latents settle instead of circling the minimum. Several
starts run together, each from its own seeded draw, and each image keeps its best. A model
with an encoder (BiGAN, ALI: ``encode(x)``) starts its first run from E(x).

Where the search happens is the model's choice: noise z by default, or the space a model
offers through ``projection_space()`` (a style-based generator: W, from its average w), an
object with ``name``, ``initial(n, generator)`` and ``generate(latents, labels)``.

Latent arithmetic: the mean latent of projected images of class a minus that of class b, added
to an image's latent, moves it from b towards a (``"sneaker - boot"``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import torch
from torch import Tensor

from lightgan.core.module import GANModule, eval_mode
from lightgan.errors import ConfigError
from lightgan.inspection.probe import discriminator_features, feature_problem
from lightgan.tricks.spectral_norm import role_networks


class ProjectionSpace(Protocol):
    """Where projection searches, and how a point there becomes a sample."""

    name: str

    def initial(self, n: int, generator: torch.Generator) -> Tensor:
        """``n`` starting points drawn with ``generator``."""
        ...

    def generate(self, latents: Tensor, labels: Tensor | None) -> Tensor:
        """Samples in data space, differentiable in ``latents``."""
        ...


@dataclass
class NoiseSpace:
    """The generator's noise input z, started from its prior."""

    model: GANModule
    name: str = "z"

    def initial(self, n: int, generator: torch.Generator) -> Tensor:
        return self.model.sample_noise(n, generator)

    def generate(self, latents: Tensor, labels: Tensor | None) -> Tensor:
        return self.model.generate(latents, labels)


def projection_space(model: GANModule) -> ProjectionSpace:
    """The model's own space (``projection_space()``) when it offers one, else its noise."""
    offered = getattr(model, "projection_space", None)
    return offered() if callable(offered) else NoiseSpace(model)


def check_projectable(model: GANModule) -> None:
    """A model that makes samples from a latent alone; else a ConfigError."""
    if not model.takes_noise or model.input_conditions:
        raise ConfigError(
            f"{type(model).__name__} generates from data, not from a latent alone: there is no latent to find. "
            "Projection needs a noise-to-image model (DCGAN, GAN, BiGAN, ...)."
        )


def psnr(mse: Tensor) -> Tensor:
    """Peak signal-to-noise ratio in dB of an MSE measured on pixels in [0, 1]."""
    return 10 * torch.log10(1 / mse.clamp_min(1e-12))


@dataclass
class Projection:
    """The latents found for a batch of targets, their samples, and how close they came."""

    latents: Tensor
    samples: Tensor
    #: Pixel MSE of each sample to its target, pixels in [0, 1].
    mse: Tensor
    #: The same for one random draw of the latent per target: what projection improves on.
    random_mse: Tensor
    space: str
    #: Whether D's features were part of the objective (False: pixels only, ``note`` says why).
    used_features: bool
    used_encoder: bool
    note: str | None = None

    @property
    def psnr(self) -> Tensor:
        return psnr(self.mse)

    @property
    def random_psnr(self) -> Tensor:
        return psnr(self.random_mse)


def pixel_mse(samples: Tensor, targets: Tensor) -> Tensor:
    """Per-sample MSE with pixels mapped from [-1, 1] to [0, 1]."""
    return ((samples - targets) / 2).square().flatten(1).mean(dim=1)


def starts_from_encoder(model: GANModule, space: ProjectionSpace) -> bool:
    """Whether the model encodes images into the space searched (BiGAN's and ALI's E maps x to z)."""
    return space.name == "z" and callable(getattr(model, "encode", None))


def _starts(model: GANModule, space: ProjectionSpace, targets: Tensor, restarts: int, rng: torch.Generator) -> Tensor:
    """(restarts * N, ...) starting latents, restart-major; E(targets) first where the model has an encoder."""
    starts = space.initial(restarts * len(targets), rng).to(model.device)
    if starts_from_encoder(model, space):
        starts[: len(targets)] = model.encode(targets)
    return starts


def project(
    model: GANModule,
    targets: Tensor,
    *,
    labels: Tensor | None = None,
    steps: int = 500,
    restarts: int = 4,
    lr: float = 0.05,
    feature_weight: float = 1.0,
    seed: int = 0,
    use_ema: bool = True,
) -> Projection:
    """Latents whose samples match ``targets`` (N, ...) in data space; ``labels`` (N,) for conditional models."""
    check_projectable(model)
    if steps < 0 or restarts < 1:
        raise ConfigError(f"Projection needs steps >= 0 and restarts >= 1, got {steps} and {restarts}.")
    n, device = len(targets), model.device
    targets = targets.to(device)
    labels = labels.to(device) if labels is not None else None
    space = projection_space(model)
    note = feature_problem(model) if feature_weight > 0 else None
    use_features = feature_weight > 0 and note is None
    rng = torch.Generator().manual_seed(seed)
    repeated = targets.repeat(restarts, *([1] * (targets.dim() - 1)))
    repeated_labels = labels.repeat(restarts) if labels is not None else None
    encoder = [model.encoder] if isinstance(getattr(model, "encoder", None), torch.nn.Module) else []
    with model.sampling_networks_ready(use_ema), eval_mode(role_networks(model, "discriminator") + encoder):
        with torch.no_grad():
            random_mse = pixel_mse(space.generate(space.initial(n, rng).to(device), labels), targets)
            starts = _starts(model, space, targets, restarts, rng)
            target_features = discriminator_features(model, repeated, repeated_labels) if use_features else None
        scale = target_features.square().mean(dim=1).clamp_min(1e-8) if target_features is not None else None

        def objective(latents: Tensor) -> tuple[Tensor, Tensor, Tensor]:
            samples = space.generate(latents, repeated_labels)
            pixels = pixel_mse(samples, repeated)
            loss = pixels
            if target_features is not None:
                features = discriminator_features(model, samples, repeated_labels)
                loss = loss + feature_weight * (features - target_features).square().mean(dim=1) / scale
            return loss, pixels, samples

        latents = starts.clone().requires_grad_(True)
        optimizer = torch.optim.Adam([latents], lr=lr)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, max(steps, 1))
        for _ in range(steps):
            loss = objective(latents)[0]
            (latents.grad,) = torch.autograd.grad(loss.sum(), latents)
            optimizer.step()
            schedule.step()
        with torch.no_grad():
            loss, pixels, samples = objective(latents.detach())
    best = loss.view(restarts, n).argmin(dim=0) * n + torch.arange(n, device=device)
    return Projection(
        latents=latents.detach()[best],
        samples=samples[best],
        mse=pixels[best],
        random_mse=random_mse,
        space=space.name,
        used_features=use_features,
        used_encoder=starts_from_encoder(model, space),
        note=note,
    )


@torch.no_grad()
def render(model: GANModule, latents: Tensor, labels: Tensor | None = None, use_ema: bool = True) -> Tensor:
    """Samples of ``latents`` in the projection space (an edited latent, for one)."""
    space = projection_space(model)
    with model.sampling_networks_ready(use_ema):
        return space.generate(latents.to(model.device), labels.to(model.device) if labels is not None else None)


# ---------------------------------------------------------------------------------------------- latent arithmetic
def class_direction(latents_a: Tensor, latents_b: Tensor) -> Tensor:
    """mean(latents of class a) - mean(latents of class b): the step that turns b into a."""
    return latents_a.mean(dim=0) - latents_b.mean(dim=0)


def resolve_class(given: str, num_classes: int, names: Sequence[str] = ()) -> int | None:
    """A class given by number or by name (any case; a word of a name when only one name has it); else None."""
    text = given.strip()
    if text.isdigit():
        return int(text) if int(text) < num_classes else None
    lowered = text.lower()
    exact = [i for i, name in enumerate(names) if name.lower() == lowered]
    partial = [i for i, name in enumerate(names) if lowered in name.lower().replace("/", " ").split()]
    found = exact or partial
    return found[0] if len(found) == 1 else None


def parse_edit(text: str, num_classes: int, names: Sequence[str] = ()) -> tuple[int, int]:
    """``"a-b"`` -> (class a, class b), by number or name; a name may hold a dash ("T-shirt/top - trouser")."""
    pairs: set[tuple[int | None, int | None]] = {
        (resolve_class(text[:cut], num_classes, names), resolve_class(text[cut + 1 :], num_classes, names))
        for cut in (i for i, char in enumerate(text) if char == "-")
    }
    found = [(a, b) for a, b in pairs if a is not None and b is not None]
    if len(found) != 1:
        known = ", ".join(f"{i} {name}" for i, name in enumerate(names)) if names else f"0 to {num_classes - 1}"
        reason = "is ambiguous" if found else "does not name two classes"
        raise ConfigError(f"--edit {text!r} {reason}: give it as A-B, each a class of the data ({known}).")
    return found[0]


def per_class_indices(labels: Tensor, classes: Sequence[int], per_class: int) -> list[Tensor]:
    """The first ``per_class`` indices of each class in ``labels``; a ConfigError when a class has too few."""
    chosen = []
    for cls in classes:
        members = (labels == cls).nonzero().view(-1)[:per_class]
        if len(members) == 0:
            raise ConfigError(f"Class {cls} has no held-out images to average latents over.")
        chosen.append(members)
    return chosen
