"""The ``lightgan`` command: Lightning's fit/validate/test/predict plus lightgan's own commands.

``fit`` and friends go through ``LightningCLI`` (jsonargparse configs, ``--print_config``,
class_path/init_args). Before parsing, components named on the command line or in config
files are imported through the registry, so their short names resolve; the datamodule's
``data_shape``/``num_classes`` are linked into the model so configs never repeat them.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import re
import sys
import textwrap
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("JSONARGPARSE_DEPRECATION_WARNINGS", "off")  # Lightning 2.6 calls deprecated APIs

import yaml
from jsonargparse import DefaultHelpFormatter
from lightning.pytorch.callbacks import BasePredictionWriter, Callback, ModelCheckpoint
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI, SaveConfigCallback
from lightning.pytorch.utilities import rank_zero_info, rank_zero_warn
from lightning.pytorch.utilities.exceptions import SIGTERMException

from lightgan import __version__, registry
from lightgan.app.config_files import read_config_file, replaced_callbacks
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
from lightgan.core.interruption import EXIT_STATUS
from lightgan.core.module import GANModule
from lightgan.core.safe_files import check_named_classes, load_weights_only
from lightgan.data.base import GANDataModule
from lightgan.errors import ConfigError, LightGANError

LIGHTNING_COMMANDS = {
    "fit": "train a GAN",
    "validate": "run the validation split through a trained GAN",
    "test": "run the test split through a trained GAN",
    "predict": "generate samples through the Lightning predict loop",
}
#: lightgan's own commands: name -> (module with ``main(argv)``, one-line help).
OWN_COMMANDS = {
    "sample": (
        "lightgan.app.commands.sample",
        "draw samples from a checkpoint into a picture, a .pt tensor or a folder of images",
    ),
    "interpolate": (
        "lightgan.app.commands.interpolate",
        "animate walks through a checkpoint's latent space into a .gif, an .mp4 or a folder of frames",
    ),
    "evaluate": ("lightgan.app.commands.evaluate", "score a checkpoint: FID/KID/IS/precision-recall, mode coverage"),
    "compare": ("lightgan.app.commands.compare", "compare runs: their last metrics in a table, their curves in a PNG"),
    "train-classifier": ("lightgan.app.commands.train_classifier", "train the classifier behind domain features"),
    "plugins": ("lightgan.app.commands.plugins", "list registered models, datamodules, callbacks and losses"),
}
_LOGGERS_WITH_SAVE_DIR = ("CSVLogger", "TensorBoardLogger")


class _DropLightningTips(logging.Filter):
    """Lightning advertises its cloud products on every run; keep the console for the run itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("💡 Tip")


def _quiet_third_party_noise() -> None:
    logging.getLogger("lightning.pytorch.utilities.rank_zero").addFilter(_DropLightningTips())
    # Lightning 2.6 on recent torch: an internal deprecation users cannot act on.
    warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\).*")
    # lightgan checkpoints the state after each generator step on purpose: that is what resumes exactly.
    warnings.filterwarnings("ignore", message=r"Using ModelCheckpoint with manual optimization and every_n_train_steps")
    # Datasets without a validation split return no val loader on purpose (e.g. ImageFolder's default).
    warnings.filterwarnings("ignore", message=r"Total length of `list` across ranks is zero.*")


class _KeepLinesFormatter(DefaultHelpFormatter):
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
    """LightningCLI with lightgan's run layout, links and default callbacks."""

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


def _registered_names() -> str:
    rows = []
    for kind, title in (("model", "models (--model)"), ("datamodule", "datamodules (--data)")):
        rows.append(f"Registered {title}: {', '.join(registry.names(kind)) or '(none)'}")
    rows.append(f"Registered callbacks (--trainer.callbacks): {', '.join(registry.names('callback')) or '(none)'}")
    rows.append(f"Registered losses (--model.init_args.loss): {', '.join(registry.names('loss'))}")
    rows.append("Short names and full class paths both work, e.g. --model DCGAN --data FashionMNIST.")
    return "\n".join(rows)


