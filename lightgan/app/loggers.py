"""Experiment tracking: a W&B logger that never prompts or hangs.

``wandb.init`` prompts for a key when none is set and, with a key but no network, waits about
100 s before failing. ``WandbAutoModeLogger`` decides up front: online when a key exists and
the server answers within ``probe_timeout`` seconds, offline otherwise (``WANDB_MODE`` wins).
Offline runs are written under the run directory and can be uploaded later with ``wandb sync``.
``wandb_labels`` names a run in W&B after its config, variant, dataset and tricks.
"""

from __future__ import annotations

import netrc
import os
import socket
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

from lightning.pytorch.loggers import WandbLogger
from lightning.pytorch.utilities import rank_zero_info

WandbMode = Literal["auto", "online", "offline", "disabled"]
_DEFAULT_HOST = "https://api.wandb.ai"


def _wandb_host() -> tuple[str, int]:
    url = urlparse(os.environ.get("WANDB_BASE_URL", _DEFAULT_HOST))
    return url.hostname or "api.wandb.ai", url.port or (443 if url.scheme == "https" else 80)


def has_wandb_key() -> bool:
    """A key in ``WANDB_API_KEY`` or in the netrc file that ``wandb login`` writes."""
    if os.environ.get("WANDB_API_KEY"):
        return True
    try:
        path = os.environ.get("NETRC", os.path.expanduser("~/.netrc"))
        return netrc.netrc(path).authenticators(_wandb_host()[0]) is not None
    except (OSError, netrc.NetrcParseError):
        return False


def wandb_reachable(timeout: float) -> bool:
    host, port = _wandb_host()
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def resolve_wandb_mode(mode: WandbMode, probe_timeout: float) -> tuple[str, str]:
    """The mode to pass to ``wandb.init`` and why it was chosen."""
    if mode != "auto":
        return mode, f"mode={mode} was requested"
    env_mode = os.environ.get("WANDB_MODE")
    if env_mode:
        return ("offline" if env_mode == "dryrun" else env_mode), f"WANDB_MODE={env_mode}"
    if not has_wandb_key():
        return "offline", "no W&B API key (set WANDB_API_KEY or run `wandb login` to log online)"
    if not wandb_reachable(probe_timeout):
        host, _ = _wandb_host()
        return "offline", f"{host} did not answer within {probe_timeout:g} s"
    return "online", "API key found and server reachable"


def _class_name(component: Any) -> str | None:
    path = component.get("class_path") if hasattr(component, "get") else None
    return str(path).rsplit(".", 1)[-1] if path else None


def wandb_labels(run_dir: Path, components: Iterable[Any]) -> dict[str, Any]:
    """The project, name, group and tags of a run whose config sets none: the runs of one config side by
    side in one group, filterable by what they trained.

    Args:
        run_dir: the run's folder, ``runs/<config name>/version_N``: the config name is the group.
        components: the config's model, datamodule and callbacks (entries with a ``class_path``); their
            class names (variant, dataset, tricks) are the tags.
    """
    tags = [name for name in map(_class_name, components) if name]
    return {
        "project": "lightgan",
        "name": f"{run_dir.parent.name}/{run_dir.name}",
        "group": run_dir.parent.name,
        "tags": list(dict.fromkeys(tags)),
    }


class WandbAutoModeLogger(WandbLogger):
    """Lightning's ``WandbLogger`` with ``mode`` chosen so that a run never blocks on W&B.

    ``log_model`` (``True``: the checkpoints at the end, ``"all"``: each as it is written) works offline
    too: the offline run records each checkpoint as a ``model`` artifact and wandb keeps a copy of the
    file in its staging folder (``$WANDB_DATA_DIR``, default ``~/.local/share/wandb``) until ``wandb sync``
    uploads it.

    Args:
        mode: ``auto`` (online if possible, else offline), or a fixed ``online``/``offline``/``disabled``.
        probe_timeout: seconds to wait for the W&B server before choosing offline.
        **kwargs: everything ``WandbLogger`` takes (project, name, save_dir, tags, ...).
    """

    def __init__(self, mode: WandbMode = "auto", probe_timeout: float = 3.0, **kwargs: Any) -> None:
        if kwargs.pop("offline", False) and mode == "auto":  # WandbLogger's own switch, kept out of its hands
            mode = "offline"  # (WandbLogger(offline=True) rewrites WANDB_MODE for the whole process)
        resolved, reason = resolve_wandb_mode(mode, probe_timeout)
        save_dir = kwargs.get("save_dir") or kwargs.get("dir")
        if save_dir:
            # wandb looks for the git repository (to record the commit) from this folder
            Path(save_dir).mkdir(parents=True, exist_ok=True)
        super().__init__(mode=resolved, **kwargs)
        if resolved == "disabled":
            self._log_model = False  # a disabled run never uploads: its checkpoint copies would pile up unsynced
        if self._wandb_init.get("anonymous") is None:
            self._wandb_init.pop("anonymous", None)  # wandb warns about the setting even when it is None
        self.mode = resolved
        self._finished = False
        rank_zero_info(f"lightgan: W&B logging {resolved} ({reason}).")

    def finalize(self, status: str) -> None:
        super().finalize(status)
        if self._experiment is None or self._finished:
            return
        self._experiment.finish(exit_code=0 if status == "success" else 1)
        self._finished = True
