"""Scenes: every pixel's label is the concept drawn there, and one index is one scene in every run and batch."""

from __future__ import annotations

import pytest
import torch

from lightgan.data.scenes import CONCEPTS, MAX_OBJECTS, SceneLayout, Scenes, draw_scenes, render_scenes, scene_layout
from lightgan.errors import ConfigError

SIZE = 32
SKY_RGB, GROUND_RGB, OBJECT_RGB = (100.0, 150.0, 250.0), (60.0, 120.0, 40.0), (230.0, 20.0, 10.0)


def one_object(kind: str, x: float = 0.5, y: float = 0.6, size: float = 0.2, horizontal: bool = False) -> SceneLayout:
    """A scene of one object of ``kind`` over a horizon at 0.4, the other object slots unused."""
    centre = torch.tensor([[x, y]] * MAX_OBJECTS)[None]
    return SceneLayout(
        horizon=torch.tensor([0.4]),
        sky=torch.tensor([SKY_RGB]),
        ground=torch.tensor([GROUND_RGB]),
        count=torch.tensor([1]),
        kind=torch.full((1, MAX_OBJECTS), CONCEPTS.index(kind) - 2),
        centre=centre,
        size=torch.full((1, MAX_OBJECTS), size),
        colour=torch.tensor([OBJECT_RGB] * MAX_OBJECTS)[None],
        horizontal=torch.full((1, MAX_OBJECTS), horizontal),
    )


def pixel_centres() -> tuple[torch.Tensor, torch.Tensor]:
    centres = (torch.arange(SIZE) + 0.5) / SIZE
    return centres.view(SIZE, 1), centres.view(1, SIZE)  # ys, xs


def test_a_circle_is_labelled_exactly_where_its_colour_is_drawn_over_sky_and_ground() -> None:
    images, labels = render_scenes(one_object("circle"), SIZE)
    ys, xs = pixel_centres()
    disc = (xs - 0.5) ** 2 + (ys - 0.6) ** 2 <= 0.2**2
    assert torch.equal(labels[0] == CONCEPTS.index("circle"), disc)
    assert torch.equal(labels[0][~disc], torch.where(ys < 0.4, 0, 1).expand(SIZE, SIZE)[~disc])
    for concept, rgb in (("circle", OBJECT_RGB), ("sky", SKY_RGB), ("ground", GROUND_RGB)):
        pixels = images[0][:, labels[0] == CONCEPTS.index(concept)]
        assert pixels.shape[1] > 0
        assert (pixels == torch.tensor(rgb, dtype=torch.uint8)[:, None]).all(), concept


def test_triangles_point_up_and_stripes_are_every_other_bar_of_a_square() -> None:
    _, labels = render_scenes(one_object("triangle"), SIZE)
    widths = (labels[0] == CONCEPTS.index("triangle")).sum(1)
    drawn = widths[widths > 0]
    assert len(drawn) >= 10 and (drawn[1:] >= drawn[:-1]).all() and drawn[-1] > 3 * drawn[0]

    for horizontal in (False, True):
        _, labels = render_scenes(one_object("stripes", size=0.25, horizontal=horizontal), SIZE)
        striped = labels[0] == CONCEPTS.index("stripes")
        lines = (striped.any(1) if horizontal else striped.any(0)).int()  # rows, or columns, that hold paint
        runs = torch.unique_consecutive(lines[lines.nonzero().min() : lines.nonzero().max() + 1], return_counts=True)
        assert runs[0].tolist()[:4] == [1, 0, 1, 0]  # bars and gaps alternate
        assert set(runs[1].tolist()) <= {1, 2}  # 2-pixel bars at 32 pixels (edge bars may be cut to 1)
        ys, xs = pixel_centres()
        square = ((xs - 0.5).abs() <= 0.25) & ((ys - 0.6).abs() <= 0.25)
        assert not (striped & ~square).any() and striped.sum() < square.sum()


def test_every_labelled_pixel_has_the_colour_of_a_drawn_thing_of_that_concept() -> None:
    index = torch.arange(200)
    layout = scene_layout(index)
    images, labels = draw_scenes(index, SIZE)
    for i in range(len(index)):
        for label, _ in enumerate(CONCEPTS):
            pixels = images[i][:, labels[i] == label].T.float()  # (P, 3)
            if label < 2:
                allowed = [(layout.sky if label == 0 else layout.ground)[i]]
            else:
                drawn = range(int(layout.count[i]))
                allowed = [layout.colour[i, j] for j in drawn if layout.kind[i, j] == label - 2]
            if not allowed:
                assert len(pixels) == 0
                continue
            distance = torch.cdist(pixels, torch.stack(allowed).round())
            assert len(pixels) == 0 or distance.min(1).values.max() == 0, (i, CONCEPTS[label])


def test_scenes_vary_and_every_concept_appears() -> None:
    layout = scene_layout(torch.arange(500))
    _, labels = draw_scenes(torch.arange(500), SIZE)
    share = torch.bincount(labels.flatten(), minlength=len(CONCEPTS)).double() / labels.numel()
    assert (share > 0.01).all()
    assert set(layout.count.tolist()) == {1, 2, 3}
    assert layout.colour.std(0).min() > 50 and layout.horizon.std() > 0.05


def test_one_index_gives_one_scene_in_any_batch_and_in_the_datamodule() -> None:
    batch_images, batch_labels = draw_scenes(torch.arange(10), SIZE)
    alone_images, alone_labels = draw_scenes(torch.tensor([7]), SIZE)
    assert torch.equal(batch_images[7], alone_images[0]) and torch.equal(batch_labels[7], alone_labels[0])
    assert not torch.equal(batch_images[6], batch_images[7])

    data = Scenes(num_samples=40, val_samples=8, batch_size=8)
    data.setup("fit")
    batch = data.train_set[torch.tensor([3, 7])]
    assert batch["real"].dtype == torch.uint8 and batch["real"].shape == (2, 3, SIZE, SIZE)
    assert batch["concepts"].dtype == torch.int64 and torch.equal(batch["concepts"][1], alone_labels[0])
    assert torch.equal(batch["real"][1], alone_images[0])
    held_out = data.val_set[torch.tensor([0])]  # the scenes after the training ones: the splits share none
    assert torch.equal(held_out["real"][0], draw_scenes(torch.tensor([40]), SIZE)[0][0])
    ready = data.on_after_batch_transfer(batch, 0)
    assert ready["real"].dtype == torch.float32 and ready["real"].min() >= -1 and ready["real"].max() <= 1
    assert torch.equal(ready["concepts"], batch["concepts"])


def test_other_sizes_draw_the_same_layout_and_bad_settings_stop_in_one_line() -> None:
    small, large = Scenes(image_size=16), Scenes(image_size=64)
    assert small.data_shape == (3, 16, 16) and large.data_shape == (3, 64, 64)
    _, labels16 = draw_scenes(torch.arange(4), 16)
    _, labels64 = draw_scenes(torch.arange(4), 64)
    coarse = labels64[:, 2::4, 2::4]  # the pixels of the 64-pixel scene nearest the 16-pixel one's centres
    assert (coarse == labels16).double().mean() > 0.9
    with pytest.raises(ConfigError, match="image_size must be at least 8"):
        Scenes(image_size=4)
    with pytest.raises(ConfigError, match="num_samples"):
        Scenes(num_samples=10, batch_size=64)
