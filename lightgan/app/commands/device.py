"""The ``--device`` option shared by lightgan's own commands."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lightgan.errors import ConfigError

if TYPE_CHECKING:
    import torch

DEVICE_HELP = "auto (GPU when available), cpu, cuda or cuda:N"


def resolve_device(name: str) -> torch.device:
    """``auto`` picks the GPU when there is one; a CUDA device that is not there is a clear error."""
    import torch  # here, not above: a command's --help and argument errors need no torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ConfigError(f"--device {name!r} is not a device: use {DEVICE_HELP}.") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"--device {name}: no CUDA device is available here. Use --device cpu.")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise ConfigError(f"--device {name}: this machine has {torch.cuda.device_count()} CUDA device(s), 0 to N-1.")
    return device
