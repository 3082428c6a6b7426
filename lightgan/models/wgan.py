"""Wasserstein GANs: WGAN with weight clipping (Arjovsky et al., 2017) and WGAN-GP (Gulrajani et al., 2017).

The critic outputs an unbounded score (no sigmoid, no log); the difference of its mean scores on
real and generated data estimates the Wasserstein-1 distance, logged as
``train/wasserstein_estimate``. WGAN keeps the critic Lipschitz by clipping its weights after
every critic step (the ``WeightClipping`` trick); WGAN-GP instead penalises critic gradients
away from norm 1 (the ``GradientPenalty`` trick). Each variant brings its trick along through
``configure_callbacks``, so there is one implementation of each.
"""

from __future__ import annotations

from typing import Any, Literal

import lightning as L
from torch import Tensor, nn

from lightgan.core.hooks import DiscriminatorStep
from lightgan.core.losses import AdversarialLoss
from lightgan.errors import ConfigError
from lightgan.models.backbone import BackboneGAN
from lightgan.tricks import GradientPenalty, WeightClipping


def log_wasserstein_estimate(step: DiscriminatorStep) -> None:
    """The critic's mean score gap, real minus fake: its estimate of the Wasserstein-1 distance (any critic variant)."""
    step.logs["train/wasserstein_estimate"] = (step.real_out.mean() - step.fake_out.mean()).detach()


#: The WGAN authors' critic bursts (github.com/martinarjovsky/WassersteinGAN, main.py): 100 critic
#: steps before each of the first 25 generator steps and before every 500th, so the critic is
#: near its optimum early on and from time to time after.
BURST_CRITIC_STEPS, BURST_FIRST_STEPS, BURST_EVERY = 100, 25, 500


def _ends_with_sigmoid(net: nn.Module) -> bool:
    leaves = [module for module in net.modules() if next(module.children(), None) is None]
    return bool(leaves) and isinstance(leaves[-1], nn.Sigmoid)


class WGAN(BackboneGAN):
    """Critic without sigmoid, Wasserstein loss, weight clipping after every critic step, RMSprop, n_critic 5.

    Args:
        clip_value: critic weights are clamped to [-clip_value, clip_value] after each critic step.
        loss: must be a critic loss (no sigmoid/log): ``wasserstein`` (default) or ``hinge``.
        n_critic, optimizer, lr_g, lr_d: the paper's defaults (5, RMSprop, 5e-5).
        critic_schedule: ``constant``: ``n_critic`` critic steps before every generator step.
            ``bursts``: as the authors' code, 100 before each of the first 25 generator steps and
            before every 500th (100 must be a multiple of ``n_critic``).
        **kwargs: everything ``BackboneGAN`` takes (architecture, widths, pack, ...).
    """

    def __init__(
        self,
        clip_value: float = 0.01,
        loss: str | dict | AdversarialLoss = "wasserstein",
        n_critic: int = 5,
        optimizer: Literal["adam", "rmsprop", "sgd"] = "rmsprop",
        lr_g: float = 5e-5,
        lr_d: float = 5e-5,
        critic_schedule: Literal["constant", "bursts"] = "constant",
        **kwargs: Any,
    ) -> None:
        if critic_schedule not in ("constant", "bursts"):
            raise ConfigError(f"model.init_args.critic_schedule must be constant or bursts, got {critic_schedule!r}.")
        if critic_schedule == "bursts" and BURST_CRITIC_STEPS % n_critic:
            raise ConfigError(
                f"model.init_args.critic_schedule: bursts takes {BURST_CRITIC_STEPS} critic steps at a time, "
                f"which n_critic={n_critic} does not divide. Use n_critic 5 (the paper's), or a divisor of 100."
            )
        if not clip_value > 0:
            raise ConfigError(f"model.init_args.clip_value must be positive, got {clip_value!r}. The paper uses 0.01.")
        super().__init__(loss=loss, n_critic=n_critic, optimizer=optimizer, lr_g=lr_g, lr_d=lr_d, **kwargs)
        if self.loss.expects_logits:
            raise ConfigError(
                f"WGAN needs a critic without sigmoid, but model.init_args.loss: {loss} ({self.loss!r}) reads D's "
                "output as a probability logit (sigmoid and log). Set model.init_args.loss: wasserstein."
            )
        self.clip_value = clip_value
        self.critic_schedule = critic_schedule

    def critic_batches(self, step: int) -> int:
        if self.critic_schedule == "bursts" and (step < BURST_FIRST_STEPS or step % BURST_EVERY == 0):
            return BURST_CRITIC_STEPS
        return self.n_critic

    def configure_callbacks(self) -> list[L.Callback]:
        return [*super().configure_callbacks(), WeightClipping(self.clip_value)]

    def setup(self, stage: str) -> None:
        super().setup(stage)
        if _ends_with_sigmoid(self.discriminator):
            raise ConfigError(
                f"WGAN's critic must output unbounded scores, but {type(self.discriminator).__name__} ends with a "
                "Sigmoid. Remove the final sigmoid from the discriminator."
            )

    def discriminator_loss(self, step: DiscriminatorStep) -> Tensor:
        loss = super().discriminator_loss(step)
        log_wasserstein_estimate(step)
        return loss


class WGANGP(BackboneGAN):
    """WGAN with a gradient penalty instead of clipping: Adam(1e-4, betas (0, 0.9)), n_critic 5, lambda 10.

    The penalty is taken at points between real and generated samples, with one random
    interpolation coefficient per sample. The DCGAN critic has no batch norm (batch statistics
    would make each sample's gradient depend on the others).

    Args:
        gp_weight: lambda, the weight of the gradient penalty.
        **kwargs: everything ``BackboneGAN`` takes (architecture, widths, pack, ...).
    """

    discriminator_batch_norm = False

    def __init__(
        self,
        gp_weight: float = 10.0,
        loss: str | dict | AdversarialLoss = "wasserstein",
        n_critic: int = 5,
        lr_g: float = 1e-4,
        lr_d: float = 1e-4,
        betas_g: tuple[float, float] = (0.0, 0.9),
        betas_d: tuple[float, float] = (0.0, 0.9),
        **kwargs: Any,
    ) -> None:
        if gp_weight < 0:
            raise ConfigError(f"model.init_args.gp_weight must be >= 0, got {gp_weight!r}. The paper uses 10.")
        super().__init__(loss=loss, n_critic=n_critic, lr_g=lr_g, lr_d=lr_d, betas_g=betas_g, betas_d=betas_d, **kwargs)
        self.gp_weight = gp_weight

    def configure_callbacks(self) -> list[L.Callback]:
        return [*super().configure_callbacks(), GradientPenalty(weight=self.gp_weight)]

    def discriminator_loss(self, step: DiscriminatorStep) -> Tensor:
        loss = super().discriminator_loss(step)
        log_wasserstein_estimate(step)
        return loss
