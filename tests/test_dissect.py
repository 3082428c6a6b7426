"""GAN dissection: IoU by hand, thresholds, the hooked layer (also in the EMA copy), a generator whose units are
known, and ``lightgan dissect`` on a checkpoint trained through the CLI."""

from __future__ import annotations

import copy
import csv
import json
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import fit
from PIL import Image
from torch import Tensor, nn

from lightgan.app.cli import main
from lightgan.core.module import GANModule
from lightgan.errors import ConfigError
from lightgan.inspection.concepts import ColourBins
from lightgan.inspection.dissection import (
    check_image_generator,
    concept_iou,
    dissect,
    layer_modules,
    record,
    unit_thresholds,
)
from lightgan.models import DCGAN, GAN

RED, GREEN, BLUE = (1.0, -1.0, -1.0), (-1.0, 1.0, -1.0), (-1.0, -1.0, 1.0)
#: A DCGAN on 16-pixel scenes, trained two steps through the CLI: ``net.5`` is a ReLU of 4 units at 8x8.
TINY_SCENES = [
    "--model=DCGAN",
    "--model.init_args.base_channels=4",
    "--data=lightgan.data.scenes.Scenes",
    "--data.init_args.image_size=16",
    "--data.init_args.num_samples=64",
    "--data.init_args.val_samples=16",
    "--data.init_args.batch_size=8",
    "--trainer.max_steps=2",
    "--trainer.limit_val_batches=1",
    "--seed_everything=0",
]


class Units(nn.Module):
    """Eight units on an 8x8 grid: unit 0 is a disc placed by the noise, unit 7 a patch in the top-left corner,
    units 1-6 weak constant maps set by the noise."""

    def forward(self, z: Tensor) -> Tensor:
        n, cells = len(z), torch.arange(8.0) + 0.5
        x, y = 2 + 4 * torch.sigmoid(z[:, 0]), 2 + 4 * torch.sigmoid(z[:, 1])
        disc = (cells.view(1, 1, 8) - x.view(-1, 1, 1)) ** 2 + (cells.view(1, 8, 1) - y.view(-1, 1, 1)) ** 2 <= 4
        weak = 0.1 * z[:, 2].abs().view(n, 1, 1, 1).expand(n, 6, 8, 8)
        corner = torch.zeros(n, 1, 8, 8)
        corner[..., :2, :2] = 2.0
        return torch.cat([disc[:, None].float(), weak, corner], 1)


class Paint(nn.Module):
    """Blue everywhere, red where unit 0 is on, green (an "artifact") where unit 7 is strongly on and 0 is not."""

    def forward(self, maps: Tensor) -> Tensor:
        up = F.interpolate(maps, scale_factor=4, mode="nearest")
        red, green = up[:, 0] > 0.5, up[:, 7] > 1.0
        image = torch.tensor(BLUE).view(1, 3, 1, 1).expand(len(maps), 3, 32, 32)
        image = torch.where(green[:, None], torch.tensor(GREEN).view(1, 3, 1, 1), image)
        return torch.where(red[:, None], torch.tensor(RED).view(1, 3, 1, 1), image)


class GreenPenalty(nn.Module):
    """A discriminator that likes every sample but the green pixels: D = -(share of green pixels)."""

    def forward(self, x: Tensor) -> Tensor:
        return -(x[:, 1] > 0).float().mean((1, 2))


class Painter(GANModule):
    """A generator whose units are known: unit 0 draws the red concept, unit 7 the green artifacts."""

    def __init__(self) -> None:
        super().__init__(data_shape=(3, 32, 32), latent_dim=4)
        self.generator = nn.Sequential(OrderedDict(units=Units(), paint=Paint()))
        self.discriminator = GreenPenalty()


def test_iou_sums_intersections_and_unions_over_samples_by_hand() -> None:
    labels = torch.zeros(2, 4, 4, dtype=torch.long)
    labels[0, :, :2] = 1  # sample 0: concept 1 on the left half; sample 1: concept 0 everywhere
    maps = torch.zeros(2, 2, 4, 4)
    maps[:, 0, :, :2] = 1.0  # unit 0: the left half of both samples
    maps[:, 1, :2, :2] = 1.0  # unit 1: the top-left quadrant of both
    iou = concept_iou(maps, torch.tensor([0.5, 0.5]), labels, 2)
    # unit 0 and concept 1: 8 shared pixels; union 8 + 8 (unit 0 in sample 1, where concept 1 is absent)
    assert iou[0, 1] == pytest.approx(8 / 16)
    assert iou[0, 0] == pytest.approx(8 / (16 + 24 - 8))  # unit 0: 16 pixels, concept 0: 8 + 16, shared 8
    assert iou[1, 1] == pytest.approx(4 / (8 + 8 - 4))
    assert iou[1, 0] == pytest.approx(4 / (8 + 24 - 4))


