"""Adversarial objectives as small objects chosen in config.

Every loss takes the discriminator's raw outputs (logits or critic values, any shape) and
returns a scalar. Losses that compare against targets accept ``real_target``/``fake_target``
so tricks such as label smoothing can change them without knowing which loss is in use.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from lightgan.errors import ConfigError

Target = float | Tensor | None


class AdversarialLoss:
    """Base class: one objective for D and one for G."""

    #: Whether ``discriminator_loss`` compares outputs against real/fake targets.
    uses_targets: bool = True
    #: Whether the discriminator's output is a probability logit (True) or an unbounded critic value.
    expects_logits: bool = True
    #: Whether ``generator_loss`` compares fakes with D's output on real data (relativistic losses).
    generator_needs_real: bool = False

    def discriminator_loss(
        self, real_out: Tensor, fake_out: Tensor, real_target: Target = None, fake_target: Target = None
    ) -> Tensor:
        raise NotImplementedError

    def generator_loss(self, fake_out: Tensor, real_out: Tensor | None = None) -> Tensor:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def broadcast_target(target: Target, default: float, like: Tensor) -> Tensor:
    """A scalar or per-sample target shaped like the discriminator output ``like``."""
    value = torch.as_tensor(default if target is None else target, dtype=like.dtype, device=like.device)
    if value.dim() == 1 and like.dim() > 1:
        value = value.view(-1, *([1] * (like.dim() - 1)))
    return value.expand_as(like)


def _bce(logits: Tensor, target: Target, default: float) -> Tensor:
    return F.binary_cross_entropy_with_logits(logits, broadcast_target(target, default, logits))


class MinimaxLoss(AdversarialLoss):
    """The original saturating objective: G minimises log(1 - D(G(z)))."""

    def discriminator_loss(self, real_out, fake_out, real_target=None, fake_target=None):
        return _bce(real_out, real_target, 1.0) + _bce(fake_out, fake_target, 0.0)

    def generator_loss(self, fake_out, real_out=None):
        # log(1 - sigmoid(l)) == -softplus(l)
        return -F.softplus(fake_out).mean()


class NonSaturatingLoss(MinimaxLoss):
    """Goodfellow's practical variant: G maximises log D(G(z)), which keeps gradients alive early on."""

    def generator_loss(self, fake_out, real_out=None):
        return F.softplus(-fake_out).mean()


class LeastSquaresLoss(AdversarialLoss):
    """LSGAN (Mao et al.): D pushes fakes to ``a`` and reals to ``b``; G pushes fakes to ``c``."""

    expects_logits = False

    def __init__(self, a: float = 0.0, b: float = 1.0, c: float = 1.0) -> None:
        self.a, self.b, self.c = a, b, c

    def discriminator_loss(self, real_out, fake_out, real_target=None, fake_target=None):
        real_goal = broadcast_target(real_target, self.b, real_out)
        fake_goal = broadcast_target(fake_target, self.a, fake_out)
        return 0.5 * ((real_out - real_goal) ** 2).mean() + 0.5 * ((fake_out - fake_goal) ** 2).mean()

    def generator_loss(self, fake_out, real_out=None):
        return 0.5 * ((fake_out - self.c) ** 2).mean()

    def __repr__(self) -> str:
        return f"LeastSquaresLoss(a={self.a}, b={self.b}, c={self.c})"


class WassersteinLoss(AdversarialLoss):
    """WGAN critic objective: no sigmoid, no log; the critic estimates the Wasserstein-1 distance."""

    uses_targets = False
    expects_logits = False

    def discriminator_loss(self, real_out, fake_out, real_target=None, fake_target=None):
        return fake_out.mean() - real_out.mean()

    def generator_loss(self, fake_out, real_out=None):
        return -fake_out.mean()


class HingeLoss(AdversarialLoss):
    """Hinge objective used by SNGAN and BigGAN."""

    uses_targets = False
    expects_logits = False

    def discriminator_loss(self, real_out, fake_out, real_target=None, fake_target=None):
        return F.relu(1.0 - real_out).mean() + F.relu(1.0 + fake_out).mean()

    def generator_loss(self, fake_out, real_out=None):
        return -fake_out.mean()


LossSpec = str | dict | AdversarialLoss


def loss_spec(loss: LossSpec) -> str | dict:
    """Plain-data form of a loss (a name or class_path/init_args), safe to keep in checkpoints."""
    if isinstance(loss, AdversarialLoss):
        cls = type(loss)
        return {"class_path": f"{cls.__module__}.{cls.__qualname__}", "init_args": dict(vars(loss))}
    return loss


def resolve_loss(loss: LossSpec) -> AdversarialLoss:
    """Turn a registered short name (``"hinge"``), a full class path or a class_path/init_args
    dict into a loss object; pass loss objects through."""
    if isinstance(loss, AdversarialLoss):
        return loss
    from lightgan import registry

    if isinstance(loss, dict):
        path = loss.get("class_path")
        if not isinstance(path, str):
            raise ConfigError(
                f"model.init_args.loss given as a mapping needs class_path (a registered loss name or a class path) "
                f"and init_args, got {loss!r}. E.g. {{class_path: lightgan.core.f_divergences.PearsonLoss, "
                "init_args: {generator_objective: conjugate}}."
            )
        cls = _loss_class(path) if "." in path else registry.load("loss", path)
        arguments = loss.get("init_args") or {}
        try:
            return cls(**arguments)
        except TypeError as error:
            raise ConfigError(f"model.init_args.loss: {cls.__name__} does not take {arguments!r} ({error}).") from None
    if "." in loss:
        return _loss_class(loss)()
    return registry.load("loss", loss)()


def _loss_class(path: str) -> type[AdversarialLoss]:
    """The class at ``path``, checked to be a loss before anything is called."""
    from lightgan import registry

    cls = registry.import_object(path)
    if not (isinstance(cls, type) and issubclass(cls, AdversarialLoss)):
        raise ConfigError(f"loss {path!r} is not an AdversarialLoss; name a registered loss or a loss class.")
    return cls
