"""pix2pix: G translates paired inputs, D judges (input, image) pairs patch by patch, G's loss adds lambda x L1.

It trains through the CLI on paired data, resumes bit-exactly (dropout, its noise, included),
and ``lightgan sample`` draws held-out inputs above their translations and their targets.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import assert_same_weights, fit, quiet_trainer, state_of
from paired_data import SIZE, PairedSquares
from PIL import Image

from lightgan.app.cli import main
from lightgan.errors import ConfigError
from lightgan.models import Pix2Pix

PIX2PIX = [
    "--model=Pix2Pix",
    "--model.init_args.base_channels=4",
    "--model.init_args.source_channels=1",
    "--data=paired_data.PairedSquares",
    "--data.init_args.batch_size=8",  # 64 samples: 8 batches an epoch
    "--trainer.limit_val_batches=1",
    "--trainer.callbacks+=GeneratorEMA",
    "--seed_everything=5",
]


def tiny(**kwargs) -> Pix2Pix:
    return Pix2Pix(data_shape=(3, SIZE, SIZE), source_channels=1, base_channels=4, **kwargs)


def held_out(n: int) -> dict[str, torch.Tensor]:
    data = PairedSquares()
    data.setup("fit")
    return data.held_out_batch(n)


def test_d_judges_input_output_pairs_stacked_along_channels() -> None:
    model = tiny()
    first = next(m for m in model.discriminator.modules() if isinstance(m, torch.nn.Conv2d))
    assert first.in_channels == 1 + 3
    batch = held_out(8)
    step = model.discriminator_step(batch, generator=torch.Generator().manual_seed(0), hooks=False)
    assert step.real_out.shape == (8, 1, 2, 2)  # 16 px: two layers of stride 2, a 2x2 grid of patches
    assert torch.equal(step.real_out, model.discriminator(torch.cat([batch["source"], batch["real"]], 1)))
    assert torch.equal(step.fake_out, model.discriminator(torch.cat([batch["source"], step.fake], 1)))
    assert not torch.equal(model.discriminate(batch["real"], source=-batch["source"]), step.real_out)


def test_the_generator_loss_is_the_adversarial_loss_plus_lambda_times_l1() -> None:
    batch = held_out(8)
    without = tiny(l1_weight=0.0)
    weighted = tiny(l1_weight=100.0)
    weighted.load_state_dict(without.state_dict())
    steps = [
        model.generator_step(batch, generator=torch.Generator().manual_seed(0), hooks=False)
        for model in (without, weighted)
    ]
    assert torch.equal(steps[0].fake, steps[1].fake)  # the same dropout masks, drawn from the step's generator
    l1 = (steps[1].fake - batch["real"]).abs().mean()
    assert l1 > 0 and torch.equal(steps[1].logs["train/g_l1"], l1.detach())
    assert torch.equal(steps[0].loss, steps[0].adversarial_loss)
    assert torch.allclose(steps[1].loss - steps[0].loss, 100 * l1)


@pytest.mark.parametrize("generator", ["unet", "resnet"])
def test_both_generators_train_with_the_papers_optimizer_settings(generator: str, caplog) -> None:
    model = tiny(generator=generator)
    before = state_of(model)
    trainer = quiet_trainer(max_steps=2, limit_val_batches=1, val_check_interval=2, log_every_n_steps=1)
    trainer.fit(model, PairedSquares(batch_size=8, seed=0))
    after = state_of(model)
    for network in ("generator", "discriminator"):
        assert any(not torch.equal(before[k], after[k]) for k in before if k.startswith(network)), network
    settings = [(opt.param_groups[0]["lr"], opt.param_groups[0]["betas"]) for opt in trainer.optimizers]
    assert settings == [(2e-4, (0.5, 0.999))] * 2
    for key in ("train/g_l1", "train/d_loss", "val/g_l1", "val/d_real_score"):
        assert torch.isfinite(trainer.callback_metrics[key]), key
    assert "Pix2Pix: D judges 34x34-pixel patches, a 2x2 grid per image (2 layers of stride 2)." in caplog.messages


def test_a_resumed_run_ends_with_the_weights_of_one_that_never_stopped() -> None:
    straight = fit(*PIX2PIX, "--trainer.max_steps=10", "--trainer.default_root_dir=straight")
    fit(*PIX2PIX, "--trainer.max_steps=3", "--trainer.default_root_dir=resumed")
    resumed = fit(*PIX2PIX, "--trainer.max_steps=10", "--trainer.default_root_dir=resumed", "--ckpt_path=last")
    assert resumed.trainer.global_step == 10 and resumed.model.generator_ema is not None
    assert_same_weights(state_of(straight.model), state_of(resumed.model))
    for opt_a, opt_b in zip(straight.trainer.optimizers, resumed.trainer.optimizers, strict=True):
        for state_a, state_b in zip(opt_a.state.values(), opt_b.state.values(), strict=True):
            assert_same_weights(state_a, state_b)


def tile(grid: np.ndarray, row: int, col: int) -> np.ndarray:
    """Image ``(row, col)`` of a grid of SIZE-pixel images with make_grid's 2-pixel padding."""
    top, left = 2 + row * (SIZE + 2), 2 + col * (SIZE + 2)
    return grid[top : top + SIZE, left : left + SIZE]


