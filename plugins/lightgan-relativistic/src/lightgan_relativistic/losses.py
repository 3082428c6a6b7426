"""Relativistic objectives, registered in ``lightgan.losses`` as ``relativistic`` and ``relativistic_average``.

Both compare the critic's outputs on real and fake data instead of judging each alone, so the
generator's objective needs D's output on real data too: they set ``generator_needs_real`` and
``GANModule`` passes it, so they work with any variant that keeps the base generator loss.
"""

from __future__ import annotations

import torch.nn.functional as F
from lightgan.api import AdversarialLoss, ConfigError, Target, broadcast_target
from torch import Tensor


def _need_real(real_out: Tensor | None, loss: AdversarialLoss) -> Tensor:
    if real_out is None:
        raise ConfigError(
            f"{loss!r} compares fakes with real data in the generator step too, but the model passed no "
            "discriminator output on real data. A model that overrides generator_loss must pass real_out "
            "when loss.generator_needs_real is set (GANModule's own generator_loss does)."
        )
    return real_out


class RelativisticLoss(AdversarialLoss):
    """RSGAN: D maximises log sigmoid(C(x_r) - C(x_f)) over (real, fake) pairs; G the same with roles swapped.

    Pairs are formed by position in the batch (batches are shuffled, so pairing is random).
    Targets are not used: label smoothing does not apply.
    """

    uses_targets = False
    expects_logits = False
    generator_needs_real = True

    def discriminator_loss(self, real_out, fake_out, real_target=None, fake_target=None):
        return F.softplus(-(real_out - fake_out)).mean()

    def generator_loss(self, fake_out, real_out=None):
        return F.softplus(-(fake_out - _need_real(real_out, self))).mean()


class RelativisticAverageLoss(AdversarialLoss):
    """RaGAN: each output is compared with the mean output of the other side.

    D: BCE(C(x_r) - E C(x_f), 1) + BCE(C(x_f) - E C(x_r), 0); G swaps the targets. The real
    and fake targets of D can be changed (label smoothing).
    """

    uses_targets = True
    expects_logits = False
    generator_needs_real = True

    def discriminator_loss(
        self, real_out: Tensor, fake_out: Tensor, real_target: Target = None, fake_target: Target = None
    ) -> Tensor:
        real_rel = real_out - fake_out.mean()
        fake_rel = fake_out - real_out.mean()
        return F.binary_cross_entropy_with_logits(
            real_rel, broadcast_target(real_target, 1.0, real_rel)
        ) + F.binary_cross_entropy_with_logits(fake_rel, broadcast_target(fake_target, 0.0, fake_rel))

    def generator_loss(self, fake_out: Tensor, real_out: Tensor | None = None) -> Tensor:
        real_out = _need_real(real_out, self)
        fake_rel = fake_out - real_out.mean()
        real_rel = real_out - fake_out.mean()
        # BCE(x, 1) = softplus(-x) and BCE(x, 0) = softplus(x)
        return F.softplus(-fake_rel).mean() + F.softplus(real_rel).mean()
