"""Inception-v3 features from the weights torchmetrics uses (torch-fidelity's port of the TF graph).

Where the weights come from, in order: a file given explicitly (``inception:PATH``), the torch
hub cache (``$TORCH_HOME/hub/checkpoints``, where a first download lands), or a download when
GitHub answers within a few seconds. With none of these the user gets one line saying how to
provide the file or to choose domain features, instead of a long network timeout.
"""

from __future__ import annotations

import concurrent.futures
import socket
from pathlib import Path
from unittest.mock import patch

import torch
from torch import Tensor

from lightgan.core.safe_files import load_weights_only
from lightgan.errors import ConfigError
from lightgan.metrics.features import FeatureExtractor

WEIGHTS_URL = (
    "https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/weights-inception-2015-12-05-6726825d.pth"
)
WEIGHTS_HOST = ("github.com", 443)
PROBE_TIMEOUT_S = 3.0
POOL_FEATURES = 2048
LOGITS = 1008


def cached_weights_path() -> Path:
    """Where ``torch.hub`` keeps the downloaded weights (honours ``TORCH_HOME``)."""
    return Path(torch.hub.get_dir()) / "checkpoints" / WEIGHTS_URL.rsplit("/", 1)[-1]


def _connect(host: tuple[str, int], timeout: float) -> bool:
    try:
        with socket.create_connection(host, timeout=timeout):
            return True
    except OSError:
        return False


def weights_host_reachable(timeout: float = PROBE_TIMEOUT_S) -> bool:
    """True when the weights' host accepts a connection within ``timeout`` (DNS included)."""
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(_connect, WEIGHTS_HOST, timeout).result(timeout=timeout)
    except concurrent.futures.TimeoutError:
        return False
    finally:
        pool.shutdown(wait=False)


def resolve_weights(path: str | None) -> Path | None:
    """The weights file to load, or None when torch-fidelity may download it now."""
    if path:
        if not Path(path).is_file():
            raise ConfigError(
                f"Inception weights file {path} does not exist. Download {WEIGHTS_URL} there, "
                "or use domain features (domain:PATH from `lightgan train-classifier`)."
            )
        return Path(path)
    cached = cached_weights_path()
    if cached.is_file():
        return cached
    if weights_host_reachable():
        return None
    raise ConfigError(
        f"Inception weights are not available and {WEIGHTS_HOST[0]} cannot be reached: download {WEIGHTS_URL} "
        f"to {cached} (or anywhere, then use features inception:PATH), or use features from a classifier "
        "trained on your data (`lightgan train-classifier --config X.yaml --out classifier.pt`, then "
        "features domain:classifier.pt)."
    )


class InceptionFeatures(FeatureExtractor):
    """2048-d pool features and the 1008 unbiased logits (for IS) of Inception-v3, in one pass.

    Images go in as [-1, 1] floats and are quantised to uint8 as the reference implementation
    expects; grayscale images are repeated to three channels. Resizing to 299x299 happens inside
    (TF1-compatible bilinear, so scores match the published FID implementation).
    """

    def __init__(self, data_shape: tuple[int, ...], weights: str | None = None) -> None:
        super().__init__()
        if len(data_shape) != 3 or data_shape[0] not in (1, 3):
            raise ConfigError(
                f"Inception features need 1- or 3-channel images, but the data has shape {tuple(data_shape)}. "
                "Use features raw (low-dimensional data) or domain:PATH (a classifier trained on the data)."
            )
        from torch_fidelity import feature_extractor_inceptionv3 as inception_module

        self.weights = resolve_weights(weights)
        if self.weights is None:  # downloaded into torch's cache, then read like any other file
            self.weights = cached_weights_path()
            self.weights.parent.mkdir(parents=True, exist_ok=True)
            torch.hub.download_url_to_file(WEIGHTS_URL, str(self.weights))
        state = load_weights_only(self.weights, "Inception weights file")
        # torch-fidelity reads a weights file with full unpickling; it gets the tensors read here instead
        with patch.object(inception_module, "load_state_dict_from_url", lambda *args, **kwargs: state):
            self.net = inception_module.FeatureExtractorInceptionV3(
                "inception-v3-compat", [str(POOL_FEATURES), "logits_unbiased"]
            )
        self.num_features, self.num_logits = POOL_FEATURES, LOGITS

    def describe(self) -> str:
        return f"inception-v3 pool ({POOL_FEATURES}-d, weights {self.weights.name})"

    def fingerprint(self) -> str:
        size = self.weights.stat().st_size if self.weights.is_file() else 0
        return f"inception:{self.weights.name}:{size}"

    def train(self, mode: bool = True) -> InceptionFeatures:
        return super().train(False)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor | None]:
        images = ((x.float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
        if images.shape[1] == 1:
            images = images.expand(-1, 3, -1, -1)
        features, logits = self.net(images)
        return features, logits
