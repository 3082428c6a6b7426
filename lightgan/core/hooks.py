"""GAN-specific callback hooks, called from inside the discriminator and generator steps.

Lightning's own hooks stop at the edge of ``training_step``. Tricks such as label smoothing,
instance noise or feature matching need to act *inside* a D or G step, so ``GANModule`` calls
the methods below on every callback that defines them. Each hook receives the step's context
object and may change it in place; the module reads the context back after the hook.

Order inside one discriminator step::

    on_discriminator_inputs(ctx)   # ctx.real / ctx.fake may be replaced (noise, augmentation, replay)
    on_discriminator_targets(ctx)  # ctx.real_target / ctx.fake_target may be replaced (label smoothing)
    ... D forward, adversarial loss ...
    on_discriminator_loss(ctx)     # ctx.loss may be changed (penalties); ctx.logs gains entries
    ... backward, optimizer step ...
    on_after_discriminator_step()

Order inside one generator step::

    on_generator_inputs(ctx)       # ctx.fake may be replaced (augmentation) before D sees it
    ... D forward, adversarial loss ...
    on_generator_loss(ctx)         # ctx.loss may be changed or replaced (feature matching)
    ... backward, optimizer step ...
    on_after_generator_step()
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import lightning as L
from torch import Tensor

from lightgan.core.losses import Target

if TYPE_CHECKING:
    from lightgan.core.module import GANModule

HOOK_NAMES: tuple[str, ...] = (
    "on_discriminator_inputs",
    "on_discriminator_targets",
    "on_discriminator_loss",
    "on_after_discriminator_step",
    "on_generator_inputs",
    "on_generator_loss",
    "on_after_generator_step",
)


@dataclass
class DiscriminatorStep:
    """Everything one discriminator update sees; hooks may change fields in place."""

    batch: dict[str, Any]
    real: Tensor
    fake: Tensor
    labels: Tensor | None = None
    fake_labels: Tensor | None = None
    #: The latent vectors ``fake`` was generated from (BiGAN's D judges (x, z) pairs).
    z: Tensor | None = None
    real_target: Target = None
    fake_target: Target = None
    real_out: Tensor | None = None
    fake_out: Tensor | None = None
    loss: Tensor | None = None
    logs: dict[str, Tensor] = field(default_factory=dict)
    #: Set by a callback that undid the step (NaNGuard's restore): nothing that follows the update runs.
    skipped: bool = False


@dataclass
class GeneratorStep:
    """Everything one generator update sees; hooks may change fields in place."""

    batch: dict[str, Any]
    z: Tensor
    fake: Tensor
    fake_labels: Tensor | None = None
    real: Tensor | None = None
    fake_out: Tensor | None = None
    #: G's adversarial term alone (``loss`` may add a variant's own terms); tricks that reweight it read it here.
    adversarial_loss: Tensor | None = None
    loss: Tensor | None = None
    logs: dict[str, Tensor] = field(default_factory=dict)
    #: Set by a callback that undid the step (NaNGuard's restore): nothing that follows the update runs.
    skipped: bool = False


class GANCallback(L.Callback):
    """Base class for tricks that act inside GAN steps. Override only what you need.

    Any ``lightning.Callback`` that defines one of these methods is called too; subclassing
    this class only documents the signatures.
    """

    def on_discriminator_inputs(self, trainer: L.Trainer, pl_module: GANModule, step: DiscriminatorStep) -> None:
        """Change ``step.real`` / ``step.fake`` before the discriminator sees them."""

    def on_discriminator_targets(self, trainer: L.Trainer, pl_module: GANModule, step: DiscriminatorStep) -> None:
        """Change ``step.real_target`` / ``step.fake_target`` (None means the loss's default)."""

    def on_discriminator_loss(self, trainer: L.Trainer, pl_module: GANModule, step: DiscriminatorStep) -> None:
        """Add to or replace ``step.loss``; put anything worth plotting in ``step.logs``."""

    def on_after_discriminator_step(self, trainer: L.Trainer, pl_module: GANModule) -> None:
        """Runs after the discriminator's optimizer step (weight clipping belongs here)."""

    def on_generator_inputs(self, trainer: L.Trainer, pl_module: GANModule, step: GeneratorStep) -> None:
        """Change ``step.fake`` before the discriminator judges it in the generator step."""

    def on_generator_loss(self, trainer: L.Trainer, pl_module: GANModule, step: GeneratorStep) -> None:
        """Add to or replace ``step.loss``; put anything worth plotting in ``step.logs``."""

    def on_after_generator_step(self, trainer: L.Trainer, pl_module: GANModule) -> None:
        """Runs after the generator's optimizer step (EMA updates belong here)."""
