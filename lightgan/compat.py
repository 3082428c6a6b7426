"""Old module paths of lightgan 0.1, kept importable: configs, checkpoints and entry points name them.

0.2 moved modules into folders that show the layers (``core``, ``tricks``, ``monitors``,
``app``). A 0.1 config that says ``class_path: lightgan.callbacks.ema.GeneratorEMA``, a
checkpoint that recorded ``lightgan.callbacks.spectral_norm.spectral_norm_networks`` or a
script that imports ``lightgan.cli`` keeps working: importing an old path gives the module at
its new path (the same module object, so classes compare equal) with a ``DeprecationWarning``
naming the new path. Nothing is imported until an old path is asked for.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings
from types import ModuleType

_TRICKS = (
    "ada",
    "diffaugment",
    "ema",
    "experience_replay",
    "feature_matching",
    "gradient_penalties",
    "historical_averaging",
    "instance_noise",
    "label_smoothing",
    "minibatch_discrimination",
    "spectral_norm",
    "weight_clipping",
)
_MONITORS = ("samples", "interpolation", "progress_gif", "mode_collapse", "overfitting")
_COMMANDS = ("data_config", "device", "evaluate", "plugins", "sample", "train_classifier")

#: 0.1 module path -> 0.2 module path.
MOVED: dict[str, str] = {
    "lightgan.models.base": "lightgan.core.module",
    "lightgan.hooks": "lightgan.core.hooks",
    "lightgan.losses": "lightgan.core.losses",
    "lightgan.regularizers": "lightgan.core.regularizers",
    "lightgan.augment": "lightgan.core.augment",
    "lightgan.checkpoint": "lightgan.core.checkpoint",
    "lightgan.metrics.callback": "lightgan.monitors.quality",
    "lightgan.visual": "lightgan.monitors.render",
    "lightgan.epoch_pictures": "lightgan.monitors.outputs",
    "lightgan.callbacks.predictions": "lightgan.app.predictions",
    "lightgan.cli": "lightgan.app.cli",
    "lightgan.commands": "lightgan.app.commands",
    "lightgan.loggers": "lightgan.app.loggers",
    "lightgan.run_dir": "lightgan.app.run_dir",
    **{f"lightgan.callbacks.{name}": f"lightgan.tricks.{name}" for name in _TRICKS},
    **{f"lightgan.callbacks.{name}": f"lightgan.monitors.{name}" for name in _MONITORS},
    "lightgan.callbacks.nan_guard": "lightgan.core.divergence",
    **{f"lightgan.commands.{name}": f"lightgan.app.commands.{name}" for name in _COMMANDS},
}


def new_path(dotted: str) -> str:
    """``dotted`` (a module or ``module.attribute`` path) with a moved module part replaced by its new path."""
    module, _, rest = dotted.rpartition(".")
    while module:
        if module in MOVED:
            return f"{MOVED[module]}.{rest}" if rest else MOVED[module]
        module, _, last = module.rpartition(".")
        rest = f"{last}.{rest}" if rest else last
    return MOVED.get(dotted, dotted)


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None  # a placeholder; exec_module puts the real module in its place

    def exec_module(self, module: ModuleType) -> None:
        warnings.warn(
            f"{module.__name__} moved to {self.target} in lightgan 0.2; the old path will be removed in 1.0.",
            DeprecationWarning,
            stacklevel=2,
        )
        # importlib reads the module back from sys.modules after exec_module: the real one is returned
        sys.modules[module.__name__] = importlib.import_module(self.target)


class _MovedModuleFinder(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, _AliasLoader(MOVED[fullname]))


def install() -> None:
    """Make the old paths importable (idempotent; called when ``lightgan`` is imported)."""
    if not any(isinstance(finder, _MovedModuleFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _MovedModuleFinder())
