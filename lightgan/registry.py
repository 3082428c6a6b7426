"""Entry-point discovery: short names for models, datamodules, callbacks and losses.

lightgan's own components are registered through the same entry-point groups as third-party
plugins, so there is one path for everything. Listing names reads package metadata only;
the code behind a name is imported when that name is used.
"""

from __future__ import annotations

import difflib
import importlib
import warnings
from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points
from typing import Any

from lightgan.errors import ConfigError

GROUPS: dict[str, str] = {
    "model": "lightgan.models",
    "datamodule": "lightgan.datamodules",
    "callback": "lightgan.callbacks",
    "loss": "lightgan.losses",
}


@dataclass(frozen=True)
class Entry:
    """One registered component: where it lives and which distribution registered it."""

    kind: str
    name: str
    target: str
    distribution: str
    version: str

    @property
    def class_path(self) -> str:
        """Dotted path as jsonargparse and YAML configs spell it."""
        return self.target.replace(":", ".")

    def load(self) -> Any:
        module_name, _, attr = self.target.partition(":")
        obj: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
        return obj


def import_object(path: str) -> Any:
    """``package.module.Name`` -> the object, with an error that names the path."""
    module_name, _, attr = path.rpartition(".")
    try:
        return getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ConfigError(f"Cannot import {path!r}: {exc}. Check the spelling of the class path.") from exc


@cache
def _entries(kind: str) -> tuple[Entry, ...]:
    found = []
    for ep in entry_points(group=GROUPS[kind]):
        dist = getattr(ep, "dist", None)
        found.append(
            Entry(
                kind=kind,
                name=ep.name,
                target=ep.value,
                distribution=dist.name if dist else "unknown",
                version=dist.version if dist else "",
            )
        )
    return tuple(found)


def entries(kind: str) -> list[Entry]:
    """All entries of one kind, sorted by name (clashing names appear once per distribution)."""
    return sorted(_entries(kind), key=lambda e: (e.name.lower(), e.distribution))


def names(kind: str) -> list[str]:
    return sorted({e.name for e in _entries(kind)}, key=str.lower)


def find(kind: str, name: str) -> Entry:
    """The entry registered under ``name``; a clear error for unknown or clashing names."""
    matches = [e for e in _entries(kind) if e.name == name]
    if not matches:
        known = names(kind)
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ConfigError(
            f"Unknown {kind} {name!r}.{hint} Registered {kind}s: {', '.join(known) or 'none'}. "
            "A full class path (package.module.Class) also works."
        )
    if len(matches) > 1:
        owners = " and ".join(f"{e.distribution} ({e.class_path})" for e in matches)
        raise ConfigError(
            f"The {kind} name {name!r} is registered by {owners}. Use the full class path of the one you mean."
        )
    return matches[0]


@cache
def _load_reported(kind: str, name: str) -> Any:
    entry = find(kind, name)
    try:
        return entry.load()
    except Exception as exc:  # a broken plugin must not take lightgan down with it
        warnings.warn(
            f"lightgan: the {kind} {name!r} from {entry.distribution} failed to load and is skipped: "
            f"{type(exc).__name__}: {exc}",
            stacklevel=3,
        )
        return None


def load(kind: str, name: str) -> Any:
    """Import and return the object registered under ``name``."""
    obj = _load_reported(kind, name)
    if obj is None:
        entry = find(kind, name)
        raise ConfigError(f"The {kind} {name!r} from {entry.distribution} could not be imported (see warning above).")
    return obj


def try_load(kind: str, name: str) -> Any | None:
    """Like :func:`load` but returns None for a plugin that fails to import (reported once)."""
    return _load_reported(kind, name)
