"""``LightningCLI`` as lightgan runs it: the run directory, the loggers placed in it, default callbacks.

Only ``fit``, ``validate``, ``test`` and ``predict`` import this module (``lightgan.app.cli.run_lightning``):
it imports Lightning, and with it torch, torchmetrics and matplotlib, which take seconds that
``lightgan --help`` and lightgan's other commands do not need to spend.
"""

from __future__ import annotations

import os
import re
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from jsonargparse import DefaultHelpFormatter
from lightning.pytorch.callbacks import BasePredictionWriter, Callback, ModelCheckpoint
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI, SaveConfigCallback
from lightning.pytorch.utilities import rank_zero_info, rank_zero_warn

from lightgan.app.loggers import wandb_labels
from lightgan.app.progress import use_gan_progress_bar
from lightgan.app.records import RunRecords
from lightgan.app.run_dir import (
    RUN_DIR_ENV,
    checkpoint_candidates,
    claim_run_dir,
    find_last_checkpoint,
    inherited_run_dir,
    launcher_rank,
    next_version_dir,
    previous_wandb_run_id,
    requeued_run_dir,
    run_dir_of_checkpoint,
)
from lightgan.core.acceleration import check_precision
from lightgan.core.safe_files import check_named_classes, load_weights_only
from lightgan.errors import ConfigError

_LOGGERS_WITH_SAVE_DIR = ("CSVLogger", "TensorBoardLogger")


