"""Inpainting: G fills masked holes, known pixels pass through exactly, a global and a local D, L2 on the hole.

It trains through the CLI on Degraded Fashion-MNIST with its config, resumes exactly, and ``lightgan
sample`` fills the held-out holes; data without masks is refused at setup.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import NO_LOGGER, QUIET, assert_same_weights, fit, quiet_trainer, state_of
from PIL import Image

from lightgan.app.cli import main
from lightgan.data import Degraded, FashionMNIST
from lightgan.data.degrade import Degradation
from lightgan.errors import ConfigError
from lightgan.models import Inpainting
from lightgan.models.inpainting import hole_loss

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
SIZE = 16
TINY_RUN = [
    "--config",
    str(CONFIGS / "inpainting_fashion_mnist.yaml"),
    "--model.init_args.base_channels=4",
    "--data.init_args.batch_size=8",
    "--data.init_args.base.init_args.image_size=16",
    "--trainer.limit_val_batches=1",
]


def tiny(**kwargs) -> Inpainting:
    return Inpainting(**{"data_shape": (1, SIZE, SIZE), "base_channels": 4, **kwargs})


def masked_batch(n: int = 8, seed: int = 0) -> dict[str, torch.Tensor]:
    """Random images in [-1, 1] with holes of two 4x4 boxes each, placed per sample as ``Degraded`` places them."""
    real = torch.rand(n, 1, SIZE, SIZE, generator=torch.Generator().manual_seed(seed)) * 2 - 1
    pixels = ((real + 1) * 127.5).round().to(torch.uint8)
    mask = Degradation("mask", mask="boxes", mask_size=0.25, boxes=2)(pixels, torch.arange(n))["mask"]
    return {"real": real, "source": real.masked_fill(mask.bool(), 0.0), "mask": mask}


def fashion(root: Path, **settings) -> Degraded:
    return Degraded(base=FashionMNIST(root=str(root), image_size=SIZE, val_size=16), batch_size=8, **settings)


@pytest.mark.parametrize("generator", ["unet", "resnet"])
def test_known_pixels_come_out_exactly_as_they_went_in(generator: str) -> None:
    model, batch = tiny(generator=generator), masked_batch()
    known = ~batch["mask"].bool()
    filled = model.sample(source=batch["source"], mask=batch["mask"])
    assert torch.equal(filled[known], batch["source"][known])
    assert not torch.equal(filled[~known], batch["source"][~known])  # the hole is G's
    step = model.generator_step(batch, generator=torch.Generator().manual_seed(0), hooks=False)
    assert torch.equal(step.fake[known], batch["source"][known])  # so are the fakes D and the losses see
    raw = model.generator(torch.cat([batch["source"], batch["mask"]], 1))
    assert torch.equal(step.fake[~known], raw[~known])


def test_the_reconstruction_loss_reads_the_hole_only_normalised_by_its_area() -> None:
    model, batch = tiny(), masked_batch()
    hole = batch["mask"].bool()
    rng = torch.Generator().manual_seed(0)
    step = model.generator_step(batch, generator=rng, hooks=False)
    assert torch.allclose(step.logs["train/g_hole"], (step.fake - batch["real"])[hole].square().mean())
    l1 = hole_loss(step.fake, batch["real"], batch["mask"], "l1")
    assert torch.allclose(l1, (step.fake - batch["real"])[hole].abs().mean())
    elsewhere = {**batch, "real": torch.where(hole, batch["real"], -batch["real"] + 0.5)}
    same = model.generator_step(elsewhere, generator=rng, hooks=False)
    assert torch.equal(same.logs["train/g_hole"], step.logs["train/g_hole"]) and torch.equal(same.loss, step.loss)
    inside = {**batch, "real": torch.where(hole, -batch["real"] + 0.5, batch["real"])}
    assert not torch.equal(model.generator_step(inside, generator=rng, hooks=False).loss, step.loss)


def test_g_minimises_the_mean_of_both_adversarial_terms_plus_the_weighted_hole_error() -> None:
    batch = masked_batch()
    without, weighted = tiny(reconstruction_weight=0.0), tiny(reconstruction_weight=999.0)
    weighted.load_state_dict(without.state_dict())
    steps = [model.generator_step(batch, generator=torch.Generator(), hooks=False) for model in (without, weighted)]
    logs = steps[0].logs
    assert torch.allclose(steps[0].loss, (logs["train/g_adversarial_global"] + logs["train/g_adversarial_local"]) / 2)
    assert torch.allclose(steps[1].loss - steps[0].loss, 999 * logs["train/g_hole"])
    steps[0].loss.backward()  # with no reconstruction term, G's gradient comes through both Ds
    for network in (without.discriminator_global, without.discriminator_local, without.generator):
        assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in network.parameters())


def test_the_local_d_sees_only_the_hole_and_the_global_d_the_whole_image() -> None:
    model, batch = tiny(), masked_batch()
    hole, images = batch["mask"].bool(), batch["real"]
    noise = torch.rand(images.shape, generator=torch.Generator().manual_seed(1)) * 2 - 1
    outside_changed, inside_changed = torch.where(hole, images, noise), torch.where(hole, noise, images)
    local, global_ = model.critic("d_local", {"mask": batch["mask"]}), model.critic("d_global", {})
    assert torch.equal(local(outside_changed), local(images)) and not torch.equal(local(inside_changed), local(images))
    assert not torch.equal(global_(outside_changed), global_(images))
    step = model.discriminator_step(batch, "d_local", generator=torch.Generator(), hooks=False)
    assert torch.equal(step.real_out, model.discriminator_local(torch.cat([batch["mask"] * images, batch["mask"]], 1)))


def test_each_discriminator_player_trains_its_own_network(fashion_root: Path) -> None:
    model, batch = tiny(), masked_batch()
    for player, own, other in (("d_global", "global", "local"), ("d_local", "local", "global")):
        model.zero_grad()
        model.discriminator_step(batch, player, generator=torch.Generator(), hooks=False).loss.backward()
        grads = {name: [p.grad for p in getattr(model, f"discriminator_{name}").parameters()] for name in (own, other)}
        assert all(g is not None for g in grads[own]) and all(g is None for g in grads[other]), player
    before = state_of(model)
    trainer = quiet_trainer(max_steps=2, limit_val_batches=1, val_check_interval=2)
    trainer.fit(model, fashion(fashion_root, degradation="mask", mask="boxes", mask_size=0.25))
    after = state_of(model)
    for network in ("generator.", "discriminator_global.", "discriminator_local."):
        assert any(not torch.equal(before[k], after[k]) for k in before if k.startswith(network)), network
    assert len(trainer.optimizers) == 3
    for key in ("train/g_hole", "train/d_global_loss", "train/d_local_loss", "val/g_hole", "val/d_local_real_score"):
        assert torch.isfinite(trainer.callback_metrics[key]), key


def test_data_without_masks_or_of_another_size_is_refused_at_setup(
    fashion_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["fit", *QUIET, *NO_LOGGER, *TINY_RUN, "--data.init_args.degradation=blur"]) == 2
    message = capsys.readouterr().err.strip().splitlines()[-1]
    assert message.startswith("lightgan: error: Inpainting fills the holes a mask marks, but the data's batches")
    assert message.endswith("Use data: Degraded with data.init_args.degradation: mask.")
    with pytest.raises(ConfigError, match=r"data\.init_args\.degradation: mask\."):  # at setup, no pictures
        quiet_trainer(max_steps=1).fit(tiny(), fashion(fashion_root, degradation="blur"))
    built_larger = tiny(data_shape=(1, 32, 32))
    sizes = r"shapes \(1, 32, 32\) and \(1, 32, 32\), but the data's are \(1, 16, 16\) and \(1, 16, 16\)"
    with pytest.raises(ConfigError, match=sizes):
        quiet_trainer(max_steps=1).fit(built_larger, fashion(fashion_root, degradation="mask"))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"reconstruction_weight": -1.0}, r"reconstruction_weight must be >= 0 \(999 in the context encoder\)"),
        ({"reconstruction_weight": "heavy"}, r"reconstruction_weight must be >= 0"),
        ({"reconstruction": "l3"}, r"reconstruction must be one of l1, l2, got 'l3'"),
        ({"dropout": 1.0}, r"dropout must be in \[0, 1\)"),
        ({"pack": 2}, r"pack=2: Inpainting cannot pack samples"),
        ({"data_shape": (1, 16, 32)}, r"square images, got 16x32"),
    ],
)
def test_bad_settings_are_named(kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        tiny(**kwargs)


def test_filling_needs_the_masked_images_and_their_masks() -> None:
    with pytest.raises(ConfigError, match=r"source=\.\.\. and mask=\.\.\., .*; mask is missing"):
        tiny().sample(source=torch.zeros(2, 1, SIZE, SIZE))
    conditions = tiny().example_conditions(2)
    assert conditions["mask"].sum() == 2 * (SIZE // 2) ** 2 and not conditions["source"].any()


def test_the_config_trains_through_the_cli_and_sample_fills_held_out_holes(fashion_root: Path) -> None:
    cli = fit(*TINY_RUN, "--trainer.max_steps=3", "--trainer.default_root_dir=run")
    model = cli.model
    assert type(model).__name__ == "Inpainting" and cli.trainer.global_step == 3
    assert (model.reconstruction, model.reconstruction_weight) == ("l2", 999.0)
    held_out = cli.datamodule.held_out_batch(4)
    assert held_out["mask"][0, 0, 4:12, 4:12].all() and held_out["mask"].sum() == 4 * 8 * 8  # the centre half
    assert main(["sample", "--ckpt", "run/checkpoints/last.ckpt", "--n", "4", "--out", "t.pt"]) == 0
    filled = torch.load("t.pt")
    assert torch.allclose(filled, model.sample(source=held_out["source"], mask=held_out["mask"]))
    known = ~held_out["mask"].bool()
    assert torch.equal(filled[known], held_out["source"][known])
    # the pictures of training: each row of 8 held-out masked inputs, then their filled images, then the targets
    picture = np.asarray(Image.open(sorted(Path("run/samples").glob("*.png"))[-1]))
    drawn = min(64, len(cli.datamodule.val_set))  # FixedNoiseSamples' 64 images, if held out
    assert picture.shape[:2] == (3 * drawn // 8 * (SIZE + 2) + 2, 8 * (SIZE + 2) + 2)
    rows = [held_out["source"][0], filled[0], held_out["real"][0]]
    for row, image in enumerate(rows):
        top = 2 + row * (SIZE + 2)
        tile = picture[top : top + SIZE, 2 : 2 + SIZE, 0].astype(int)
        assert np.abs(tile - ((image[0] + 1) * 127.5).round().numpy()).max() <= 1, row


def test_a_resumed_run_ends_with_the_weights_of_one_that_never_stopped(fashion_root: Path) -> None:
    straight = fit(*TINY_RUN, "--trainer.max_steps=6", "--trainer.default_root_dir=straight")
    fit(*TINY_RUN, "--trainer.max_steps=3", "--trainer.default_root_dir=resumed")
    resumed = fit(*TINY_RUN, "--trainer.max_steps=6", "--trainer.default_root_dir=resumed", "--ckpt_path=last")
    assert resumed.trainer.global_step == 6
    assert_same_weights(state_of(straight.model), state_of(resumed.model))
