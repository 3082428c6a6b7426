"""ProGAN: G and D grow together, the new resolution fading in over a number of real images, with WGAN-GP + drift.

The schedule, the fade-in of both networks (checked by hand), the pooled reals, the layers the
paper asks for and the objective are checked on tiny networks; through the CLI a run crosses
every stage of a tiny schedule, draws each stage's resolution, samples at full resolution at
the end, and a run stopped in the middle of a fade resumes to the weights of one that never stopped.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import assert_same_weights, fit, last_checkpoint, quiet_trainer, state_of
from PIL import Image
from variant_helpers import RecordDiscriminatorSteps, RecordInputs, hand_penalty, variant_discriminator_loss

from lightgan import callbacks as C
from lightgan.app.cli import main
from lightgan.core.checkpoint import CHECKPOINT_KEY, load_gan
from lightgan.data import MNIST, FashionMNIST
from lightgan.errors import ConfigError
from lightgan.models import ProGAN
from lightgan.models.progan import GrowthSchedule
from lightgan.monitors.samples import FixedNoiseSamples
from lightgan.nets.equalized import EqualizedConv2d, EqualizedLinear, MinibatchStdDev, PixelNorm

#: 16 px Fashion-MNIST in batches of 8, 4 -> 8 -> 16: stage 0 takes steps 0-1, stage 1 fades in over steps 2-3 and
#: is stable over 4-5, stage 2 fades in over 6-7 and goes on from step 8.
PROGAN = [
    "--model=ProGAN",
    "--model.init_args.base_channels=4",
    "--model.init_args.latent_dim=8",
    "--model.init_args.fade_images=16",
    "--model.init_args.stable_images=16",
    "--data=FashionMNIST",
    "--data.init_args.root=data",
    "--data.init_args.image_size=16",
    "--data.init_args.batch_size=8",
    "--trainer.limit_val_batches=1",
    "--seed_everything=3",
]


def tiny(size: int = 16, **kwargs) -> ProGAN:
    torch.manual_seed(0)
    return ProGAN(data_shape=(1, size, size), base_channels=4, latent_dim=8, seed=0, **kwargs)


def reals(n: int = 8, size: int = 16) -> dict[str, torch.Tensor]:
    return {"real": torch.rand(n, 1, size, size, generator=torch.Generator().manual_seed(1)) * 2 - 1}


def mean_pooled(x: torch.Tensor, factor: int) -> torch.Tensor:
    """Average pooling by hand: the mean of each factor x factor square."""
    n, c, h, w = x.shape
    return x.reshape(n, c, h // factor, factor, w // factor, factor).mean(dim=(3, 5))


def enlarged(x: torch.Tensor, factor: int) -> torch.Tensor:
    """Nearest-neighbour upsampling by hand: every pixel repeated factor x factor times."""
    return x.repeat_interleave(factor, dim=-2).repeat_interleave(factor, dim=-1)


def test_alpha_rises_linearly_over_the_fade_and_stages_switch_at_the_configured_images() -> None:
    schedule = GrowthSchedule((4, 8, 16, 32), fade_images=100, stable_images=50)
    assert [schedule.stage_start(stage) for stage in range(4)] == [0, 50, 200, 350]
    assert [schedule.at(images) for images in (0, 49)] == [(0, 1.0), (0, 1.0)]  # nothing to fade from
    for start, stage in ((50, 1), (200, 2), (350, 3)):
        fade = [schedule.at(start + i) for i in range(100)]
        assert {s for s, _ in fade} == {stage} and [a for _, a in fade] == [i / 100 for i in range(100)]
        assert schedule.at(start + 100) == schedule.at(start + 149) == (stage, 1.0)  # stable
    assert schedule.at(10**9) == (3, 1.0)  # the last stage goes on

    model = tiny(size=32, resolutions=[4, 8, 16, 32], fade_images=100, stable_images=50)
    model.images_shown = 275
    assert (model.stage, model.resolution, model.alpha) == (2, 16, 0.75)


def test_the_stage_follows_the_real_images_d_was_shown_during_training(fashion_root: Path) -> None:
    model = tiny(fade_images=16, stable_images=16)
    record = RecordDiscriminatorSteps()
    trainer = quiet_trainer(max_steps=9, limit_val_batches=0, callbacks=[record])
    trainer.fit(model, FashionMNIST(root=str(fashion_root), image_size=16, batch_size=8))
    seen = [(step.real.shape[-1], step.fake.shape[-1]) for step in record.steps]
    assert seen == [(4, 4)] * 2 + [(8, 8)] * 4 + [(16, 16)] * 3
    assert model.images_shown == 9 * 8 and (model.resolution, model.alpha) == (16, 1.0)
    assert trainer.callback_metrics["train/images_shown"] == 8 * 8  # logged as the last step began
    assert trainer.callback_metrics["train/fade_alpha"] == 1.0


def test_g_fades_the_new_block_in_over_the_upsampled_previous_path() -> None:
    g = tiny().generator
    z = torch.randn(4, 8, generator=torch.Generator().manual_seed(2))
    h4 = g.blocks[0](z)
    h8 = g.blocks[1](h4)
    new, old = g.to_rgb[1](h8), enlarged(g.to_rgb[0](h4), 2)
    assert torch.equal(g(z, 8, 1.0), new)
    assert torch.equal(g(z, 8, 0.0), old)
    assert torch.allclose(g(z, 8, 0.25), 0.75 * old + 0.25 * new, atol=1e-6)
    assert torch.equal(g(z, 16, 0.0), enlarged(new, 2))  # the next stage starts from this one's output
    assert torch.equal(g(z, 4), g.to_rgb[0](h4))


def test_d_fades_the_new_block_in_over_the_pooled_previous_path() -> None:
    d = tiny().discriminator
    x = torch.randn(8, 1, 8, 8, generator=torch.Generator().manual_seed(3))
    new = d.blocks[0](d.from_rgb[1](x))
    old = d.from_rgb[0](mean_pooled(x, 2))

    def score(h: torch.Tensor) -> torch.Tensor:
        return d.head(d.features(h)).view(-1)

    assert torch.allclose(d(x, 1.0), score(new), atol=1e-6)
    assert torch.allclose(d(x, 0.0), score(old), atol=1e-6)
    assert torch.allclose(d(x, 0.25), score(0.75 * old + 0.25 * new), atol=1e-6)


def test_d_sees_the_real_images_average_pooled_to_the_current_resolution() -> None:
    model = tiny(size=32, fade_images=16, stable_images=16)
    model.images_shown = 24  # stage 1 (8x8), halfway through its fade
    inputs = RecordInputs(model.discriminator)
    batch = reals(8, 32)
    step = model.discriminator_step(batch, generator=torch.Generator().manual_seed(0), hooks=False)
    assert step.fake.shape == (8, 1, 8, 8)
    assert torch.allclose(step.real, mean_pooled(batch["real"], 4), atol=1e-6)
    assert torch.equal(inputs.inputs[0], step.real) and torch.equal(inputs.inputs[1], step.fake)
    assert torch.equal(model.discriminate(batch["real"]), step.real_out)  # full-size data is pooled the same way


def test_every_weight_layer_has_the_equalised_learning_rate_g_pixel_norms_and_d_has_minibatch_std() -> None:
    model = tiny(size=32)
    g, d = model.generator, model.discriminator
    weighted = [m for net in (g, d) for m in net.modules() if next(m.parameters(recurse=False), None) is not None]
    assert len(weighted) == (1 + 7 + 4) + (4 + 6 + 3) and all(
        isinstance(m, EqualizedConv2d | EqualizedLinear) for m in weighted
    )
    assert isinstance(g.blocks[0][0], PixelNorm)  # the latent, normalised
    for block, count in zip(g.blocks, (1, 2, 2, 2), strict=True):  # every convolution: conv, LeakyReLU, pixel norm
        layers = list(block)
        convs = [i for i, m in enumerate(layers) if isinstance(m, EqualizedConv2d)]
        assert len(convs) == count and all(isinstance(layers[i + 2], PixelNorm) for i in convs)
    h = torch.randn(6, 8) * 5
    for block in g.blocks:  # features of unit root mean square at every pixel, whatever the scale of z
        h = block(h)
        assert torch.allclose(h.square().mean(dim=1), torch.ones(()), atol=1e-4)
    assert isinstance(d.features[0], MinibatchStdDev)
    x = torch.randn(4, 1, 32, 32)
    changed = x.clone()
    changed[1] = 3 * changed[1]
    assert not torch.allclose(d(x)[0], d(changed)[0])  # sample 0's score depends on its group


def test_ds_loss_is_wasserstein_plus_the_gradient_penalty_and_the_drift_term() -> None:
    model = tiny(fade_images=16, stable_images=16)
    model.images_shown = 20  # 8x8, alpha 0.25
    inputs = RecordInputs(model.discriminator)
    step = model.discriminator_context(reals(), model.find_player(role="discriminator"), model.noise_rng)
    loss = variant_discriminator_loss(model, step)
    interpolated = inputs.inputs[2]  # D saw real, fake, then the interpolates of the penalty
    assert interpolated.shape == (8, 1, 8, 8)
    drift = step.real_out.square().mean()
    assert torch.equal(step.logs["train/drift"], drift)
    penalty = hand_penalty(model.discriminate, interpolated)
    assert torch.allclose(step.logs["train/gradient_penalty"], penalty)
    expected = step.fake_out.mean() - step.real_out.mean() + 0.001 * drift + 10.0 * penalty
    assert torch.allclose(loss, expected)


def test_the_defaults_are_the_papers() -> None:
    model = tiny()
    opt_g, opt_d = model.configure_optimizers()
    for opt in (opt_g, opt_d):
        assert isinstance(opt, torch.optim.Adam)
        assert opt.param_groups[0]["lr"] == 1e-3 and opt.param_groups[0]["betas"] == (0.0, 0.99)
    # every block exists from the start: the optimizers train all of them, checkpoints have one set of keys
    assert sum(p.numel() for group in opt_g.param_groups for p in group["params"]) == sum(
        p.numel() for p in model.generator.parameters()
    )
    assert model.n_critic == 1 and model.schedule == GrowthSchedule((4, 8, 16), 800_000, 800_000)
    assert ProGAN(data_shape=(3, 8, 8), base_channels=4).latent_dim == 512


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"resolutions": [4, 8]}, r"resolutions must end at the data's resolution 16, got \[4, 8\]\. Use e\.g\. \["),
        ({"resolutions": [4, 16]}, r"resolutions must double .* from 4 or more up to 16 \(e\.g\. \[4, 8, 16\]\), got"),
        ({"resolutions": [2, 4, 8, 16]}, r"must double from one stage to the next"),
        ({"data_shape": (1, 28, 28)}, r"power of two >= 4 \(4, 8, 16, 32, 64, \.\.\.\), got 28x28"),
        ({"data_shape": (1, 16, 8)}, r"ProGAN needs square images, got 16x8"),
        ({"fade_images": -1}, r"fade_images must be an integer >= 0 .*got -1"),
        ({"stable_images": 0}, r"stable_images must be an integer >= 1 .*got 0"),
        ({"drift_weight": -0.1}, r"drift_weight must be >= 0"),
    ],
)
def test_bad_settings_are_named_in_one_line(kwargs: dict, message: str) -> None:
    arguments = {"data_shape": (1, 16, 16), "base_channels": 4, **kwargs}
    with pytest.raises(ConfigError, match=message):
        ProGAN(**arguments)


def test_a_later_first_stage_is_allowed() -> None:
    model = tiny(resolutions=[8, 16], fade_images=16, stable_images=16)
    assert (model.resolution, model.alpha) == (8, 1.0)  # blocks below 8x8 always run, without a fade
    model.images_shown = 16
    assert (model.resolution, model.alpha) == (16, 0.0)


@pytest.mark.parametrize(
    ("trick", "message"),
    [
        (C.SpectralNorm, "SpectralNorm finds no linear or convolution layer in ProGAN's discriminator"),
        (C.ExperienceReplay, "ProGAN cannot train with ExperienceReplay: .* Remove it from trainer"),
    ],
    ids=["SpectralNorm", "ExperienceReplay"],
)
def test_tricks_that_cannot_work_on_a_growing_gan_are_refused_in_one_line(
    trick: type, message: str, fashion_root: Path
) -> None:
    data = FashionMNIST(root=str(fashion_root), image_size=16, batch_size=8)
    with pytest.raises(ConfigError, match=message):
        quiet_trainer(max_steps=1, callbacks=[trick()]).fit(tiny(), data)


def test_tricks_that_see_images_or_change_d_keep_working_as_the_resolution_grows(mnist_root: Path) -> None:
    tricks = [
        C.ADA(initial_p=0.5, interval=1),
        C.DiffAugment(),
        C.InstanceNoise(),
        C.FeatureMatching(adversarial_weight=1.0),
        C.MinibatchDiscrimination(num_kernels=4),
        C.R1Penalty(),
        C.GeneratorEMA(),
        C.DiscriminatorOverfitting(),
    ]
    model = tiny(fade_images=32, stable_images=16)  # steps 1-3 and 4-6 fade in 8x8 and 16x16 (alpha 0, 0.5, 1)
    trainer = quiet_trainer(max_steps=7, callbacks=tricks, limit_val_batches=1, val_check_interval=3)
    trainer.fit(model, MNIST(root=str(mnist_root), image_size=16, batch_size=16))
    assert (model.resolution, model.alpha) == (16, 1.0) and model.generator_ema is not None
    assert all(bool(torch.isfinite(p).all()) for p in model.parameters())
    logged = trainer.callback_metrics.keys()
    assert {"train/ada_p", "train/feature_matching", "train/r1_penalty", "health/r_t"} <= logged


def tile(grid: np.ndarray, index: int, size: int = 16) -> np.ndarray:
    """Image ``index`` of the first row of a grid of ``size``-pixel images with make_grid's 2-pixel padding."""
    left = 2 + index * (size + 2)
    return grid[2 : 2 + size, left : left + size].astype(int)


