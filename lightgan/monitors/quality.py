"""``QualityMetrics``: FID/KID/IS/precision-recall/mode coverage measured during training.

At the end of every N-th validation epoch (or every N generator steps) the generator draws a
fixed set of samples (same noise every time) and they are scored against the validation split;
the real features are extracted once per run. Scores are logged as ``val/<name>`` (so
``ModelCheckpoint(monitor="val/fid", mode="min")`` keeps the best-FID checkpoint), the
real-vs-real floor as ``val/<name>_floor``, and each evaluation is written with its setup to
``<run dir>/metrics/epoch=…-step=….json``. The callback leaves training untouched: it draws
its noise from its own seeded generator and the random subsets of KID/IS from a forked RNG.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.utilities import rank_zero_info, rank_zero_only

from lightgan.core.module import GANModule
from lightgan.errors import ConfigError
from lightgan.metrics.evaluator import SCORE_NAMES, Evaluation, Evaluator
from lightgan.metrics.report import format_value, report_dict, write_json
from lightgan.monitors.outputs import output_dir


class QualityMetrics(L.Callback):
    """Score generated samples every ``every_n_epochs`` validation epochs and log the scores.

    Args:
        metrics: names (``fid``, ``kid``, ``is``, ``pr``, ``modes``, ``classes``), a list or comma-separated.
        every_n_epochs: measure after every N-th validation epoch (0: never).
        every_n_steps: also measure every N generator steps (None: only per epoch).
        num_samples: generated samples per evaluation (None: 10,000 for images, 2,500 for vectors).
        features: ``auto`` (Inception for images, raw for vectors), ``inception``, ``inception:PATH``,
            ``domain:PATH`` or ``raw``.
        split: the real split to compare with.
        classifier: classifier file for ``classes`` when the features are not ``domain:PATH``.
        batch_size: samples per generator / feature-extractor batch.
        seed: seed of the fixed noise, the real subset and KID/IS subsets.
        kid_subsets: random subsets KID averages over.
        reference: also log the real-vs-real floor (computed once, cached on disk).
        cache_dir: where floors are cached (default ``~/.cache/lightgan/reference``).
        prefix: prefix of the logged names.
    """

    def __init__(
        self,
        metrics: str | list[str] = "fid,kid,pr",
        every_n_epochs: int = 1,
        every_n_steps: int | None = None,
        num_samples: int | None = None,
        features: str = "auto",
        split: str = "val",
        classifier: str | None = None,
        batch_size: int = 64,
        seed: int = 0,
        kid_subsets: int = 20,
        reference: bool = True,
        cache_dir: str | None = None,
        prefix: str = "val/",
    ) -> None:
        if every_n_epochs < 0 or (every_n_steps is not None and every_n_steps < 1):
            raise ConfigError(
                f"QualityMetrics every_n_epochs must be >= 0 and every_n_steps >= 1 or null, "
                f"got {every_n_epochs} and {every_n_steps}."
            )
        self.options = {
            "metrics": metrics,
            "n": num_samples,
            "features": features,
            "split": split,
            "classifier": classifier,
            "batch_size": batch_size,
            "seed": seed,
            "kid_subsets": kid_subsets,
            "cache_dir": cache_dir,
        }
        self.every_n_epochs, self.every_n_steps = every_n_epochs, every_n_steps
        self.use_reference, self.prefix = reference, prefix
        self.evaluator: Evaluator | None = None
        self.reference: Evaluation | None = None
        self.out_dir: Path | None = None
        #: ``{"epoch", "step", name: value, ...}`` per evaluation of this process.
        self.history: list[dict[str, Any]] = []

    def setup(self, trainer: L.Trainer, pl_module: GANModule, stage: str) -> None:
        if stage != "fit" or self.evaluator is not None:
            return
        datamodule = trainer.datamodule
        if datamodule is None or not hasattr(datamodule, "data_shape"):
            raise ConfigError("QualityMetrics needs a lightgan datamodule (fit with --data ...).")
        # Built here so that a bad metric name or missing Inception weights fail before training starts.
        self.evaluator = Evaluator(datamodule, progress=False, **self.options)
        self.out_dir = output_dir(trainer) / "metrics"
        for checkpoint in trainer.checkpoint_callbacks:
            self._check_monitor(checkpoint)

    def _check_monitor(self, checkpoint: ModelCheckpoint) -> None:
        """A checkpoint monitoring our score on epochs where it is not measured would fail after an epoch."""
        names = {f"{self.prefix}{name}" for metric in self.evaluator.metrics for name in SCORE_NAMES[metric]}
        if checkpoint.monitor not in names:
            return
        if not self.every_n_epochs:
            raise ConfigError(
                f"ModelCheckpoint monitors {checkpoint.monitor}, which QualityMetrics (every_n_epochs: 0) logs at "
                "no epoch end: give QualityMetrics every_n_epochs >= 1 and the ModelCheckpoint the same every_n_epochs."
            )
        checkpoint_every = getattr(checkpoint, "_every_n_epochs", 1)  # Lightning keeps it private
        if checkpoint_every % self.every_n_epochs:
            raise ConfigError(
                f"ModelCheckpoint monitors {checkpoint.monitor}, which QualityMetrics logs every {self.every_n_epochs} "
                f"epochs: set the ModelCheckpoint's every_n_epochs to {self.every_n_epochs} (or a multiple of it)."
            )

    def on_validation_epoch_end(self, trainer: L.Trainer, pl_module: GANModule) -> None:
        if trainer.sanity_checking or self.evaluator is None or not self.every_n_epochs:
            return
        if (trainer.current_epoch + 1) % self.every_n_epochs == 0:
            self.measure(trainer, pl_module, per_step=False)

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: GANModule, *args: Any) -> None:
        if self.every_n_steps and trainer.global_step % self.every_n_steps == 0:
            self.measure(trainer, pl_module, per_step=True)

    def measure(self, trainer: L.Trainer, pl_module: GANModule, per_step: bool = False) -> Evaluation:
        """Score the generator now and log the scores (and floors) under ``prefix``."""
        assert self.evaluator is not None
        self.evaluator.device = pl_module.device
        evaluation = self.evaluator.evaluate(pl_module)
        if self.use_reference and self.reference is None:
            self.reference = self.evaluator.reference(pl_module.device)
        values = evaluation.values()
        logged = {f"{self.prefix}{name}": value for name, value in values.items()}
        if self.reference is not None:
            logged |= {f"{self.prefix}{name}_floor": v for name, v in self.reference.values().items() if name in values}
        for name, value in logged.items():
            pl_module.log(name, float(value), on_step=per_step, on_epoch=not per_step)
        self.history.append({"epoch": trainer.current_epoch, "step": trainer.global_step, **values})
        self._report(trainer, evaluation)
        return evaluation

    @rank_zero_only
    def _report(self, trainer: L.Trainer, evaluation: Evaluation) -> None:
        name = f"epoch={trainer.current_epoch:03d}-step={trainer.global_step:07d}"
        assert self.out_dir is not None
        record = report_dict(evaluation, self.reference, epoch=trainer.current_epoch, step=trainer.global_step)
        write_json(record, self.out_dir / f"{name}.json")
        summary = ", ".join(f"{k} {format_value(s.value, s.std)}" for k, s in evaluation.scores.items())
        rank_zero_info(f"lightgan: {name}: {summary}")
