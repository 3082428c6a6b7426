"""Two CPU processes (gloo) under the plain `ddp` strategy end with identical weights."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import torch

TESTS = Path(__file__).resolve().parent


def ddp_fit(cwd: Path, *args: str) -> list[dict]:
    """`lightgan fit` on two CPU processes; returns what each rank recorded (tests/ddp_probe.py)."""
    env = {
        **os.environ,
        "PYTHONPATH": f"{TESTS}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        "WANDB_MODE": "offline",
    }
    command = [
        *(sys.executable, "-m", "lightgan.app.cli", "fit", *args),
        *("--trainer.accelerator=cpu", "--trainer.devices=2", "--trainer.strategy=ddp"),
        *("--trainer.logger=false", "--trainer.enable_progress_bar=false", "--trainer.limit_val_batches=1"),
        *("--trainer.callbacks+=ddp_probe.DumpRankState", "--seed_everything=0", "--trainer.default_root_dir=run"),
    ]
    # its own process group, so a hang cannot leave the second rank behind
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)  # fmt: skip
    try:
        _, stderr = process.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        raise
    assert process.returncode == 0, stderr[-3000:]
    return [torch.load(cwd / "run" / f"rank{rank}.pt", weights_only=False) for rank in (0, 1)]


def assert_same_parameters(ranks: list[dict]) -> None:
    for key, value in ranks[0]["weights"].items():
        assert torch.equal(value, ranks[1]["weights"][key]), key


def test_ddp_two_processes_end_with_identical_weights(tmp_path: Path) -> None:
    ranks = ddp_fit(
        tmp_path,
        *("--model=GAN", "--model.init_args.latent_dim=2", "--model.init_args.hidden_dims=[16, 16]"),
        "--model.init_args.generator_batch_norm=true",
        *("--data=RingMixture", "--data.init_args.num_samples=512", "--data.init_args.batch_size=32"),
        "--trainer.max_steps=6",
    )
    assert [r["world_size"] for r in ranks] == [2, 2]
    assert [r["global_step"] for r in ranks] == [6, 6]
    assert all(r["find_unused_parameters"] for r in ranks), "turned on without the user asking"
    assert len(ranks[0]["weights"]) == 16  # G: 3 linear + 2 batch-norm layers, D: 3 linear layers
    assert_same_parameters(ranks)
    assert not torch.equal(ranks[0]["first_batch"], ranks[1]["first_batch"]), "each rank gets its own shard"
    assert not torch.equal(ranks[0]["noise_state"], ranks[1]["noise_state"]), "each rank draws its own noise"
    assert (tmp_path / "run" / "checkpoints" / "last.ckpt").is_file()
    assert list((tmp_path / "run" / "samples").glob("*.png")), "rank 0 drew the fixed-noise picture"


def test_ddp_with_a_variant_that_draws_pictures_on_rank_zero(tmp_path: Path, mnist_root: Path) -> None:
    ranks = ddp_fit(
        tmp_path,
        *("--model=InfoGAN", "--model.init_args.latent_dim=8", "--model.init_args.categorical_codes=[3]"),
        *("--model.init_args.continuous_codes=1", "--model.init_args.base_channels=4"),
        *("--data=MNIST", f"--data.init_args.root={mnist_root}", "--data.init_args.download=false"),
        *("--data.init_args.image_size=16", "--data.init_args.batch_size=16", "--trainer.max_steps=3"),
    )
    assert [r["global_step"] for r in ranks] == [3, 3]
    assert_same_parameters(ranks)
    assert list((tmp_path / "run" / "traversals").glob("*.png"))
