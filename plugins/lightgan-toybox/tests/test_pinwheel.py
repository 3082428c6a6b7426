"""Pinwheel: the arms sit where the construction puts them, data is fixed by its seed, labels are linked."""

from __future__ import annotations

import math

import pytest
import torch
from lightgan.api import ConfigError, registry, run_lightning

from lightgan_toybox import Pinwheel

QUIET = [
    "--trainer.enable_progress_bar=false",
    "--trainer.enable_model_summary=false",
    "--trainer.accelerator=cpu",
    "--trainer.logger=false",
    "--trainer.limit_val_batches=0",
]


def points_of(data: Pinwheel) -> tuple[torch.Tensor, torch.Tensor | None]:
    data.setup("fit")
    return data.train_set.real, data.train_set.labels


def test_registered_as_a_datamodule() -> None:
    entry = registry.find("datamodule", "Pinwheel")
    assert entry.distribution == "lightgan-toybox"
    assert registry.load("datamodule", "Pinwheel") is Pinwheel


def test_points_follow_their_bent_arm() -> None:
    data = Pinwheel(num_arms=4, num_samples=4000, labelled=True, rate=0.25)
    points, arms = points_of(data)
    assert points.shape == (4000, 2) and data.data_shape == (2,) and data.num_classes == 4
    assert arms is not None and set(arms.tolist()) == {0, 1, 2, 3}
    radius = points.double().norm(dim=1)
    angle = torch.atan2(points[:, 1].double(), points[:, 0].double())
    # undo the bend: what remains is the arm's starting angle, up to the small tangential spread
    residual = angle - 0.25 * radius.exp() - data.arm_angles()[arms]
    residual = torch.remainder(residual + math.pi, 2 * math.pi) - math.pi
    assert residual.abs().median() < 0.05
    assert abs(radius.mean().item() - 1.0) < 0.05


def test_the_seed_fixes_the_data() -> None:
    a, _ = points_of(Pinwheel(num_samples=200, sample_seed=1))
    b, _ = points_of(Pinwheel(num_samples=200, sample_seed=1))
    c, _ = points_of(Pinwheel(num_samples=200, sample_seed=2))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_unlabelled_by_default() -> None:
    data = Pinwheel(num_samples=200)
    assert data.num_classes == 0
    assert points_of(data)[1] is None


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"num_arms": 0}, "num_arms"), ({"radial_std": 0.0}, "radial_std"), ({"num_samples": 10}, "batch size")],
)
def test_bad_arguments_name_the_key(kwargs: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        Pinwheel(**kwargs)


def test_cli_links_the_arms_into_a_model_as_classes() -> None:
    cli = run_lightning(
        [
            "fit",
            *QUIET,
            "--model=GAN",
            "--model.init_args.latent_dim=2",
            "--model.init_args.hidden_dims=[8]",
            "--data=Pinwheel",
            "--data.init_args.labelled=true",
            "--data.init_args.num_arms=3",
            "--data.init_args.num_samples=64",
            "--data.init_args.batch_size=32",
            "--trainer.max_steps=1",
            "--trainer.default_root_dir=run",
        ]
    )
    assert isinstance(cli.datamodule, Pinwheel)
    assert cli.model.num_classes == 3 and cli.model.data_shape == (2,)
    assert cli.trainer.global_step == 1
