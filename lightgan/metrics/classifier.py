"""A small classifier trained on the dataset itself, for "domain" features and class coverage.

ImageNet features describe MNIST digits or chest X-rays poorly; a classifier trained on the
data knows which differences matter there. Its penultimate layer (``features``) is the feature
space for FID/KID/precision-recall, its logits (``head``) give IS and the class histograms of
generated samples. Saved files hold the weights and everything needed to rebuild the network.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm.auto import tqdm

from lightgan.core.safe_files import load_weights_only
from lightgan.data.base import GANDataModule
from lightgan.errors import ConfigError

FILE_FORMAT = "lightgan-classifier/1"


class DomainClassifier(nn.Module):
    """Conv net for images, MLP for vectors; ``features`` -> ``feature_dim``, ``head`` -> class logits."""

    def __init__(self, data_shape: tuple[int, ...], num_classes: int, width: int = 32, feature_dim: int = 128) -> None:
        super().__init__()
        self.data_shape, self.num_classes = tuple(data_shape), num_classes
        self.width, self.feature_dim = width, feature_dim
        if len(self.data_shape) == 3:
            channels = self.data_shape[0]
            trunk: list[nn.Module] = [
                nn.Conv2d(channels, width, 3, 1, 1),
                nn.BatchNorm2d(width),
                nn.ReLU(inplace=True),
                nn.Conv2d(width, 2 * width, 4, 2, 1),
                nn.BatchNorm2d(2 * width),
                nn.ReLU(inplace=True),
                nn.Conv2d(2 * width, 4 * width, 4, 2, 1),
                nn.BatchNorm2d(4 * width),
                nn.ReLU(inplace=True),
                nn.AdaptiveAvgPool2d(4),
                nn.Flatten(),
                nn.Linear(4 * width * 16, feature_dim),
            ]
        else:
            trunk = [nn.Flatten(), nn.Linear(math.prod(self.data_shape), 4 * width), nn.ReLU(inplace=True)]
            trunk.append(nn.Linear(4 * width, feature_dim))
        self.features = nn.Sequential(*trunk, nn.ReLU(inplace=True))
        self.head = nn.Linear(feature_dim, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))


def _split_tensors(datamodule: GANDataModule, split: str) -> tuple[Tensor, Tensor]:
    """All samples (as stored, e.g. uint8) and labels of one split, in memory."""
    dataset = getattr(datamodule, f"{split}_set", None)
    if dataset is None:
        raise ConfigError(f"{type(datamodule).__name__} has no {split} split to train or test a classifier on.")
    batch = dataset[torch.arange(len(dataset))]
    if "label" not in batch:
        raise ConfigError(
            f"{type(datamodule).__name__} has no labels: a domain classifier needs a labelled dataset "
            "(MNIST, FashionMNIST, CIFAR10, ...). For 2-D mixtures use features raw and the modes metric."
        )
    return batch["real"], batch["label"]


def _data_space(datamodule: GANDataModule, x: Tensor, device: str | torch.device) -> Tensor:
    """Stored samples -> what models see (uint8 images become [-1, 1] floats)."""
    return datamodule.on_after_batch_transfer({"real": x.to(device)}, 0)["real"]


@torch.no_grad()
def accuracy(
    classifier: DomainClassifier, datamodule: GANDataModule, x: Tensor, y: Tensor, batch_size: int = 500
) -> float:
    classifier.eval()
    device = next(classifier.parameters()).device
    correct = sum(
        int((classifier(_data_space(datamodule, xb, device)).argmax(1).cpu() == yb).sum())
        for xb, yb in zip(x.split(batch_size), y.split(batch_size), strict=True)
    )
    return correct / max(1, len(y))


def train_classifier(
    datamodule: GANDataModule,
    epochs: int = 5,
    lr: float = 1e-3,
    batch_size: int = 128,
    width: int = 32,
    feature_dim: int = 128,
    device: str = "cpu",
    seed: int = 0,
    progress: bool = True,
) -> tuple[DomainClassifier, float]:
    """Train on the train split with Adam and cross-entropy; returns the net and its validation accuracy."""
    if datamodule.num_classes < 2:
        raise ConfigError(
            f"{type(datamodule).__name__} declares {datamodule.num_classes} classes; a domain classifier needs a "
            "labelled dataset with at least two (MNIST, FashionMNIST, CIFAR10, ...)."
        )
    datamodule.setup("fit")
    x_train, y_train = _split_tensors(datamodule, "train")
    x_val, y_val = _split_tensors(datamodule, "val")
    torch.manual_seed(seed)
    classifier = DomainClassifier(datamodule.data_shape, datamodule.num_classes, width, feature_dim).to(device)
    optimizer = torch.optim.Adam(classifier.parameters(), lr=lr)
    rng = torch.Generator().manual_seed(seed)
    steps = epochs * math.ceil(len(x_train) / batch_size)
    with tqdm(total=steps, desc="train-classifier", unit="batch", disable=not progress, dynamic_ncols=True) as bar:
        for _ in range(epochs):
            classifier.train()
            for index in torch.randperm(len(x_train), generator=rng).split(batch_size):
                logits = classifier(_data_space(datamodule, x_train[index], device))
                loss = F.cross_entropy(logits, y_train[index].to(device))
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                bar.update(1)
                bar.set_postfix(loss=f"{loss.item():.3f}")
    return classifier.eval(), accuracy(classifier, datamodule, x_val, y_val)


def save_classifier(classifier: DomainClassifier, path: str | Path, **info: Any) -> Path:
    """Write weights plus the constructor arguments and ``info`` (data, accuracy) to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(
        {
            "format": FILE_FORMAT,
            "data_shape": list(classifier.data_shape),
            "num_classes": classifier.num_classes,
            "width": classifier.width,
            "feature_dim": classifier.feature_dim,
            "state_dict": {k: v.cpu() for k, v in classifier.state_dict().items()},
            "info": info,
        },
        path,
    )
    return path


def load_classifier(path: str | Path) -> tuple[DomainClassifier, dict[str, Any]]:
    """Rebuild a classifier written by :func:`save_classifier`; returns it (eval mode) and its info."""
    path = Path(path)
    saved = load_weights_only(path, "classifier file")
    if not isinstance(saved, dict) or saved.get("format") != FILE_FORMAT:
        raise ConfigError(f"{path} is not a classifier file written by `lightgan train-classifier`.")
    shape, classes = tuple(saved["data_shape"]), saved["num_classes"]
    classifier = DomainClassifier(shape, classes, saved["width"], saved["feature_dim"])
    classifier.load_state_dict(saved["state_dict"])
    return classifier.eval(), dict(saved.get("info", {}))
