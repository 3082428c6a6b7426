"""A callback for the DDP test: each rank writes its final weights and what it trained on."""

from __future__ import annotations

from pathlib import Path

import lightning as L
import torch


class DumpRankState(L.Callback):
    def __init__(self) -> None:
        self.first_batch: torch.Tensor | None = None

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if self.first_batch is None:
            self.first_batch = batch["real"].detach().cpu().clone()

    def on_train_end(self, trainer, pl_module) -> None:
        state = {
            # parameters; DDP broadcasts buffers (BN running stats) from rank 0 at each forward instead
            "weights": {k: v.detach().cpu() for k, v in pl_module.named_parameters()},
            "first_batch": self.first_batch,
            "noise_state": pl_module.noise_rng.get_state(),
            "world_size": trainer.world_size,
            "global_step": trainer.global_step,
            "find_unused_parameters": trainer.strategy._ddp_kwargs.get("find_unused_parameters"),
        }
        torch.save(state, Path(trainer.default_root_dir) / f"rank{trainer.global_rank}.pt")