def test_a_run_crosses_every_stage_draws_each_resolution_and_samples_at_full_resolution(fashion_root: Path) -> None:
    pictures = [
        "--trainer.callbacks+=FixedNoiseSamples",
        "--trainer.callbacks.every_n_epochs=0",
        "--trainer.callbacks.every_n_steps=2",
        "--trainer.callbacks.num_images=8",
    ]
    cli = fit(*PROGAN, *pictures, "--trainer.max_steps=10", "--trainer.default_root_dir=run")
    model, trainer = cli.model, cli.trainer
    assert trainer.global_step == 10 and model.images_shown == 80 and (model.resolution, model.alpha) == (16, 1.0)
    assert torch.isfinite(trainer.callback_metrics["train/gradient_penalty"])

    # pictures after steps 2, 4, 6, 8, 10: the resolution of the step to come, enlarged to 16 px
    saved = next(cb for cb in trainer.callbacks if isinstance(cb, FixedNoiseSamples)).saved
    blocks = {2: 4, 4: 2, 6: 2, 8: 1, 10: 1}  # 8x8 (alpha 0: 4x4 enlarged), 8x8, 16x16 (alpha 0), 16x16, 16x16
    assert len(saved) == len(blocks)
    for path, factor in zip(saved, blocks.values(), strict=True):
        image = tile(np.asarray(Image.open(path))[..., 0], 0)
        coarse = enlarged(torch.from_numpy(image)[None, None, ::factor, ::factor], factor)[0, 0].numpy()
        assert np.array_equal(image, coarse), (path.name, factor)
    final = tile(np.asarray(Image.open(saved[-1]))[..., 0], 0)
    assert not np.array_equal(final[::2, ::2].repeat(2, 0).repeat(2, 1), final)  # full resolution at the end

    ckpt = last_checkpoint(cli.run_dir)
    assert main(["sample", "--ckpt", str(ckpt), "--n", "6", "--seed", "4", "--out", "s.pt"]) == 0
    loaded = load_gan(ckpt)
    assert loaded.images_shown == 80 and loaded.resolution == 16
    z = loaded.sample_inputs(6, generator=torch.Generator().manual_seed(4))[0]
    expected = loaded.generator.eval()(z, 16, 1.0)
    assert torch.allclose(torch.load("s.pt"), expected, atol=1e-6)