def test_thresholds_leave_the_top_share_of_values_above_them() -> None:
    maps = torch.arange(200.0).view(2, 1, 10, 10).repeat(1, 2, 1, 1)  # values 0..199, twice
    maps[:, 1] *= -1
    thresholds = unit_thresholds(maps, 0.9)
    assert thresholds.tolist() == [179.0, -20.0]
    assert [(maps[:, u] > t).double().mean().item() for u, t in enumerate(thresholds)] == [0.1, 0.1]


def test_the_units_that_draw_a_concept_match_it_and_rank_first() -> None:
    model = Painter().eval()
    segmenter = ColourBins()
    recording = record(model, "units", segmenter, n=64, seed=0, batch_size=16)
    assert recording.activations.shape == (64, 8, 8, 8) and recording.labels.shape == (64, 32, 32)
    dissection = dissect(recording, segmenter.names, "units", quantile=0.75)
    best = {unit.unit: unit for unit in dissection.units[:2]}
    assert set(best) == {0, 7}
    assert best[0].concept == "red" and best[0].best_iou > 0.5  # bilinear upsampling blurs the edge
    assert best[7].concept == "green" and best[7].best_iou > 0.4
    assert dissection.units[2].best_iou < 0.5 * min(best[0].best_iou, best[7].best_iou)
    assert dissection.top_units("red", 1) == [0] and dissection.matching(0.4) >= 2
    assert sum(dissection.concept_share.values()) == pytest.approx(1.0)


def test_the_layer_is_hooked_where_sample_runs_it_in_the_averaged_copy_too() -> None:
    model = DCGAN(data_shape=(3, 16, 16), base_channels=4).eval()
    model.generator_ema = copy.deepcopy(model.generator)
    with torch.no_grad():
        model.generator_ema.net[0].weight.mul_(3.0)
    recording = record(model, "net.2", None, n=4, seed=1)
    z, _ = model.sample_inputs(4, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = model.generator_ema.eval().net[:3](z.view(4, -1, 1, 1))
        raw = model.generator.net[:3](z.view(4, -1, 1, 1))
    assert torch.allclose(recording.activations, expected) and not torch.allclose(recording.activations, raw)
    assert torch.allclose(recording.images, model.sample(z=z))
    assert len(layer_modules(model, "net.2")) == 2  # hooks on both copies


def test_unknown_layers_list_the_valid_names_and_other_models_stop_in_one_line() -> None:
    model = DCGAN(data_shape=(3, 16, 16), base_channels=4)
    with pytest.raises(ConfigError, match=r"--layer 'net.50' is not a layer .* net, net\.0, net\.1, .*net\.7\.$"):
        layer_modules(model, "net.50")
    with pytest.raises(ConfigError, match="not images to segment"):
        check_image_generator(GAN(data_shape=(2,), latent_dim=2, hidden_dims=(8,)))
    with pytest.raises(ConfigError, match=r"gives .*not feature maps"):
        record(GAN(data_shape=(3, 4, 4), latent_dim=2, hidden_dims=(8,)), "net.0", None, n=2)


def test_dissect_command_on_a_checkpoint_trained_through_the_cli(capsys) -> None:
    fit(*TINY_SCENES, "--trainer.default_root_dir=run")
    capsys.readouterr()
    argv = ["--ckpt", "run", "--layer", "net.5", "--n", "24", "--batch_size", "10", "--device", "cpu"]
    assert main(["dissect", *argv, "--concepts", "colours", "--top", "3", "--out", "d"]) == 0
    printed = capsys.readouterr().out
    assert "units of net.5 match a concept" in printed
    assert len(printed.splitlines()[0].split()) == 5 and len(printed.splitlines()) == 1 + 3 + 2  # header, top 3
    rows = list(csv.DictReader(Path("d/units.csv").read_text().splitlines()))
    assert sorted(int(row["unit"]) for row in rows) == [0, 1, 2, 3]
    ious = [float(row["iou"]) for row in rows]
    assert ious == sorted(ious, reverse=True) and all(0 <= value <= 1 for value in ious)
    document = json.loads(Path("d/units.json").read_text())
    assert document["layer"] == "net.5" and document["n"] == 24 and document["concepts"] == list(ColourBins.names)
    for unit in document["units"]:
        assert unit["best_iou"] == max(unit["iou"].values()) and unit["concept"] in unit["iou"]
    picture = np.asarray(Image.open("d/summary.png"))
    assert picture.ndim == 3 and picture.shape[0] > 100

    assert main(["dissect", *argv, "--layer", "net.9", "--out", "d2"]) == 2
    assert "is not a layer of DCGAN's generator; its layers are: net, net.0" in capsys.readouterr().err
    assert main(["dissect", *argv, "--quantile", "1.5", "--out", "d2"]) == 2
    assert "--quantile must be in (0, 1)" in capsys.readouterr().err
    assert not Path("d2").exists()
