"""Every callback lightgan ships, in one namespace: the training tricks and the monitors.

They live in ``lightgan.tricks`` (callbacks that change training) and ``lightgan.monitors``
(callbacks that watch it); this package gathers both for ``from lightgan.callbacks import ...``.
"""

from lightgan.monitors import *  # noqa: F403
from lightgan.monitors import __all__ as _monitors
from lightgan.tricks import *  # noqa: F403
from lightgan.tricks import __all__ as _tricks

__all__ = sorted([*_tricks, *_monitors])
