"""Tiny modules and hand-driven D/G steps for testing callbacks hook by hook."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import lightning as L
import torch
from torch import Tensor, nn

from lightgan.core.hooks import DiscriminatorStep, GeneratorStep, defines_hook
from lightgan.models import DCGAN, GAN

IMAGE_SHAPE = (1, 16, 16)


def tiny_gan(data_shape: tuple[int, ...] = IMAGE_SHAPE, **kwargs: Any) -> GAN:
    torch.manual_seed(0)
    return GAN(data_shape=data_shape, latent_dim=4, hidden_dims=(8, 8), seed=0, **kwargs)


def tiny_dcgan(**kwargs: Any) -> DCGAN:
    torch.manual_seed(0)
    return DCGAN(data_shape=IMAGE_SHAPE, latent_dim=4, base_channels=4, seed=0, **kwargs)


class ConditionalGAN(GAN):
    """A GAN whose generator adds a learnt class embedding to z (enough to test label handling)."""

    conditional = True

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.embedding = nn.Embedding(self.num_classes, self.latent_dim)

    def generate(self, z: Tensor, labels: Tensor | None = None, net: nn.Module | None = None) -> Tensor:
        return (net or self.generator)(z + self.embedding(labels))


def real_batch(module: Any, n: int = 6, seed: int = 1) -> dict[str, Tensor]:
    real = torch.rand(n, *module.data_shape, generator=torch.Generator().manual_seed(seed)) * 2 - 1
    batch = {"real": real}
    if module.num_classes:
        batch["label"] = torch.arange(n) % module.num_classes
    return batch


def d_step(module: Any, n: int = 6) -> DiscriminatorStep:
    """The context of a discriminator step before any hook ran (as ``GANModule`` builds it)."""
    return module.discriminator_context(
        real_batch(module, n), module.find_player(role="discriminator"), module.noise_rng
    )


def g_step(module: Any, n: int = 6) -> GeneratorStep:
    return module.generator_context(real_batch(module, n), module.find_player(role="generator"), module.noise_rng)


def run_d_step(module: Any, callbacks: list[L.Callback], step: DiscriminatorStep) -> DiscriminatorStep:
    """The hooks and loss of a discriminator update, without backward and optimizer."""
    for name in ("on_discriminator_inputs", "on_discriminator_targets"):
        for cb in callbacks:
            if defines_hook(cb, name):
                getattr(cb, name)(None, module, step)
    step.loss = module.discriminator_loss(step)
    for cb in callbacks:
        if defines_hook(cb, "on_discriminator_loss"):
            cb.on_discriminator_loss(None, module, step)
    return step


def run_g_step(module: Any, callbacks: list[L.Callback], step: GeneratorStep) -> GeneratorStep:
    for cb in callbacks:
        if defines_hook(cb, "on_generator_inputs"):
            cb.on_generator_inputs(None, module, step)
    step.loss = module.generator_loss(step)
    for cb in callbacks:
        if defines_hook(cb, "on_generator_loss"):
            cb.on_generator_loss(None, module, step)
    return step


def snapshot(step: DiscriminatorStep | GeneratorStep) -> dict[str, Any]:
    """The step's fields, shallow-copied (its random generator kept as the same object)."""
    fields = {f.name: getattr(step, f.name) for f in dataclasses.fields(step)}
    return {name: value if isinstance(value, torch.Generator) else copy.copy(value) for name, value in fields.items()}


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, Tensor) or isinstance(new, Tensor):
        both = isinstance(old, Tensor) and isinstance(new, Tensor)
        return both and old.shape == new.shape and torch.equal(old, new)
    if isinstance(old, dict) and isinstance(new, dict):
        return old.keys() == new.keys() and all(_same(old[k], new[k]) for k in old)
    return old == new


def changed_fields(before: dict[str, Any], step: DiscriminatorStep | GeneratorStep) -> set[str]:
    """Names of the step's fields that differ from ``before`` (tensors compared by value)."""
    return {name for name, old in before.items() if not _same(old, getattr(step, name))}


def params_of(net: nn.Module) -> dict[str, Tensor]:
    return {k: v.detach().clone() for k, v in net.state_dict().items()}
