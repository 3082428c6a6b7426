"""Installed-looking distributions without installing anything.

A ``name-version.dist-info`` folder with ``METADATA`` and ``entry_points.txt`` on ``sys.path``
is all ``importlib.metadata`` needs to report a distribution and its entry points, so the
registry sees these exactly as it sees a pip-installed plugin.
"""

from __future__ import annotations

import importlib
import itertools
from pathlib import Path

from lightgan import registry

_ids = itertools.count()


class FakeSite:
    """A folder on ``sys.path`` holding fake distributions and the modules they point at."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def module(self, source: str, private: bool = False) -> str:
        """Write a module with a name no other test uses (``private``: ``package._impl``); returns its name."""
        name = f"fake_lightgan_plugin_{next(_ids)}"
        if private:
            (self.root / name).mkdir()
            (self.root / name / "__init__.py").write_text("")
            (self.root / name / "_impl.py").write_text(source)
            name += "._impl"
        else:
            (self.root / f"{name}.py").write_text(source)
        importlib.invalidate_caches()
        return name

    def dist(self, name: str, version: str, entry_points: dict[str, dict[str, str]]) -> None:
        """Register ``{group: {entry name: "module:attr"}}`` as distribution ``name`` ``version``."""
        info = self.root / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        sections = [
            f"[{group}]\n" + "".join(f"{entry} = {target}\n" for entry, target in entries.items())
            for group, entries in entry_points.items()
        ]
        (info / "entry_points.txt").write_text("\n".join(sections))
        importlib.invalidate_caches()
        registry.refresh()
