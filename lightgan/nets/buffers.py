"""Extra forward passes that leave a network's running state alone."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from torch import nn


@contextmanager
def scratch_buffers(module: nn.Module) -> Iterator[None]:
    """Run forward passes on copies of the buffers (batch-norm statistics, spectral-norm vectors).

    The originals keep their values and their autograd versions, so a graph built before (e.g.
    the generator step's pass over fakes) can still be differentiated.
    """
    originals = [
        (owner, name, buffer) for owner in module.modules() for name, buffer in owner.named_buffers(recurse=False)
    ]
    for owner, name, buffer in originals:
        setattr(owner, name, buffer.clone())
    try:
        yield
    finally:
        for owner, name, buffer in originals:
            setattr(owner, name, buffer)
