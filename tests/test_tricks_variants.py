"""Every trick with every lightgan variant: a few real training steps with the whole stack on."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import lightning as L
import pytest
import torch
from helpers import quiet_trainer

from lightgan import callbacks as C
from lightgan import registry
from lightgan.data import MNIST, Degraded

VARIANTS = [e.name for e in registry.entries("model") if e.distribution == "lightgan"]
#: The smallest networks each variant's arguments allow (unknown arguments are left out).
TINY = {"base_channels": 4, "hidden_dims": (16,), "unroll_steps": 1, "n_critic": 1, "scale": 2, "blocks": 1}


def _tiny_arguments(cls: type) -> dict[str, Any]:
    accepted = {
        name for klass in cls.__mro__ if "__init__" in vars(klass) for name in inspect.signature(klass).parameters
    }
    return {k: v for k, v in TINY.items() if k in accepted}


def _tricks(uses_targets: bool) -> list[L.Callback]:
    return [
        C.ExperienceReplay(buffer_size=32),
        C.ADA(initial_p=0.5, interval=1),
        C.DiffAugment(),
        C.InstanceNoise(),
        C.LabelSmoothing() if uses_targets else C.WeightClipping(),
        C.FeatureMatching(adversarial_weight=1.0),
        C.MinibatchDiscrimination(num_kernels=4),
        C.HistoricalAveraging(weight=0.01),
        C.GeneratorEMA(),
        C.SpectralNorm(),
        C.R1Penalty(),
        C.R2Penalty(),
        C.GradientPenalty(),
        C.NaNGuard(),
        C.ModeCollapseAlarm(num_samples=32, every_n_steps=2),
        C.GameWatch(every_n_steps=1),
        C.DiscriminatorOverfitting(),
        C.FixedNoiseSamples(every_n_epochs=0, every_n_steps=2, num_images=8),
        C.LatentInterpolation(every_n_epochs=0, every_n_steps=2, num_rows=2, num_steps=3),
        C.ProgressGIF(),
    ]


@pytest.mark.parametrize("name", VARIANTS)
def test_the_whole_stack_trains_with_every_variant(name: str, mnist_root: Path, tmp_path: Path) -> None:
    cls = registry.load("model", name)
    labelled = cls.conditional or cls.requires_labels
    data = MNIST(root=str(mnist_root), image_size=16, batch_size=16)
    if cls.input_conditions:  # translators get pairs: each digit's edges, half-size copy (SR) or masked copy
        kind = {"degradation": "edges"}
        if "scale" in _tiny_arguments(cls):
            kind = {"degradation": "downsample", "factor": 2}
        elif "mask" in cls.input_conditions:
            kind = {"degradation": "mask"}
        data = Degraded(base=MNIST(root=str(mnist_root), image_size=16), batch_size=16, **kind)
    num_classes = data.num_classes if labelled else 0
    model = cls(data_shape=data.data_shape, num_classes=num_classes, latent_dim=16, seed=0, **_tiny_arguments(cls))
    judges = len(model.players_of("discriminator"))
    tricks = [t for t in _tricks(model.loss.uses_targets) if not (judges != 1 and isinstance(t, ONE_JUDGE))]
    tricks = [t for t in tricks if not isinstance(t, REFUSED.get(name, ()))]
    if not judges:  # a generator alone (SRResNet) refuses what acts on a discriminator (tests/test_srgan.py)
        tricks = [t for t in tricks if isinstance(t, JUDGE_FREE)]
    if not model.takes_noise:  # no latent space to walk through
        tricks = [t for t in tricks if not isinstance(t, C.LatentInterpolation)]
    trainer = quiet_trainer(
        max_steps=3, callbacks=tricks, limit_val_batches=1, val_check_interval=2, default_root_dir=tmp_path
    )
    trainer.fit(model, data)
    assert trainer.global_step == 3
    assert all(bool(torch.isfinite(p).all()) for p in model.parameters())
    assert model.generator_ema is not None and (tmp_path / "samples" / "progress.gif").is_file()
    metrics = trainer.callback_metrics
    expected = {"train/ada_p", "train/r1_penalty", "game/d_wins"} if judges else set()
    assert expected | ({"train/feature_matching", "health/r_t"} if judges == 1 else set()) <= metrics.keys()


#: Tricks a variant refuses in one line because they cannot work on it (its own tests check each refusal):
#: ProGAN's and StyleGAN's equalised layers are not ones SpectralNorm normalises, and ProGAN's fakes change
#: resolution.
REFUSED = {"ProGAN": (C.SpectralNorm, C.ExperienceReplay), "StyleGAN": (C.SpectralNorm,)}

#: Tricks that act on G's updates or watch training, with or without a discriminator.
JUDGE_FREE = (
    C.GeneratorEMA, C.HistoricalAveraging, C.LatentInterpolation, C.ProgressGIF, C.NaNGuard, C.GameWatch,
    C.ModeCollapseAlarm, C.FixedNoiseSamples,
)  # fmt: skip

#: Tricks built for one discriminator (its features, its head, one pool of fakes, its outputs).
ONE_JUDGE = (C.ExperienceReplay, C.FeatureMatching, C.MinibatchDiscrimination, C.DiscriminatorOverfitting)


@pytest.mark.parametrize("trick", ONE_JUDGE, ids=lambda cls: cls.__name__)
def test_tricks_for_one_discriminator_refuse_several_in_one_line(trick: type, mnist_root: Path) -> None:
    model = registry.load("model", "GMAN")(data_shape=(1, 16, 16), num_discriminators=2, base_channels=4)
    trainer = quiet_trainer(max_steps=1, callbacks=[trick()])
    data = MNIST(root=str(mnist_root), image_size=16, batch_size=16)
    with pytest.raises(Exception, match=f"{trick.__name__} works with one discriminator, but GMAN has 2 \\(d0, d1\\)"):
        trainer.fit(model, data)
