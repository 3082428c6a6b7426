"""One source of truth for lightgan's own components: what pyproject.toml registers as entry points.

Every registered model, datamodule, callback and loss is exported from its package and has a
README row; every model and datamodule is used by a config in configs/. And the reverse:
every exported component is registered, and the README and the configs name only registered ones.
"""

from __future__ import annotations

import inspect
import itertools
import re
from pathlib import Path

import lightning as L
import pytest
import yaml

import lightgan.callbacks
import lightgan.data
import lightgan.models
from lightgan import registry
from lightgan.core.losses import AdversarialLoss
from lightgan.core.module import GANModule
from lightgan.data.base import GANDataModule

ROOT = Path(__file__).resolve().parents[1]
#: Where each kind is exported, and the exported base classes that are not components themselves.
PACKAGES = {"model": lightgan.models, "datamodule": lightgan.data, "callback": lightgan.callbacks}
BASES = {"model": GANModule, "datamodule": GANDataModule, "callback": L.Callback}
NOT_COMPONENTS = {
    "GANModule",
    "BackboneGAN",
    "MultiGeneratorGAN",
    "MultiDiscriminatorGAN",
    "GANDataModule",
    "ImageFilesDataModule",
    "ToyMixture",
}
#: The README sections whose first table lists each kind.
README_SECTIONS = {
    "model": ["## Variants"],
    "datamodule": ["## Datasets"],
    "callback": ["### Stabilisation", "### Pictures", "### Health checks"],
    "loss": ["### Losses"],
}


def own(kind: str) -> dict[str, str]:
    """name -> class path of the components lightgan itself registers."""
    return {e.name: e.class_path for e in registry.entries(kind) if e.distribution == "lightgan"}


def readme_section(heading: str) -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index(f"\n{heading}\n")
    level = heading.split(" ")[0]
    end = text.find(f"\n{level} ", start + len(heading) + 2)
    return text[start : end if end != -1 else len(text)]


def readme_table_names(kind: str) -> set[str]:
    """Backticked names in the first cell of the rows of the first table of the kind's README sections."""
    names = set()
    for heading in README_SECTIONS[kind]:
        lines = readme_section(heading).splitlines()
        start = next(i for i, line in enumerate(lines) if line.startswith("|"))
        for line in itertools.takewhile(lambda line: line.startswith("|"), lines[start:]):
            if line.startswith("| `"):
                names.update(re.findall(r"`([A-Za-z_]\w*)`", line.split("|")[1]))
    return names


def configs_using(kind: str) -> dict[str, list[str]]:
    """Class names (last path part) used by configs/*.yaml for models, datamodules or callbacks."""
    used: dict[str, list[str]] = {}
    for path in sorted((ROOT / "configs").glob("*.yaml")):
        content = yaml.safe_load(path.read_text())
        if kind == "callback":
            values = (content.get("trainer") or {}).get("callbacks") or []
        else:
            values = [content.get("model" if kind == "model" else "data")]
            while kind == "datamodule" and isinstance(values[-1], dict):  # wrappers (Degraded, ...) name a base
                values.append((values[-1].get("init_args") or {}).get("base"))
        for value in values:
            name = value.get("class_path") if isinstance(value, dict) else value
            if name:
                used.setdefault(str(name).rsplit(".", 1)[-1], []).append(path.stem)
    return used


@pytest.mark.parametrize("kind", ["model", "datamodule", "callback"])
def test_registered_components_are_exported_and_exports_are_registered(kind: str) -> None:
    package, base = PACKAGES[kind], BASES[kind]
    exported = {
        name
        for name in package.__all__
        if inspect.isclass(obj := getattr(package, name)) and issubclass(obj, base) and name not in NOT_COMPONENTS
    }
    registered = own(kind)
    assert sorted(set(registered) - exported) == [], f"registered {kind}s that {package.__name__} does not export"
    assert sorted(exported - set(registered)) == [], f"exported {kind}s that pyproject.toml does not register"
    for name, class_path in registered.items():
        assert getattr(package, name) is registry.load(kind, name), class_path


def test_registered_losses_are_exported_from_the_api() -> None:
    import lightgan.api

    exported = {getattr(lightgan.api, name) for name in lightgan.api.__all__}
    for name in own("loss"):
        loss = registry.load("loss", name)
        assert issubclass(loss, AdversarialLoss) and loss in exported, name


@pytest.mark.parametrize("kind", ["model", "datamodule", "callback", "loss"])
def test_every_registered_component_has_a_readme_row_and_every_row_is_registered(kind: str) -> None:
    rows, registered = readme_table_names(kind), set(own(kind))
    assert sorted(registered - rows) == [], f"registered {kind}s without a README row"
    if kind in ("model", "datamodule"):  # their tables list nothing else
        assert sorted(rows - registered) == [], f"README rows naming unregistered {kind}s"


@pytest.mark.parametrize("kind", ["model", "datamodule"])
def test_every_registered_model_and_datamodule_has_a_config(kind: str) -> None:
    used = configs_using(kind)
    assert sorted(set(own(kind)) - set(used)) == [], f"registered {kind}s that no configs/*.yaml uses"


@pytest.mark.parametrize("kind", ["model", "datamodule", "callback"])
def test_configs_name_only_registered_components(kind: str) -> None:
    known = set(own(kind)) | ({"ModelCheckpoint", "LearningRateMonitor"} if kind == "callback" else set())
    unknown = {name: configs for name, configs in configs_using(kind).items() if name not in known}
    assert unknown == {}
