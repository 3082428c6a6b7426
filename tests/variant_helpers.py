"""Tiny image settings shared by the variant tests: 16x16 fabricated digits, 4-channel networks."""

from __future__ import annotations

from pathlib import Path

import torch

from lightgan.data import MNIST


def tiny_images(root: Path, *, data: str = "MNIST", latent_dim: int = 8) -> list[str]:
    return [
        f"--data={data}",
        f"--data.init_args.root={root}",
        "--data.init_args.image_size=16",
        "--data.init_args.batch_size=16",
        "--model.init_args.base_channels=4",
        f"--model.init_args.latent_dim={latent_dim}",
    ]


class UnlabelledDigits(MNIST):
    """The fabricated digits presented without labels, like an image folder with no classes."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.num_classes = 0


def image_batch(n: int = 6, num_classes: int = 3, seed: int = 0) -> dict[str, torch.Tensor]:
    """A batch as the datamodule delivers it: 16x16 images in [-1, 1] and class labels."""
    rng = torch.Generator().manual_seed(seed)
    return {
        "real": torch.rand(n, 1, 16, 16, generator=rng) * 2 - 1,
        "label": torch.randint(0, num_classes, (n,), generator=rng),
    }
