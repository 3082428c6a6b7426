"""Concept segmenters: brightness and colour rules on known pixels, the Scenes segmenter learns, specs resolve."""

from __future__ import annotations

import pytest
import torch

from lightgan.app.cli import main
from lightgan.data.scenes import CONCEPTS, Scenes
from lightgan.errors import ConfigError
from lightgan.inspection.concepts import (
    ColourBins,
    ConceptSegmenter,
    IntensityConcepts,
    NetSegmenter,
    load_segmenter,
    otsu_thresholds,
    resolve_concepts,
    save_segmenter,
    segmentation_score,
    train_segmenter,
)


class LeftHalf:
    """A user's own segmenter for ``--concepts test_concepts:LeftHalf``: the left half of every image."""

    names = ("right", "left")

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        n, _, height, width = images.shape
        return (torch.arange(width) < width // 2).long().expand(n, height, width)


def test_otsu_cuts_between_two_modes_and_intensity_marks_the_bright_object() -> None:
    values = torch.cat([torch.full((300,), 0.2), torch.full((100,), 0.7)])[None]
    assert 0.2 < float(otsu_thresholds(values)[0]) < 0.7

    images = torch.full((2, 1, 8, 8), -0.8)
    images[0, :, 2:5, 2:5] = 0.9  # a bright square on dark ground
    images[1, :, :, :4] = -0.2  # a dim half, brighter than the rest
    labels = IntensityConcepts()(images)
    assert torch.equal(labels[0], (images[0, 0] > 0).long())
    assert labels[1, :, :4].all() and not labels[1, :, 4:].any()  # each image has its own threshold
    fixed = IntensityConcepts(threshold=0.5)(images)  # brightness 0.5 is 0 in [-1, 1]
    assert torch.equal(fixed[0], labels[0]) and not fixed[1].any()


def test_colour_bins_name_pure_colours_and_greys() -> None:
    rgb = {
        "red": (1, 0, 0),
        "yellow": (1, 1, 0),
        "green": (0, 1, 0),
        "cyan": (0, 1, 1),
        "blue": (0, 0, 1),
        "magenta": (1, 0, 1),
        "dark": (0.1, 0.1, 0.15),
        "gray": (0.5, 0.5, 0.5),
        "light": (0.95, 0.95, 0.9),
    }
    images = torch.tensor(list(rgb.values())).view(-1, 3, 1, 1).expand(-1, -1, 2, 2) * 2 - 1
    segmenter = ColourBins()
    labels = segmenter(images)
    assert [segmenter.names[int(label)] for label in labels[:, 0, 0]] == list(rgb)
    gray = torch.tensor([-0.9, 0.0, 0.9]).view(3, 1, 1, 1)  # one channel: only dark, gray and light
    assert [segmenter.names[int(label)] for label in segmenter(gray)[:, 0, 0]] == ["dark", "gray", "light"]


def test_segmentation_score_by_hand() -> None:
    truth = torch.tensor([[0, 0, 1, 1]])
    predicted = torch.tensor([[0, 1, 1, 1]])
    score = segmentation_score(predicted, truth, ("a", "b", "c"))
    assert score.pixel_accuracy == 0.75
    assert score.iou == {"a": 0.5, "b": 2 / 3}  # c is in neither: left out of the mean
    assert score.mean_iou == pytest.approx((0.5 + 2 / 3) / 2)


def test_the_scenes_segmenter_beats_chance_after_a_few_steps_and_reloads_identically(tmp_path) -> None:
    data = Scenes(num_samples=256, val_samples=64, batch_size=16)
    segmenter, score = train_segmenter(data, steps=40, progress=False)
    truth = data.val_set[torch.arange(64)]["concepts"]
    chance = float(torch.bincount(truth.flatten()).max()) / truth.numel()  # always the commonest concept
    assert score.pixel_accuracy > chance + 0.2
    assert isinstance(segmenter, ConceptSegmenter) and segmenter.names == CONCEPTS

    path = save_segmenter(segmenter, tmp_path / "seg.pt", steps=40)
    loaded = load_segmenter(path)
    images = data.on_after_batch_transfer(data.val_set[torch.arange(8)], 0)["real"]
    assert torch.equal(loaded(images), segmenter(images))
    larger = torch.nn.functional.interpolate(images, scale_factor=2, mode="nearest")
    assert loaded(larger).shape == (8, 64, 64)  # resized to the trained size and back
    with pytest.raises(ConfigError, match="3-channel images"):
        loaded(images[:, :1])
    torch.save({"weights": torch.zeros(1)}, tmp_path / "other.pt")
    with pytest.raises(ConfigError, match="not a segmenter file"):
        load_segmenter(tmp_path / "other.pt")


def test_train_segmenter_command_writes_a_file_dissect_can_use(capsys) -> None:
    argv = ["--steps", "3", "--train-samples", "64", "--val-samples", "16", "--batch-size", "8", "--no-progress"]
    assert main(["train-segmenter", "--out", "seg.pt", *argv, "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "pixel accuracy" in out and "mean IoU" in out and "scenes:seg.pt" in out
    assert isinstance(resolve_concepts("scenes:seg.pt"), NetSegmenter)
    assert main(["train-segmenter", "--out", "seg.pt", "--steps", "0"]) == 2
    assert "--steps must be at least 1" in capsys.readouterr().err


def test_concept_specs_resolve_and_bad_ones_name_the_valid_forms() -> None:
    assert isinstance(resolve_concepts("colours"), ColourBins)
    assert resolve_concepts("intensity").threshold is None
    assert resolve_concepts("intensity:0.3").threshold == 0.3
    own = resolve_concepts("test_concepts:LeftHalf")  # a class: called to make the segmenter
    assert own.names == ("right", "left") and own(torch.zeros(1, 3, 2, 4)).tolist() == [[[1, 1, 0, 0]] * 2]
    for bad, message in [
        ("colors", "Unknown --concepts 'colors': use scenes:PATH"),
        ("scenes", "Unknown --concepts 'scenes'"),
        ("intensity:bright", "threshold must be a number"),
        ("intensity:2", r"brightness in \(0, 1\)"),
        ("scenes:missing.pt", "does not exist"),
        ("test_concepts:nothing_here", "--concepts test_concepts:nothing_here: Cannot import"),
        ("test_concepts:pytest", "is not a segmenter"),
    ]:
        with pytest.raises(ConfigError, match=message):
            resolve_concepts(bad)
