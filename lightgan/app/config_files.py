"""Reading the YAML config files a user passes, with errors that name the file and the line, and notes on
what a later file silently replaces."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from lightgan.errors import ConfigError


def read_config_file(path: str | Path) -> dict[str, Any]:
    """The mapping in a YAML config file; a one-line ConfigError for a missing, malformed or non-mapping file."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"Config file {path} does not exist.")
    try:
        content = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        tabs = " YAML indents with spaces, not tabs." if "\t" in path.read_text() else ""
        raise ConfigError(f"{path} is not valid YAML{where}: {problem}.{tabs}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not a text file; a config is YAML.") from None
    if content is None:
        return {}
    if not isinstance(content, dict):
        raise ConfigError(
            f"{path} holds a {type(content).__name__}, not a mapping: a config maps keys such as trainer, model "
            "and data to their settings (see configs/ for examples)."
        )
    return content


def _callback_names(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items:
        name = item.get("class_path", "?") if isinstance(item, dict) else str(item)
        names.append(str(name).rsplit(".", 1)[-1])
    return names


def replaced_callbacks(config_paths: Sequence[str | Path]) -> list[str]:
    """What each later config's ``trainer.callbacks`` drops of the list the earlier ones built.

    jsonargparse replaces a list given again (a second ``--config`` with ``trainer.callbacks``
    drops the first one's tricks without a word); ``callbacks+:`` appends instead.
    """
    notes: list[str] = []
    kept: list[str] = []
    source = ""
    for path in map(Path, config_paths):
        trainer = read_config_file(path).get("trainer")
        if not isinstance(trainer, dict):
            continue
        if "callbacks" in trainer:
            if kept:
                notes.append(
                    f"{path}: its trainer.callbacks replaces the list from {source}, dropping {', '.join(kept)}; "
                    f"write `callbacks+:` in {path.name} to add to that list instead"
                )
            kept, source = _callback_names(trainer["callbacks"] or []), str(path)
        if trainer.get("callbacks+"):
            kept, source = kept + _callback_names(trainer["callbacks+"]), source or str(path)
    return notes
