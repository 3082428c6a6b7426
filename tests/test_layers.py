"""The folders of lightgan are layers: a module imports only from its own package or from lower layers.

docs/architecture.md explains the layers; this test keeps the code to them.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "lightgan"
#: Lower layers first. Packages of one layer do not import each other.
LAYERS: list[set[str]] = [
    {"errors"},
    {"compat", "registry"},
    {"__init__"},
    {"nets", "data"},
    {"core"},
    {"tricks"},
    {"metrics"},
    {"monitors"},
    {"models"},
    {"inspection"},
    {"app"},
    {"api", "callbacks", "__main__"},
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}
#: Imports that go upwards on purpose.
EXCEPTIONS = {
    ("metrics/__init__.py", "lightgan.monitors.quality"),  # 0.1's lightgan.metrics.QualityMetrics, deprecated
}


def package_of(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def imported_modules(path: Path) -> list[str]:
    modules = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("lightgan"):
            modules.append(node.module)
        elif isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names if alias.name.startswith("lightgan")]
    return modules


def test_every_package_has_a_layer() -> None:
    packages = {package_of(path) for path in PACKAGE.rglob("*.py")}
    assert sorted(packages - set(RANK)) == []


def test_modules_import_only_from_their_package_or_lower_layers() -> None:
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = package_of(path)
        for module in imported_modules(path):
            target = module.split(".")[1] if "." in module else "__init__"
            relative = str(path.relative_to(PACKAGE))
            if target == source or (relative, module) in EXCEPTIONS:
                continue
            if RANK[target] >= RANK[source]:
                upward.append(f"{relative} imports {module}")
    assert upward == []
