"""Unrolled GAN (Metz et al., 2017): G is updated against the discriminator k optimizer steps ahead."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor
from torch.func import functional_call

from lightgan.core.acceleration import eager
from lightgan.core.hooks import GeneratorStep
from lightgan.errors import ConfigError
from lightgan.models.backbone import BackboneGAN


class UnrolledGAN(BackboneGAN):
    """G's loss is taken against D after ``unroll_steps`` simulated Adam steps of D.

    The simulated steps are differentiable (``torch.func.functional_call`` on a copy of D's
    weights, with ``create_graph``), so G's gradient accounts for how D would react to it, which
    discourages mode hopping. They start from D's current weights and Adam moments, use D's
    learning rate and betas, and leave the real D untouched; D's own update is the usual one.
    The unrolled steps reuse the generator step's real batch and generated samples, as in the
    paper's code. Needs ``optimizer: adam``. Evaluation, which runs without autograd, takes G's
    loss against D as it is.

    Args:
        unroll_steps: k, the number of unrolled D steps (0 gives a standard GAN).
        **kwargs: everything ``BackboneGAN`` takes (architecture, widths, loss, pack, ...).
    """

    def __init__(self, unroll_steps: int = 5, **kwargs: Any) -> None:
        if not isinstance(unroll_steps, int) or unroll_steps < 0:
            raise ConfigError(f"model.init_args.unroll_steps must be an integer >= 0, got {unroll_steps!r}.")
        super().__init__(**kwargs)
        if self.hparams.optimizer != "adam":
            raise ConfigError(
                f"UnrolledGAN unrolls Adam updates of D, but model.init_args.optimizer is "
                f"{self.hparams.optimizer!r}. Set it to adam."
            )
        self.unroll_steps = unroll_steps

    def generator_loss(self, step: GeneratorStep) -> Tensor:
        if self.unroll_steps == 0 or not torch.is_grad_enabled():  # evaluation: against D as it is
            return super().generator_loss(step)
        d_optimizer = self.optimizer_of(self.find_player(role="discriminator"))
        weights = self.unrolled_discriminator(step.batch["real"], step.fake, d_optimizer, self.unroll_steps)
        step.fake_out = self.discriminate_with(weights, step.fake)
        return self.adversarial_generator_loss(step, critic=lambda x, labels: self.discriminate_with(weights, x))

    def discriminate_with(self, weights: dict[str, Tensor], x: Tensor) -> Tensor:
        """D's output on ``x`` with its parameters (and buffers) replaced by ``weights``.

        The unrolled steps differentiate D twice, which a compiled D cannot: it runs eagerly here.
        """
        with eager():
            return functional_call(self.discriminator, weights, (self.pack_samples(x),))

    def unrolled_discriminator(
        self, real: Tensor, fake: Tensor, optimizer: torch.optim.Optimizer, steps: int
    ) -> dict[str, Tensor]:
        """D's weights after ``steps`` differentiable Adam steps on its loss for ``real`` and ``fake``.

        Gradients flow from the result back into ``fake`` (hence into G). The square root of the
        second moment is taken of v + eps^2, so it stays differentiable for weights that have not
        had a gradient yet (maxout pieces that never win); elsewhere this is Adam exactly.
        """
        group = optimizer.param_groups[0]
        lr, (beta1, beta2), eps, decay = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        params = {name: p.detach().requires_grad_(True) for name, p in self.discriminator.named_parameters()}
        buffers = {name: b.clone() for name, b in self.discriminator.named_buffers()}
        first, second, count = {}, {}, 0.0
        for name, p in self.discriminator.named_parameters():
            state = optimizer.state.get(p, {})
            first[name] = state.get("exp_avg", torch.zeros_like(p)).detach()
            second[name] = state.get("exp_avg_sq", torch.zeros_like(p)).detach()
            count = float(state.get("step", count))
        for _ in range(steps):
            weights = {**params, **buffers}
            loss = self.loss.discriminator_loss(
                self.discriminate_with(weights, real), self.discriminate_with(weights, fake)
            )
            grads = torch.autograd.grad(loss, list(params.values()), create_graph=True)
            count += 1
            correction1, correction2 = 1 - beta1**count, 1 - beta2**count
            updated = {}
            for (name, p), grad in zip(params.items(), grads, strict=True):
                if decay:
                    grad = grad + decay * p
                first[name] = beta1 * first[name] + (1 - beta1) * grad
                second[name] = beta2 * second[name] + (1 - beta2) * grad * grad
                denominator = (second[name] / correction2 + eps * eps).sqrt()
                updated[name] = p - lr * (first[name] / correction1) / denominator
            params = updated
        return {**params, **buffers}
