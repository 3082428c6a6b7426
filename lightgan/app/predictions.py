"""Writes what ``lightgan predict`` generates: one tensor file and one picture per run, and says where."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import BasePredictionWriter

from lightgan.monitors.render import drawable, render_samples, save_png


class SavePredictions(BasePredictionWriter):
    """Save all predicted samples to ``<run dir>/predictions/samples.pt`` and a grid (or scatter) PNG.

    Args:
        folder: sub-folder of the run directory.
        max_pictured: how many samples the PNG shows.
    """

    def __init__(self, folder: str = "predictions", max_pictured: int = 64) -> None:
        super().__init__(write_interval="epoch")
        self.folder, self.max_pictured = folder, max_pictured

    def write_on_epoch_end(self, trainer: L.Trainer, pl_module: Any, predictions: Any, batch_indices: Any) -> None:
        samples = torch.cat([p.cpu() for p in predictions])
        out = Path(trainer.default_root_dir) / self.folder
        rank = f"-rank{trainer.global_rank}" if trainer.world_size > 1 else ""
        out.mkdir(parents=True, exist_ok=True)
        torch.save(samples, out / f"samples{rank}.pt")
        written = [out / f"samples{rank}.pt"]
        if drawable(samples.shape[1:]):
            picture = render_samples(samples[: self.max_pictured], centers=getattr(pl_module, "mode_centers", None))
            written.append(save_png(picture, out / f"samples{rank}.png"))
        print(f"lightgan: wrote {len(samples)} samples to {' and '.join(map(str, written))}", flush=True)