def test_a_run_stopped_in_the_middle_of_a_fade_resumes_exactly(fashion_root: Path) -> None:
    ema = ["--trainer.callbacks+=GeneratorEMA"]
    straight = fit(*PROGAN, *ema, "--trainer.max_steps=8", "--trainer.default_root_dir=straight")
    stopped = fit(*PROGAN, *ema, "--trainer.max_steps=3", "--trainer.default_root_dir=resumed")
    growth = torch.load(last_checkpoint(stopped.run_dir), weights_only=True)[CHECKPOINT_KEY]["growth"]
    assert growth == {"images_shown": 24, "resolution": 8, "alpha": 0.5}
    resumed = fit(*PROGAN, *ema, "--trainer.max_steps=8", "--trainer.default_root_dir=resumed", "--ckpt_path=last")
    assert resumed.trainer.global_step == 8 and resumed.model.images_shown == straight.model.images_shown == 64
    assert_same_weights(state_of(straight.model), state_of(resumed.model))
    for opt_a, opt_b in zip(straight.trainer.optimizers, resumed.trainer.optimizers, strict=True):
        for state_a, state_b in zip(opt_a.state.values(), opt_b.state.values(), strict=True):
            assert_same_weights(state_a, state_b)


def test_samples_are_the_current_resolution_enlarged_to_the_datas_size() -> None:
    model = tiny(fade_images=16, stable_images=16)
    z = torch.randn(3, 8)
    assert torch.equal(model.sample(z=z), enlarged(model.generator(z, 4), 4))
    model.images_shown = 40  # 8x8, stable
    assert torch.equal(model.sample(z=z), enlarged(model.generator(z, 8), 2))
    assert model.generate(z).shape == (3, 1, 8, 8)  # training works at the current resolution
