"""Reading checkpoints: bring older lightgan versions' checkpoints up to date, and load the variant that wrote one.

A checkpoint holds, besides Lightning's own state, lightgan's entry (``CHECKPOINT_KEY``): the
variant's class path, the lightgan version, the training-noise state and the structure changes
that tricks made to the networks. ``migrate_checkpoint`` rewrites a 0.1 checkpoint in place so
that 0.2 reads it as 0.1 meant it; it runs on every load (``sample``, ``evaluate``, resume), as does
``settle_epoch_progress``, which makes a resume at an epoch's end continue as an unbroken run would.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from lightgan.compat import new_path
from lightgan.core.safe_files import check_named_classes, import_named, load_weights_only
from lightgan.errors import ConfigError

if TYPE_CHECKING:
    from lightgan.core.module import GANModule

CHECKPOINT_KEY = "lightgan"
#: What 0.1's SNGAN applied in ``__init__`` and 0.2's applies through the SpectralNorm trick.
_SPECTRAL_NORM = "lightgan.tricks.spectral_norm.spectral_norm_networks"


def _version(checkpoint: dict[str, Any]) -> tuple[int, ...]:
    text = str((checkpoint.get(CHECKPOINT_KEY) or {}).get("version", "0.1.0"))
    return tuple(int(part) for part in text.split(".")[:3] if part.isdigit())


def migrate_checkpoint(checkpoint: dict[str, Any], cls: type[GANModule]) -> None:
    """Rewrite a checkpoint of lightgan 0.1 in place into what 0.2 writes (idempotent).

    - 0.1 took one Lightning step per data batch; 0.2 one per generator step (``n_critic``
      batches). The fit loop's batch counters are divided by ``n_critic``; the loader's own
      position is kept in data batches and needs no change.
    - Functions recorded as structure changes are named by their 0.2 module paths.
    - 0.1's SNGAN applied spectral norm in ``__init__`` without recording it; 0.2 records it.
    - Variants that fix their loss no longer keep ``loss`` among their hyperparameters.
    """
    info = checkpoint.get(CHECKPOINT_KEY)
    if not info or _version(checkpoint) >= (0, 2):
        return
    hparams = checkpoint.get("hyper_parameters") or {}
    n_critic = int(hparams.get("n_critic", 1))
    progress = (checkpoint.get("loops") or {}).get("fit_loop", {}).get("epoch_loop.batch_progress")
    if progress and n_critic > 1:
        for counters in (progress["current"], progress["total"]):
            for key, value in counters.items():
                counters[key] = value // n_critic
    changes = info.setdefault("structure_changes", [])
    for change in changes:
        change["function"] = new_path(change["function"])
    weights = checkpoint.get("state_dict", {})
    normalised = any(k.startswith("discriminator.") and ".parametrizations." in k for k in weights)
    if normalised and not any(change["function"] == _SPECTRAL_NORM for change in changes):
        kwargs = {"networks": ["discriminator"], "n_power_iterations": int(hparams.get("n_power_iterations", 1))}
        changes.insert(0, {"function": _SPECTRAL_NORM, "kwargs": kwargs})
    if getattr(cls, "fixed_loss", False):
        hparams.pop("loss", None)
    info.pop("critic_steps", None)
    info["version"] = "0.2.0"


def settle_epoch_progress(checkpoint: dict[str, Any]) -> None:
    """Record in the fit loop's state where the data stood when the checkpoint was written (in place, idempotent).

    A checkpoint written while an epoch's end hooks run (``max_steps`` stops the loop; every
    ``ModelCheckpoint`` without validation saves then) records that epoch as processed but not completed,
    which Lightning resumes wrongly for lightgan's loader, whose position is in the checkpoint too:

    - stopped inside the epoch: Lightning began a new epoch (or, at ``max_epochs``, stopped at once) while
      the loader went on with the stopped epoch's batches. Recorded as unprocessed, the epoch is finished.
    - stopped at its last batch: Lightning fetched one more batch into the finished epoch, a step the
      unbroken run never took, and the next epoch began with the loader an epoch ahead. Recorded as
      completed, with no batch of the next epoch taken, the next epoch begins as in the unbroken run.
    """
    fit_loop = (checkpoint.get("loops") or {}).get("fit_loop") or {}
    epochs, batches = fit_loop.get("epoch_progress"), fit_loop.get("epoch_loop.batch_progress")
    if epochs is None or batches is None:
        return
    counts = (epochs["total"], epochs["current"])
    if not all(c["processed"] == c["started"] > c["completed"] for c in counts):
        return
    if not batches.get("is_last_batch"):
        for c in counts:
            c["processed"] -= 1
        return
    for c in counts:
        c["completed"] = c["processed"]
    batches["current"] = dict.fromkeys(batches["current"], 0)
    batches["is_last_batch"] = False


def load_gan(path: str | Path, map_location: str | torch.device = "cpu") -> GANModule:
    """Rebuild the concrete variant recorded in the checkpoint and load its weights.

    The file is read weights-only, and the classes and functions it names are imported only from
    lightgan and its plugins (``lightgan.core.safe_files``): loading a checkpoint runs no code from it.
    """
    from lightning.pytorch.core.saving import _load_state  # Lightning's loader, given the dict we migrated

    from lightgan.core.module import GANModule

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"Checkpoint {path} does not exist. Runs keep theirs in runs/<name>/version_N/checkpoints/.")
    checkpoint = load_weights_only(path, mmap=True)
    info = checkpoint.get(CHECKPOINT_KEY) if isinstance(checkpoint, dict) else None
    if not info:
        raise ConfigError(f"{path} was not written by a lightgan model (no 'lightgan' entry in the checkpoint).")
    cls = import_named(new_path(str(info["class_path"])), "model class", path)
    if not (isinstance(cls, type) and issubclass(cls, GANModule)):
        raise ConfigError(f"{path} names {info['class_path']}, which is not a lightgan model.")
    migrate_checkpoint(checkpoint, cls)
    check_named_classes(checkpoint.get("hyper_parameters") or {}, path)
    model = _load_state(cls, checkpoint)
    return model.to(map_location)
