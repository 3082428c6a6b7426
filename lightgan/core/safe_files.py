"""Opening files a user may have downloaded without running code from them.

A checkpoint is a pickle, and a pickle can name any function to call while it is read. lightgan
writes only tensors and plain data (numbers, strings, lists, dicts), so every file it opens is
read with torch's weights-only unpickler, which refuses anything else, and never with the full
one. Names inside the data (the variant's class, the functions that changed the networks, class
paths of losses and schedulers) are imported only from lightgan, from packages that register
lightgan components, or from modules the user's program has imported itself: importing a
module runs its code, so a name from a file must not choose which code that is.
"""

from __future__ import annotations

import pickle
import re
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import torch

from lightgan import registry
from lightgan.errors import ConfigError

#: Besides lightgan and its plugins: packages whose classes a checkpoint's hyperparameters may name (schedulers).
LIBRARIES = ("torch", "lightning")


def load_weights_only(path: str | Path, what: str = "checkpoint", **kwargs: Any) -> Any:
    """``torch.load`` that reads only tensors and plain data; a one-line ConfigError naming the file otherwise."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"The {what} {path} does not exist.")
    try:
        return torch.load(path, map_location=kwargs.pop("map_location", "cpu"), weights_only=True, **kwargs)
    except pickle.UnpicklingError as exc:
        raise ConfigError(
            f"{path} holds objects lightgan does not write ({_offending_object(exc)}): lightgan reads only tensors "
            f"and plain data, so it does not open this {what}."
        ) from None
    except Exception as exc:  # truncated, not a torch file at all, ...: name the file, not the unpickler's insides
        detail = str(exc).strip().splitlines()[0].split(". ")[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"{path} is not a readable {what} ({type(exc).__name__}: {detail}).") from None


def _offending_object(exc: Exception) -> str:
    found = re.search(r"GLOBAL ([\w.]+)", str(exc))
    return found.group(1) if found else "an object that is not a tensor or plain data"


@cache
def plugin_packages() -> frozenset[str]:
    """Top-level packages of every registered lightgan component (lightgan's own and plugins')."""
    return frozenset(entry.target.partition(":")[0].split(".")[0] for entry in registry.entries())


def _may_import(path: str, roots: set[str], imported: bool) -> bool:
    """Whether importing ``path`` runs only code the user chose: a trusted root, or (with ``imported``) a
    module the program has imported already (importing it again runs nothing), outside the standard library."""
    root = path.split(".")[0]
    if root in roots:
        return True
    return imported and path.rpartition(".")[0] in sys.modules and root not in sys.stdlib_module_names


def import_named(path: str, what: str, source: str | Path, *, functions: bool = False) -> Any:
    """Import ``path``, a name read from ``source``, when it belongs to lightgan or a lightgan plugin, or is
    a class of a module the program imported itself; a ConfigError otherwise.

    ``functions``: the name is called as it is (a structure change), so it must come from lightgan or a
    plugin; a class is checked against what it must be before anything is called.
    """
    roots = {"lightgan", *plugin_packages()}
    if not _may_import(path, roots, imported=not functions):
        raise ConfigError(
            f"{source} names the {what} {path}, which is not part of lightgan or of an installed lightgan plugin; "
            "lightgan does not import code a file names. If you trust it, register it through a plugin "
            "(or, for a class, import its module before loading)."
        )
    return registry.import_object(path)


def class_paths(data: Any) -> Iterator[str]:
    """Every ``class_path`` value in nested dicts and lists (hyperparameters as the CLI records them)."""
    if isinstance(data, dict):
        if isinstance(data.get("class_path"), str):
            yield data["class_path"]
        for value in data.values():
            yield from class_paths(value)
    elif isinstance(data, list | tuple):
        for value in data:
            yield from class_paths(value)


def check_named_classes(hparams: dict[str, Any], source: str | Path) -> None:
    """Refuse hyperparameters naming classes lightgan would import from outside lightgan, its plugins, torch,
    Lightning and the program's own modules (whatever is imported is then type-checked before use)."""
    names = list(class_paths(hparams))
    for key in ("_class_path", "loss"):
        value = hparams.get(key)
        if isinstance(value, str) and "." in value:
            names.append(value)
    roots = {"lightgan", *plugin_packages(), *LIBRARIES}
    for name in names:
        if not _may_import(name, roots, imported=True):
            raise ConfigError(
                f"{source} names the class {name}, which is not part of lightgan, of an installed lightgan plugin, "
                "of torch or of Lightning; lightgan does not import code a file names."
            )
