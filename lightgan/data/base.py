"""``GANDataModule``: what every lightgan dataset provides.

A datamodule states ``data_shape`` and ``num_classes`` right after construction, so the CLI
can link them into the model before anything is loaded. Batches are dicts: ``real`` holds the
samples, ``label`` the class index when the data is labelled. Images travel as uint8 and are
scaled to [-1, 1] after they reach the device (four times less to copy). In-memory datasets
move to the training device once (``on_device``), so on a GPU each batch is a gather there and
nothing is copied per step.
"""

from __future__ import annotations

from typing import Any

import lightning as L
import torch
from torch import Tensor
from torch.utils.data import DataLoader, Dataset

from lightgan.data.loader import BatchIndexable, ResumableLoader
from lightgan.errors import ConfigError


class InMemoryDataset:
    """Samples (and optional labels) held in one tensor; indexing with a tensor gives a batch."""

    def __init__(self, real: Tensor, labels: Tensor | None = None) -> None:
        if labels is not None and len(labels) != len(real):
            raise ValueError(f"{len(real)} samples but {len(labels)} labels")
        self.real, self.labels = real, labels

    def __len__(self) -> int:
        return len(self.real)

    def __getitem__(self, index: Tensor) -> dict[str, Tensor]:
        index = index.to(self.real.device, non_blocking=True)
        batch = {"real": self.real[index]}
        if self.labels is not None:
            batch["label"] = self.labels[index]
        return batch

    @property
    def device(self) -> torch.device:
        return self.real.device

    def move_to(self, device: torch.device) -> InMemoryDataset:
        """Move the samples (and labels) to ``device`` in place, once; batches are then gathered there."""
        if self.real.device != device:
            self.real = self.real.to(device)
            self.labels = self.labels.to(device) if self.labels is not None else None
        return self


def hold_out(size: int, n: int) -> tuple[Tensor, Tensor]:
    """(kept rows, held-out rows) of a split of ``size`` rows, each in index order.

    The ``n`` held-out rows come from a permutation seeded with 0, not the run's seed: every run,
    every process and every resume holds out the same rows, so validation never leaks into training.
    """
    order = torch.randperm(size, generator=torch.Generator().manual_seed(0))
    return order[n:].sort().values, order[:n].sort().values


class _PredictIndices(Dataset):
    def __init__(self, size: int, num_classes: int) -> None:
        self.size, self.num_classes = size, num_classes

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, i: int) -> dict[str, int]:
        return {"index": i, "label": i % self.num_classes} if self.num_classes else {"index": i}


