"""The progress bar of a run: Lightning's rich bar, titled right when a run is bounded by steps.

With only ``max_steps`` set, Lightning's bar reads ``Epoch 9/-2`` (``max_epochs`` is -1); a
GAN run is usually bounded by generator steps, so the title names those instead.
"""

from __future__ import annotations

from lightning.pytorch.callbacks import RichProgressBar


class GANProgressBar(RichProgressBar):
    """``Epoch 2/19`` when epochs bound the run, ``Epoch 2 (to step 25,000)`` when steps do."""

    def _get_train_description(self, current_epoch: int) -> str:
        trainer = self.trainer
        max_epochs, max_steps = trainer.max_epochs, trainer.max_steps
        if max_epochs is not None and max_epochs >= 0:
            description = f"Epoch {current_epoch}/{max_epochs - 1}"
        elif max_steps is not None and max_steps > 0:
            description = f"Epoch {current_epoch} (to step {max_steps:,})"
        else:
            description = f"Epoch {current_epoch}"
        return f"{description:{len(self.validation_description)}}"


def use_gan_progress_bar(callbacks: list) -> None:
    """Swap Lightning's default rich bar (exactly that class) for ``GANProgressBar``, keeping its settings."""
    for index, callback in enumerate(callbacks):
        if type(callback) is RichProgressBar:
            callbacks[index] = GANProgressBar(
                callback.refresh_rate, callback._leave, callback.theme, callback._console_kwargs
            )
