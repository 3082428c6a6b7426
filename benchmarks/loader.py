"""lightgan's ResumableLoader against torchdata's StatefulDataLoader: resume, sharding, throughput.

Three measurements, each printed with its numbers:

- resume: stop in the middle of epoch 1, save ``state_dict()``, build a fresh loader in a fresh
  RNG state (as a resumed process is: seeded again from the start), ``load_state_dict()``, and
  compare the rest of epoch 1 and all of epoch 2 with an uninterrupted run, batch for batch;
- sharding: two ranks over one epoch (``DistributedSampler`` for StatefulDataLoader): samples
  shared by both ranks, samples no rank sees, batches per rank;
- throughput: batches per second over an MNIST-sized uint8 tensor in memory and over images read
  from a memory-mapped file (lightgan's path for large image sets), with 0 and 2 workers;
  StatefulDataLoader both as usually used (one ``__getitem__`` per sample, then collate) and
  given whole index batches like ResumableLoader. Workers start anew each epoch, as in
  ResumableLoader; each number is the median of ``--repeats`` runs taken in turns, since a
  shared machine's load drifts.

torchdata is not a lightgan dependency; install it anywhere and put it on the path::

    pip install --target /tmp/td torchdata --no-deps
    PYTHONPATH=/tmp/td python benchmarks/loader.py           # about two minutes on 2 cores
    PYTHONPATH=/tmp/td python benchmarks/loader.py --quick   # a few seconds: checks that it runs
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import DistributedSampler, TensorDataset

from lightgan.data.base import InMemoryDataset
from lightgan.data.cache import MemmapImages
from lightgan.data.loader import BatchIndexable, ResumableLoader

try:
    from torchdata.stateful_dataloader import StatefulDataLoader
    from torchdata.stateful_dataloader.sampler import BatchSampler, RandomSampler, StatefulDistributedSampler
except ImportError:
    raise SystemExit(
        "torchdata is not installed: pip install --target /tmp/td torchdata --no-deps, "
        "then PYTHONPATH=/tmp/td python benchmarks/loader.py"
    ) from None

SEED = 0
Loader = Any  # ResumableLoader or StatefulDataLoader


class Indices:
    """Each sample is its own index: batches show exactly which samples a loader handed out."""

    def __init__(self, size: int) -> None:
        self.size = size

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: Tensor | int | list[int]) -> dict[str, Tensor]:
        return {"real": torch.as_tensor(index)}


class Batched:
    """A batch-indexable dataset for a DataLoader that passes it whole lists of indices."""

    def __init__(self, dataset: BatchIndexable) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, indices: list[int]) -> dict[str, Tensor]:
        return self.dataset[torch.as_tensor(indices)]


class Samples:
    """A TensorDataset's (image, label) samples as the dicts lightgan's batches are."""

    def __init__(self, dataset: TensorDataset) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, i: int) -> dict[str, Tensor]:
        image, label = self.dataset[i]
        return {"real": image, "label": label}


# ---------------------------------------------------------------------------------------------- loaders
def resumable(dataset: BatchIndexable, batch_size: int, workers: int, rank: int = 0, world_size: int = 1) -> Loader:
    return ResumableLoader(dataset, batch_size, seed=SEED, num_workers=workers, rank=rank, world_size=world_size)


def stateful_per_sample(dataset: Any, batch_size: int, workers: int) -> Loader:
    """StatefulDataLoader as usually written: shuffle, one sample per ``__getitem__``, default collate."""
    generator = torch.Generator().manual_seed(SEED)
    return StatefulDataLoader(
        dataset, batch_size, shuffle=True, drop_last=True, num_workers=workers, generator=generator
    )


def stateful_batched(dataset: BatchIndexable, batch_size: int, workers: int) -> Loader:
    """StatefulDataLoader handing the dataset whole index batches, as ResumableLoader does."""
    sampler = BatchSampler(RandomSampler(dataset, generator=torch.Generator().manual_seed(SEED)), batch_size, True)
    return StatefulDataLoader(Batched(dataset), sampler=sampler, batch_size=None, num_workers=workers)


def stateful_distributed(dataset: Any, batch_size: int, workers: int, rank: int = 0, world_size: int = 1) -> Loader:
    sampler = DistributedSampler(dataset, world_size, rank, shuffle=True, seed=SEED)
    return StatefulDataLoader(dataset, batch_size, sampler=sampler, drop_last=True, num_workers=workers)


def stateful_distributed_sampler(
    dataset: Any, batch_size: int, workers: int, rank: int = 0, world_size: int = 1
) -> Loader:
    sampler = StatefulDistributedSampler(dataset, world_size, rank, shuffle=True, seed=SEED)
    return StatefulDataLoader(dataset, batch_size, sampler=sampler, drop_last=True, num_workers=workers)


def begin_epoch(loader: Loader, epoch: int) -> Loader:
    """What Lightning does before each epoch of a DataLoader: tell its sampler the epoch."""
    sampler = getattr(loader, "sampler", None)
    if hasattr(sampler, "set_epoch"):
        sampler.set_epoch(epoch)
    return loader


# ---------------------------------------------------------------------------------------------- resume
def index_batches(batches: Iterable[dict[str, Tensor]]) -> list[tuple[int, ...]]:
    return [tuple(batch["real"].flatten().tolist()) for batch in batches]


def resume_matches(make: Callable[[], Loader], stop_at: int) -> tuple[bool, bool]:
    """(rest of epoch 1 equal, epoch 2 equal) after a stop at batch ``stop_at`` of epoch 1 and a resume."""
    torch.manual_seed(SEED)
    straight = make()
    epochs = [index_batches(begin_epoch(straight, epoch)) for epoch in range(3)]

    torch.manual_seed(SEED)
    first = make()
    index_batches(begin_epoch(first, 0))
    running = iter(begin_epoch(first, 1))
    taken = index_batches(next(running) for _ in range(stop_at))
    state = first.state_dict()
    del running

    torch.manual_seed(SEED)  # a resumed process starts from its seed again
    resumed = make()
    resumed.load_state_dict(state)
    rest = index_batches(begin_epoch(resumed, 1))
    return taken + rest == epochs[1], index_batches(begin_epoch(resumed, 2)) == epochs[2]


def report_resume(size: int, batch_size: int) -> None:
    dataset, stop_at = Indices(size), size // batch_size // 3
    print(f"resume: {size} samples, batch {batch_size}, stopped after batch {stop_at} of epoch 1 (of 0, 1, 2)")
    makers: dict[str, Callable[[int], Loader]] = {
        "ResumableLoader": lambda w: resumable(dataset, batch_size, w),
        "StatefulDataLoader shuffle=True": lambda w: stateful_per_sample(dataset, batch_size, w),
        "StatefulDataLoader index batches": lambda w: stateful_batched(dataset, batch_size, w),
        "StatefulDataLoader + DistributedSampler": lambda w: stateful_distributed(dataset, batch_size, w),
        "StatefulDataLoader + StatefulDistributedSampler": lambda w: stateful_distributed_sampler(
            dataset, batch_size, w
        ),
    }
    for name, make in makers.items():
        for workers in (0, 2):
            rest, after = resume_matches(lambda make=make, workers=workers: make(workers), stop_at)
            print(f"  {name:48s} workers={workers}: rest of epoch 1 exact {rest!s:5s}  epoch 2 exact {after}")


# ---------------------------------------------------------------------------------------------- sharding
def shard_counts(make: Callable[[int], Loader], size: int) -> tuple[int, int, list[int]]:
    """(samples seen by both ranks, samples seen by none, batches per rank) over epoch 0 of two ranks."""
    seen = [[i for batch in index_batches(begin_epoch(make(rank), 0)) for i in batch] for rank in (0, 1)]
    batches = [len(make(rank)) for rank in (0, 1)]
    both = len(set(seen[0]) & set(seen[1])) + sum(len(s) - len(set(s)) for s in seen)
    return both, size - len(set(seen[0]) | set(seen[1])), batches


def report_sharding(size: int, batch_size: int) -> None:
    dataset = Indices(size)
    print(f"sharding: 2 ranks, {size} samples, batch {batch_size}, epoch 0")
    makers = {
        "ResumableLoader(rank, world_size)": lambda rank: resumable(dataset, batch_size, 0, rank, 2),
        "StatefulDataLoader + DistributedSampler": lambda rank: stateful_distributed(dataset, batch_size, 0, rank, 2),
    }
    for name, make in makers.items():
        both, none, batches = shard_counts(make, size)
        print(f"  {name:48s}: seen twice {both:3d}  never seen {none:3d}  batches per rank {batches}")


# ---------------------------------------------------------------------------------------------- throughput
def batches_per_second(loader: Loader, epochs: int) -> float:
    """Over ``epochs`` epochs after an untimed first one (first-touch costs are not the loader's)."""
    for _ in begin_epoch(loader, 0):
        pass
    count, started = 0, time.perf_counter()
    for epoch in range(1, epochs + 1):
        for _ in begin_epoch(loader, epoch):
            count += 1
    return count / (time.perf_counter() - started)


def memmap_images(folder: Path, count: int, side: int) -> MemmapImages:
    """A uint8 cache file like the one lightgan decodes image folders into."""
    shape = (count, 3, side, side)
    array = np.memmap(folder / "images.uint8", dtype=np.uint8, mode="w+", shape=shape)
    array[:] = np.random.default_rng(0).integers(0, 256, size=shape, dtype=np.uint8)
    array.flush()
    labels = torch.randint(0, 10, (count,), generator=torch.Generator().manual_seed(0))
    return MemmapImages(folder / "images.uint8", shape, torch.arange(count), labels)


def report_throughput(name: str, dataset: Any, per_sample: Any, batch_size: int, epochs: int, repeats: int) -> None:
    print(f"throughput: {name}, batch {batch_size}, median of {repeats} runs of {epochs} epoch(s), taken in turns")
    makers: dict[str, Callable[[int], Loader]] = {
        "ResumableLoader": lambda w: resumable(dataset, batch_size, w),
        "StatefulDataLoader per sample": lambda w: stateful_per_sample(per_sample, batch_size, w),
        "StatefulDataLoader index batches": lambda w: stateful_batched(dataset, batch_size, w),
    }
    for workers in (0, 2):
        runs = [[batches_per_second(make(workers), epochs) for make in makers.values()] for _ in range(repeats)]
        rates = dict(zip(makers, torch.tensor(runs).median(dim=0).values.tolist(), strict=True))
        ours = rates["ResumableLoader"]
        for loader, rate in rates.items():
            print(f"  workers={workers} {loader:34s}: {rate:9,.0f} batches/s  ({rate / ours:5.2f}x ResumableLoader)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=1, help="timed epochs per run (after one untimed)")
    parser.add_argument("--repeats", type=int, default=5, help="runs per loader; the median is printed")
    parser.add_argument("--images", type=int, default=10_000, help="images in the memory-mapped file")
    parser.add_argument("--quick", action="store_true", help="small sizes, one epoch: checks that it runs")
    args = parser.parse_args()
    tensor_count = 60_000
    if args.quick:
        tensor_count, args.images, args.epochs, args.repeats = 4_096, 1_024, 1, 1
    import torchdata

    # batches are small: one thread per process (what DataLoader workers use) keeps thread hand-offs on a
    # busy machine out of the numbers, the same for every loader
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, torchdata {torchdata.__version__}, {len(os.sched_getaffinity(0))} CPU cores")
    report_resume(1_000, 10)
    report_sharding(1_001, 10)
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (tensor_count, 1, 28, 28), dtype=torch.uint8, generator=generator)
    labels = torch.randint(0, 10, (tensor_count,), generator=generator)
    name = f"{tensor_count:,} x 1x28x28 uint8 in memory"
    in_memory, per_sample = InMemoryDataset(images, labels), Samples(TensorDataset(images, labels))
    report_throughput(name, in_memory, per_sample, args.batch_size, args.epochs, args.repeats)
    with tempfile.TemporaryDirectory() as tmp:
        memmap = memmap_images(Path(tmp), args.images, 64)
        name = f"{args.images:,} x 3x64x64 uint8 memory-mapped file"
        report_throughput(name, memmap, memmap, args.batch_size, args.epochs, args.repeats)


if __name__ == "__main__":
    main()
