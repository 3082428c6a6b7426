"""PacGAN's packing as a GANModule option: D judges m samples at once, for any unconditional variant."""

from __future__ import annotations

import pytest
import torch
from helpers import QUIET
from torch import nn
from variant_helpers import TINY_2D, RecordDiscriminatorSteps, tiny_ring, train

from lightgan.app.cli import main
from lightgan.errors import ConfigError
from lightgan.models import DCGAN, DRAGAN, GAN, LSGAN, SNGAN, WGAN, WGANGP, UnrolledGAN
from lightgan.nets import Maxout


def test_pack_samples_concatenates_consecutive_samples_along_the_channel_axis() -> None:
    model = DCGAN(data_shape=(3, 16, 16), base_channels=4, pack=2)
    x = torch.randn(6, 3, 16, 16)
    packed = model.pack_samples(x)
    assert packed.shape == (3, 6, 16, 16)
    for i in range(3):
        assert torch.equal(packed[i], torch.cat([x[2 * i], x[2 * i + 1]], dim=0))


def _input_size(net: nn.Module) -> int:
    first = next(m for m in net.modules() if isinstance(m, nn.Linear | nn.Conv2d))
    return first.in_features if isinstance(first, nn.Linear) else first.in_channels


@pytest.mark.parametrize(
    "model",
    [
        GAN(**TINY_2D, pack=4),
        GAN(**TINY_2D, pack=4, discriminator_type="maxout"),
        DCGAN(data_shape=(1, 16, 16), base_channels=4, pack=2),
        WGANGP(data_shape=(3, 16, 16), base_channels=4, pack=3),
    ],
    ids=["mlp", "maxout", "dcgan", "wgan-gp-dcgan"],
)
def test_discriminator_takes_m_times_the_input_and_gives_one_score_per_pack(model) -> None:
    assert _input_size(model.discriminator) == model.data_shape[0] * model.pack
    x = torch.randn(12, *model.data_shape)
    assert model.discriminate(x).shape == (12 // model.pack,)


def test_maxout_discriminator_keeps_the_largest_piece() -> None:
    layer = Maxout(in_features=3, units=4, pieces=5)
    x = torch.randn(7, 3)
    expected = layer.linear(x).view(7, 4, 5).max(dim=-1).values
    assert torch.equal(layer(x), expected)
    model = GAN(**TINY_2D, discriminator_type="maxout", discriminator_hidden_dims=(200, 200, 200), maxout_pieces=5)
    maxouts = [m for m in model.discriminator.modules() if isinstance(m, Maxout)]
    assert [(m.units, m.pieces) for m in maxouts] == [(200, 5)] * 3


VARIANTS = [GAN, WGAN, WGANGP, LSGAN, SNGAN, DRAGAN, UnrolledGAN]


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda cls: cls.__name__)
def test_every_unconditional_variant_trains_validates_and_tests_with_packing(variant) -> None:
    model = variant(**TINY_2D, pack=2)
    record = RecordDiscriminatorSteps()
    data = tiny_ring(val_samples=21)  # the last held-out batch (5 samples) ends with a partial pack
    before = {k: v.clone() for k, v in model.generator.state_dict().items()}
    trainer = train(model, data, 2, record)
    assert trainer.global_step == 2
    assert all(s.real_out.shape == (8,) and s.fake_out.shape == (8,) for s in record.steps)  # batch 16, pack 2
    assert any(not torch.equal(before[k], v) for k, v in model.generator.state_dict().items())
    for run, stage in ((trainer.validate, "val"), (trainer.test, "test")):
        (metrics,) = run(model, data, verbose=False)
        assert torch.isfinite(torch.tensor(metrics[f"{stage}/d_loss"]))


def test_pack_needs_a_batch_size_divisible_by_it(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["fit", *QUIET, "--trainer.logger=false", "--model=GAN", "--data=RingMixture"]
    code = main([*args, "--model.init_args.pack=3", "--data.init_args.batch_size=32", "--trainer.max_steps=1"])
    assert code == 2
    message = capsys.readouterr().err
    assert "pack=3" in message and "batch_size=32" in message


def test_pack_is_rejected_for_a_conditional_variant() -> None:
    class LabelledGAN(GAN):
        conditional = True

    with pytest.raises(ConfigError, match=r"pack=2.*LabelledGAN"):
        LabelledGAN(**TINY_2D, pack=2)
    with pytest.raises(ConfigError, match="pack must be an integer >= 1"):
        GAN(**TINY_2D, pack=0)
