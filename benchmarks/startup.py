"""Start-up time of the ``lightgan`` command, each measurement in a fresh process.

- ``lightgan --help`` and ``lightgan plugins``: wall time until the process exits.
- launch to first step: wall time from starting the process to the first training batch of a tiny
  ``lightgan fit`` (GAN on 320 ring points, no logger), against a bare script that builds the same
  model and data, hands them to a plain ``lightning.Trainer`` and runs the same step. Both print a
  timestamp at their first ``on_train_batch_start`` (``FirstStepClock``, given to ``fit`` by class
  path), so the work after the first step (checkpoint, sample picture) is left out of both.

The cases take turns (in a rotating order) for ``--repeats`` rounds after ``--warmup`` untimed ones,
so a change in machine load affects all of them alike. Prints the median of each and the median of the
per-round ratios fit / bare:

    python benchmarks/startup.py --repeats 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lightning as L

HERE = Path(__file__).resolve().parent
STAMP = "first-step-at"
TINY_FIT = [
    "--model=GAN",
    "--model.init_args.latent_dim=2",
    "--model.init_args.hidden_dims=[16, 16]",
    "--data=RingMixture",
    "--data.init_args.num_samples=320",
    "--data.init_args.val_samples=64",
    "--data.init_args.batch_size=32",
    "--trainer.max_steps=1",
    "--trainer.accelerator=cpu",
    "--trainer.logger=false",
    "--trainer.enable_progress_bar=false",
    "--trainer.enable_model_summary=false",
    "--trainer.num_sanity_val_steps=0",
    "--trainer.callbacks+=startup.FirstStepClock",
]


class FirstStepClock(L.Callback):
    """Prints the wall-clock time of the first training batch, for the parent process to read."""

    def __init__(self) -> None:
        self.printed = False

    def on_train_batch_start(self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Any, idx: int) -> None:
        if not self.printed:
            print(f"{STAMP} {time.time():.6f}", flush=True)
            self.printed = True


def bare_fit() -> None:
    """What ``TINY_FIT`` trains, written by hand: the model and data classes and a plain Trainer."""
    from lightgan.data.mixtures import RingMixture
    from lightgan.models.gan import GAN

    data = RingMixture(num_samples=320, val_samples=64, batch_size=32)
    model = GAN(hidden_dims=(16, 16), latent_dim=2, data_shape=data.data_shape)
    trainer = L.Trainer(
        accelerator="cpu",
        max_steps=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        callbacks=[FirstStepClock()],
    )
    trainer.fit(model, data)


def _lightgan() -> list[str]:
    script = Path(sys.executable).with_name("lightgan")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "lightgan"]


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(HERE)}  # FirstStepClock is imported as startup.FirstStepClock
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done


def _wall(command: list[str], cwd: Path) -> float:
    start = time.time()
    _run(command, cwd)
    return time.time() - start


def _to_first_step(command: list[str], cwd: Path) -> float:
    start = time.time()
    out = _run(command, cwd).stdout
    stamps = [float(line.split()[1]) for line in out.splitlines() if line.startswith(STAMP)]
    if not stamps:
        raise RuntimeError(f"{' '.join(command)} printed no {STAMP} line:\n{out[-3000:]}")
    return stamps[0] - start


def cases(cwd: Path) -> dict[str, Callable[[], float]]:
    """Name -> a measurement in seconds, each starting a fresh process."""
    lightgan = _lightgan()
    return {
        "lightgan --help": lambda: _wall([*lightgan, "--help"], cwd),
        "lightgan plugins": lambda: _wall([*lightgan, "plugins"], cwd),
        "fit: launch to first step": lambda: _to_first_step([*lightgan, "fit", *TINY_FIT], cwd),
        "bare script: launch to first step": lambda: _to_first_step([sys.executable, __file__, "--bare"], cwd),
    }


def measure(repeats: int, warmup: int) -> dict[str, list[float]]:
    """Every case once per round, the order rotating from round to round; warm-up rounds are not kept."""
    with tempfile.TemporaryDirectory() as folder:
        named = list(cases(Path(folder)).items())
        times: dict[str, list[float]] = {name: [] for name, _ in named}
        for round_ in range(warmup + repeats):
            shift = round_ % len(named)
            for name, case in named[shift:] + named[:shift]:
                seconds = case()
                if round_ >= warmup:
                    times[name].append(seconds)
    return times


def report(times: dict[str, list[float]]) -> str:
    rows = [f"{'case':<36} {'median s':>9}   all (s)"]
    for name, values in times.items():
        rows.append(f"{name:<36} {statistics.median(values):9.2f}   {' '.join(f'{v:.2f}' for v in values)}")
    fit, bare = times["fit: launch to first step"], times["bare script: launch to first step"]
    ratios = [f / b for f, b in zip(fit, bare, strict=True)]
    rows.append(f"launch to first step, fit / bare: {statistics.median(ratios):.2f}x (median of per-round ratios)")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5, help="timed rounds (each runs every case once)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds first (file cache, .pyc files)")
    parser.add_argument("--bare", action="store_true", help=argparse.SUPPRESS)  # the bare script's own process
    args = parser.parse_args()
    if args.bare:
        bare_fit()
        return
    print(report(measure(args.repeats, args.warmup)))


if __name__ == "__main__":
    main()
