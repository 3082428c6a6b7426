"""Disk cache of real-vs-real reference scores (train split against the evaluation split).

A reference score is the data's own floor: what FID, precision/recall or mode coverage read
when the "generated" set is real data. It costs a full feature extraction, so it is computed
once per (data, feature space, sample counts, metric settings) and kept as a small JSON file.
The data is identified by its content (a hash of evenly spaced samples and the split sizes),
so a changed dataset or preprocessing gets a new entry rather than a stale floor.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from lightgan.data.loader import BatchIndexable

CACHE_ENV = "LIGHTGAN_CACHE_DIR"
#: Bump when a metric's definition changes, so old floors are not reused.
REFERENCE_VERSION = 1


def default_cache_dir() -> Path:
    """``$LIGHTGAN_CACHE_DIR/reference`` or ``~/.cache/lightgan/reference``."""
    root = os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "lightgan"
    return Path(root) / "reference"


def dataset_fingerprint(dataset: BatchIndexable, probes: int = 64) -> str:
    """Hash of the split's size and of ``probes`` evenly spaced samples (and labels)."""
    digest = hashlib.sha256(str(len(dataset)).encode())
    index = torch.linspace(0, len(dataset) - 1, min(probes, len(dataset))).round().long().unique()
    for key, value in sorted(dataset[index].items()):
        digest.update(key.encode())
        digest.update(value.contiguous().cpu().numpy().tobytes())
    return digest.hexdigest()[:16]


def cache_key(parts: dict[str, Any]) -> str:
    text = json.dumps({"version": REFERENCE_VERSION, **parts}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def cached_reference(parts: dict[str, Any], compute: Callable[[], dict[str, Any]], cache_dir: Path) -> dict[str, Any]:
    """The cached entry for ``parts``, or ``compute()`` written to the cache first."""
    path = Path(cache_dir) / f"{cache_key(parts)}.json"
    if path.is_file():
        try:
            return json.loads(path.read_text())["reference"]
        except (json.JSONDecodeError, KeyError):
            pass  # a damaged entry is recomputed
    reference = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps({"key": parts, "reference": reference}, indent=2, default=str))
    partial.replace(path)
    return reference
