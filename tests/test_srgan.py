"""SRGAN and SRResNet: G enlarges ``source`` by ``scale`` through pixel shuffles; SRResNet trains it on the content
loss alone (one player, no D), SRGAN adds 1e-3 x the adversarial loss of a VGG-style D and can start from SRResNet's G.

The content loss is pixel MSE or the VGG loss of a local VGG19 file (fabricated here: nothing is downloaded);
both configs train through the CLI on fabricated Fashion-MNIST files.
"""

from __future__ import annotations

from pathlib import Path

import lightning as L
import numpy as np
import pytest
import torch
import torch.nn.functional as F
import torchvision
from helpers import assert_same_weights, fit, quiet_trainer, state_of
from PIL import Image

from lightgan.app.cli import main
from lightgan.data import MNIST, Degraded
from lightgan.errors import ConfigError
from lightgan.models import SRGAN, SRResNet
from lightgan.nets.srresnet import SRGANDiscriminator, SRResNetGenerator

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
TINY = {"scale": 2, "base_channels": 4, "blocks": 1}


def tiny(cls: type[SRResNet] = SRGAN, size: int = 16, **kwargs) -> SRResNet:
    return cls(data_shape=(1, size, size), **{**TINY, **kwargs})


def pair(n: int = 4, size: int = 16, scale: int = 2, seed: int = 0) -> dict[str, torch.Tensor]:
    rng = torch.Generator().manual_seed(seed)
    small = size // scale
    real = torch.rand(n, 1, size, size, generator=rng) * 2 - 1
    return {"real": real, "source": torch.rand(n, 1, small, small, generator=rng) * 2 - 1}


def degraded_mnist(root: Path, factor: int = 2) -> Degraded:
    base = MNIST(root=str(root), image_size=16)
    return Degraded(base=base, degradation="downsample", factor=factor, batch_size=8)


@pytest.mark.parametrize("scale", [2, 4, 8])
def test_g_enlarges_by_exactly_scale_with_one_pixel_shuffle_per_doubling(scale: int) -> None:
    g = SRResNetGenerator(channels=3, scale=scale, width=8, blocks=2)
    shuffles = [m for m in g.modules() if isinstance(m, torch.nn.PixelShuffle)]
    assert [m.upscale_factor for m in shuffles] == [2] * int(np.log2(scale))
    assert not any(isinstance(m, torch.nn.ConvTranspose2d | torch.nn.Upsample) for m in g.modules())
    out = g(torch.randn(2, 3, 5, 7) * 3)
    assert out.shape == (2, 3, 5 * scale, 7 * scale)
    assert out.abs().max() < 1  # tanh


def test_g_has_a_skip_over_its_residual_blocks() -> None:
    g = SRResNetGenerator(channels=1, scale=2, width=4, blocks=2)
    x = torch.randn(2, 1, 6, 6)
    torch.nn.init.zeros_(g.body[-1].weight)  # the scale of the BN after the blocks: they contribute nothing
    assert torch.allclose(g(x), g.tail(g.upsample(g.head(x))), atol=1e-6)  # what is left is the long skip


@pytest.mark.parametrize(("size", "grid"), [(28, 2), (96, 6), (200, 6), (16, 1)])
def test_d_gives_one_logit_per_image_from_at_most_the_papers_6x6_map(size: int, grid: int) -> None:
    d = SRGANDiscriminator(channels=3, image_size=(size, size), base_channels=2)
    dense = next(m for m in d.features if isinstance(m, torch.nn.Linear))
    assert (dense.in_features, dense.out_features) == (16 * grid * grid, 1024)
    assert d(torch.randn(3, 3, size, size)).shape == (3,)
    strides = [m.stride[0] for m in d.features if isinstance(m, torch.nn.Conv2d)]
    assert strides == [1, 2, 1, 2, 1, 2, 1, 2]


