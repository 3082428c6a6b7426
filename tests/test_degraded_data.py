"""Degraded: pairs made from any image datamodule; each degradation, determinism per index, config paths."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
import yaml

from lightgan.app.cli import main
from lightgan.app.commands.data_config import load_datamodule
from lightgan.data import CIFAR10, MNIST, Degraded, FashionMNIST, RingMixture
from lightgan.data.base import held_in_memory
from lightgan.data.degrade import Degradation
from lightgan.errors import ConfigError


def _fashion(root: Path, **kwargs) -> Degraded:
    base = FashionMNIST(root=str(root), download=False, val_size=16)
    dm = Degraded(base=base, batch_size=8, **kwargs)
    dm.prepare_data()
    dm.setup("fit")
    return dm


@pytest.mark.parametrize(
    ("settings", "source_shape"),
    [
        ({"degradation": "edges"}, (1, 28, 28)),
        ({"degradation": "downsample", "factor": 4}, (1, 7, 7)),
        ({"degradation": "mask", "mask": "boxes", "mask_size": 0.25}, (1, 28, 28)),
        ({"degradation": "blur", "sigma": 1.0}, (1, 28, 28)),
        ({"degradation": "noise", "noise_std": 0.2}, (1, 28, 28)),
    ],
)
def test_batches_keep_the_base_and_add_its_degraded_copy(fashion_root: Path, settings: dict, source_shape) -> None:
    dm = _fashion(fashion_root, **settings)
    assert dm.data_shape == (1, 28, 28) and dm.source_shape == source_shape and dm.num_classes == 10
    batch = next(iter(dm.train_dataloader()))
    expected = {"real", "label", "source"} | ({"mask"} if settings["degradation"] == "mask" else set())
    assert set(batch) == expected
    assert batch["source"].shape == (8, *source_shape) and batch["source"].dtype == torch.uint8
    index = torch.tensor([0, 7, 3])
    derived, base = dm.train_set[index], dm.base.train_set[index]
    assert torch.equal(derived["real"], base["real"]) and torch.equal(derived["label"], base["label"])
    ready = dm.on_after_batch_transfer(batch, 0)
    assert ready["source"].dtype == torch.float32 and -1 <= ready["source"].min() <= ready["source"].max() <= 1
    if "mask" in batch:
        assert ready["mask"].dtype == torch.float32 and set(ready["mask"].unique().tolist()) == {0.0, 1.0}
    first, again = dm.held_out_batch(4), dm.held_out_batch(4)  # validation pictures stay the same
    assert all(torch.equal(first[key], again[key]) for key in first)


def test_the_same_sample_is_degraded_alike_in_any_batch_and_any_run(fashion_root: Path) -> None:
    dm = _fashion(fashion_root, degradation="noise")
    index = torch.tensor([5, 1, 9, 3])
    batch = dm.train_set[index]
    shuffled = dm.train_set[index.flip(0)]
    assert torch.equal(shuffled["source"], batch["source"].flip(0))
    other_run = _fashion(fashion_root, degradation="noise")
    assert torch.equal(other_run.train_set[index]["source"], batch["source"])
    noise = batch["source"].int() - batch["real"].int()
    assert not torch.equal(noise[0], noise[1])  # each sample its own noise


def _degrade(images: torch.Tensor, **settings) -> dict[str, torch.Tensor]:
    return Degradation(**settings)(images, torch.arange(len(images)))


def test_edges_are_dark_lines_on_white_where_brightness_steps() -> None:
    step = torch.zeros(1, 1, 8, 8, dtype=torch.uint8)
    step[..., 4:] = 255
    edges = _degrade(step, name="edges")["source"][0, 0]
    assert (edges[:, 3:5] == 0).all() and (edges[:, :3] == 255).all() and (edges[:, 5:] == 255).all()


def test_grayscale_uses_bt601_weights_and_needs_rgb(fashion_root: Path, cifar_root: Path) -> None:
    red = torch.zeros(1, 3, 4, 4, dtype=torch.uint8)
    red[:, 0] = 255
    assert (_degrade(red, name="grayscale")["source"] == 76).all()  # round(0.299 * 255)
    dm = Degraded(base=CIFAR10(root=str(cifar_root), download=False), degradation="grayscale", batch_size=8)
    dm.prepare_data()
    dm.setup("fit")
    assert dm.source_shape == (1, 32, 32) and dm.train_set[torch.arange(2)]["source"].shape == (2, 1, 32, 32)
    with pytest.raises(ConfigError, match="grayscale needs RGB images, but FashionMNIST gives 1 channel"):
        Degraded(base=FashionMNIST(root=str(fashion_root)), degradation="grayscale")


def test_downsample_averages_and_rejects_a_factor_that_does_not_divide(fashion_root: Path) -> None:
    checker = torch.zeros(1, 1, 8, 8, dtype=torch.uint8)
    checker[..., ::2, ::2] = checker[..., 1::2, 1::2] = 200
    small = _degrade(checker, name="downsample", factor=2)["source"]
    assert small.shape == (1, 1, 4, 4) and (small.int() - 100).abs().max() <= 2
    base = FashionMNIST(root=str(fashion_root))
    with pytest.raises(ConfigError, match=r"factor=3 does not divide the image size 28x28; .* below it is 2\."):
        Degraded(base=base, degradation="downsample", factor=3)
    with pytest.raises(ConfigError, match=r"factor=5 .* below it is 4\."):
        Degraded(base=base, degradation="downsample", factor=5)
    with pytest.raises(ConfigError, match="factor must be >= 2"):
        Degraded(base=base, degradation="downsample", factor=1)


def test_masks_centre_square_and_boxes_per_sample() -> None:
    images = torch.full((3, 1, 8, 8), 9, dtype=torch.uint8)
    centre = _degrade(images, name="mask", mask_size=0.5)
    expected = torch.zeros(8, 8)
    expected[2:6, 2:6] = 1
    assert (centre["mask"] == expected).all()
    assert (centre["source"][:, :, 2:6, 2:6] == 128).all() and (centre["source"][:, :, 0] == 9).all()
    boxes = _degrade(images, name="mask", mask="boxes", mask_size=0.25, boxes=2)
    assert not torch.equal(boxes["mask"][0], boxes["mask"][1])  # placed per sample
    assert all(4 <= hole.sum() <= 8 for hole in boxes["mask"])  # two 2x2 boxes, maybe overlapping
    assert torch.equal(boxes["source"] == 128, boxes["mask"].bool().expand_as(boxes["source"]))


def test_blur_spreads_a_point_and_noise_has_the_asked_spread() -> None:
    point = torch.zeros(1, 1, 15, 15, dtype=torch.uint8)
    point[..., 7, 7] = 255
    blurred = _degrade(point, name="blur", sigma=1.0)["source"]
    assert 0 < blurred[0, 0, 7, 7] < 255 and blurred[0, 0, 7, 8] > 0 and blurred[0, 0, 0, 0] == 0
    flat = torch.full((64, 1, 32, 32), 128, dtype=torch.uint8)
    noisy = _degrade(flat, name="noise", noise_std=0.1)["source"].float()
    assert abs(noisy.mean() - 128) < 1 and abs(noisy.std() - 25.5) < 1


def test_options_and_bases_that_do_not_fit_are_rejected(fashion_root: Path) -> None:
    base = FashionMNIST(root=str(fashion_root))
    with pytest.raises(ConfigError, match="mask_size must be in"):
        Degraded(base=base, degradation="mask", mask_size=1.5)
    with pytest.raises(ConfigError, match="sigma must be > 0"):
        Degraded(base=base, degradation="blur", sigma=0)
    with pytest.raises(ConfigError, match="unknown degradation 'sharpen'"):
        Degraded(base=base, degradation="sharpen")
    with pytest.raises(ConfigError, match=r"RingMixture gives samples of shape \(2,\), not images"):
        Degraded(base=RingMixture())


def test_print_config_nests_the_base_datamodule(fashion_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["fit", "--model=DCGAN", "--data=Degraded", "--data.base=FashionMNIST", f"--data.base.root={fashion_root}"]
    with pytest.raises(SystemExit):
        main([*args, "--data.degradation=downsample", "--data.factor=2", "--trainer.logger=false", "--print_config"])
    data = yaml.safe_load(capsys.readouterr().out)["data"]
    assert data["class_path"] == "lightgan.data.Degraded"
    assert data["init_args"]["base"]["class_path"] == "lightgan.data.FashionMNIST"
    assert data["init_args"]["base"]["init_args"]["root"] == str(fashion_root)
    assert (data["init_args"]["degradation"], data["init_args"]["factor"]) == ("downsample", 2)


def test_a_config_file_builds_it_with_its_base(fashion_root: Path, tmp_path: Path) -> None:
    base = {"class_path": "FashionMNIST", "init_args": {"root": str(fashion_root), "download": False}}
    config = {"data": {"class_path": "Degraded", "init_args": {"base": base, "degradation": "mask", "mask": "boxes"}}}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    dm = load_datamodule([path], ["--data.init_args.mask_size=0.25", "--data.init_args.batch_size=4"])
    assert isinstance(dm, Degraded) and isinstance(dm.base, FashionMNIST) and dm.base.root == fashion_root
    assert dm.degradation.mask_size == 0.25 and dm.batch_size == dm.base.batch_size == 4


def _trainer(device: str, ckpt_path: str | None = None) -> SimpleNamespace:
    """The parts of a Trainer the datamodules read."""
    strategy = SimpleNamespace(root_device=torch.device(device))
    return SimpleNamespace(
        strategy=strategy, global_rank=0, world_size=1, current_epoch=0, num_training_batches=4, ckpt_path=ckpt_path
    )


def test_in_memory_bases_move_to_the_device_and_are_degraded_there(fashion_root: Path) -> None:
    dm = Degraded(base=FashionMNIST(root=str(fashion_root), download=False, val_size=16), batch_size=8)
    dm.trainer = _trainer("meta")  # stands in for a GPU
    dm.prepare_data()
    dm.setup("fit")
    loader = dm.train_dataloader()
    assert held_in_memory(dm.train_set) and loader.num_workers == 0 and dm.base.train_set.device.type == "meta"
    batch = next(iter(loader))
    assert batch["source"].device.type == "meta" and batch["source"].dtype == torch.uint8


def test_resuming_follows_the_split_the_base_restores(mnist_root: Path) -> None:
    """MNIST builds its split in its loaders once a checkpoint has said how many images validation held out."""
    trained = Degraded(base=MNIST(root=str(mnist_root), download=False, val_size=16), batch_size=8)
    trained.setup("fit")
    trained.train_dataloader()
    assert trained.state_dict() == {"val_held_out": 16} and len(trained.train_set) == 240
    resumed = Degraded(base=MNIST(root=str(mnist_root), download=False), batch_size=8)  # val_size now 64
    resumed.trainer = _trainer("cpu", ckpt_path="last.ckpt")
    resumed.setup("fit")
    assert resumed.train_set is None
    with pytest.warns(UserWarning, match="held out 16"):
        resumed.load_state_dict(trained.state_dict())
    resumed.train_dataloader()
    resumed.val_dataloader()
    assert (len(resumed.train_set), len(resumed.val_set)) == (240, 16)
    assert torch.equal(resumed.val_set[torch.arange(16)]["source"], trained.val_set[torch.arange(16)]["source"])


def test_strokes_are_free_form_holes_placed_by_the_index_and_as_wide_as_the_brush(fashion_root: Path) -> None:
    images = torch.full((6, 1, 32, 32), 9, dtype=torch.uint8)
    settings = {"name": "mask", "mask": "strokes", "strokes": 3, "mask_size": 0.5}
    thin, wide = _degrade(images, stroke_width=0.05, **settings), _degrade(images, stroke_width=0.2, **settings)
    assert torch.equal(thin["source"] == 128, thin["mask"].bool())  # exactly the hole is filled
    assert set(thin["mask"].unique().tolist()) == {0.0, 1.0} and not torch.equal(thin["mask"][0], thin["mask"][1])
    assert all(0 < hole.sum() < 32 * 32 for hole in thin["mask"])
    assert (wide["mask"] >= thin["mask"]).all() and wide["mask"].sum() > thin["mask"].sum()  # same strokes, wider
    shuffled = Degradation(stroke_width=0.05, **settings)(images, torch.arange(6).flip(0))
    assert torch.equal(shuffled["mask"], thin["mask"].flip(0))  # a sample's strokes depend on its index only
    # a stroke that barely moves (4 segments of at most 0.32 px) is a disc of the brush's radius, 4 px: 49 pixel
    # centres, and at most 2 x 4 more per pixel moved
    dot = {**settings, "strokes": 1, "mask_size": 0.005, "stroke_width": 0.125}
    dots = _degrade(torch.zeros(32, 1, 64, 64, dtype=torch.uint8), **dot)["mask"][:, 0]
    inside = [hole for hole in dots if hole[5:-5, 5:-5].sum() == hole.sum()]  # away from the borders
    assert len(inside) > 10 and all(49 <= hole.sum() <= 49 + 8 * 1.28 for hole in inside)
    dm = _fashion(fashion_root, degradation="mask", mask="strokes")
    batch = dm.on_after_batch_transfer(next(iter(dm.train_dataloader())), 0)
    assert batch["mask"].shape == (8, 1, 28, 28) and (batch["mask"].sum((1, 2, 3)) > 0).all()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"mask": "blobs"}, r"mask must be centre, boxes or strokes, got 'blobs'"),
        ({"mask": "strokes", "strokes": 0}, r"strokes must be >= 1, got 0"),
        ({"mask": "strokes", "stroke_width": 1.0}, r"stroke_width must be in \(0, 1\)"),
    ],
)
def test_stroke_settings_that_draw_nothing_are_rejected(fashion_root: Path, settings: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Degraded(base=FashionMNIST(root=str(fashion_root)), degradation="mask", **settings)
