"""GAN-specific callback hooks, called from inside the discriminator and generator updates.

Lightning's own hooks stop at the edge of ``training_step``. Tricks such as label smoothing,
instance noise or feature matching need to act *inside* a D or G update, so ``GANModule``
calls the methods of :class:`GANCallback` on every callback that defines them. Each hook
receives the update's step object and may change it in place; the module reads it back.

Order inside one discriminator update (one per discriminator player and batch)::

    on_discriminator_inputs(step)       # step.real / step.fake may be replaced (noise, augmentation, replay)
    on_discriminator_targets(step)      # step.real_target / step.fake_target (label smoothing)
    ... D forward, the variant's loss ...
    on_discriminator_loss(step)         # step.loss may be changed (penalties); step.logs gains entries
    ... backward ...
    on_before_discriminator_step(step)  # gradients exist; setting step.skipped cancels the optimizer step
    ... optimizer step ...
    on_after_discriminator_step(step)   # weight clipping, averages

Order inside one generator update (one per generator player, after all discriminator updates)::

    on_generator_inputs(step)           # step.fake may be replaced (augmentation) before D sees it
    ... D forward, the variant's loss ...
    on_generator_loss(step)             # step.loss may be changed or replaced (feature matching)
    ... backward ...
    on_before_generator_step(step)
    ... optimizer step ...
    on_after_generator_step(step)       # EMA updates
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

import lightning as L

from lightgan.core.steps import DiscriminatorStep, GeneratorStep, Step

if TYPE_CHECKING:
    from lightgan.core.module import GANModule

__all__ = ["HOOK_NAMES", "DiscriminatorStep", "GANCallback", "GeneratorStep", "HookCaller"]


class GANCallback(L.Callback):
    """Base class for tricks that act inside GAN updates. Override only what you need.

    Any ``lightning.Callback`` that defines one of these methods is called too; subclassing
    this class documents the signatures.
    """

    def on_discriminator_inputs(self, trainer: L.Trainer, pl_module: GANModule, step: DiscriminatorStep) -> None:
        """Change ``step.real`` / ``step.fake`` before the discriminator sees them."""

    def on_discriminator_targets(self, trainer: L.Trainer, pl_module: GANModule, step: DiscriminatorStep) -> None:
        """Change ``step.real_target`` / ``step.fake_target`` (None means the loss's default)."""

    def on_discriminator_loss(self, trainer: L.Trainer, pl_module: GANModule, step: DiscriminatorStep) -> None:
        """Add to or replace ``step.loss``; put anything worth plotting in ``step.logs``."""

    def on_before_discriminator_step(self, trainer: L.Trainer, pl_module: GANModule, step: DiscriminatorStep) -> None:
        """After backward, before the optimizer step: set ``step.skipped`` to cancel the update."""

    def on_after_discriminator_step(self, trainer: L.Trainer, pl_module: GANModule, step: DiscriminatorStep) -> None:
        """Runs after the discriminator's optimizer step (weight clipping belongs here)."""

    def on_generator_inputs(self, trainer: L.Trainer, pl_module: GANModule, step: GeneratorStep) -> None:
        """Change ``step.fake`` before the discriminator judges it in the generator update."""

    def on_generator_loss(self, trainer: L.Trainer, pl_module: GANModule, step: GeneratorStep) -> None:
        """Add to or replace ``step.loss``; put anything worth plotting in ``step.logs``."""

    def on_before_generator_step(self, trainer: L.Trainer, pl_module: GANModule, step: GeneratorStep) -> None:
        """After backward, before the optimizer step: set ``step.skipped`` to cancel the update."""

    def on_after_generator_step(self, trainer: L.Trainer, pl_module: GANModule, step: GeneratorStep) -> None:
        """Runs after the generator's optimizer step (EMA updates belong here)."""


#: The GAN hooks, read off :class:`GANCallback` so the list cannot drift from the methods.
HOOK_NAMES: tuple[str, ...] = tuple(name for name in vars(GANCallback) if name.startswith("on_"))

Hook = Callable[[L.Trainer, Any, Step], None]


def defines_hook(callback: L.Callback, name: str) -> bool:
    """Whether ``callback`` has its own ``name`` method (GANCallback's empty ones do not count)."""
    method = getattr(type(callback), name, None)
    return method is not None and method is not getattr(GANCallback, name, None)


def _bound_hook(callback: L.Callback, name: str) -> Hook:
    """The callback's hook; a 0.1-style after-hook, which took no step, is called without one."""
    method = getattr(callback, name)
    try:
        takes_step = len(inspect.signature(method).parameters) >= 3 or any(
            p.kind is p.VAR_POSITIONAL for p in inspect.signature(method).parameters.values()
        )
    except (TypeError, ValueError):  # a builtin or C callable: assume the current signature
        takes_step = True
    if takes_step:
        return method
    warnings.warn(
        f"{type(callback).__name__}.{name}(trainer, pl_module) takes no step; since lightgan 0.2 the hook "
        "receives it as a third argument: define it as (trainer, pl_module, step).",
        DeprecationWarning,
        stacklevel=3,
    )
    return lambda trainer, module, step: method(trainer, module)


class HookCaller:
    """Calls each GAN hook on the callbacks that define it, in the order of ``trainer.callbacks``, except
    that callbacks of the types in ``first`` (the module's own, from ``configure_callbacks``) go first:
    a variant's fixed tricks are part of its update (WGAN's clipping acts before anyone looks at D)."""

    def __init__(self, trainer: L.Trainer | None = None, first: Collection[type] = ()) -> None:
        self.trainer = trainer
        callbacks = sorted(trainer.callbacks if trainer is not None else [], key=lambda cb: type(cb) not in first)
        self._hooks: dict[str, list[Hook]] = {
            name: [_bound_hook(cb, name) for cb in callbacks if defines_hook(cb, name)] for name in HOOK_NAMES
        }

    def __call__(self, name: str, module: GANModule, step: Step) -> None:
        for hook in self._hooks[name]:
            hook(self.trainer, module, step)
