"""Two CPU processes (gloo) under the plain `ddp` strategy end with identical weights."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import torch

TESTS = Path(__file__).resolve().parent


def test_ddp_two_processes_end_with_identical_weights(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": f"{TESTS}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        "WANDB_MODE": "offline",
    }
    command = [
        sys.executable,
        "-m",
        "lightgan.cli",
        "fit",
        "--model=GAN",
        "--model.init_args.latent_dim=2",
        "--model.init_args.hidden_dims=[16, 16]",
        "--model.init_args.generator_batch_norm=true",
        "--data=RingMixture",
        "--data.init_args.num_samples=512",
        "--data.init_args.batch_size=32",
        "--trainer.accelerator=cpu",
        "--trainer.devices=2",
        "--trainer.strategy=ddp",
        "--trainer.max_steps=6",
        "--trainer.logger=false",
        "--trainer.enable_progress_bar=false",
        "--trainer.limit_val_batches=1",
        "--trainer.callbacks+=ddp_probe.DumpRankState",
        "--seed_everything=0",
    ]
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    run_dir = tmp_path / "runs" / "gan_ringmixture" / "version_0"
    ranks = [torch.load(run_dir / f"rank{r}.pt", weights_only=False) for r in (0, 1)]
    assert [r["world_size"] for r in ranks] == [2, 2]
    assert [r["global_step"] for r in ranks] == [6, 6]
    assert all(r["find_unused_parameters"] for r in ranks), "turned on without the user asking"
    assert len(ranks[0]["weights"]) == 16  # G: 3 linear + 2 batch-norm layers, D: 3 linear layers
    for key, value in ranks[0]["weights"].items():
        assert torch.equal(value, ranks[1]["weights"][key]), key
    assert not torch.equal(ranks[0]["first_batch"], ranks[1]["first_batch"]), "each rank gets its own shard"
    assert not torch.equal(ranks[0]["noise_state"], ranks[1]["noise_state"]), "each rank draws its own noise"
    assert (run_dir / "checkpoints" / "last.ckpt").is_file()
    assert not (tmp_path / "runs" / "gan_ringmixture" / "version_1").exists(), "both ranks write one run"
