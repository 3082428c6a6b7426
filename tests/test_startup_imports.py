"""What the ``lightgan`` command imports before it does anything: the heavy packages only where a command runs them.

torch and Lightning (which brings torchmetrics, torchvision and matplotlib) take seconds to import; W&B
takes another. ``lightgan --help`` and ``lightgan plugins`` need none of them, a run that logs elsewhere
needs no W&B. Each check runs in a fresh interpreter, since this one has imported everything already.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lightgan.app.cli import _chooses_logger

HEAVY = ("torch", "lightning", "torchmetrics", "torchvision", "matplotlib", "wandb", "jsonargparse")


def imported_after(code: str) -> tuple[list[str], str]:
    """Which of ``HEAVY`` a fresh interpreter has imported after running ``code``, and what it printed."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    *printed, last = done.stdout.splitlines()
    return json.loads(last), "\n".join(printed)


def test_importing_the_command_imports_nothing_heavy() -> None:
    assert imported_after("import lightgan.app.cli")[0] == []


def test_help_imports_nothing_heavy() -> None:
    imported, out = imported_after("from lightgan.app.cli import main\nassert main(['--help']) == 0")
    assert imported == []
    assert "fit" in out and "plugins" in out


def test_plugins_lists_from_metadata_without_importing_entries() -> None:
    imported, out = imported_after("from lightgan.app.cli import main\nassert main(['plugins', '--plain']) == 0")
    assert imported == []
    assert any(line.split()[:2] == ["model", "DCGAN"] for line in out.splitlines())


def test_a_run_without_wandb_does_not_import_it() -> None:
    code = (
        "from lightgan.app.cli import main\n"
        "try:\n"
        "    main(['fit', '--model=GAN', '--data=RingMixture', '--trainer.logger=false', '--print_config'])\n"
        "except SystemExit:\n"
        "    pass"
    )
    imported, out = imported_after(code)
    assert "lightning" in imported and "wandb" not in imported
    assert "logger: false" in out


@pytest.mark.parametrize(
    ("argv", "config", "chooses"),
    [
        (["--trainer.logger=false"], None, True),
        (["--trainer.logger", "CSVLogger", "--trainer.logger.save_dir=x"], None, True),
        (["--trainer.logger.init_args.tags=[mine]"], None, False),  # adds to the W&B default
        (["--trainer.logger+=CSVLogger"], None, False),  # appends to it
        ([], "trainer:\n  logger: false\n", True),
        ([], "trainer:\n  logger:\n    class_path: CSVLogger\n", True),
        ([], "trainer:\n  logger:\n    init_args:\n      project: mine\n", False),
        ([], "trainer:\n  max_steps: 3\n", False),
    ],
)
def test_the_wandb_default_stays_unless_a_logger_is_chosen_whole(
    argv: list[str], config: str | None, chooses: bool, tmp_path: Path
) -> None:
    if config is not None:
        path = tmp_path / "run.yaml"
        path.write_text(config)
        argv = [*argv, "--config", str(path)]
    assert _chooses_logger(["fit", *argv]) is chooses
