"""The divergence guard: stop (or step back) the moment a loss stops being a number.

A single non-finite loss turns every weight into NaN at the next optimizer step, and training
then continues on garbage, writing it into checkpoints. The guard looks at the final loss of
every D and G update (after all tricks have added their terms), before the optimizer steps.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

import lightning as L
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.utilities import rank_zero_warn

from lightgan.core.hooks import DiscriminatorStep, GANCallback, GeneratorStep
from lightgan.core.safe_files import load_weights_only
from lightgan.errors import ConfigError, LightGANError

if TYPE_CHECKING:
    from lightgan.core.module import GANModule


class NonFiniteLossError(LightGANError):
    """A loss became NaN or infinite; the message names the loss and the step."""


class NaNGuard(GANCallback):
    """Check each step's loss before the optimizer step.

    Args:
        action: ``stop`` raises an error naming the loss, its non-finite parts and the step;
            ``restore`` loads the weights and optimizer states of the newest checkpoint, skips
            the step (and what runs after it: EMA updates, BEGAN's k_t, ...) and goes on with
            fresh data and noise. Under DDP every process takes the same action.
        max_restores: with ``restore``, stop after this many restores in one run.
    """

    def __init__(self, action: Literal["stop", "restore"] = "stop", max_restores: int = 3) -> None:
        if action not in ("stop", "restore"):
            raise ConfigError(f"NaNGuard action {action!r}: choose stop or restore.")
        self.action, self.max_restores = action, max_restores
        self.restores = 0

    def on_before_discriminator_step(self, trainer: L.Trainer, pl_module: GANModule, step: DiscriminatorStep) -> None:
        self._check(trainer, pl_module, step)

    def on_before_generator_step(self, trainer: L.Trainer, pl_module: GANModule, step: GeneratorStep) -> None:
        self._check(trainer, pl_module, step)

    def _check(self, trainer: L.Trainer, pl_module: GANModule, step: DiscriminatorStep | GeneratorStep) -> None:
        """The final loss (after every trick's terms), read before the optimizer step."""
        name = f"train/{pl_module.find_player(step.player).log_name}_loss"
        locally_bad = not bool(torch.isfinite(step.loss.detach()).all())
        # every process decides together: gradients were averaged, so one bad process spoils all
        if not trainer.strategy.reduce_boolean_decision(locally_bad, all=False):
            return
        if locally_bad:
            message = self._describe(trainer, name, step)
        else:
            message = f"{name} is not finite in another process at generator step {trainer.global_step}"
        if self.action == "stop" or self.restores >= self.max_restores:
            hint = "" if self.action == "stop" else f" (gave up after {self.restores} restores)"
            raise NonFiniteLossError(
                f"{message}{hint}. Lower the learning rates, add a gradient penalty (R1Penalty, GradientPenalty) "
                "or go back to the last checkpoint and on: model.init_args.divergence: restore."
            )
        path = self._newest_checkpoint(trainer)
        if path is None:
            raise NonFiniteLossError(f"{message}, and there is no checkpoint yet to restore.")
        self._restore(trainer, pl_module, path)
        step.skipped = True
        self.restores += 1
        rank_zero_warn(f"NaNGuard: {message}; restored weights and optimizer states from {path} and skipped the step.")

    @staticmethod
    def _describe(trainer: L.Trainer, name: str, step: DiscriminatorStep | GeneratorStep) -> str:
        bad_parts = [k for k, v in step.logs.items() if not bool(torch.isfinite(v.detach()).all())]
        kind = "discriminator" if isinstance(step, DiscriminatorStep) else "generator"
        parts = f" (non-finite parts: {', '.join(bad_parts)})" if bad_parts else ""
        value = step.loss.detach().float().flatten()[0].item()
        return f"{name} is {value} in a {kind} step at generator step {trainer.global_step}{parts}"

    @staticmethod
    def _newest_checkpoint(trainer: L.Trainer) -> Path | None:
        paths = {
            Path(p)
            for cb in trainer.callbacks
            if isinstance(cb, ModelCheckpoint)
            for p in (cb.last_model_path, cb.best_model_path)
            if p and Path(p).is_file()
        }
        return max(paths, key=lambda p: p.stat().st_mtime) if paths else None

    @staticmethod
    def _restore(trainer: L.Trainer, pl_module: GANModule, path: Path) -> None:
        checkpoint = load_weights_only(path, map_location=pl_module.device)
        pl_module.load_state_dict(checkpoint["state_dict"])
        for opt, state in zip(trainer.optimizers, checkpoint["optimizer_states"], strict=True):
            opt.load_state_dict(state)
