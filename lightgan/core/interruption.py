"""Stopping a run from outside without losing it: SIGTERM and Ctrl-C end the run at a step with a checkpoint.

SLURM and Kubernetes send SIGTERM some time before they kill a job; a user presses Ctrl-C.
Lightning on its own stops on SIGTERM after the current step but saves nothing and exits 0,
and Ctrl-C interrupts wherever the run is (a step half done) and saves nothing either. Here
the signal is noted, the step under way finishes, a checkpoint of it is written to
``last.ckpt`` where ModelCheckpoint writes its own (so Lightning resumes it as one of those),
the run stops and the process exits with the signal's status (143, 130): ``--ckpt_path last``
continues exactly. All processes of a multi-process run decide together, at the same step. A
second Ctrl-C stops at once, as usual.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.utilities import rank_zero_info
from lightning.pytorch.utilities.exceptions import SIGTERMException

#: Exit statuses of a process stopped by a signal (128 + its number), as shells report them.
EXIT_STATUS = {"SIGTERM": 128 + signal.SIGTERM, "SIGINT": 128 + signal.SIGINT}


class GracefulStop(L.Callback):
    """Every run has one (``GANModule.configure_callbacks``): a stop from outside ends at a step, saved."""

    def __init__(self) -> None:
        self.requested: str | None = None
        self.saved_at: int | None = None
        self._previous_handlers: dict[int, Any] = {}

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # after Lightning registered its SIGTERM handler, whose flag could stop the run where nothing was saved:
        # this one replaces it and sets that flag itself, once the step is saved
        self.requested, self.saved_at = None, None
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT):
                self._previous_handlers[signum] = signal.signal(signum, self._note)

    def _note(self, signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGINT and self.requested is not None:
            raise KeyboardInterrupt  # a second Ctrl-C: stop at once
        self.requested = signal.Signals(signum).name
        rank_zero_info(f"\nlightgan: {self.requested}: stopping after this step and saving it.")

    def _restore_handlers(self) -> None:
        if threading.current_thread() is threading.main_thread():
            for signum, handler in self._previous_handlers.items():
                signal.signal(signum, handler)
        self._previous_handlers = {}

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, *args: Any) -> None:
        if not trainer.strategy.reduce_boolean_decision(self.requested is not None, all=False):
            return
        self.requested = self.requested or "SIGTERM"  # another process was signalled
        trainer.save_checkpoint(last_checkpoint_path(trainer))
        self.saved_at = trainer.global_step
        trainer._signal_connector.received_sigterm = True  # Lightning's own flag: it stops after this step

    def on_fit_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._restore_handlers()

    def on_exception(self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException) -> None:
        self._restore_handlers()
        if not isinstance(exception, SIGTERMException) or self.saved_at is None:
            return  # a second Ctrl-C or an error: the state may be mid-step, so it is not saved
        rank_zero_info(
            f"lightgan: stopped by {self.requested} at generator step {self.saved_at}; saved "
            f"{last_checkpoint_path(trainer)} (continue with --ckpt_path last)."
        )
        exception.code = EXIT_STATUS.get(self.requested or "SIGTERM", EXIT_STATUS["SIGTERM"])


def last_checkpoint_path(trainer: L.Trainer) -> Path:
    """Where ``last.ckpt`` goes: the first ModelCheckpoint's folder, else ``<run>/checkpoints``."""
    folders = [cb.dirpath for cb in trainer.callbacks if isinstance(cb, ModelCheckpoint) and cb.dirpath]
    folder = Path(folders[0]) if folders else Path(trainer.default_root_dir) / "checkpoints"
    return folder / f"{ModelCheckpoint.CHECKPOINT_NAME_LAST}{ModelCheckpoint.FILE_EXTENSION}"
