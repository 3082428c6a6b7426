"""Gradient penalties on the discriminator, shared by variants (WGAN-GP, DRAGAN) and callbacks.

Each takes ``critic``, a function from inputs to D outputs (usually ``pl_module.discriminate``
with labels bound), and returns a scalar to add to D's loss. Pass ``rng`` (the module's
``noise_rng``) so that the random interpolation is part of the resumable training state.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

Critic = Callable[[Tensor], Tensor]


def _gradient_norms(critic: Critic, inputs: Tensor) -> Tensor:
    inputs = inputs.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(inputs).sum(), inputs, create_graph=True)
    return grad.flatten(1).norm(2, dim=1)


def _per_sample_uniform(like: Tensor, rng: torch.Generator | None) -> Tensor:
    shape = (like.shape[0],) + (1,) * (like.dim() - 1)
    return torch.rand(shape, generator=rng, device=like.device, dtype=like.dtype)


def gradient_penalty(
    critic: Critic, real: Tensor, fake: Tensor, *, center: float = 1.0, rng: torch.Generator | None = None
) -> Tensor:
    """WGAN-GP (Gulrajani et al.): E[(||grad D(x_hat)|| - center)^2] with x_hat = a x + (1 - a) x_fake,
    one interpolation coefficient ``a`` per sample (not per pixel)."""
    alpha = _per_sample_uniform(real, rng)
    interpolated = alpha * real.detach() + (1 - alpha) * fake.detach()
    return ((_gradient_norms(critic, interpolated) - center) ** 2).mean()


def dragan_penalty(
    critic: Critic,
    real: Tensor,
    *,
    perturb_scale: float = 0.5,
    center: float = 1.0,
    rng: torch.Generator | None = None,
) -> Tensor:
    """DRAGAN (Kodali et al.): the same penalty at points between real data and a perturbed copy
    of it (noise of ``perturb_scale`` times the batch's standard deviation), so D stays smooth
    around the data instead of between data and fakes."""
    noise = torch.rand(real.shape, generator=rng, device=real.device, dtype=real.dtype)
    perturbed = real.detach() + perturb_scale * real.detach().std() * noise
    alpha = _per_sample_uniform(real, rng)
    interpolated = alpha * real.detach() + (1 - alpha) * perturbed
    return ((_gradient_norms(critic, interpolated) - center) ** 2).mean()


def r1_penalty(critic: Critic, real: Tensor) -> Tensor:
    """R1 (Mescheder et al.): 0.5 E||grad D(x)||^2 on real data."""
    return 0.5 * (_gradient_norms(critic, real) ** 2).mean()


def r2_penalty(critic: Critic, fake: Tensor) -> Tensor:
    """R2: the same penalty on generated data."""
    return 0.5 * (_gradient_norms(critic, fake) ** 2).mean()