def as_pixels(image: torch.Tensor) -> np.ndarray:
    return ((image.expand(3, -1, -1).permute(1, 2, 0).clamp(-1, 1) + 1) * 127.5).round().numpy().astype(np.uint8)


def test_sample_translates_held_out_inputs_and_draws_them_above_their_outputs_and_targets() -> None:
    cli = fit(*PIX2PIX, "--trainer.max_steps=2", "--trainer.default_root_dir=run")
    model, ckpt = cli.model, "run/checkpoints/last.ckpt"
    batch = held_out(8)
    sources = batch["source"]
    assert main(["sample", "--ckpt", ckpt, "--n", "5", "--out", "t.pt"]) == 0
    expected = model.sample(source=sources[:5])
    assert torch.allclose(torch.load("t.pt"), expected)
    assert torch.equal(expected, model.generator_ema.eval()(sources[:5]))  # the average, dropout off

    assert main(["sample", "--ckpt", ckpt, "--n", "8", "--nrow", "4", "--out", "t.png"]) == 0
    grid = np.asarray(Image.open("t.png"))
    assert grid.shape[:2] == (6 * (SIZE + 2) + 2, 4 * (SIZE + 2) + 2)  # inputs, outputs, targets, twice
    outputs = model.sample(source=sources)
    for i in range(8):
        row, col = 3 * (i // 4), i % 4
        assert np.array_equal(tile(grid, row, col), as_pixels(sources[i]))
        assert np.abs(tile(grid, row + 1, col).astype(int) - as_pixels(outputs[i]).astype(int)).max() <= 1
        assert np.array_equal(tile(grid, row + 2, col), as_pixels(batch["real"][i]))

    # the pictures of training: the 16 held-out inputs, 8 a row, each row above its outputs and their targets
    picture = np.asarray(Image.open(sorted(Path("run/samples").glob("*.png"))[-1]))
    assert picture.shape[:2] == (6 * (SIZE + 2) + 2, 8 * (SIZE + 2) + 2)


def test_inputs_of_another_shape_are_refused_before_training() -> None:
    model = Pix2Pix(data_shape=(3, SIZE, SIZE), base_channels=4)  # built for 3-channel inputs; the data's have 1
    message = r"shape \(3, 16, 16\), but the data's are \(1, 16, 16\)\. Set model.init_args.source_channels: 1"
    with pytest.raises(ConfigError, match=message):
        quiet_trainer(max_steps=1).fit(model, PairedSquares(batch_size=8))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"depth": 5}, r"depth=5: .* The largest depth these images allow is 4"),
        ({"pack": 2}, r"pack=2: Pix2Pix cannot pack samples"),
        ({"dropout": 1.0}, r"dropout must be in \[0, 1\)"),
        ({"norm": "group"}, r"norm must be one of batch, instance, got 'group'"),
        ({"generator": "vgg"}, r"generator must be one of unet, resnet"),
        ({"d_layers": 0}, r"d_layers must be an integer >= 1"),
        ({"l1_weight": -1.0}, r"l1_weight must be >= 0"),
    ],
)
def test_bad_settings_are_named(kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        tiny(**kwargs)


def test_sampling_without_inputs_says_how_to_give_them() -> None:
    with pytest.raises(ConfigError, match=r"take the input images: give them as source=..., e.g. model.sample"):
        tiny().sample(4)


def test_predict_says_that_a_translator_needs_inputs(capsys: pytest.CaptureFixture[str]) -> None:
    ckpt = fit(*PIX2PIX, "--trainer.max_steps=1").run_dir / "checkpoints" / "last.ckpt"
    assert main(["predict", "--config", str(ckpt.parent.parent / "config.yaml"), f"--ckpt_path={ckpt}"]) == 2
    assert "lightgan sample --ckpt_path CKPT" in capsys.readouterr().err
