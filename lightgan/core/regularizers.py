"""Gradient penalties on the discriminator, shared by variants (WGAN-GP, DRAGAN) and callbacks.

Each takes ``critic``, a function from inputs to D outputs (usually ``pl_module.discriminate``
with labels bound), and returns a scalar to add to D's loss. Pass ``rng`` (the module's
``noise_rng``) so that the random interpolation is part of the resumable training state, and
``pack`` (the module's ``pack``) when D judges packs of samples: the gradient whose norm is
penalised is that of D's actual input, a pack, so norms and interpolation weights are per pack.
D runs eagerly here even in a compiled run (``model.init_args.compile``): the penalty's gradient
is differentiated again, which AOT autograd's compiled networks do not support.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from lightgan.core.acceleration import eager

Critic = Callable[[Tensor], Tensor]


def _gradient_norms(critic: Critic, inputs: Tensor, pack: int = 1) -> Tensor:
    """One norm per D input: per sample, or per ``pack`` consecutive samples when D sees packs."""
    inputs = inputs.detach().requires_grad_(True)
    with eager():
        outputs = critic(inputs)
    (grad,) = torch.autograd.grad(outputs.sum(), inputs, create_graph=True)
    return grad.reshape(grad.shape[0] // pack, -1).norm(2, dim=1)


def _per_input_uniform(like: Tensor, rng: torch.Generator | None, pack: int = 1) -> Tensor:
    """One U(0, 1) weight per D input, repeated over the samples of a pack."""
    shape = (like.shape[0] // pack,) + (1,) * (like.dim() - 1)
    weights = torch.rand(shape, generator=rng, device=like.device, dtype=like.dtype)
    return weights.repeat_interleave(pack, dim=0)


def gradient_penalty(
    critic: Critic,
    real: Tensor,
    fake: Tensor,
    *,
    center: float = 1.0,
    rng: torch.Generator | None = None,
    pack: int = 1,
) -> Tensor:
    """WGAN-GP (Gulrajani et al.): E[(||grad D(x_hat)|| - center)^2] with x_hat = a x + (1 - a) x_fake,
    one interpolation coefficient ``a`` per sample (not per pixel)."""
    alpha = _per_input_uniform(real, rng, pack)
    interpolated = alpha * real.detach() + (1 - alpha) * fake.detach()
    return ((_gradient_norms(critic, interpolated, pack) - center) ** 2).mean()


def dragan_penalty(
    critic: Critic,
    real: Tensor,
    *,
    perturb_scale: float = 0.5,
    center: float = 1.0,
    rng: torch.Generator | None = None,
    pack: int = 1,
) -> Tensor:
    """DRAGAN (Kodali et al.): the same penalty at points between real data and a perturbed copy
    of it (noise of ``perturb_scale`` times the batch's standard deviation), so D stays smooth
    around the data instead of between data and fakes."""
    noise = torch.rand(real.shape, generator=rng, device=real.device, dtype=real.dtype)
    perturbed = real.detach() + perturb_scale * real.detach().std() * noise
    alpha = _per_input_uniform(real, rng, pack)
    interpolated = alpha * real.detach() + (1 - alpha) * perturbed
    return ((_gradient_norms(critic, interpolated, pack) - center) ** 2).mean()


def r1_penalty(critic: Critic, real: Tensor, *, pack: int = 1) -> Tensor:
    """R1 (Mescheder et al.): 0.5 E||grad D(x)||^2 on real data."""
    return 0.5 * (_gradient_norms(critic, real, pack) ** 2).mean()


def r2_penalty(critic: Critic, fake: Tensor, *, pack: int = 1) -> Tensor:
    """R2: the same penalty on generated data."""
    return 0.5 * (_gradient_norms(critic, fake, pack) ** 2).mean()
