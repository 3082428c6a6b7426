"""SIGTERM (what SLURM and Kubernetes send before a kill) and Ctrl-C end a run at a step with its checkpoint,
exit with the signal's status, and --ckpt_path last then continues to the weights of a run never stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from helpers import QUIET, TINY_RING, assert_same_weights, fit, state_of

TOTAL = 400  # steps a run would take if nothing stopped it: far more than the test waits for
ARGS = [
    *TINY_RING,
    "--model.init_args.generator_batch_norm=true",
    "--seed_everything=7",
    "--trainer.limit_val_batches=1",
    "--trainer.check_val_every_n_epoch=1000",  # nothing runs between steps: the signal lands in one
    "--trainer.callbacks+=ModelCheckpoint",
    "--trainer.callbacks.every_n_train_steps=20",
]


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["SIGTERM", "Ctrl-C"])
def test_a_signal_ends_the_run_at_a_saved_step_that_resumes_exactly(signum: int, status: int) -> None:
    command = [sys.executable, "-m", "lightgan", "fit", *QUIET, "--trainer.logger=false", *ARGS]
    run = subprocess.Popen(
        [*command, f"--trainer.max_steps={TOTAL}", "--trainer.default_root_dir=stopped"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    first = Path("stopped/checkpoints/epoch=1-step=20.ckpt")
    deadline = time.monotonic() + 120
    while not first.exists() and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert first.exists(), run.communicate()[0]
    time.sleep(0.5)  # into a later step, away from the checkpoint callbacks'
    run.send_signal(signum)
    output, _ = run.communicate(timeout=120)
    assert run.returncode == status, output
    saved = torch.load("stopped/checkpoints/last.ckpt", weights_only=True)
    stopped_at = saved["global_step"]
    assert 20 < stopped_at < TOTAL
    assert f"stopped by {signum.name} at generator step {stopped_at}; saved" in output and "--ckpt_path last" in output

    end = stopped_at + 5
    resumed = fit(*ARGS, f"--trainer.max_steps={end}", "--trainer.default_root_dir=stopped", "--ckpt_path=last")
    straight = fit(*ARGS, f"--trainer.max_steps={end}", "--trainer.default_root_dir=straight")
    assert resumed.trainer.global_step == end
    assert_same_weights(state_of(straight.model), state_of(resumed.model))