def _config_paths(argv: Sequence[str]) -> list[Path]:
    paths = []
    for i, token in enumerate(argv):
        if token in ("--config", "-c") and i + 1 < len(argv):
            paths.append(Path(argv[i + 1]))
        elif token.startswith("--config="):
            paths.append(Path(token.split("=", 1)[1]))
    return paths


#: Where components are chosen, in config files and on the command line -> registry kind.
_COMPONENT_KEYS = {"model": "model", "data": "datamodule", "trainer.callbacks": "callback"}
_COMPONENT_FLAGS = {
    "--model": "model",
    "--model.class_path": "model",
    "--data": "datamodule",
    "--data.class_path": "datamodule",
    "--trainer.callbacks": "callback",
    "--trainer.callbacks+": "callback",
}


def _class_names(value: Any) -> list[str]:
    """Class names or paths in a value: a name, a class_path dict, a list of them, or their JSON/YAML text."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith(("{", "[")):
            try:
                return _class_names(yaml.safe_load(text))
            except yaml.YAMLError:
                return []
        return [text] if text and not text.endswith((".yaml", ".yml", ".json")) else []
    if isinstance(value, dict):
        return _class_names(value.get("class_path")) if isinstance(value.get("class_path"), str) else []
    if isinstance(value, list):
        return [name for item in value for name in _class_names(item)]
    return []


def _named_components(argv: Sequence[str]) -> list[tuple[str, str]]:
    """``(kind, name)`` of the model, datamodule and callbacks chosen on the command line or in config files."""
    chosen: list[tuple[str, str]] = []
    for path in _config_paths(argv):
        content = read_config_file(path)  # a missing or malformed file stops here, naming it
        for key, kind in _COMPONENT_KEYS.items():
            value: Any = content
            for part in key.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            chosen += [(kind, name) for name in _class_names(value)]
    for i, token in enumerate(argv):
        for flag, kind in _COMPONENT_FLAGS.items():
            if token == flag and i + 1 < len(argv):
                chosen += [(kind, name) for name in _class_names(argv[i + 1])]
            elif token.startswith(flag + "="):
                chosen += [(kind, name) for name in _class_names(token.split("=", 1)[1])]
    return chosen


def _check_names(argv: Sequence[str]) -> None:
    """Import the chosen components; unknown, clashing or broken names fail here with a message that says why.

    Callback names lightgan does not register are left to jsonargparse, which also knows
    Lightning's own callbacks (``ModelCheckpoint``, ...) by class name.
    """
    registered_callbacks = {e.name for e in registry.entries("callback")}
    for kind, name in _named_components(argv):
        if "." in name:
            registry.import_object(name)
        elif kind != "callback" or name in registered_callbacks:
            registry.load(kind, name)


def _preload(argv: Sequence[str]) -> None:
    """Import the registered components that the command line or config files mention anywhere.

    jsonargparse resolves a short name only among classes already imported; names that are
    ambiguous or broken are skipped here (a broken plugin is reported once).
    """
    text = " ".join(argv)
    for path in _config_paths(argv):
        if path.is_file():
            text += "\n" + path.read_text()
    words = set(re.findall(r"[A-Za-z_][\w]*", text))
    for kind in registry.GROUPS:
        for name in registry.names(kind):
            if name in words:
                registry.try_load(kind, name)


def _top_level_help() -> str:
    rows = [f"lightgan {__version__}: GAN experiments on PyTorch Lightning", "", "usage: lightgan <command> [options]"]
    rows += ["", "commands:"]
    for name, text in LIGHTNING_COMMANDS.items():
        rows.append(f"  {name:<16} {text}")
    for name, (_, text) in OWN_COMMANDS.items():
        rows.append(f"  {name:<16} {text}")
    rows += [
        "",
        "Run `lightgan <command> --help` for a command's options, for example:",
        "  lightgan fit --config configs/dcgan_fashion_mnist.yaml",
        "  lightgan fit --config configs/dcgan_mnist.yaml --print_config",
        "  lightgan sample --ckpt runs/dcgan_mnist/version_0/checkpoints/last.ckpt --n 64 --out grid.png",
    ]
    return "\n".join(rows)


def run_lightning(argv: list[str], from_sys_argv: bool = False) -> LightGANCLI:
    """Run one of Lightning's subcommands through ``LightGANCLI``."""
    _quiet_third_party_noise()
    _check_names(argv)
    _preload(argv)
    for note in replaced_callbacks(_config_paths(argv)):
        rank_zero_warn(f"lightgan: {note}")
    names = _registered_names()
    # no abbreviations (a misspelled --trainer.max_epoch must not set max_epochs), errors raised, not printed
    # under 50 lines of usage: main() prints them in one line
    strict = {"exit_on_error": False, "allow_abbrev": False}
    parser_kwargs = {
        name: {
            "description": f"lightgan {name}: {text}.\n\n{names}",
            **strict,
        }
        for name, text in LIGHTNING_COMMANDS.items()
    }
    return LightGANCLI(
        model_class=GANModule,
        datamodule_class=GANDataModule,
        subclass_mode_model=True,
        subclass_mode_data=True,
        save_config_callback=LoggedSaveConfigCallback,
        save_config_kwargs={"overwrite": True},
        trainer_defaults={
            "logger": {"class_path": "lightgan.app.loggers.WandbAutoModeLogger", "init_args": {"project": "lightgan"}},
        },
        # jsonargparse gives every subcommand the main parser's formatter
        parser_kwargs={**parser_kwargs, "env_prefix": "LIGHTGAN", "formatter_class": _KeepLinesFormatter, **strict},
        auto_configure_optimizers=False,
        args=None if from_sys_argv else argv,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if not args or args[0] in ("-h", "--help"):
            print(_top_level_help())
            return 0
        if args[0] in ("--version", "-V"):
            print(f"lightgan {__version__}")
            return 0
        command, rest = args[0], args[1:]
        if command in OWN_COMMANDS:
            importlib.import_module(OWN_COMMANDS[command][0]).main(rest)
        elif command in LIGHTNING_COMMANDS:
            run_lightning(args, from_sys_argv=argv is None)
        else:
            known = ", ".join([*LIGHTNING_COMMANDS, *OWN_COMMANDS])
            raise ConfigError(f"unknown command {command!r}. Commands: {known}. See `lightgan --help`.")
    except SIGTERMException as stop:  # the run saved its step and said so (lightgan.core.interruption)
        return int(stop.code or EXIT_STATUS["SIGTERM"])
    except Exception as exc:
        user_error = _find_user_error(exc)
        if user_error is not None:
            print(f"lightgan: error: {user_error}", file=sys.stderr)
            return 2
        parse_error = _find_parse_error(exc)
        if parse_error is None:
            raise
        command = args[0] if args else "fit"
        print(f"lightgan: error: {_explain(parse_error)} (see `lightgan {command} --help`)", file=sys.stderr)
        return 2
    return 0


def _explain(error: argparse.ArgumentError) -> str:
    """jsonargparse's message in one line; an unknown option of a component is named as the user wrote it."""
    text = " ".join(line.strip() for line in str(error).splitlines() if line.strip())
    unknown = re.search(r"NestedArg\(key='([^']+)', val=(.+?)\)", text)
    owner = re.search(r'Parser key "([\w.]+)"', text)
    component = re.search(r"given class_path '[\w.]*?(\w+)'", text)
    if unknown and owner and component:
        (key, value), name = unknown.groups(), component.group(1)
        return (
            f"{owner.group(1)}.init_args.{key} is not an option of {name} (given {value}); "
            f"`lightgan fit --{owner.group(1)} {name} --print_config` shows its options"
        )
    return text


def _find_parse_error(exc: BaseException) -> argparse.ArgumentError | None:
    """The command-line or config error behind ``exc`` (raised, not printed with the usage, see run_lightning)."""
    current: BaseException | None = exc
    while current is not None:
        if isinstance(current, argparse.ArgumentError):
            return current
        current = current.__cause__ or current.__context__
    return None


def _find_user_error(exc: BaseException) -> LightGANError | None:
    """The lightgan error behind ``exc``: jsonargparse and Lightning wrap what classes raise."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, LightGANError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


if __name__ == "__main__":
    sys.exit(main())