class KeepLinesFormatter(DefaultHelpFormatter):
    """Descriptions keep their line breaks: each list of registered names is a paragraph of its own,
    wrapped to the terminal, its continuation lines indented."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        paragraphs = (
            textwrap.fill(line, width, initial_indent=indent, subsequent_indent=indent + "    ") if line else ""
            for line in text.splitlines()
        )
        return "\n".join(paragraphs) + "\n"


class LoggedSaveConfigCallback(SaveConfigCallback):
    """Writes config.yaml into the run directory and sends the resolved config to every logger.

    A run's config.yaml is written once, by the ``fit`` that starts the run: ``validate``, ``test``,
    ``predict`` and a resumed ``fit`` leave it alone (they would add options of their own, such as
    ``verbose``, after which the file no longer runs ``lightgan fit --config``).
    """

    def setup(self, trainer: Any, pl_module: Any, stage: str) -> None:
        if not self.already_saved:
            written = Path(trainer.log_dir or trainer.default_root_dir, self.config_filename).exists()
            self.save_to_log_dir = stage == "fit" and not written
        super().setup(trainer, pl_module, stage)

    def save_config(self, trainer: Any, pl_module: Any, stage: str) -> None:
        config = yaml.safe_load(self.parser.dump(self.config, skip_none=False))
        for logger in trainer.loggers:
            logger.log_hyperparams({"config": config})


class LightGANCLI(LightningCLI):
    """LightningCLI with lightgan's run layout, links and default callbacks.

    Args:
        commands: the subcommands that get a parser (default: all four). ``lightgan`` builds only the one it
            runs: each parser reads the options of the Trainer, the model and the datamodule anew.
    """

    def __init__(self, *args: Any, commands: Sequence[str] | None = None, **kwargs: Any) -> None:
        self._commands = commands
        super().__init__(*args, **kwargs)

    def subcommands(self) -> dict[str, set[str]]:  # type: ignore[override]  # Lightning's is a staticmethod
        every = LightningCLI.subcommands()
        return {name: every[name] for name in self._commands or every}

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        parser.link_arguments("data.data_shape", "model.init_args.data_shape", apply_on="instantiate")
        parser.link_arguments("data.num_classes", "model.init_args.num_classes", apply_on="instantiate")

    def _parse_ckpt_path(self) -> None:
        """Lightning reads a ``--ckpt_path`` checkpoint's hyperparameters into the config, importing the classes
        they name: lightgan first reads it weights-only and refuses names from outside lightgan and its plugins."""
        subcommand = self.config.get("subcommand")
        ckpt_path = self.config[subcommand].get("ckpt_path") if subcommand else None
        if ckpt_path and Path(ckpt_path).is_file():
            checkpoint = load_weights_only(ckpt_path, mmap=True)
            check_named_classes(checkpoint.get("hyper_parameters") or {}, ckpt_path)
        super()._parse_ckpt_path()

    def before_instantiate_classes(self) -> None:
        cfg = self.config[self.subcommand]
        # config.yaml records the command as given: re-running it starts a new version, not this one again
        self._config_as_given = cfg.clone()
        if cfg.get("weights_only") is False:
            raise ConfigError(
                "--weights_only false: lightgan reads checkpoints weights-only (tensors and plain data), whoever "
                "wrote them, and never unpickles them fully. Leave the option out."
            )
        if "weights_only" in cfg:
            cfg.weights_only = True
        if "trainer" in cfg:
            check_precision(cfg.trainer.get("precision"), cfg.trainer.get("accelerator"))
        run_dir = self._resolve_run_dir(cfg)
        cfg.trainer.default_root_dir = str(run_dir)
        os.environ[RUN_DIR_ENV] = str(run_dir)
        self.run_dir = run_dir
        self._place_logger(cfg, run_dir, resuming=bool(cfg.get("ckpt_path")))

    def _run_name(self, cfg: Any) -> str:
        configs = cfg.get("config") or []
        if configs:
            path = Path(str(configs[-1]))
            if path.name == "config.yaml" and re.fullmatch(r"version_\d+", path.parent.name):
                return path.parent.parent.name  # a run's own config.yaml: a new version of that run
            return path.stem
        model = str(cfg.model.class_path).rsplit(".", 1)[-1]
        data = str(cfg.data.class_path).rsplit(".", 1)[-1] if cfg.get("data") else "data"
        return f"{model}_{data}".lower()

    def _resolve_run_dir(self, cfg: Any) -> Path:
        inherited = inherited_run_dir()
        if inherited is not None:
            if cfg.get("ckpt_path") == "last":
                cfg.ckpt_path = str(inherited / "checkpoints" / "last.ckpt")
            return inherited
        explicit = cfg.trainer.get("default_root_dir")
        base = Path(explicit) if explicit else Path("runs") / self._run_name(cfg)
        ckpt = cfg.get("ckpt_path")
        if ckpt == "last":
            found = _newest_readable_checkpoint(base)
            cfg.ckpt_path = str(found)
            rank_zero_info(f"lightgan: resuming from {found}")
            return run_dir_of_checkpoint(found) or base
        requeued = None if (ckpt or explicit) else requeued_run_dir(base)
        if requeued is not None:
            rank_zero_info(f"lightgan: requeued SLURM job, continuing {requeued} from its HPC checkpoint")
            return requeued
        if ckpt:
            if not Path(ckpt).is_file():
                raise ConfigError(
                    f"--ckpt_path {ckpt} does not exist. Runs keep theirs in runs/<name>/version_N/checkpoints/; "
                    "--ckpt_path last takes the newest of the config's runs."
                )
            load_weights_only(ckpt, mmap=True)  # an unreadable or unsafe file stops here, in one line
            owner = run_dir_of_checkpoint(Path(ckpt))
            if owner is not None and not explicit:
                return owner
        if not explicit:
            return next_version_dir(base)
        return claim_run_dir(base) if self.subcommand == "fit" and not ckpt and launcher_rank() == 0 else base

    @staticmethod
    def _place_logger(cfg: Any, run_dir: Path, *, resuming: bool) -> None:
        """Point loggers left at their default location into the run directory and label the W&B run
        (project, name, group, tags) where the config does not; a resumed run continues its W&B run."""
        loggers = cfg.trainer.get("logger")
        callbacks = cfg.trainer.get("callbacks") or []
        components = [cfg.get("model"), cfg.get("data"), *(callbacks if isinstance(callbacks, list) else [callbacks])]
        for logger in loggers if isinstance(loggers, list) else [loggers]:
            if not hasattr(logger, "class_path"):
                continue
            init = logger.init_args
            name = str(logger.class_path).rsplit(".", 1)[-1]
            if name == "WandbAutoModeLogger":
                if init.get("save_dir") in (None, "."):
                    init.save_dir = str(run_dir.resolve())
                for key, value in wandb_labels(run_dir, components).items():
                    if init.get(key) is None:
                        init[key] = value
                if resuming and init.get("id") is None:
                    init.id = previous_wandb_run_id(run_dir)
            elif name in _LOGGERS_WITH_SAVE_DIR and init.get("save_dir") in (None, "."):
                init.save_dir, init.name, init.version = str(run_dir), "", ""

    def instantiate_trainer(self, **kwargs: Any) -> Any:
        trainer = super().instantiate_trainer(**kwargs)
        use_gan_progress_bar(trainer.callbacks)
        if (
            self.subcommand != "predict"
            and trainer.loggers
            and not any(isinstance(x, RunRecords) for x in trainer.loggers)
        ):
            trainer.loggers = [*trainer.loggers, RunRecords(self.run_dir)]  # the run's curves without W&B
        for callback in trainer.callbacks:
            if isinstance(callback, SaveConfigCallback):
                callback.config = self._config_as_given
        if self.subcommand == "fit":
            self._add_default_callbacks(trainer.callbacks)
        elif self.subcommand == "predict" and not any(isinstance(cb, BasePredictionWriter) for cb in trainer.callbacks):
            from lightgan.app.predictions import SavePredictions

            trainer.callbacks.append(SavePredictions())
        return trainer

    def _add_default_callbacks(self, callbacks: list[Callback]) -> None:
        from lightgan.monitors.samples import FixedNoiseSamples

        # the real path, as ModelCheckpoint makes it: resuming restores last_model_path only if they match
        checkpoint_dir = os.path.realpath(self.run_dir / "checkpoints")
        checkpoints = [cb for cb in callbacks if isinstance(cb, ModelCheckpoint)]
        for cb in checkpoints:
            if cb.dirpath is None:
                cb.dirpath = checkpoint_dir
        if checkpoints and not any(cb.save_last for cb in checkpoints):
            checkpoints[0].save_last = True
        if not any(isinstance(cb, FixedNoiseSamples) for cb in callbacks):
            callbacks.append(FixedNoiseSamples())

    def after_fit(self) -> None:
        trainer = self.trainer
        if not trainer.is_global_zero:
            return
        lines = [f"lightgan: run directory {self.run_dir}"]
        last = find_last_checkpoint(self.run_dir)
        if last:
            lines.append(f"  last checkpoint: {last}  (resume: --ckpt_path last)")
        samples = sorted((self.run_dir / "samples").glob("*.png"))
        if samples:
            lines.append(f"  latest samples:  {samples[-1]}")
        print("\n".join(lines), flush=True)


def _newest_readable_checkpoint(base: Path) -> Path:
    """What ``--ckpt_path last`` resumes from: the newest checkpoint of the run that reads, saying which it
    passed over and why (a run killed while writing ``last.ckpt`` still has its step checkpoints)."""
    candidates = checkpoint_candidates(base)
    if not candidates:
        raise ConfigError(
            f"--ckpt_path last: no checkpoint to resume under {base} (looked for checkpoints/last.ckpt "
            "there and in its version_N folders). Start without --ckpt_path, or pass a checkpoint file."
        )
    for path in candidates:
        try:
            load_weights_only(path, mmap=True)
        except ConfigError as exc:
            rank_zero_warn(f"lightgan: passing over {path.name}: {exc}")
            continue
        if path != candidates[0]:
            rank_zero_warn(f"lightgan: --ckpt_path last resumes from {path.name}, the newest checkpoint that reads.")
        return path
    raise ConfigError(
        f"--ckpt_path last: none of the {len(candidates)} checkpoints in {candidates[0].parent} can be read "
        "(see the warnings above). Start without --ckpt_path, or pass a checkpoint file."
    )