class GANDataModule(L.LightningDataModule):
    """Base datamodule: resumable, rank-sharded loaders over batch-indexable datasets.

    Args:
        batch_size: samples per training batch (per device).
        num_workers: loader worker processes for datasets read from disk; in-memory datasets are
            always gathered in the main process (workers would only add copies).
        seed: seed of the shuffling order; None derives it from the global seed.
        predict_size: how many samples ``lightgan predict`` generates.
        on_device: keep in-memory datasets on the training device (the GPU) and gather batches
            there; no effect when training on CPU or for datasets read from disk.
    """

    data_shape: tuple[int, ...]
    num_classes: int = 0

    def __init__(
        self,
        batch_size: int = 64,
        num_workers: int = 0,
        seed: int | None = None,
        predict_size: int = 64,
        on_device: bool = True,
    ):
        super().__init__()
        if batch_size < 1:
            raise ConfigError(f"data.init_args.batch_size must be >= 1, got {batch_size}.")
        if num_workers < 0:
            raise ConfigError(f"data.init_args.num_workers must be >= 0, got {num_workers}.")
        self.batch_size, self.num_workers, self.seed, self.predict_size = batch_size, num_workers, seed, predict_size
        self.on_device = on_device
        self.train_set: BatchIndexable | None = None
        self.val_set: BatchIndexable | None = None
        self.test_set: BatchIndexable | None = None

    def _loader(self, dataset: BatchIndexable | None, *, train: bool) -> ResumableLoader:
        if dataset is None:
            raise RuntimeError(f"{type(self).__name__}.setup() did not create this split")
        trainer = self.trainer
        seed = self.seed if self.seed is not None else torch.initial_seed() % 2**31
        if self.seed is None and trainer is not None and trainer.world_size > 1:
            # without a global seed each process has its own: shards of one permutation need one seed
            seed = trainer.strategy.broadcast(seed)
        device = trainer.strategy.root_device if trainer else torch.device("cpu")
        # the module says how many batches one training step takes (n_critic); they come as one item
        module = getattr(trainer, "lightning_module", None) if train else None
        per_step = getattr(module, "batches_per_step", 1)
        in_memory = isinstance(dataset, InMemoryDataset)
        if in_memory and self.on_device and device.type != "cpu":
            dataset.move_to(device)
        return ResumableLoader(
            dataset,
            self.batch_size,
            shuffle=train,
            drop_last=train,
            seed=seed,
            rank=trainer.global_rank if trainer else 0,
            world_size=trainer.world_size if trainer else 1,
            num_workers=0 if in_memory else self.num_workers,
            pin_memory=device.type == "cuda",
            batches_per_step=per_step,
            epoch=trainer.current_epoch if trainer and train else 0,
            epoch_length=(lambda: trainer.num_training_batches) if trainer and train else None,
        )

    def train_dataloader(self) -> ResumableLoader:
        loader = self._loader(self.train_set, train=True)
        if len(loader) == 0:  # drop_last: fewer samples per process than one training step takes
            sampler, per_step = loader.sampler, loader.batches_per_step
            needed = (
                f"one batch of {sampler.batch_size}"
                if per_step == 1
                else (f"the {per_step} batches of {sampler.batch_size} one training step takes (n_critic={per_step})")
            )
            raise ConfigError(
                f"{type(self).__name__}: {sampler.size:,} training samples over {sampler.world_size} process(es) "
                f"leave {sampler.per_rank:,} per process, fewer than {needed}. "
                "Lower data.init_args.batch_size or use more data."
            )
        return loader

    def val_dataloader(self) -> ResumableLoader | list:
        return self._loader(self.val_set, train=False) if self.val_set is not None else []

    def test_dataloader(self) -> ResumableLoader | list:
        return self._loader(self.test_set, train=False) if self.test_set is not None else []

    def predict_dataloader(self) -> DataLoader:
        """Sample indices (and cycling class labels) for ``lightgan predict``; each index seeds its noise."""
        return DataLoader(_PredictIndices(self.predict_size, self.num_classes), batch_size=self.batch_size)

    def held_out_batch(self, n: int) -> dict[str, Tensor]:
        """The first ``n`` samples of the validation split (of the training split when there is none),
        as a batch ready for the model: the same ones at every call, for pictures and comparisons."""
        dataset = self.val_set if self.val_set is not None else self.train_set
        if dataset is None:
            raise RuntimeError(f"{type(self).__name__}.setup() has not created its splits yet")
        index = torch.arange(min(n, len(dataset)))
        return self.on_after_batch_transfer(dataset[index], 0)

    def examples_per_class(self, per_class: int, seed: int) -> dict[str, Tensor]:
        """``per_class`` training examples of every class, chosen with ``seed`` (the same ones for every
        run), as a batch ready for the model, in index order; for methods trained on a few labels."""
        dataset = self.train_set
        if dataset is None:
            raise RuntimeError(f"{type(self).__name__}.setup() has not created its training split yet")
        labels = dataset.labels if hasattr(dataset, "labels") else dataset[torch.arange(len(dataset))]["label"]
        rng = torch.Generator().manual_seed(seed)
        chosen = []
        for cls in range(self.num_classes):
            members = (labels == cls).nonzero().view(-1)
            if len(members) < per_class:
                raise ValueError(f"class {cls} has only {len(members)} training examples in {type(self).__name__}")
            chosen.append(members[torch.randperm(len(members), generator=rng)[:per_class]])
        index = torch.cat(chosen).sort().values
        return {**self.on_after_batch_transfer(dataset[index], 0), "index": index}

    def on_after_batch_transfer(self, batch: Any, dataloader_idx: int) -> Any:
        if isinstance(batch, list):  # the batches of one training step
            return [self.on_after_batch_transfer(part, dataloader_idx) for part in batch]
        real = batch.get("real") if isinstance(batch, dict) else None
        if real is not None and real.dtype == torch.uint8:
            batch = {**batch, "real": real.float().div_(127.5).sub_(1.0)}
        return batch
