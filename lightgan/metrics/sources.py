"""Where evaluated samples come from: a split of the datamodule or a generator, in batches.

Both yield ``{"real": samples in data space, "label": ...}`` batches. Real subsets and the
generator's noise come from seeded generators, so repeated evaluations see the same samples and
scores of different checkpoints differ only by the model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch import Tensor

from lightgan.data.loader import BatchIndexable

Batch = dict[str, Tensor]


def chunks(n: int, batch_size: int) -> Iterator[int]:
    """Sizes of the batches that make up ``n`` samples."""
    for start in range(0, n, batch_size):
        yield min(batch_size, n - start)


def subset_indices(size: int, n: int, seed: int) -> Tensor:
    """``min(n, size)`` distinct indices, the same for the same seed (all of them, in order, when n >= size)."""
    if n >= size:
        return torch.arange(size)
    return torch.randperm(size, generator=torch.Generator().manual_seed(seed))[:n].sort().values


def dataset_batches(
    dataset: BatchIndexable,
    index: Tensor,
    batch_size: int,
    to_data_space: Callable[[Batch], Batch],
) -> Iterator[Batch]:
    """The samples at ``index`` in batches, converted as the model sees them (uint8 -> [-1, 1])."""
    for part in index.split(batch_size):
        yield to_data_space(dataset[part])


def generator_batches(model: Any, n: int, batch_size: int, seed: int) -> Iterator[Batch]:
    """``n`` samples from ``model.sample`` (EMA generator when present), ``batch_size`` at a time.

    The inputs of all ``n`` are drawn at once on the CPU from ``seed`` (as ``lightgan sample
    --seed`` draws them), so the samples are the same whatever the batch size or the device.
    """
    z, labels = model.sample_inputs(n, generator=torch.Generator().manual_seed(seed))
    start = 0
    for size in chunks(n, batch_size):
        part = slice(start, start + size)
        start += size
        yield {"real": model.sample(size, labels=_part(labels, part), z=_part(z, part))}


def _part(values: Tensor | None, part: slice) -> Tensor | None:
    return None if values is None else values[part]
