"""A kill, a full disk or a diverging run never costs the run its checkpoints."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from helpers import TINY_RING, fit

from lightgan.app.cli import main
from lightgan.core.checkpoint_io import AtomicCheckpointIO, remove_partial_files
from lightgan.errors import LightGANError

CHECKPOINT_EVERY_2 = [
    "--trainer.callbacks+=ModelCheckpoint",
    "--trainer.callbacks.every_n_train_steps=2",
    "--trainer.callbacks.save_top_k=-1",
]

WRITER = """
import sys, torch
from lightgan.core.checkpoint_io import AtomicCheckpointIO
io, path = AtomicCheckpointIO(), sys.argv[1]
big = {"w": torch.zeros(40_000_000)}
print("ready", flush=True)
while True:
    big["w"] += 1
    io.save_checkpoint(big, path)
"""


def test_a_checkpoint_killed_while_being_written_is_the_old_one_whole(tmp_path: Path) -> None:
    path = tmp_path / "last.ckpt"
    AtomicCheckpointIO().save_checkpoint({"w": torch.full((3,), -1.0)}, path)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE)
    assert writer.stdout.readline().strip() == b"ready"
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".last.ckpt.partial-*")) and time.monotonic() < deadline:
        time.sleep(0.001)
    writer.send_signal(signal.SIGKILL)  # while the 160 MB file is being written
    writer.wait()
    saved = torch.load(path, weights_only=True)["w"]
    assert bool((saved == saved[0]).all())  # one complete version, whichever it is
    assert remove_partial_files(tmp_path), "the kill should have found a write under way"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.ckpt"]


def test_checkpoints_are_written_beside_their_name_not_in_tmpdir(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path / "does-not-exist"))
    AtomicCheckpointIO().save_checkpoint({"w": torch.ones(2)}, tmp_path / "run" / "a.ckpt")
    assert torch.equal(torch.load(tmp_path / "run" / "a.ckpt", weights_only=True)["w"], torch.ones(2))


def test_a_full_disk_leaves_the_previous_checkpoint_and_no_partial_file(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "last.ckpt"
    AtomicCheckpointIO().save_checkpoint({"w": torch.zeros(2)}, path)

    def no_space(obj, file, *args, **kwargs):
        file.write(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", no_space)
    with pytest.raises(LightGANError, match=r"Could not write the checkpoint .*last\.ckpt \(No space left on device\)"):
        AtomicCheckpointIO().save_checkpoint({"w": torch.ones(2)}, path)
    monkeypatch.undo()
    assert torch.equal(torch.load(path, weights_only=True)["w"], torch.zeros(2))
    assert [p.name for p in tmp_path.iterdir()] == ["last.ckpt"]


def test_last_falls_back_to_the_newest_checkpoint_that_reads() -> None:
    run = fit(*TINY_RING, *CHECKPOINT_EVERY_2, "--trainer.max_steps=6", "--trainer.default_root_dir=run").run_dir
    last = run / "checkpoints" / "last.ckpt"
    last.write_bytes(last.read_bytes()[:1000])  # what a kill during a non-atomic write leaves
    leftover = run / "checkpoints" / ".epoch=0-step=8.ckpt.partial-4242"  # and what a kill during ours leaves
    leftover.write_bytes(b"half")
    with pytest.warns(UserWarning) as warned:
        resumed = fit(
            *TINY_RING,
            *CHECKPOINT_EVERY_2,
            "--trainer.max_steps=8",
            "--trainer.default_root_dir=run",
            "--ckpt_path=last",
        )
    assert resumed.trainer.global_step == 8
    assert not leftover.exists()
    messages = [str(w.message) for w in warned]
    assert any("passing over last.ckpt" in m and "not a readable checkpoint" in m for m in messages)
    assert any("resumes from epoch=0-step=6.ckpt, the newest checkpoint that reads" in m for m in messages)


def test_a_diverging_run_stops_in_one_line_and_leaves_only_finite_checkpoints(capsys) -> None:
    args = [
        "fit",
        *TINY_RING,
        *CHECKPOINT_EVERY_2,
        "--trainer.max_steps=40",
        "--trainer.logger=false",
        "--model.init_args.optimizer=sgd",
        "--model.init_args.lr_g=1e12",
        "--model.init_args.lr_d=1e12",
        "--trainer.default_root_dir=run",
    ]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is nan" in err[0] and "model.init_args.divergence: restore" in err[0]
    for path in Path("run/checkpoints").glob("*.ckpt") if Path("run/checkpoints").is_dir() else []:
        weights = torch.load(path, weights_only=True)["state_dict"].values()
        assert all(bool(torch.isfinite(w).all()) for w in weights if w.is_floating_point())


def test_divergence_ignore_is_the_one_key_that_opts_out() -> None:
    cli = fit(
        *TINY_RING,
        "--trainer.max_steps=6",
        "--model.init_args.optimizer=sgd",
        "--model.init_args.lr_g=1e12",
        "--model.init_args.lr_d=1e12",
        "--model.init_args.divergence=ignore",
        "--trainer.enable_checkpointing=false",
    )
    assert cli.trainer.global_step == 6
    assert not all(bool(torch.isfinite(p).all()) for p in cli.model.parameters())
    assert os.environ.get("LIGHTGAN_RUN_DIR")  # the run went through the CLI


def test_samples_from_a_resumed_runs_checkpoint_equal_those_of_an_uninterrupted_one() -> None:
    """Same step, same weights, same buffers (batch-norm statistics, the EMA copy): the same samples."""
    args = [
        *TINY_RING,
        "--model.init_args.generator_batch_norm=true",
        "--trainer.callbacks+=GeneratorEMA",
        "--seed_everything=3",
        "--trainer.limit_val_batches=1",
    ]
    fit(*args, "--trainer.max_steps=9", "--trainer.default_root_dir=straight")
    fit(*args, "--trainer.max_steps=4", "--trainer.default_root_dir=resumed")
    fit(*args, "--trainer.max_steps=9", "--trainer.default_root_dir=resumed", "--ckpt_path=last")
    for run in ("straight", "resumed"):
        assert main(["sample", "--ckpt", f"{run}/checkpoints/last.ckpt", "--seed", "5", "--out", f"{run}.pt"]) == 0
    assert torch.equal(torch.load("straight.pt"), torch.load("resumed.pt"))
