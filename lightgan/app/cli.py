"""The ``lightgan`` command: Lightning's fit/validate/test/predict plus lightgan's own commands.

``fit`` and friends go through ``LightningCLI`` (jsonargparse configs, ``--print_config``,
class_path/init_args). Before parsing, components named on the command line or in config
files are imported through the registry, so their short names resolve; the datamodule's
``data_shape``/``num_classes`` are linked into the model so configs never repeat them.

Importing this module imports neither torch nor Lightning: ``lightgan --help`` and ``lightgan plugins``
answer at once, and each command imports what it runs (``lightgan.app.lightning_cli`` for fit and
friends, the command's own module for the others).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import re
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

os.environ.setdefault("JSONARGPARSE_DEPRECATION_WARNINGS", "off")  # Lightning 2.6 calls deprecated APIs

import yaml

from lightgan import __version__, registry
from lightgan.app.config_files import read_config_file, replaced_callbacks
from lightgan.errors import ConfigError, LightGANError

if TYPE_CHECKING:
    from lightgan.app.lightning_cli import LightGANCLI

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
    "translate": (
        "lightgan.app.commands.translate",
        "translate your own images with an image-to-image checkpoint (pix2pix, CycleGAN, SR, inpainting)",
    ),
    "evaluate": ("lightgan.app.commands.evaluate", "score a checkpoint: FID/KID/IS/precision-recall, mode coverage"),
    "compare": ("lightgan.app.commands.compare", "compare runs: their last metrics in a table, their curves in a PNG"),
    "train-classifier": ("lightgan.app.commands.train_classifier", "train the classifier behind domain features"),
    "train-segmenter": ("lightgan.app.commands.train_segmenter", "train the concept segmenter of Scenes for dissect"),
    "dissect": ("lightgan.app.commands.dissect", "match a generator layer's units with concepts (GAN dissection)"),
    "intervene": ("lightgan.app.commands.intervene", "ablate or insert generator units; rank artifact units"),
    "project": ("lightgan.app.commands.project", "find the latent of an image by optimisation; edit it by class means"),
    "probe": ("lightgan.app.commands.probe", "linear probe of D's features on labelled data, against a random D"),
    "plugins": ("lightgan.app.commands.plugins", "list registered models, datamodules, callbacks and losses"),
}


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
    # A run folder that already holds checkpoints is one being continued (--ckpt_path): claim_run_dir refuses
    # new runs there, so Lightning's warning about the folder not being empty only ever fires on a resume.
    warnings.filterwarnings("ignore", message=r"Checkpoint directory .* exists and is not empty")


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


def _chooses_logger(argv: Sequence[str]) -> bool:
    """Whether the command line or a config file sets ``trainer.logger`` to a value of its own (``false``, a
    class, a list), which replaces the default whole: the default then stays out of the parser, which would
    import wandb (a second or more) to read its options. Settings such as ``--trainer.logger.init_args.tags``
    or ``--trainer.logger+=`` add to the default, so they keep it."""
    if any(token.split("=", 1)[0] == "--trainer.logger" for token in argv):
        return True
    for path in _config_paths(argv):
        trainer = read_config_file(path).get("trainer")
        if isinstance(trainer, dict) and "logger" in trainer:
            logger = trainer["logger"]
            if not isinstance(logger, dict) or "class_path" in logger:
                return True
    return False


def _trainer_defaults(argv: Sequence[str]) -> dict[str, Any]:
    """W&B as the logger (offline without an account), unless the command line or a config chooses one."""
    if _chooses_logger(argv):
        return {}
    return {"logger": {"class_path": "lightgan.app.loggers.WandbAutoModeLogger", "init_args": {"project": "lightgan"}}}


def run_lightning(argv: list[str], from_sys_argv: bool = False) -> LightGANCLI:
    """Run one of Lightning's subcommands through ``LightGANCLI``."""
    from lightning.pytorch.utilities import rank_zero_warn

    from lightgan.app.lightning_cli import KeepLinesFormatter, LightGANCLI, LoggedSaveConfigCallback
    from lightgan.core.module import GANModule
    from lightgan.data.base import GANDataModule

    _quiet_third_party_noise()
    _check_names(argv)
    _preload(argv)
    for note in replaced_callbacks(_config_paths(argv)):
        rank_zero_warn(f"lightgan: {note}")
    names = _registered_names()
    # no abbreviations (a misspelled --trainer.max_epoch must not set max_epochs), errors raised, not printed
    # under 50 lines of usage: main() prints them in one line
    strict = {"exit_on_error": False, "allow_abbrev": False}
    commands = [argv[0]] if argv and argv[0] in LIGHTNING_COMMANDS else list(LIGHTNING_COMMANDS)
    parser_kwargs = {
        name: {"description": f"lightgan {name}: {LIGHTNING_COMMANDS[name]}.\n\n{names}", **strict} for name in commands
    }
    return LightGANCLI(
        model_class=GANModule,
        datamodule_class=GANDataModule,
        subclass_mode_model=True,
        subclass_mode_data=True,
        save_config_callback=LoggedSaveConfigCallback,
        save_config_kwargs={"overwrite": True},
        trainer_defaults=_trainer_defaults(argv),
        # jsonargparse gives every subcommand the main parser's formatter
        parser_kwargs={**parser_kwargs, "env_prefix": "LIGHTGAN", "formatter_class": KeepLinesFormatter, **strict},
        auto_configure_optimizers=False,
        args=None if from_sys_argv else argv,
        commands=commands,
    )


def _run_lightning_command(argv: list[str], from_sys_argv: bool) -> int:
    """The exit status of a Lightning subcommand: 0, or the signal's when SIGTERM or Ctrl-C stopped the run."""
    from lightning.pytorch.utilities.exceptions import SIGTERMException

    from lightgan.core.interruption import EXIT_STATUS

    try:
        run_lightning(argv, from_sys_argv=from_sys_argv)
    except SIGTERMException as stop:  # the run saved its step and said so (lightgan.core.interruption)
        return int(stop.code or EXIT_STATUS["SIGTERM"])
    return 0


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
            return _run_lightning_command(args, from_sys_argv=argv is None)
        else:
            known = ", ".join([*LIGHTNING_COMMANDS, *OWN_COMMANDS])
            raise ConfigError(f"unknown command {command!r}. Commands: {known}. See `lightgan --help`.")
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


def __getattr__(name: str) -> Any:
    """``LightGANCLI`` and ``LoggedSaveConfigCallback``, imported with Lightning when first asked for."""
    if name in ("LightGANCLI", "LoggedSaveConfigCallback"):
        from lightgan.app import lightning_cli

        return getattr(lightning_cli, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if __name__ == "__main__":
    sys.exit(main())
