"""``--ckpt_path`` for lightgan's own commands, read the way ``lightgan fit`` reads it.

Every command that takes a checkpoint accepts a checkpoint file, a run folder
(``runs/gan_ring/version_3``: its newest ``last*.ckpt``), a folder of runs (``runs/gan_ring``:
the newest run's), or ``last`` (the newest of the ``--config``'s runs, as ``fit --ckpt_path
last`` resumes). ``--ckpt`` and ``--ckpt-path`` are aliases, kept for 0.1 command lines.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from lightgan.app.run_dir import checkpoint_candidates
from lightgan.errors import ConfigError

CHECKPOINT_HELP = (
    "a checkpoint file, a run folder (runs/NAME/version_N: its last checkpoint), a folder of runs (runs/NAME: the "
    "newest run's), or 'last' (the newest run of --config)"
)


def add_checkpoint_argument(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    parser.add_argument("--ckpt_path", "--ckpt-path", "--ckpt", dest="ckpt", required=required, help=CHECKPOINT_HELP)


def resolve_checkpoint(given: str | Path, configs: Sequence[str] | None = None) -> Path:
    """The checkpoint file that ``given`` names; a one-line error when it names none."""
    text = str(given)
    if text == "last":
        if not configs:
            raise ConfigError(
                "--ckpt_path last needs the run's config to find its runs: add --config configs/NAME.yaml, or pass "
                "a run folder such as runs/NAME."
            )
        folder = Path("runs") / Path(configs[-1]).stem
    else:
        folder = Path(text)
        if folder.is_file():
            return folder
        if not folder.is_dir():
            raise ConfigError(f"--ckpt_path {text} does not exist: give a checkpoint file or a run folder")
    candidates = checkpoint_candidates(folder)
    if not candidates:
        raise ConfigError(f"--ckpt_path {text}: no checkpoint under {folder} (looked in checkpoints/ and version_N/)")
    return candidates[0]