def test_srresnet_has_no_discriminator_and_its_loss_is_the_content_loss_alone() -> None:
    model = tiny(SRResNet, content_weight=2.0)
    assert [(p.name, p.role) for p in model.declared_players] == [("generator", "generator")]
    assert not hasattr(model, "discriminator")
    batch = pair()
    step = model.generator_step(batch, hooks=False)
    mse = F.mse_loss(step.fake, batch["real"])
    assert torch.equal(step.logs["train/g_content"], mse.detach())
    assert torch.allclose(step.loss, 2.0 * mse)
    expected_psnr = (10 * torch.log10(4 / (step.fake - batch["real"]).pow(2).mean((1, 2, 3)))).mean()
    assert torch.allclose(step.logs["train/psnr"], expected_psnr)


def test_srresnet_trains_its_generator_alone(mnist_root: Path) -> None:
    model = tiny(SRResNet)
    before = state_of(model)
    trainer = quiet_trainer(max_steps=2, limit_val_batches=1, val_check_interval=2)
    trainer.fit(model, degraded_mnist(mnist_root))
    assert trainer.global_step == 2 and len(trainer.optimizers) == 1
    assert trainer.optimizers[0].param_groups[0]["betas"] == (0.9, 0.999)
    assert any(not torch.equal(before[k], v) for k, v in state_of(model).items())
    assert {"train/g_loss", "val/g_loss", "val/psnr"} <= trainer.callback_metrics.keys()
    assert not any("d_" in key for key in trainer.callback_metrics)


def test_srresnet_refuses_tricks_that_act_on_a_discriminator(mnist_root: Path) -> None:
    from lightgan.callbacks import ADA, GeneratorEMA, InstanceNoise, LabelSmoothing, NaNGuard, R1Penalty, SpectralNorm

    for trick in (R1Penalty(), LabelSmoothing(), ADA(), InstanceNoise()):  # D's loss, targets, what D judges
        trainer = quiet_trainer(max_steps=1, callbacks=[trick])
        with pytest.raises(ConfigError, match=f"{type(trick).__name__} act on a discriminator, but SRResNet has none"):
            trainer.fit(tiny(SRResNet), degraded_mnist(mnist_root))
    with pytest.raises(ConfigError, match="SpectralNorm finds no linear or convolution layer in SRResNet's disc"):
        quiet_trainer(max_steps=1, callbacks=[SpectralNorm()]).fit(tiny(SRResNet), degraded_mnist(mnist_root))
    trainer = quiet_trainer(max_steps=1, limit_val_batches=0, callbacks=[GeneratorEMA(), NaNGuard()])
    trainer.fit(tiny(SRResNet), degraded_mnist(mnist_root))  # tricks on G's updates are welcome
    assert trainer.global_step == 1


def test_srgan_adds_the_weighted_adversarial_loss_to_the_content_loss() -> None:
    model = tiny(SRGAN, adversarial_weight=0.5)
    batch = pair()
    step = model.generator_step(batch, hooks=False)
    adversarial = F.softplus(-model.discriminator(step.fake)).mean()  # non-saturating: -log D(G(x))
    assert torch.allclose(step.adversarial_loss, 0.5 * adversarial)
    assert torch.allclose(step.loss, F.mse_loss(step.fake, batch["real"]) + 0.5 * adversarial)
    assert model.hparams.adversarial_weight == 0.5 and SRGAN(data_shape=(1, 16, 16)).adversarial_weight == 1e-3
    d_step = model.discriminator_step(batch, hooks=False)
    assert torch.equal(d_step.real_out, model.discriminator(batch["real"]))  # D sees the targets alone


def vgg19_layers(upto: int) -> torch.nn.Sequential:
    """torchvision's VGG19 ``features[: upto + 1]``, built without the rest of the network, weights not drawn."""
    with torch.device("meta"):
        layers = torchvision.models.vgg19().features[: upto + 1]
    return layers.to_empty(device="cpu")


