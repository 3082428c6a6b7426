"""The truncation trick: in W for StyleGAN, BigGAN's z truncation for the other noise-driven generators, none for
translators; ``lightgan sample --truncation`` and ``lightgan evaluate --truncation``."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
from helpers import fit

from lightgan.app.cli import main
from lightgan.core.checkpoint import load_gan
from lightgan.core.module import truncated_noise
from lightgan.errors import ConfigError
from lightgan.models import DCGAN, Pix2Pix, StyleGAN

SIZE = 16


def stylegan() -> StyleGAN:
    torch.manual_seed(0)
    model = StyleGAN(data_shape=(1, SIZE, SIZE), latent_dim=8, base_channels=4, max_channels=8)
    with torch.no_grad():
        model.generator.mapping.w_avg.normal_()  # as if trained: an average away from 0
    return model


def dcgan(**kwargs) -> DCGAN:
    torch.manual_seed(0)
    return DCGAN(data_shape=(1, SIZE, SIZE), latent_dim=8, base_channels=4, **kwargs)


def test_w_truncation_is_the_identity_at_1_and_pulls_every_style_toward_w_avg() -> None:
    model = stylegan()
    z, w_avg = torch.randn(6, 8), model.generator.mapping.w_avg
    assert torch.equal(model.sample(z=z, truncation=1.0), model.sample(z=z))
    ws = model.styles(z)
    assert torch.allclose(model.styles(z, 0.5), w_avg + 0.5 * (ws - w_avg))
    with model.sampling_networks_ready():
        average = model.synthesize(w_avg.expand(1, ws.shape[1], -1))
    collapsed = model.sample(z=z, truncation=1e-6)
    assert torch.allclose(collapsed, average.expand_as(collapsed), atol=1e-4)
    spreads = [model.sample(z=z, truncation=psi).std(dim=0).mean() for psi in (1.0, 0.7, 0.3)]
    assert spreads[0] > spreads[1] > spreads[2]


@pytest.mark.parametrize("psi", [0.0, -0.5, 1.5, math.nan])
@pytest.mark.parametrize("build", [stylegan, dcgan], ids=["StyleGAN", "DCGAN"])
def test_psi_outside_0_1_stops_in_one_line(build, psi: float) -> None:
    with pytest.raises(ConfigError, match=r"truncation psi must be in \(0, 1\] .*, got "):
        build().sample(2, truncation=psi)


@pytest.mark.parametrize("prior", ["normal", "uniform"])
def test_z_truncation_redraws_only_the_components_outside_the_threshold_into_the_truncated_prior(prior: str) -> None:
    psi, rng = 0.6, torch.Generator().manual_seed(0)
    z = torch.randn(50_000, 4, generator=rng) if prior == "normal" else torch.rand(50_000, 4, generator=rng) * 2 - 1
    threshold = math.sqrt(2) * torch.erfinv(torch.tensor(psi)).item() if prior == "normal" else psi
    out = truncated_noise(z, psi, prior)
    inside = z.abs() <= threshold
    assert torch.equal(out[inside], z[inside]) and (out.abs() <= threshold).all()
    assert not torch.isclose(out[~inside], z[~inside]).any()
    assert abs(inside.float().mean().item() - psi) < 0.01  # the threshold keeps psi of the prior's mass
    for fraction in (0.25, 0.5, 0.75):  # the prior restricted to [-t, t]: P(|z| <= a) / psi
        a = fraction * threshold
        expected = math.erf(a / math.sqrt(2)) / psi if prior == "normal" else a / psi
        assert abs((out.abs() <= a).float().mean().item() - expected) < 0.01, a
    assert abs((out > 0).float().mean().item() - 0.5) < 0.01
    assert torch.equal(truncated_noise(z, 1.0, prior), z)


@pytest.mark.parametrize("noise", ["normal", "uniform"])
def test_dcgan_samples_from_truncated_noise(noise: str) -> None:
    model = dcgan(noise=noise)
    z = model.sample_noise(6, torch.Generator().manual_seed(0))
    assert torch.equal(model.sample(z=z, truncation=1.0), model.sample(z=z))
    truncated = model.sample(z=z, truncation=0.3)
    assert torch.equal(truncated, model.sample(z=truncated_noise(z, 0.3, noise)))
    assert not torch.allclose(truncated, model.sample(z=z))


def test_a_translator_has_no_truncation() -> None:
    model = Pix2Pix(data_shape=(3, SIZE, SIZE), source_channels=1, base_channels=4)
    with pytest.raises(ConfigError, match=r"Pix2Pix takes no noise \(it translates \['source'\]\), so it has no trunc"):
        model.sample(source=torch.zeros(2, 1, SIZE, SIZE), truncation=0.5)


def test_lightgan_sample_and_evaluate_take_a_truncation(mnist_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cli = fit(
        "--model=StyleGAN",
        "--model.init_args.latent_dim=8",
        "--model.init_args.base_channels=4",
        "--model.init_args.max_channels=8",
        "--data=MNIST",
        "--data.init_args.download=false",
        f"--data.init_args.image_size={SIZE}",
        "--data.init_args.batch_size=8",
        "--trainer.max_steps=3",
        "--trainer.limit_val_batches=0",
    )
    ckpt = str(cli.run_dir / "checkpoints" / "last.ckpt")
    assert main(["sample", "--ckpt", ckpt, "--n", "5", "--truncation", "0.7", "--out", "t.pt"]) == 0
    model = load_gan(ckpt)
    expected = model.sample(5, generator=torch.Generator().manual_seed(0), truncation=0.7)
    assert torch.equal(torch.load("t.pt"), expected)
    assert not torch.allclose(expected, model.sample(5, generator=torch.Generator().manual_seed(0)))
    capsys.readouterr()
    assert main(["sample", "--ckpt", ckpt, "--truncation", "1.5", "--out", "bad.pt"]) == 2
    assert "truncation psi must be in (0, 1]" in capsys.readouterr().err and not Path("bad.pt").exists()

    evaluate = ["evaluate", "--ckpt", ckpt, "--metrics", "fid", "--features", "raw", "--n", "32", "--no-reference"]
    assert main([*evaluate, "--no-progress", "--truncation", "0.5", "--out", "truncated.json"]) == 0
    assert main([*evaluate, "--no-progress", "--out", "plain.json"]) == 0
    truncated, plain = (json.loads(Path(name).read_text()) for name in ("truncated.json", "plain.json"))
    assert truncated["truncation"] == 0.5 and plain["truncation"] is None
    assert truncated["scores"]["fid"]["value"] != plain["scores"]["fid"]["value"]
