"""Entry-point discovery: short names for models, datamodules, callbacks and losses.

lightgan's own components are registered through the same entry-point groups as third-party
plugins, so there is one path for everything. Listing names reads package metadata only;
the code behind a name is imported when that name is used, so one broken or slow plugin costs
nothing until it is selected.

Rules the registry enforces (the plugin guide in docs/plugins.md explains them):

- Models, datamodules and callbacks are registered under their class name. jsonargparse
  resolves a short name such as ``--model MyGAN`` by the class name among imported
  subclasses, so an entry named differently could never be selected by that name; such an
  entry is reported, not silently aliased. For the same reason the class must be importable
  from a public module path (jsonargparse ignores paths with a ``._private`` part). Losses may
  use any name (lightgan resolves them itself).
- A name registered by two distributions for different objects is a clash: using it names
  both distributions, and the full class path of either still works.
- A plugin that fails to import is reported once (a :class:`PluginLoadWarning` naming the
  distribution and the error) and skipped; selecting it explicitly is a ``ConfigError``.
"""

from __future__ import annotations

import difflib
import importlib
import sys
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
#: Kinds whose short names jsonargparse resolves by class name: the entry name must be the class name.
CLASS_NAMED_KINDS = ("model", "datamodule", "callback")
#: What an entry of each kind must be a subclass of: (module, class name), imported only when checking.
_BASES: dict[str, tuple[str, str]] = {
    "model": ("lightgan.core.module", "GANModule"),
    "datamodule": ("lightgan.data.base", "GANDataModule"),
    "callback": ("lightning.pytorch.callbacks", "Callback"),
    "loss": ("lightgan.core.losses", "AdversarialLoss"),
}


class PluginLoadWarning(UserWarning):
    """A registered component failed to import (or is not what its group promises) and was skipped."""


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

    @property
    def origin(self) -> str:
        """The distribution and its version, as messages name them."""
        return f"{self.distribution} {self.version}".strip()

    @property
    def naming_problem(self) -> str | None:
        """Why the entry cannot be selected by its name, read from metadata alone (None if it can)."""
        if self.kind not in CLASS_NAMED_KINDS:
            return None
        class_name = self.target.partition(":")[2].rsplit(".", 1)[-1]
        if class_name == self.name:
            return None
        return (
            f"entry name {self.name!r} differs from the class name {class_name!r}: short names are class names, "
            f'so register it as {class_name} = "{self.target}"'
        )

    def import_target(self) -> Any:
        """Import the module and return the registered object (exceptions propagate)."""
        module_name, _, attr = self.target.partition(":")
        obj: Any = importlib.import_module(module_name.strip())
        for part in attr.strip().split("."):
            obj = getattr(obj, part)
        return obj


def import_object(path: str) -> Any:
    """``package.module.Name`` -> the object, with an error that names the path."""
    module_name, _, attr = path.rpartition(".")
    try:
        return getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ConfigError(f"Cannot import {path!r}: {exc}. Check the spelling of the class path.") from exc


#: Broken entries already reported in this process (each is reported once).
_warned: set[Entry] = set()


@cache
def _installed() -> Any:
    """Every installed entry point: one pass over the distributions' metadata serves the four groups."""
    return entry_points()


@cache
def _origin(dist: Any) -> tuple[str, str]:
    """A distribution's name and version, read once: each reads and parses its METADATA file."""
    return (dist.name if dist else None) or "unknown distribution", (dist.version if dist else None) or ""


@cache
def _entries(kind: str) -> tuple[Entry, ...]:
    found = []
    for ep in _installed().select(group=GROUPS[kind]):
        distribution, version = _origin(getattr(ep, "dist", None))
        found.append(Entry(kind=kind, name=ep.name, target=ep.value, distribution=distribution, version=version))
    return tuple(found)


def refresh() -> None:
    """Forget what was discovered and imported, e.g. after installing a plugin into a running session."""
    for cached in (_installed, _origin, _entries, _import):
        cached.cache_clear()
    _warned.clear()


def entries(kind: str | None = None) -> list[Entry]:
    """Every registered entry of one kind (or of all kinds), including misnamed and clashing ones."""
    kinds = [kind] if kind else list(GROUPS)
    return sorted((e for k in kinds for e in _entries(k)), key=lambda e: (e.kind, e.name.lower(), e.distribution))


