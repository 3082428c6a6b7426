"""The ``--device`` option shared by lightgan's own commands."""

from __future__ import annotations

import torch

from lightgan.errors import ConfigError

DEVICE_HELP = "auto (GPU when available), cpu, cuda or cuda:N"


def resolve_device(name: str) -> torch.device:
    """``auto`` picks the GPU when there is one; a CUDA device that is not there is a clear error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"--device {name}: no CUDA device is available here. Use --device cpu.")
    return device