def vgg19_state(upto: int) -> dict[str, torch.Tensor]:
    """A fabricated VGG19 ``features`` state dict up to ``upto``: He-initialised, so features stay of order 1."""
    rng = torch.Generator().manual_seed(0)
    state = vgg19_layers(upto).state_dict()
    return {
        k: torch.randn(v.shape, generator=rng) * (2 / v[0].numel()) ** 0.5 if v.dim() == 4 else torch.zeros(v.shape)
        for k, v in state.items()
    }


def by_hand(state: dict[str, torch.Tensor], upto: int, images: torch.Tensor) -> torch.Tensor:
    net = vgg19_layers(upto)
    net.load_state_dict(state)
    rgb = images.repeat(1, 3, 1, 1)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)  # ImageNet's, as torchvision's VGG expects
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    return net.eval()(((rgb + 1) / 2 - mean) / std)


@pytest.mark.parametrize("layout", ["features", "whole vgg19"])
def test_the_vgg_loss_compares_features_of_a_local_vgg19_file(layout: str, tmp_path: Path) -> None:
    state = vgg19_state(8)  # relu2_2 (VGG22): a file truncated after the layer it needs
    saved = (
        state
        if layout == "features"
        else {**{f"features.{k}": v for k, v in state.items()}, "classifier.0.bias": torch.zeros(3)}
    )
    torch.save(saved, tmp_path / "vgg.pth")
    model = tiny(SRResNet, vgg_weights=str(tmp_path / "vgg.pth"), vgg_layer="relu2_2")
    batch = pair()
    step = model.generator_step(batch, hooks=False)
    features_mse = F.mse_loss(by_hand(state, 8, step.fake), by_hand(state, 8, batch["real"]))
    expected = features_mse / 12.75**2  # the paper's rescaling of the VGG loss
    assert torch.allclose(step.loss, expected, rtol=1e-4)
    assert not torch.allclose(step.loss, F.mse_loss(step.fake, batch["real"]))
    step.loss.backward()
    assert all(p.grad is not None for p in model.generator.parameters())
    assert "vgg" not in " ".join(model.state_dict())  # the frozen VGG is not among the model's weights
    assert "MSE of VGG19 relu2_2 features" in model.content_loss.describe()


def test_without_a_vgg_file_the_run_says_it_uses_pixel_mse(mnist_root: Path, caplog) -> None:
    quiet_trainer(max_steps=1, limit_val_batches=0).fit(tiny(SRResNet), degraded_mnist(mnist_root))
    assert "SRResNet: content loss: pixel MSE (no model.init_args.vgg_weights given)." in caplog.messages


