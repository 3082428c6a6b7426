"""D as a feature extractor: a linear probe on the discriminator's penultimate features of labelled real data.

A discriminator learns features of the data while it learns to tell real from fake (DCGAN used
them for classification). How much it learned shows as the held-out accuracy of a linear
classifier on those features, set against the same probe on a randomly initialised D of the
same architecture: random convolutional features alone already separate many classes, so only
the gap is what training added.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from lightgan.core.module import GANModule, eval_mode
from lightgan.data.base import GANDataModule
from lightgan.errors import ConfigError
from lightgan.metrics.sources import chunks, subset_indices
from lightgan.tricks.spectral_norm import role_networks


def feature_problem(model: GANModule) -> str | None:
    """Why D's penultimate features cannot be read from ``model``; None when they can."""
    name = type(model).__name__
    discriminator = getattr(model, "discriminator", None)
    if not model.adversarial or not isinstance(getattr(discriminator, "features", None), nn.Module):
        return f"{name} has no discriminator with a `features` block"
    if model.pack != 1:
        return f"{name}'s D judges packs of {model.pack} samples, not one sample's features"
    return None


def check_probed_model(model: GANModule) -> None:
    """A model whose D sees only the image, one sample at a time, and has penultimate features; else a ConfigError."""
    name = type(model).__name__
    if model.conditional or model.input_conditions:
        given = "the class" if model.conditional else ", ".join(model.input_conditions)
        raise ConfigError(
            f"{name}'s D is given {given} with each image: a probe of its features would read what it was told. "
            "Probe an unconditional model."
        )
    problem = feature_problem(model)
    if problem is not None:
        raise ConfigError(f"{problem}: there are no features to probe.")


def discriminator_features(model: GANModule, x: Tensor, labels: Tensor | None = None) -> Tensor:
    """(N, F): the output of ``discriminator.features`` while the model judges ``x``, flattened.

    Read through the model's own ``discriminate``, so D sees ``x`` as it does in training (with
    its labels, or BiGAN's E(x)); differentiable, for projection's feature loss.
    """
    problem = feature_problem(model)
    if problem is not None:
        raise ConfigError(f"{problem}: its features cannot be read.")
    captured: list[Tensor] = []
    handle = model.discriminator.features.register_forward_hook(lambda module, args, out: captured.append(out))
    try:
        model.discriminate(x, labels)
    finally:
        handle.remove()
    return captured[-1].clone().flatten(1)  # clone: an in-place layer after it must not change it


@torch.no_grad()
def extract_features(model: GANModule, images: Tensor, batch_size: int = 256) -> Tensor:
    """D's penultimate features of ``images`` (on the CPU), D in eval mode, ``batch_size`` at a time."""
    parts, start = [], 0
    with eval_mode(role_networks(model, "discriminator")):
        for size in chunks(len(images), batch_size):
            batch = images[start : start + size].to(model.device)
            parts.append(discriminator_features(model, batch).float().cpu())
            start += size
    return torch.cat(parts)


def random_counterpart(model: GANModule, seed: int) -> GANModule:
    """A model of the same variant and hyperparameters, freshly initialised from ``seed``: its D is the untrained
    D of the same architecture (structure changes such as spectral norm are made again)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        fresh = type(model)(**model.hparams)
        for change in model.structure_changes:  # recorded by change_structure, as checkpoints replay them
            fresh.change_structure(change["function"], **change["kwargs"])
    return fresh.to(model.device)


class LinearProbe(nn.Module):
    """Logistic regression on standardised features (the mean and spread of the training features)."""

    def __init__(self, features: Tensor, num_classes: int) -> None:
        super().__init__()
        self.register_buffer("mean", features.mean(dim=0))
        self.register_buffer("scale", features.std(dim=0).clamp_min(1e-6))
        self.linear = nn.Linear(features.shape[1], num_classes)
        nn.init.zeros_(self.linear.weight)
        nn.init.zeros_(self.linear.bias)

    def forward(self, features: Tensor) -> Tensor:
        return self.linear((features - self.mean) / self.scale)


def fit_linear_probe(
    features: Tensor, labels: Tensor, num_classes: int, steps: int = 100, weight_decay: float = 1e-3
) -> LinearProbe:
    """Cross-entropy plus ``weight_decay`` x ||W||^2 minimised by full-batch L-BFGS (``steps`` iterations)."""
    probe = LinearProbe(features, num_classes)
    optimizer = torch.optim.LBFGS(probe.parameters(), max_iter=steps, line_search_fn="strong_wolfe")

    def objective() -> Tensor:
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(probe(features), labels)
        loss = loss + weight_decay * probe.linear.weight.square().sum()
        loss.backward()
        return loss

    optimizer.step(objective)
    return probe.requires_grad_(False)


@torch.no_grad()
def accuracy(probe: LinearProbe, features: Tensor, labels: Tensor) -> float:
    return float((probe(features).argmax(dim=1) == labels).float().mean())


@dataclass
class ProbeResult:
    """Accuracies of one probe, and what it was fitted on."""

    accuracy: float  # on the held-out features
    train_accuracy: float
    num_features: int
    n_train: int
    n_test: int


def linear_probe(
    train: tuple[Tensor, Tensor],
    test: tuple[Tensor, Tensor],
    num_classes: int,
    steps: int = 100,
    weight_decay: float = 1e-3,
) -> ProbeResult:
    """Fit on ``train`` (features, labels), score on ``test``."""
    (train_x, train_y), (test_x, test_y) = train, test
    probe = fit_linear_probe(train_x, train_y, num_classes, steps, weight_decay)
    return ProbeResult(
        accuracy=accuracy(probe, test_x, test_y),
        train_accuracy=accuracy(probe, train_x, train_y),
        num_features=train_x.shape[1],
        n_train=len(train_x),
        n_test=len(test_x),
    )


def labelled_images(datamodule: GANDataModule, split: str, n: int, seed: int) -> tuple[Tensor, Tensor]:
    """``n`` samples of ``split`` (``train``, ``val`` or ``test``) chosen with ``seed``, in data space, and their
    labels; a ConfigError for data without labels."""
    name = type(datamodule).__name__
    dataset = getattr(datamodule, f"{split}_set", None)
    if dataset is None:
        datamodule.setup("test" if split == "test" else "fit")
        dataset = getattr(datamodule, f"{split}_set", None)
    if dataset is None:
        raise ConfigError(f"{name} has no {split} split.")
    batch = datamodule.on_after_batch_transfer(dataset[subset_indices(len(dataset), n, seed)], 0)
    if not datamodule.num_classes or "label" not in batch:
        raise ConfigError(f"{name} is unlabelled: a probe needs classes to predict. Use labelled data (FashionMNIST).")
    return batch["real"].cpu(), batch["label"].long().cpu()
