"""Where a run writes: ``runs/<name>/version_N`` with checkpoints/, samples/, wandb/, config.yaml.

A fixed layout is what lets ``--ckpt_path last`` find the previous run's last checkpoint: the
default Lightning checkpoint folder depends on the logger's run id, which is new every run.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

#: Handed from the launching process to DDP worker processes, which re-run the same command.
RUN_DIR_ENV = "LIGHTGAN_RUN_DIR"
_VERSION = re.compile(r"^version_(\d+)$")
#: The file that marks a folder as claimed by a run (see ``claim_run_dir``).
RUN_MARKER = ".lightgan-run"


def run_versions(base: Path) -> list[tuple[int, Path]]:
    if not base.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in base.iterdir() if p.is_dir() and (m := _VERSION.match(p.name))]
    return sorted(found)


def launcher_rank() -> int:
    """This process's global rank when a launcher (torchrun, srun, mpirun) started every process."""
    for name in ("RANK", "SLURM_PROCID", "OMPI_COMM_WORLD_RANK", "PMI_RANK"):
        if os.environ.get(name, "").isdigit():
            return int(os.environ[name])
    return 0


def next_version_dir(base: Path) -> Path:
    """Claims ``base/version_N`` for a new run by creating it, so runs started together get different ones.

    Processes of one run that a launcher started besides rank 0 claim nothing: only rank 0
    writes, and Lightning sends its checkpoint folder to the others.
    """
    versions = run_versions(base)
    number = versions[-1][0] + 1 if versions else 0
    if launcher_rank() != 0:
        return base / f"version_{number}"
    base.mkdir(parents=True, exist_ok=True)
    while True:
        try:
            (base / f"version_{number}").mkdir()
            return base / f"version_{number}"
        except FileExistsError:
            number += 1


def claim_run_dir(folder: Path) -> Path:
    """Claims a folder given as ``trainer.default_root_dir`` for a new run, atomically, so that two runs given
    the same folder, or a new run given a finished run's folder, cannot overwrite each other's files."""
    from lightgan.errors import ConfigError

    folder.mkdir(parents=True, exist_ok=True)
    try:
        if (folder / "config.yaml").exists():
            raise FileExistsError
        os.close(os.open(folder / RUN_MARKER, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        raise ConfigError(
            f"trainer.default_root_dir {folder} already holds a run: continue it with --ckpt_path last, or give "
            "this run a folder of its own (without default_root_dir each run gets runs/<config>/version_N)."
        ) from None
    return folder


def _newest_last_checkpoint(checkpoints: Path) -> Path | None:
    # last.ckpt, or last-v1.ckpt etc. when Lightning found last.ckpt belonging to an earlier state
    found = [path for path in checkpoints.glob("last*.ckpt") if path.is_file()]
    return max(found, key=lambda path: path.stat().st_mtime_ns) if found else None


def find_last_checkpoint(base: Path) -> Path | None:
    """The newest ``last*.ckpt`` in ``base/checkpoints``, else in the newest ``base/version_N`` that has one."""
    direct = _newest_last_checkpoint(base / "checkpoints")
    if direct is not None:
        return direct
    for _, version_dir in reversed(run_versions(base)):
        candidate = _newest_last_checkpoint(version_dir / "checkpoints")
        if candidate is not None:
            return candidate
    return None


def checkpoint_candidates(base: Path) -> list[Path]:
    """The checkpoints ``--ckpt_path last`` may resume from, best first: those of the run that holds the
    newest ``last*.ckpt`` (or of the newest run that has any), newest first, ``last*`` first among equals."""
    last = find_last_checkpoint(base)
    if last is not None:
        folder = last.parent
    else:
        folders = [base / "checkpoints", *(v / "checkpoints" for _, v in reversed(run_versions(base)))]
        folder = next((f for f in folders if any(f.glob("*.ckpt"))), None)
        if folder is None:
            return []
    found = [path for path in folder.glob("*.ckpt") if path.is_file()]
    return sorted(found, key=lambda path: (path.stat().st_mtime_ns, path.name.startswith("last")), reverse=True)


def requeued_run_dir(base: Path) -> Path | None:
    """In a SLURM job that was requeued, the newest ``base/version_N`` holding Lightning's ``hpc_ckpt_*.ckpt``.

    Lightning saves that checkpoint when SLURM signals the end of the time limit and resumes from
    it in the requeued job, but only if the job writes into the same folder again.
    """
    if os.environ.get("SLURM_RESTART_COUNT", "0") in ("", "0"):
        return None
    for _, version_dir in reversed(run_versions(base)):
        if any(version_dir.glob("hpc_ckpt_*.ckpt")):
            return version_dir
    return None


def previous_wandb_run_id(run_dir: Path) -> str | None:
    """The id of the newest W&B run in ``run_dir/wandb``, so a resumed run continues it.

    The id is read from the ``run-<id>.wandb`` file inside each ``[offline-]run-<time>-<id>[-N]``
    folder, not parsed from the folder name: W&B appends ``-N`` when two runs start in the same
    second, and ids may contain dashes themselves.
    """
    runs = []
    for record in (run_dir / "wandb").glob("*run-*-*/run-*.wandb"):
        started = record.parent.name.split("run-", 1)[1].split("-", 1)[0]
        runs.append((started, record.stat().st_mtime_ns, record.stem.removeprefix("run-")))
    return max(runs)[2] if runs else None


def run_dir_of_checkpoint(ckpt: Path) -> Path | None:
    return ckpt.parent.parent if ckpt.parent.name == "checkpoints" else None


def inherited_run_dir() -> Path | None:
    """The run directory chosen by the launching process, in a DDP worker process."""
    if os.environ.get("LOCAL_RANK", "0") != "0" and os.environ.get(RUN_DIR_ENV):
        return Path(os.environ[RUN_DIR_ENV])
    return None