def _meta_vgg(builder, upto: int) -> dict[str, torch.Tensor]:
    with torch.device("meta"):
        shapes = {k: v.shape for k, v in builder().features[: upto + 1].state_dict().items()}
    return {k: torch.zeros(shape) for k, shape in shapes.items()}


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: _meta_vgg(torchvision.models.vgg16, 22),
            r"unexpected entries 17\.weight, 17\.bias; other shapes than VGG19's at 19\.weight \(512, 512, 3, 3\) "
            r"\(VGG19: \(512, 256, 3, 3\)\); no 16\.weight",
        ),
        (lambda: {**_meta_vgg(torchvision.models.vgg19, 35), "0.weight": torch.zeros(64, 1, 3, 3)}, r"0\.weight"),
        (lambda: _meta_vgg(torchvision.models.vgg19, 26), r"no 28\.weight, 28\.bias, 30\.weight and 5 more"),
        (lambda: {"state_dict": {}, "epoch": 3}, r"state_dict, epoch are not tensors"),
    ],
    ids=["vgg16", "shape", "truncated before relu5_4", "a checkpoint"],
)
def test_a_weights_file_of_another_architecture_is_one_line_naming_it(make, message: str, tmp_path: Path) -> None:
    path = tmp_path / "weights.pth"
    torch.save(make(), path)
    model = tiny(SRResNet, vgg_weights=str(path))
    with pytest.raises(ConfigError, match=rf"{path} is not a VGG19.*{message}") as error:
        model.generator_step(pair(), hooks=False)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scale": 3}, r"scale must be a power of two >= 2 \(2, 4, 8: .*got 3"),
        (
            {"scale": 32},
            r"scale=32 does not divide the image size 16x16 \(the high-resolution target\); the largest scale .* is 16",
        ),
        ({"vgg_layer": "conv5_4"}, r"vgg_layer must be one of relu1_1, .*relu5_4, got 'conv5_4'"),
        ({"blocks": 0}, r"blocks must be an integer >= 1"),
        ({"pack": 2}, r"pack=2: SRGAN cannot pack samples"),
        ({"adversarial_weight": 0}, r"adversarial_weight must be > 0 \(1e-3 in the paper\)"),
    ],
)
def test_bad_settings_are_one_line_naming_them(kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        tiny(SRGAN, **kwargs)


def test_inputs_not_made_scale_times_smaller_are_refused_before_training(mnist_root: Path) -> None:
    model = tiny(SRGAN, size=16)  # scale 2: 8x8 inputs; the data's are 16 / 4 = 4 pixels a side
    message = (
        r"enlarges \(1, 8, 8\) inputs into \(1, 16, 16\) targets \(scale 2\), but the data's inputs are \(1, 4, 4\)"
    )
    with pytest.raises(ConfigError, match=message + r"\. Use data Degraded with degradation: downsample, factor: 2\."):
        quiet_trainer(max_steps=1).fit(model, degraded_mnist(mnist_root, factor=4))


def test_sampling_enlarges_given_inputs_and_needs_them() -> None:
    model = tiny(SRGAN)
    assert model.example_conditions(3)["source"].shape == (3, 1, 8, 8)
    assert model.sample(source=pair(3)["source"]).shape == (3, 1, 16, 16)
    with pytest.raises(ConfigError, match=r"give them as source=\.\.\., e\.g\. model\.sample\(source=images\)"):
        model.sample(3)


def tile(grid: np.ndarray, row: int, col: int, size: int = 16) -> np.ndarray:
    """Image ``(row, col)`` of a grid of ``size``-pixel images with make_grid's 2-pixel padding."""
    top, left = 2 + row * (size + 2), 2 + col * (size + 2)
    return grid[top : top + size, left : left + size]


def as_pixels(image: torch.Tensor) -> np.ndarray:
    return ((image.expand(3, -1, -1).permute(1, 2, 0).clamp(-1, 1) + 1) * 127.5).round().numpy().astype(np.uint8)


def config_run(config: str, root: Path, *args: str):
    return fit(
        "--config", str(CONFIGS / f"{config}.yaml"),
        f"--data.init_args.base.init_args.root={root}", "--data.init_args.base.init_args.image_size=16",
        "--data.init_args.batch_size=8", "--model.init_args.base_channels=4", "--model.init_args.blocks=1",
        "--trainer.limit_val_batches=1", "--trainer.limit_train_batches=2", "--trainer.callbacks+=FixedNoiseSamples",
        "--trainer.callbacks.every_n_steps=2", "--trainer.callbacks.num_images=8", *args,
    )  # fmt: skip


class GeneratorAtStart(L.Callback):
    """Keeps G's weights as training starts (after setup and any restore)."""

    def on_train_start(self, trainer: L.Trainer, pl_module: SRGAN) -> None:
        self.weights = state_of(pl_module.generator)


def test_srgan_starts_from_the_generator_of_an_srresnet_checkpoint(mnist_root: Path, caplog) -> None:
    pretrained = tiny(SRResNet)
    trainer = quiet_trainer(max_steps=1, limit_val_batches=0)
    trainer.fit(pretrained, degraded_mnist(mnist_root))
    trainer.save_checkpoint("pre.ckpt")
    start = GeneratorAtStart()
    quiet_trainer(max_steps=1, limit_val_batches=0, callbacks=[start]).fit(
        tiny(SRGAN, init_generator="pre.ckpt"), degraded_mnist(mnist_root)
    )
    assert start.weights.keys() == pretrained.generator.state_dict().keys()
    assert all(torch.equal(v, pretrained.generator.state_dict()[k]) for k, v in start.weights.items())
    assert "SRGAN: generator initialised from pre.ckpt." in caplog.messages

    for kwargs, message in [
        (
            {"blocks": 2},
            r"the generator in pre\.ckpt is not built like this one \(\d+ entries differ, e\.g\. body\.1\.",
        ),
        ({"init_generator": "missing.ckpt"}, r"checkpoint missing\.ckpt does not exist"),
    ]:
        model = tiny(SRGAN, **{"init_generator": "pre.ckpt", **kwargs})
        with pytest.raises(ConfigError, match=message):
            quiet_trainer(max_steps=1).fit(model, degraded_mnist(mnist_root))


def test_both_configs_train_through_the_cli_and_srgan_starts_from_srresnet(fashion_root: Path, caplog) -> None:
    pre = config_run("srresnet_fashion_mnist", fashion_root, "--trainer.max_steps=2", "--trainer.default_root_dir=pre")
    assert type(pre.model).__name__ == "SRResNet" and pre.trainer.global_step == 2
    # the training pictures: the 8 held-out 8x8 inputs, enlarged (nearest) to 16 px, above their 8 outputs
    picture = np.asarray(Image.open(sorted((pre.run_dir / "samples").glob("*.png"))[-1]))
    assert picture.shape[1] == 8 * (16 + 2) + 2 and (picture.shape[0] - 2) % (16 + 2) == 0
    sources = pre.datamodule.held_out_batch(8)["source"]
    enlarged, outputs = F.interpolate(sources, scale_factor=2, mode="nearest"), pre.model.sample(source=sources)
    for col in range(8):
        assert np.array_equal(tile(picture, 0, col), as_pixels(enlarged[col]))
        assert np.abs(tile(picture, 1, col).astype(int) - as_pixels(outputs[col]).astype(int)).max() <= 1

    ckpt = pre.run_dir / "checkpoints" / "last.ckpt"
    srgan = config_run(
        "srgan_fashion_mnist", fashion_root, "--trainer.max_steps=2", f"--model.init_args.init_generator={ckpt}"
    )
    assert type(srgan.model).__name__ == "SRGAN" and srgan.trainer.global_step == 2
    assert srgan.model.hparams.scale == 2 and srgan.model.adversarial_weight == 1e-3
    assert {"train/d_loss", "train/g_content", "val/psnr"} <= srgan.trainer.callback_metrics.keys()
    assert f"SRGAN: generator initialised from {ckpt}." in caplog.messages

    assert (
        main(["sample", "--ckpt", str(srgan.run_dir / "checkpoints" / "last.ckpt"), "--n", "4", "--out", "t.pt"]) == 0
    )
    assert torch.load("t.pt").shape == (4, 1, 16, 16)


def test_a_resumed_srresnet_run_ends_with_the_weights_of_one_that_never_stopped(fashion_root: Path) -> None:
    """The one-player path (a sole optimizer, no discriminator) saves and restores like any other, mid-epoch."""
    common = ["srresnet_fashion_mnist", fashion_root, "--trainer.limit_train_batches=8", "--trainer.max_epochs=-1"]
    straight = config_run(*common, "--trainer.max_steps=5", "--trainer.default_root_dir=a")
    config_run(*common, "--trainer.max_steps=3", "--trainer.default_root_dir=b")
    resumed = config_run(*common, "--trainer.max_steps=5", "--trainer.default_root_dir=b", "--ckpt_path=last")
    assert resumed.trainer.global_step == 5
    assert_same_weights(state_of(straight.model), state_of(resumed.model))
    (opt_a,), (opt_b,) = straight.trainer.optimizers, resumed.trainer.optimizers
    for state_a, state_b in zip(opt_a.state.values(), opt_b.state.values(), strict=True):
        assert_same_weights(state_a, state_b)
