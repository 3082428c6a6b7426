"""``GANDataModule``: what every lightgan dataset provides.

A datamodule states ``data_shape`` and ``num_classes`` right after construction, so the CLI
can link them into the model before anything is loaded. Batches are dicts: ``real`` holds the
samples, ``label`` the class index when the data is labelled, and image-to-image data its
input image as ``source``. Images travel as uint8 and are scaled to [-1, 1] after they reach
the device (four times less to copy). In-memory datasets move to the training device once
(``on_device``), so on a GPU each batch is a gather there and nothing is copied per step;
datasets derived from others (``DatasetView``: pairs, subsets, degraded copies) keep that path
when all they read from is in memory. ``DerivedDataModule`` builds a datamodule on another one.
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


class DatasetView:
    """A dataset computed from others (``parts``): in memory when all of them are, and moved to the
    training device with them, so a pair, a subset or a degraded copy is still one gather per batch there."""

    def __init__(self, *parts: BatchIndexable) -> None:
        self.parts = parts

    @property
    def in_memory(self) -> bool:
        return all(held_in_memory(part) for part in self.parts)

    def move_to(self, device: torch.device) -> DatasetView:
        for part in self.parts:
            part.move_to(device)  # type: ignore[attr-defined]
        return self


def held_in_memory(dataset: BatchIndexable) -> bool:
    """Whether ``dataset`` gathers its batches from tensors in memory (which can move to the device)."""
    return isinstance(dataset, InMemoryDataset) or (isinstance(dataset, DatasetView) and dataset.in_memory)


def labels_of(dataset: BatchIndexable) -> Tensor:
    """Every sample's label (on the CPU) of a labelled dataset; read without images when it keeps them apart."""
    labels = getattr(dataset, "labels", None)
    return (labels if labels is not None else dataset[torch.arange(len(dataset))]["label"]).cpu()


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
    #: Shape of the input images of image-to-image data (batch key ``source``); None for data without them.
    source_shape: tuple[int, ...] | None = None

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
        in_memory = held_in_memory(dataset)
        if in_memory and self.on_device and device.type != "cpu":
            dataset.move_to(device)  # type: ignore[attr-defined]
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
        labels = labels_of(dataset)
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
        if not isinstance(batch, dict):
            return batch
        return {key: to_unit_range(value) if _is_pixels(key, value) else value for key, value in batch.items()}


#: The splits a datamodule provides, and the loader method that finalises each.
SPLITS = {"train_set": "train_dataloader", "val_set": "val_dataloader", "test_set": "test_dataloader"}


class DerivedDataModule(GANDataModule):
    """A datamodule whose splits are computed from those of another (``base``), e.g. degraded copies or a class subset.

    It prepares, sets up and checkpoints the base, so the base's split rules (MNIST's held-out images,
    restored from a checkpoint) hold unchanged; a split is derived again whenever the base builds it anew.

    Args:
        base: the datamodule whose data this one derives from (``class_path`` and ``init_args`` in a config);
            it loads with this datamodule's ``batch_size`` and ``on_device`` (set them here: the base's own
            settings of the two are replaced).
    """

    def __init__(self, base: GANDataModule, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base = base
        # the base's loaders only build its splits (and move them to the device): they follow this one's settings
        base.batch_size, base.on_device = self.batch_size, self.on_device
        self.data_shape, self.num_classes, self.source_shape = base.data_shape, base.num_classes, base.source_shape
        self._derived_from: dict[str, BatchIndexable | None] = {}

    def derive(self, split: BatchIndexable, name: str) -> BatchIndexable:
        """This datamodule's split ``name`` (``train_set``, ``val_set``, ``test_set``) made from the base's."""
        raise NotImplementedError

    def prepare_data(self) -> None:
        self.base.prepare_data()

    def setup(self, stage: str) -> None:
        self.base.trainer = self.trainer
        self.base.setup(stage)
        for name in SPLITS:
            self._follow(name)

    def _follow(self, name: str) -> None:
        source = getattr(self.base, name)
        if name not in self._derived_from or source is not self._derived_from[name]:
            self._derived_from[name] = source
            setattr(self, name, self.derive(source, name) if source is not None else None)

    def _base_loader(self, name: str) -> None:
        """Let the base build split ``name`` the way its loader does (some build theirs only there)."""
        self.base.trainer = self.trainer
        getattr(self.base, SPLITS[name])()
        self._follow(name)

    def train_dataloader(self) -> ResumableLoader:
        self._base_loader("train_set")
        return super().train_dataloader()

    def val_dataloader(self) -> ResumableLoader | list:
        self._base_loader("val_set")
        return super().val_dataloader()

    def test_dataloader(self) -> ResumableLoader | list:
        self._base_loader("test_set")
        return super().test_dataloader()

    def state_dict(self) -> dict[str, Any]:
        return self.base.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.base.load_state_dict(state)


def _is_pixels(key: str, value: Any) -> bool:
    """uint8 samples (``real``) and every other uint8 image batch (N, C, H, W), such as a ``source`` image."""
    return isinstance(value, Tensor) and value.dtype == torch.uint8 and (key == "real" or value.dim() == 4)


def to_unit_range(pixels: Tensor) -> Tensor:
    """uint8 pixels as floats in [-1, 1], as every datamodule hands images to a model."""
    return pixels.float().div_(127.5).sub_(1.0)
