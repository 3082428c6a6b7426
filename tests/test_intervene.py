"""Interventions: ablating the unit that draws a concept removes it while random units do not, inserting it in a
box draws it there only, artifact units rank first, and ``lightgan intervene`` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import fit
from PIL import Image
from test_dissect import TINY_SCENES, Painter

from lightgan.app.cli import main
from lightgan.errors import ConfigError
from lightgan.inspection.concepts import ColourBins
from lightgan.inspection.dissection import record
from lightgan.inspection.intervention import (
    UnitEdit,
    box_mask,
    concept_share,
    measure,
    parse_box,
    parse_units,
    random_units,
    rank_artifacts,
)


def test_ablating_the_unit_that_draws_a_concept_removes_it_and_random_units_do_not() -> None:
    model, segmenter = Painter().eval(), ColourBins()
    before = record(model, "units", segmenter, n=32, seed=0, batch_size=16)
    effect, after = measure(model, "units", segmenter, "red", UnitEdit([0]), before, seed=0, draws=4, batch_size=16)
    assert effect.before > 0.05 and effect.after == 0.0 and effect.change == -effect.before
    assert len(effect.control_changes) == 4 and effect.control_mean == 0.0 and effect.control_sd == 0.0
    assert torch.equal(after.activations[:, 0], torch.zeros(32, 8, 8))
    assert torch.equal(after.activations[:, 1:], before.activations[:, 1:])  # only the chosen unit changed
    assert effect.to_dict()["change"] == effect.change


def test_inserting_the_unit_in_a_box_draws_the_concept_there_only() -> None:
    model, segmenter = Painter().eval(), ColourBins()
    before = record(model, "units", segmenter, n=16, seed=3)
    box = parse_box("16,16,32,32", 32, 32)  # pixels: the bottom-right quarter
    assert box == (0.5, 0.5, 1.0, 1.0)
    edit = UnitEdit([0], values=torch.ones(8), box=box)
    effect, after = measure(model, "units", segmenter, "red", edit, before, seed=3, draws=2)
    assert effect.after == 1.0 and effect.before < 0.5
    red = segmenter.names.index("red")
    outside = ~box_mask(box, 32, 32)
    assert torch.equal(after.labels[:, outside], before.labels[:, outside])
    assert concept_share(after.labels, red, box) == 1.0 and effect.control_changes == [0.0, 0.0]


def test_boxes_map_to_grid_cells_and_units_parse_with_one_line_errors() -> None:
    assert box_mask((0.0, 0.0, 0.5, 0.25), 4, 4).nonzero().tolist() == [[0, 0], [0, 1]]
    assert box_mask((0.4, 0.4, 0.45, 0.45), 2, 2).nonzero().tolist() == [[0, 0]]  # a box inside one cell keeps it
    assert box_mask(None, 2, 3).all()
    assert parse_box("0,0.5,1,1", 32, 32) == (0.0, 0.5, 1.0, 1.0)
    for bad in ("1,2,3", "0.5,0,0.2,1", "0,0,40,16", "a,b,c,d"):
        with pytest.raises(ConfigError, match="--where"):
            parse_box(bad, 32, 32)
    assert parse_units("3, 1,2", 8) == [3, 1, 2]
    for bad, message in (("1,1", "distinct"), ("x", "distinct"), ("2,8", r"\[8\] are not units .* has 8 \(0 to 7\)")):
        with pytest.raises(ConfigError, match=message):
            parse_units(bad, 8)


def test_random_units_are_seeded_distinct_and_avoid_the_chosen_ones() -> None:
    draws = random_units(10, 3, [0, 1, 2], draws=20, seed=5)
    assert draws == random_units(10, 3, [0, 1, 2], draws=20, seed=5) != random_units(10, 3, [0, 1, 2], 20, seed=6)
    assert all(len(set(units)) == 3 and not set(units) & {0, 1, 2} for units in draws)
    assert {u for units in draws for u in units} == set(range(3, 10))
    with pytest.raises(ConfigError, match="needs 3 units besides the 8 chosen"):
        random_units(10, 3, list(range(8)), draws=1, seed=0)


def test_the_artifact_unit_ranks_first() -> None:
    baseline, gains = rank_artifacts(Painter().eval(), "units", n=16, seed=0, batch_size=8)
    assert baseline < 0  # the corner patch paints green in every sample
    assert int(gains.argmax()) == 7 and gains[7] > 0
    assert torch.equal(gains[1:7], torch.zeros(6))  # the weak units paint nothing
    assert gains[0] <= 0  # without the red disc, more of the corner shows green


@pytest.mark.filterwarnings("ignore:FID from 8 samples")  # FID of 8 samples is meant only to run
def test_intervene_command_measures_against_random_units_and_ranks_artifacts(capsys) -> None:
    fit(*TINY_SCENES, "--trainer.default_root_dir=run")
    capsys.readouterr()
    common = ["--ckpt", "run", "--layer", "net.5", "--n", "16", "--device", "cpu", "--draws", "2", "--show", "4"]
    assert main(["intervene", *common, "--ablate", "--units", "top:2", "--concept", "blue", "--out", "i"]) == 0
    printed = capsys.readouterr().out
    assert "blue pixel share in the whole image, 16 samples" in printed
    assert "2 random units ablated (2 draws)" in printed
    effect = json.loads(Path("i/effect.json").read_text())
    assert effect["action"] == "ablated" and len(effect["units"]) == 2
    assert len(effect["effect"]["control_changes"]) == 2 and 0 <= effect["effect"]["before"] <= 1
    for name in ("before.png", "after.png"):
        assert np.asarray(Image.open(f"i/{name}")).shape == (2 + 16 + 2, 4 * 18 + 2, 3)  # 4 samples of 16 px, a row

    argv = ["--rank-artifacts", "1", "--features", "raw", "--fid-n", "8", "--out", "a"]
    assert main(["intervene", *common, *argv]) == 0
    artifacts = json.loads(Path("a/artifacts.json").read_text())
    assert set(artifacts["fid"]) == {"none", "top", "random"} and artifacts["fid_features"].startswith("raw")
    assert len(Path("a/artifacts.csv").read_text().splitlines()) == 1 + 4  # header and the 4 units of net.5
    assert artifacts["ablated"] != artifacts["random_units"]

    for extra, message in (
        (["--ablate"], "--ablate and --insert need --units"),
        (["--insert", "--units", "top:2"], "picks the units of highest IoU with --concept"),
        (["--ablate", "--units", "1", "--concept", "sky"], "'sky' is not one of the segmenter's concepts: dark, gray"),
        (["--rank-artifacts", "1", "--units", "2"], "leave out --units"),
        (["--ablate", "--insert", "--units", "1"], "not allowed with argument"),
    ):
        assert main(["intervene", *common, *extra, "--out", "bad"]) == 2
        assert message in capsys.readouterr().err
