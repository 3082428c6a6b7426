"""StyleGAN: a mapping network, styles at every convolution (AdaIN or modulation), per-layer noise, style mixing,
the W average, lazy R1, path-length regularisation, the style-mixing and noise figures, exact resumes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import assert_same_weights, fit, quiet_trainer, state_of
from PIL import Image
from torch import nn
from variant_helpers import RecordDiscriminatorSteps

from lightgan.app.cli import main
from lightgan.core.checkpoint import load_gan
from lightgan.core.steps import GeneratorStep
from lightgan.data import MNIST
from lightgan.errors import ConfigError
from lightgan.models import DCGAN, StyleGAN
from lightgan.monitors import StyleMixing
from lightgan.monitors.style_mixing import noise_variation_images, style_mixing_images, style_mixing_picture
from lightgan.nets.equalized import EqualizedLinear, PixelNorm
from lightgan.nets.stylegan import STYLE_MODES, NoiseInput, StyledConv, ToRGB, modulated_conv2d
from lightgan.tricks import SpectralNorm

SIZE = 16
TINY_CLI = [
    "--model=StyleGAN",
    "--model.init_args.latent_dim=8",
    "--model.init_args.base_channels=4",
    "--model.init_args.max_channels=8",
    "--model.init_args.r1_every=2",
    "--data=MNIST",
    "--data.init_args.download=false",
    f"--data.init_args.image_size={SIZE}",
    "--data.init_args.batch_size=8",
    "--trainer.limit_val_batches=1",
    "--trainer.callbacks+=GeneratorEMA",
    "--seed_everything=3",
]


def tiny(**kwargs) -> StyleGAN:
    torch.manual_seed(0)
    return StyleGAN(data_shape=(1, SIZE, SIZE), latent_dim=8, base_channels=4, max_channels=8, **kwargs)


def batch(n: int = 4) -> dict[str, torch.Tensor]:
    return {"real": torch.rand(n, 1, SIZE, SIZE, generator=torch.Generator().manual_seed(9)) * 2 - 1}


def test_the_mapping_network_is_pixel_norm_then_8_layers_learning_100_times_slower() -> None:
    mapping = tiny().generator.mapping
    assert isinstance(mapping.net[0], PixelNorm)
    linears = [module for module in mapping.net if isinstance(module, EqualizedLinear)]
    assert len(linears) == 8 and {layer.lr_multiplier for layer in linears} == {0.01}
    assert [module.negative_slope for module in mapping.net if isinstance(module, nn.LeakyReLU)] == [0.2] * 8
    assert len([m for m in tiny(mapping_layers=3).generator.mapping.net if isinstance(m, EqualizedLinear)]) == 3


@pytest.mark.parametrize("mode", STYLE_MODES)
def test_each_w_changes_the_image_from_its_resolution_up_and_nothing_below(mode: str) -> None:
    generator = tiny(style_mode=mode).generator.eval()
    outputs: dict[str, torch.Tensor] = {}
    for name, module in generator.synthesis.named_modules():
        if isinstance(module, StyledConv | ToRGB):
            module.register_forward_hook(lambda m, args, out, name=name: outputs.__setitem__(name, out))
    ws = generator.mapping(torch.randn(2, 8))
    image = generator.synthesis(ws)
    before = dict(outputs)
    levels = len(generator.synthesis.blocks)
    assert generator.num_ws == 2 * levels == 6
    for index in range(generator.num_ws):
        changed = ws.clone()
        changed[:, index] = torch.randn(2, 8)
        other = generator.synthesis(changed)
        moved = {int(name.split(".")[1]) for name, out in outputs.items() if not torch.equal(out, before[name])}
        assert moved == set(range(index // 2, levels)), index  # resolution 4 * 2 ** (index // 2) and above
        assert not torch.allclose(other, image), index


def test_adain_sets_each_feature_maps_mean_and_spread_from_the_style() -> None:
    torch.manual_seed(0)
    layer = StyledConv(4, 6, w_dim=8, resolution=8, mode="adain")
    w = torch.randn(3, 8)
    out = layer(torch.randn(3, 4, 8, 8), w, None, random_noise=False)
    scale, shift = layer.affine(w).view(3, 2, 6).unbind(1)
    assert torch.allclose(out.mean(dim=(2, 3)), shift, atol=1e-5)
    assert torch.allclose(out.std(dim=(2, 3), unbiased=False), (1 + scale).abs(), rtol=1e-3)


def test_modulation_scales_the_weights_input_channels_and_demodulation_normalises_each_output() -> None:
    torch.manual_seed(0)
    x, weight, styles = torch.randn(3, 4, 6, 6), torch.randn(5, 4, 3, 3), torch.rand(3, 4) + 0.5
    out = modulated_conv2d(x, weight, styles)
    for i in range(3):
        modulated = weight * styles[i].view(1, 4, 1, 1)
        demodulated = modulated / modulated.square().sum(dim=(1, 2, 3), keepdim=True).sqrt()
        assert torch.allclose(out[i : i + 1], F.conv2d(x[i : i + 1], demodulated, padding=1), atol=1e-5)
    assert torch.allclose(modulated_conv2d(x, weight, 3 * styles), out, atol=1e-5)  # only relative scales count
    plain = modulated_conv2d(x, weight, styles, demodulate=False)
    assert torch.allclose(plain[1:2], F.conv2d(x[1:2], weight * styles[1].view(1, 4, 1, 1), padding=1), atol=1e-5)


def test_noise_scales_start_at_zero_and_noise_varies_the_image_in_training_once_they_are_not() -> None:
    generator = tiny().generator
    layers = [module for module in generator.modules() if isinstance(module, NoiseInput)]
    assert len(layers) == len([m for m in generator.modules() if isinstance(m, StyledConv)])  # one per convolution
    assert all(torch.equal(layer.scale, torch.zeros_like(layer.scale)) for layer in layers)
    ws = generator.mapping(torch.randn(2, 8))

    def draw(seed: int) -> torch.Tensor:
        return generator.synthesis(ws, torch.Generator().manual_seed(seed))

    assert torch.equal(draw(1), draw(2))
    with torch.no_grad():
        for layer in layers:
            layer.scale.fill_(0.5)
    assert not torch.allclose(draw(1), draw(2)) and torch.equal(draw(1), draw(1))
    generator.eval()  # samples: the fixed noise maps, whatever the random source
    assert torch.equal(draw(1), draw(2))
    assert not torch.allclose(generator.synthesis(ws, noise="random"), draw(1))


@pytest.mark.parametrize("mixing_prob", [0.9, 0.0])
def test_two_latents_styles_mix_in_about_mixing_prob_of_the_batches(mixing_prob: float) -> None:
    model = tiny(mixing_prob=mixing_prob)
    seen: list[torch.Tensor] = []
    model.generator.synthesis.register_forward_pre_hook(lambda module, args: seen.append(args[0]))
    rng = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for _ in range(200 if mixing_prob else 50):
            model.make_fakes(batch(2), rng)
    cutoffs = []
    for ws in seen:
        switches = [i for i in range(1, ws.shape[1]) if not torch.equal(ws[:, i], ws[:, i - 1])]
        assert len(switches) <= 1  # the first latent's w up to a layer, the second's from it on
        if switches:
            cutoffs.append(switches[0])
            assert not torch.allclose(ws[0, 0], ws[0, -1]) and not torch.allclose(ws[1, 0], ws[1, -1])
    assert abs(len(cutoffs) / len(seen) - mixing_prob) < 0.06  # 3 standard deviations of 200 draws
    assert set(cutoffs) == (set(range(1, model.generator.num_ws)) if mixing_prob else set())


def test_w_avg_is_a_moving_average_of_mapped_latents_and_in_the_state_dict() -> None:
    model = tiny(w_avg_beta=0.9)
    mapping = model.generator.mapping
    expected = torch.zeros(8)
    for seed in range(3):
        z = torch.randn(5, 8, generator=torch.Generator().manual_seed(seed))
        model.after_generator_step(GeneratorStep(batch={}, z=z, fake=torch.zeros(5, 1, SIZE, SIZE)))
        expected = 0.9 * expected + 0.1 * mapping(z)[:, 0].mean(0)
        assert torch.allclose(mapping.w_avg, expected, atol=1e-6)
    copy = tiny()
    copy.load_state_dict(model.state_dict())
    assert torch.equal(copy.generator.mapping.w_avg, mapping.w_avg)


def test_lazy_r1_adds_r1_every_times_gamma_times_the_penalty_on_every_r1_every_th_d_update() -> None:
    model = tiny(r1_every=4, r1_gamma=2.0)
    real = batch()["real"]
    for updates in range(8):
        model.discriminator_updates.fill_(updates)
        step = model.discriminator_step(batch(), generator=torch.Generator().manual_seed(0), hooks=False)
        adversarial = model.loss.discriminator_loss(step.real_out, step.fake_out)
        if updates % 4:
            assert torch.equal(step.loss, adversarial) and "train/lazy_r1" not in step.logs
            continue
        points = real.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(model.discriminator(points).sum(), points)
        r1 = 0.5 * grad.flatten(1).square().sum(1).mean()
        assert torch.allclose(step.logs["train/lazy_r1"], r1, rtol=1e-4)
        assert torch.allclose(step.loss - adversarial, 4 * 2.0 * r1, rtol=1e-4)
    model.eval()  # evaluation scores D's objective alone
    model.discriminator_updates.zero_()
    assert "train/lazy_r1" not in model.discriminator_step(batch(), generator=torch.Generator(), hooks=False).logs


def test_path_length_regularisation_is_off_by_default_and_every_pl_every_g_updates_when_on(monkeypatch) -> None:
    plain, regularised = tiny(), tiny(pl_weight=2.0, pl_every=4)
    regularised.load_state_dict(plain.state_dict())
    steps = [
        m.generator_step(batch(), generator=torch.Generator().manual_seed(0), hooks=False) for m in (plain, regularised)
    ]
    assert "train/path_length" not in steps[0].logs and torch.equal(steps[0].loss, steps[1].adversarial_loss)
    length = steps[1].logs["train/path_length"]
    assert length > 0 and torch.allclose(regularised.pl_mean, 0.01 * length)  # a running mean from 0, decay 0.01
    assert steps[1].loss > steps[1].adversarial_loss
    steps[1].loss.backward()  # the penalty's gradient reaches the mapping and synthesis networks
    assert regularised.generator.mapping.net[1].weight.grad.abs().sum() > 0
    monkeypatch.setattr(StyleGAN, "global_step", property(lambda self: 1))
    later = regularised.generator_step(batch(), generator=torch.Generator().manual_seed(0), hooks=False)
    assert "train/path_length" not in later.logs and torch.equal(later.loss, later.adversarial_loss)


@pytest.mark.parametrize("mode", STYLE_MODES)
def test_both_style_modes_train_with_lazy_r1_and_the_w_average(mode: str, mnist_root: Path) -> None:
    model = tiny(style_mode=mode, r1_every=2, seed=0)
    before = state_of(model)
    record = RecordDiscriminatorSteps()
    trainer = quiet_trainer(max_steps=5, limit_val_batches=0, callbacks=[record])
    trainer.fit(model, MNIST(root=str(mnist_root), image_size=SIZE, batch_size=8))
    assert ["train/lazy_r1" in step.logs for step in record.steps] == [True, False, True, False, True]
    assert int(model.discriminator_updates) == 5
    after = state_of(model)
    for part in ("generator.mapping.", "generator.synthesis.", "discriminator."):
        trained = [k for k in before if k.startswith(part) and not k.endswith(".fixed")]  # not the fixed noise maps
        assert any(not torch.equal(before[k], after[k]) for k in trained), part
    assert model.generator.mapping.w_avg.abs().sum() > 0
    settings = {(opt.param_groups[0]["lr"], opt.param_groups[0]["betas"]) for opt in trainer.optimizers}
    assert settings == {(2e-3, (0.0, 0.99))}


def test_style_mixing_rows_take_each_range_of_styles_from_their_source() -> None:
    model = tiny()
    sources, destinations = torch.randn(2, 8), torch.randn(3, 8)
    ranges = model.style_ranges()
    assert ranges == {"coarse": range(0, 2), "middle": range(2, 4), "fine": range(4, 6)}  # 4, 8 and 16 px
    grid = style_mixing_images(model, sources, destinations).unflatten(0, (1 + 3 * 2, 4))
    with model.sampling_networks_ready():
        source_ws, destination_ws = model.styles(sources), model.styles(destinations)
        assert (grid[0, 0] == -1).all() and torch.allclose(grid[0, 1:], model.synthesize(destination_ws), atol=1e-5)
        for block, layers in enumerate(ranges.values()):
            for s in range(2):
                row = grid[1 + 2 * block + s]
                assert torch.allclose(row[0], model.synthesize(source_ws[s : s + 1])[0], atol=1e-5)
                expected = destination_ws.clone()
                expected[:, layers] = source_ws[s, layers]
                assert torch.allclose(row[1:], model.synthesize(expected), atol=1e-5)
                assert not torch.allclose(row[1:], grid[0, 1:])


def test_the_noise_figure_shows_each_pixels_spread_over_noise_draws() -> None:
    model = tiny()
    rows = noise_variation_images(model, torch.randn(2, 8), 3, torch.Generator().manual_seed(0)).unflatten(0, (2, 4))
    assert torch.equal(rows[0, 0], rows[0, 1]) and (rows[:, 3] == -1).all()  # noise scales 0: no spread
    with torch.no_grad():
        for layer in model.generator.modules():
            if isinstance(layer, NoiseInput):
                layer.scale.fill_(0.5)
    rows = noise_variation_images(model, torch.randn(2, 8), 3, torch.Generator().manual_seed(0)).unflatten(0, (2, 4))
    assert not torch.allclose(rows[0, 0], rows[0, 1])
    assert rows[0, 3].max() == 1 and rows[0, 3].min() > -1  # the row's largest spread white, every pixel varies


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"data_shape": (1, 28, 28)}, r"power of two >= 8 \(8, 16, 32, 64, \.\.\.\), got 28x28"),
        ({"data_shape": (1, 4, 4)}, r"power of two >= 8 .*got 4x4"),
        ({"mixing_prob": 1.5}, r"mixing_prob must be in \[0, 1\], got 1\.5"),
        ({"style_mode": "wavelet"}, r"style_mode must be one of adain, modulated, got 'wavelet'"),
        ({"mapping_layers": 0}, r"mapping_layers must be an integer >= 1"),
        ({"r1_every": 0}, r"r1_every must be an integer >= 1"),
        ({"w_avg_beta": 1.0}, r"w_avg_beta must be in \[0, 1\), got 1\.0"),
        ({"r1_gamma": -1.0}, r"r1_gamma must be in \[0, inf\)"),
    ],
)
def test_bad_settings_stop_in_one_line(kwargs: dict, message: str) -> None:
    settings = {"data_shape": (1, SIZE, SIZE), "latent_dim": 8, "base_channels": 4, **kwargs}
    with pytest.raises(ConfigError, match=message):
        StyleGAN(**settings)


def test_spectral_norm_is_refused_and_the_style_mixing_monitor_needs_a_style_based_model(mnist_root: Path) -> None:
    data = MNIST(root=str(mnist_root), image_size=SIZE, batch_size=8)
    with pytest.raises(ConfigError, match=r"SpectralNorm finds no linear or convolution layer in StyleGAN's disc"):
        quiet_trainer(max_steps=1, callbacks=[SpectralNorm()]).fit(tiny(), data)
    dcgan = DCGAN(data_shape=(1, SIZE, SIZE), latent_dim=8, base_channels=4)
    with pytest.raises(
        ConfigError, match=r"StyleMixing needs a style-based generator \(StyleGAN\), but DCGAN has none"
    ):
        quiet_trainer(max_steps=1, callbacks=[StyleMixing()]).fit(dcgan, data)


def test_style_figures_are_drawn_in_training_and_by_lightgan_sample(mnist_root: Path) -> None:
    cli = fit(*TINY_CLI, "--trainer.max_epochs=1", "--trainer.limit_train_batches=2")
    pictures = sorted((cli.run_dir / "style_mixing").glob("*.png"))  # brought along: 3 sources x 5 destinations
    assert len(pictures) == 1 and np.asarray(Image.open(pictures[0])).shape == ((1 + 3 * 3) * 18 + 2, 6 * 18 + 2, 3)
    ckpt = str(cli.run_dir / "checkpoints" / "last.ckpt")
    assert main(["sample", "--ckpt", ckpt, "--style-mix", "--n", "6", "--nrow", "3", "--out", "mix.png"]) == 0
    figure = np.asarray(Image.open("mix.png"))
    assert figure.shape == ((1 + 3 * 2) * 18 + 2, 4 * 18 + 2, 3)  # 2 sources a block, 3 destinations
    assert np.array_equal(figure, style_mixing_picture(load_gan(ckpt), 2, 3, seed=0))
    assert main(["sample", "--ckpt", ckpt, "--noise-variation", "--n", "4", "--nrow", "2", "--out", "noise.png"]) == 0
    assert np.asarray(Image.open("noise.png")).shape == (2 * 18 + 2, 3 * 18 + 2, 3)  # 2 draws and the spread
    assert main(["sample", "--ckpt", ckpt, "--style-mix", "--out", "mix.pt"]) == 2


def test_a_resumed_run_ends_with_the_weights_of_one_that_never_stopped(mnist_root: Path) -> None:
    straight = fit(*TINY_CLI, "--trainer.max_steps=6", "--trainer.default_root_dir=straight")
    fit(*TINY_CLI, "--trainer.max_steps=3", "--trainer.default_root_dir=resumed")
    resumed = fit(*TINY_CLI, "--trainer.max_steps=6", "--trainer.default_root_dir=resumed", "--ckpt_path=last")
    assert int(resumed.model.discriminator_updates) == 6
    assert_same_weights(state_of(straight.model), state_of(resumed.model))
