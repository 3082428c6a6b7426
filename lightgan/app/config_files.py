"""Reading the YAML config files a user passes, with errors that name the file and the line."""

from __future__ import annotations

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
