"""Two CPU processes (gloo) under the plain `ddp` strategy end with identical weights."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import torch

TESTS = Path(__file__).resolve().parent


def ddp_fit(cwd: Path, *args: str) -> list[dict]:
    """`lightgan fit` on two CPU processes; returns what each rank recorded (tests/ddp_probe.py)."""
    cwd.mkdir(parents=True, exist_ok=True)
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


RING_RUN = (
    *("--model=GAN", "--model.init_args.latent_dim=2", "--model.init_args.hidden_dims=[16, 16]"),
    *("--data=RingMixture", "--data.init_args.num_samples=512", "--data.init_args.batch_size=32"),
    "--trainer.max_steps=6",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_two_nodes_started_by_torchrun_end_as_one_node_of_two_processes(tmp_path: Path) -> None:
    """Two "nodes" of one process each (torchrun --nnodes 2 on localhost, gloo) train what one node of two does."""
    one_node = ddp_fit(tmp_path / "one", *RING_RUN)
    env = {
        **os.environ,
        "PYTHONPATH": f"{TESTS}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        "WANDB_MODE": "offline",
    }
    port, run = free_port(), tmp_path / "two"
    run.mkdir()
    nodes = [
        subprocess.Popen(
            [
                *(str(Path(sys.executable).with_name("torchrun")), "--nnodes=2", "--nproc-per-node=1"),
                *(f"--node-rank={node}", "--master-addr=127.0.0.1", f"--master-port={port}"),
                *("-m", "lightgan", "fit", *RING_RUN, "--trainer.num_nodes=2", "--trainer.devices=1"),
                *("--trainer.accelerator=cpu", "--trainer.strategy=ddp", "--trainer.logger=false"),
                *("--trainer.enable_progress_bar=false", "--trainer.limit_val_batches=1", "--seed_everything=0"),
                *("--trainer.callbacks+=ddp_probe.DumpRankState", "--trainer.default_root_dir=run"),
            ],
            cwd=run,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        for node in (0, 1)
    ]
    try:
        outputs = [node.communicate(timeout=300)[0] for node in nodes]
    finally:
        for node in nodes:
            if node.poll() is None:
                os.killpg(node.pid, signal.SIGKILL)
    assert [node.returncode for node in nodes] == [0, 0], outputs[0][-3000:] + outputs[1][-3000:]
    two_nodes = [torch.load(run / "run" / f"rank{rank}.pt", weights_only=False) for rank in (0, 1)]
    assert [r["world_size"] for r in two_nodes] == [2, 2]
    assert_same_parameters(two_nodes)
    for key, value in one_node[0]["weights"].items():
        assert torch.equal(value, two_nodes[0]["weights"][key]), key
