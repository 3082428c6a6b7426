"""In-memory datasets move to the training device once and are batched there (checked on the meta device);
how the training data is split between processes; mixed precision and compiled networks on a CUDA GPU
(skipped without one)."""

from __future__ import annotations

import warnings
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from helpers import assert_same_weights, quiet_trainer, state_of
from test_acceleration import ColourImages

from lightgan.data.base import InMemoryDataset
from lightgan.data.loader import ResumableLoader
from lightgan.data.mixtures import RingMixture
from lightgan.errors import ConfigError
from lightgan.models import DCGAN
from lightgan.tricks import GeneratorEMA, GradientPenalty


def _on(device: str) -> SimpleNamespace:
    """The parts of a Trainer the datamodule reads, with ``device`` as the training device."""
    strategy = SimpleNamespace(root_device=torch.device(device))
    return SimpleNamespace(strategy=strategy, global_rank=0, world_size=1, current_epoch=0, num_training_batches=4)


def _ring(**kwargs) -> RingMixture:
    dm = RingMixture(num_samples=64, val_samples=16, batch_size=16, num_workers=2, **kwargs)
    dm.setup("fit")
    return dm


def test_in_memory_data_moves_to_the_training_device_once() -> None:
    dm = _ring()
    dm.trainer = _on("meta")  # stands in for a GPU: a device other than the CPU
    loader = dm.train_dataloader()
    assert dm.train_set.device.type == "meta"
    assert loader.num_workers == 0  # a gather on the device; workers cannot hold device tensors
    batch = next(iter(loader))
    assert batch["real"].device.type == "meta" and batch["label"].device.type == "meta"
    assert batch["real"].shape == (16, 2)
    moved = dm.train_set.real
    dm.train_dataloader()
    assert dm.train_set.real is moved  # not copied again for the next loader


def test_on_device_false_and_cpu_training_keep_data_in_host_memory() -> None:
    dm = _ring(on_device=False)
    dm.trainer = _on("meta")
    dm.train_dataloader()
    assert dm.train_set.device.type == "cpu"
    cpu = _ring()
    cpu.trainer = _on("cpu")
    assert not cpu.train_dataloader().pin_memory and cpu.train_set.device.type == "cpu"


def test_pinning_leaves_device_tensors_alone() -> None:
    dataset = InMemoryDataset(torch.zeros(8, 2, dtype=torch.uint8), torch.arange(8)).move_to(torch.device("meta"))
    loader = ResumableLoader(dataset, 4, shuffle=False, pin_memory=True)
    batches = list(loader)
    assert len(batches) == 2 and all(b["real"].device.type == "meta" for b in batches)


def test_uint8_batches_become_floats_in_minus_one_one_after_transfer() -> None:
    dm = _ring()
    batch = dm.on_after_batch_transfer({"real": torch.tensor([[0, 255]], dtype=torch.uint8)}, 0)
    assert torch.equal(batch["real"], torch.tensor([[-1.0, 1.0]]))


def test_processes_without_a_global_seed_shuffle_with_rank_zeros_seed() -> None:
    dm = RingMixture(num_samples=64, val_samples=16, batch_size=16)  # no seed: each process has its own
    dm.setup("fit")
    strategy = SimpleNamespace(root_device=torch.device("cpu"), broadcast=lambda value: 1234)  # rank 0's seed
    dm.trainer = SimpleNamespace(
        strategy=strategy, global_rank=1, world_size=2, current_epoch=0, num_training_batches=2
    )
    assert dm.train_dataloader().sampler.seed == 1234


def test_fewer_samples_per_process_than_a_batch_is_a_clear_error() -> None:
    dm = RingMixture(num_samples=48, val_samples=16, batch_size=32, seed=0)
    dm.setup("fit")
    dm.trainer = SimpleNamespace(
        strategy=SimpleNamespace(root_device=torch.device("cpu")), global_rank=0, world_size=2, current_epoch=0,
        num_training_batches=1,
    )  # fmt: skip
    with pytest.raises(ConfigError, match=r"48 training samples over 2 process\(es\) leave 24 per process, fewer "):
        dm.train_dataloader()


needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def _gpu_run(tmp_path: Path, precision: str, **kwargs) -> DCGAN:
    """A tiny DCGAN trained 3 steps on the GPU with n_critic 2, WGAN-GP's penalty and EMA; its checkpoint reloads."""
    model = DCGAN(data_shape=ColourImages.data_shape, latent_dim=8, base_channels=4, n_critic=2, seed=0, **kwargs)
    trainer = quiet_trainer(
        accelerator="gpu",
        devices=1,
        precision=precision,
        max_steps=3,
        limit_val_batches=0,
        callbacks=[GradientPenalty(), GeneratorEMA()],
    )
    trainer.fit(model, ColourImages(batch_size=16))
    metrics = trainer.callback_metrics
    assert all(torch.isfinite(metrics[key]) for key in ("train/d_loss", "train/g_loss", "train/gradient_penalty"))
    weights = state_of(model)
    assert any(key.startswith("generator_ema.") for key in weights)
    assert all(v.dtype == torch.float32 and v.is_cuda for v in weights.values() if v.is_floating_point())
    trainer.save_checkpoint(tmp_path / "gpu.ckpt")
    assert_same_weights(state_of(DCGAN.load_from_checkpoint(tmp_path / "gpu.ckpt", compile=False)), weights)
    return model


@needs_cuda
def test_16_mixed_on_the_gpu_trains_float32_weights_with_per_player_clipping(tmp_path: Path) -> None:
    _gpu_run(tmp_path, "16-mixed", gradient_clip_val_d=1.0)


@needs_cuda
def test_compiled_channels_last_networks_train_on_the_gpu_under_16_mixed(tmp_path: Path) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = _gpu_run(tmp_path, "16-mixed", compile=True, channels_last=True)
    assert not [w for w in caught if "torch.compile failed" in str(w.message)]
    kernels = [w for w in model.parameters() if w.dim() == 4]
    assert kernels and all(w.is_contiguous(memory_format=torch.channels_last) for w in kernels)
