"""Running the real CLI in-process on tiny shapes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning as L
import torch

from lightgan.app.cli import LightGANCLI, run_lightning

QUIET = [
    "--trainer.enable_progress_bar=false",
    "--trainer.enable_model_summary=false",
    "--trainer.num_sanity_val_steps=0",
    "--trainer.accelerator=cpu",
]
NO_LOGGER = ["--trainer.logger=false"]

TINY_RING = [
    "--model=GAN",
    "--model.init_args.latent_dim=2",
    "--model.init_args.hidden_dims=[16, 16]",
    "--data=RingMixture",
    "--data.init_args.num_samples=320",
    "--data.init_args.val_samples=64",
    "--data.init_args.batch_size=32",
]


def quiet_trainer(**kwargs: Any) -> L.Trainer:
    """A CPU Trainer that writes and prints nothing of its own; ``kwargs`` add to or override that."""
    defaults = dict(
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
    )
    return L.Trainer(**{**defaults, **kwargs})


def fit(*args: str, logger: bool = False) -> LightGANCLI:
    return run_lightning(["fit", *QUIET, *([] if logger else NO_LOGGER), *args])


def state_of(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def assert_same_weights(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    different = [k for k in a if not torch.equal(a[k], b[k])]
    assert not different, f"weights differ in {different[:5]}"


def last_checkpoint(run_dir: Path) -> Path:
    return run_dir / "checkpoints" / "last.ckpt"
