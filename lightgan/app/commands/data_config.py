"""The datamodule of a training config, for commands that need the data but not a Trainer.

``lightgan evaluate`` and ``lightgan train-classifier`` read the ``data:`` section of the same
YAML files ``lightgan fit`` takes (later files win) and accept the same ``--data.init_args.*``
overrides; jsonargparse builds the datamodule exactly as the training CLI would.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lightgan import registry
from lightgan.app.config_files import read_config_file
from lightgan.errors import ConfigError

os.environ.setdefault("JSONARGPARSE_DEPRECATION_WARNINGS", "off")


def data_section(config_paths: Sequence[str | Path]) -> dict[str, Any]:
    """The ``data`` entry of the given config files, the last one that has it winning."""
    section: dict[str, Any] | None = None
    for path in map(Path, config_paths):
        value = read_config_file(path).get("data")
        if isinstance(value, str):
            value = {"class_path": value}
        if isinstance(value, dict):
            section = value
    if section is None:
        raise ConfigError(
            f"No data section in {', '.join(map(str, config_paths)) or 'the (empty) list of configs'}: "
            "pass the training config with --config X.yaml."
        )
    return section


def add_config_argument(parser: argparse.ArgumentParser, purpose: str) -> None:
    """``--config``: the training config(s) of a checkpoint, for a command that needs its data."""
    parser.add_argument(
        "--config",
        action="append",
        help=f"training config(s) naming the data{purpose} (default: config.yaml of the checkpoint's run directory)",
    )


def training_configs(ckpt: str | Path, given: Sequence[str] | None) -> list[str]:
    """The configs a checkpoint was trained with: ``given``, else the ``config.yaml`` of its run folder."""
    if given:
        return list(given)
    from lightgan.app.run_dir import run_dir_of_checkpoint

    run_dir = run_dir_of_checkpoint(Path(ckpt))
    saved = run_dir / "config.yaml" if run_dir else None
    if saved is None or not saved.is_file():
        raise ConfigError(f"No config.yaml in the run directory of {ckpt}: pass the training config with --config.")
    return [str(saved)]


def _full_class_path(name: str) -> str:
    return name if "." in name else registry.find("datamodule", name).class_path


def load_datamodule(config_paths: Sequence[str | Path], overrides: Sequence[str] = ()) -> Any:
    """Instantiate the configured datamodule; ``overrides`` are ``--data.…`` command-line tokens."""
    from jsonargparse import ArgumentParser

    from lightgan.data.base import GANDataModule

    section = dict(data_section(config_paths))
    section["class_path"] = _full_class_path(str(section.get("class_path", "")))
    registry.import_object(section["class_path"])
    parser = ArgumentParser(exit_on_error=False)
    parser.add_subclass_arguments(GANDataModule, "data", required=True)
    try:
        config = parser.parse_args(["--data", json.dumps(section), *overrides])
    except Exception as exc:  # jsonargparse explains over many lines; the CLI prints one
        detail = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
        raise ConfigError(f"Invalid data config: {detail}") from exc
    return parser.instantiate_classes(config).data


def split_data_overrides(tokens: Sequence[str]) -> tuple[list[str], list[str]]:
    """Separate ``--data.…`` tokens (with their values) from the rest of an argument list."""
    data, rest = [], []
    tokens = list(tokens)
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.startswith("--data."):
            data.append(token)
            if "=" not in token and i + 1 < len(tokens):
                data.append(tokens[i + 1])
                i += 1
        else:
            rest.append(token)
        i += 1
    return data, rest