def names(kind: str) -> list[str]:
    """The short names that can be selected for ``kind`` (metadata only, nothing is imported)."""
    return sorted({e.name for e in _entries(kind) if e.naming_problem is None}, key=str.lower)


def clashes(entry: Entry) -> list[Entry]:
    """Other selectable entries registered under the same name for a different object."""
    return [
        e
        for e in _entries(entry.kind)
        if e.name == entry.name and e.target != entry.target and e.naming_problem is None
    ]


def find(kind: str, name: str) -> Entry:
    """The entry registered under ``name``; a clear error for unknown, misnamed or clashing names."""
    matches = [e for e in _entries(kind) if e.name == name]
    usable = [e for e in matches if e.naming_problem is None]
    if not usable:
        if matches:
            raise ConfigError(
                f"The {kind} {name!r} from {matches[0].origin} cannot be selected by that name: "
                f"{matches[0].naming_problem}. Use its full class path {matches[0].class_path} meanwhile."
            )
        known = names(kind)
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ConfigError(
            f"Unknown {kind} {name!r}.{hint} Registered {kind}s: {', '.join(known) or 'none'}. "
            "A full class path (package.module.Class) also works."
        )
    if len({e.target for e in usable}) > 1:
        owners = " and ".join(f"{e.origin} ({e.class_path})" for e in sorted(usable, key=lambda e: e.distribution))
        raise ConfigError(
            f"The {kind} name {name!r} is registered by {owners}. Use the full class path of the one you mean."
        )
    return usable[0]


def _shortest_import_path(cls: type) -> str:
    """The path jsonargparse knows a class by: the shortest enclosing package that exports it."""
    parts = cls.__module__.split(".")
    for i in range(1, len(parts) + 1):
        module = sys.modules.get(".".join(parts[:i]))
        if module is not None and getattr(module, cls.__qualname__, None) is cls:
            return f"{module.__name__}.{cls.__qualname__}"
    return f"{cls.__module__}.{cls.__qualname__}"


def _type_problem(entry: Entry, obj: Any) -> str | None:
    module_name, base_name = _BASES[entry.kind]
    base = getattr(importlib.import_module(module_name), base_name)
    if not (isinstance(obj, type) and issubclass(obj, base)):
        return f"{entry.class_path} is not a subclass of {base_name}, which every {entry.kind} must be"
    if entry.kind not in CLASS_NAMED_KINDS or entry.naming_problem:  # a misnamed entry is reported as such
        return None
    if obj.__name__ != entry.name:
        return f"entry name {entry.name!r} differs from the class name {obj.__name__!r}"
    path = _shortest_import_path(obj)
    if "._" in path:
        return (
            f"{path} lives in a private module, where short names are not looked up: "
            f"export {obj.__name__} from a public module (e.g. the package's __init__)"
        )
    return None


@cache
def _import(entry: Entry) -> tuple[Any, str | None]:
    """(object, None) when ``entry`` imports and fits its group, else (None, why not). Cached per process."""
    try:
        obj = entry.import_target()
    except Exception as exc:  # a broken plugin must not take lightgan down with it
        return None, f"import fails: {type(exc).__name__}: {exc}"
    problem = _type_problem(entry, obj)
    return (None, problem) if problem else (obj, None)


def load_error(entry: Entry) -> str | None:
    """Import ``entry`` and say why it cannot be used (None when it loads and fits its group)."""
    return _import(entry)[1]


def load(kind: str, name: str) -> Any:
    """Import and return the object registered under ``name``; ConfigError naming the distribution if broken."""
    entry = find(kind, name)
    obj, error = _import(entry)
    if error is not None:
        raise ConfigError(
            f"The {kind} {name!r} registered by {entry.origin} ({entry.target}) cannot be used: {error}. "
            "Reinstall or fix that package, or pick another name (`lightgan plugins` lists them)."
        )
    return obj


def try_load(kind: str, name: str) -> Any | None:
    """Like :func:`load`, but None for unknown, misnamed, clashing or broken names.

    A broken plugin is reported once per process with a :class:`PluginLoadWarning`; everything
    else keeps working.
    """
    try:
        entry = find(kind, name)
    except ConfigError:
        return None
    obj, error = _import(entry)
    if error is not None and entry not in _warned:
        _warned.add(entry)
        warnings.warn(
            f"lightgan: the {kind} {name!r} registered by {entry.origin} ({entry.target}) failed to load "
            f"and is skipped: {error}",
            PluginLoadWarning,
            stacklevel=2,
        )
    return obj
