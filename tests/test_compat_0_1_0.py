"""Users of 0.1.0 are kept whole: its checkpoints, configs, import paths, hooks and variants still work.

The checkpoints in tests/fixtures/lightgan_0_1_0 were written by lightgan 0.1.0 (see make_fixtures.py
there), together with what 0.1.0 did next: the samples ``lightgan sample --seed 0`` drew from them
and the weights it reached when it resumed them for a few more steps.
"""

from __future__ import annotations

import importlib
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from fakedata import write_idx_dataset
from helpers import assert_same_weights, fit, state_of

from lightgan.app.cli import main
from lightgan.core.checkpoint import load_gan

FIXTURES = Path(__file__).parent / "fixtures" / "lightgan_0_1_0"
NAMES = ["ring_gan", "dcgan_sn_ema", "wgangp_ring_ncritic5", "sngan_ring"]


def fixture_run(name: str, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """A copy of the fixture as a run folder (config.yaml, checkpoints/last.ckpt) and its record."""
    run = tmp_path / name
    (run / "checkpoints").mkdir(parents=True)
    shutil.copy(FIXTURES / name / "last.ckpt", run / "checkpoints" / "last.ckpt")
    shutil.copy(FIXTURES / name / "config.yaml", run / "config.yaml")
    return run, json.loads((FIXTURES / name / "fixture.json").read_text())


def data_overrides(name: str, tmp_path: Path) -> list[str]:
    """The fabricated MNIST files the DCGAN fixture trained on (the same seed gives the same files)."""
    if name != "dcgan_sn_ema":
        return []
    root = write_idx_dataset(tmp_path / "data" / "MNIST" / "raw").parent.parent
    return [f"--data.init_args.root={root}"]


@pytest.mark.parametrize("name", NAMES)
def test_a_0_1_0_checkpoint_samples_what_0_1_0_sampled(name: str, tmp_path: Path) -> None:
    run, _ = fixture_run(name, tmp_path)
    assert main(["sample", "--ckpt", str(run / "checkpoints" / "last.ckpt"), "--n", "16", "--out", "s.pt"]) == 0
    assert torch.equal(torch.load("s.pt"), torch.load(FIXTURES / name / "sample_seed0.pt"))


@pytest.mark.parametrize("name", NAMES)
def test_a_0_1_0_checkpoint_resumes_to_the_weights_0_1_0_reached(name: str, tmp_path: Path) -> None:
    run, record = fixture_run(name, tmp_path)
    end = record["stop_at"] + record["extra_steps"]
    resumed = fit(
        f"--config={run / 'config.yaml'}",
        *data_overrides(name, tmp_path),
        f"--trainer.max_steps={end}",
        f"--trainer.default_root_dir={run}",
        "--ckpt_path=last",
    )
    assert resumed.trainer.global_step == end
    assert_same_weights(state_of(resumed.model), torch.load(FIXTURES / name / "continued.pt"))


def test_a_0_1_0_sngan_checkpoint_loads_its_spectral_norm(tmp_path: Path) -> None:
    """0.1's SNGAN normalised D in __init__ without recording it; the migration records it."""
    model = load_gan(FIXTURES / "sngan_ring" / "last.ckpt")
    assert any("parametrizations" in name for name, _ in model.discriminator.named_parameters())


def test_a_0_1_0_checkpoint_is_evaluated(tmp_path: Path, capsys) -> None:
    run, _ = fixture_run("ring_gan", tmp_path)
    ckpt = run / "checkpoints" / "last.ckpt"
    assert main(["evaluate", "--ckpt", str(ckpt), "--metrics", "modes", "--n", "500", "--out", "m.json"]) == 0
    scores = json.loads(Path("m.json").read_text())["scores"]
    assert {"modes_captured", "high_quality_pct", "reverse_kl"} <= scores.keys()


@pytest.mark.parametrize(
    ("old", "new", "name"),
    [
        ("lightgan.models.base", "lightgan.core.module", "GANModule"),
        ("lightgan.hooks", "lightgan.core.hooks", "GANCallback"),
        ("lightgan.losses", "lightgan.core.losses", "WassersteinLoss"),
        ("lightgan.regularizers", "lightgan.core.regularizers", "gradient_penalty"),
        ("lightgan.callbacks.ema", "lightgan.tricks.ema", "GeneratorEMA"),
        ("lightgan.callbacks.samples", "lightgan.monitors.samples", "FixedNoiseSamples"),
        ("lightgan.callbacks.spectral_norm", "lightgan.tricks.spectral_norm", "spectral_norm_networks"),
        ("lightgan.metrics.callback", "lightgan.monitors.quality", "QualityMetrics"),
        ("lightgan.cli", "lightgan.app.cli", "run_lightning"),
        ("lightgan.loggers", "lightgan.app.loggers", "WandbAutoModeLogger"),
        ("lightgan.checkpoint", "lightgan.core.checkpoint", "load_gan"),
        ("lightgan.commands.sample", "lightgan.app.commands.sample", "main"),
    ],
)
def test_0_1_module_paths_import_the_same_objects_with_a_deprecation_warning(old: str, new: str, name: str) -> None:
    sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match=f"{old} moved to {new}"):
        module = importlib.import_module(old)
    assert getattr(module, name) is getattr(importlib.import_module(new), name)


def test_a_0_1_config_naming_old_class_paths_trains(tmp_path: Path) -> None:
    config = tmp_path / "old.yaml"
    config.write_text(
        "trainer:\n  callbacks:\n    - class_path: lightgan.callbacks.label_smoothing.LabelSmoothing\n"
        "  logger:\n    class_path: lightgan.loggers.WandbAutoModeLogger\n    init_args: {mode: disabled}\n"
    )
    from helpers import TINY_RING

    cli = fit(*TINY_RING, f"--config={config}", "--trainer.max_steps=2", logger=True)
    assert cli.trainer.global_step == 2
    assert any(type(cb).__name__ == "LabelSmoothing" for cb in cli.trainer.callbacks)


def test_0_1_style_after_hooks_and_parameter_overrides_keep_working() -> None:
    """A plugin written against 0.1's docs: after-hooks without the step, parameters by override."""
    import itertools

    import lightning as L
    from helpers import quiet_trainer
    from torch import nn

    from lightgan.api import GANCallback, GANModule, MLPDiscriminator, MLPGenerator
    from lightgan.data import RingMixture

    class WithEncoder(GANModule):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.generator = MLPGenerator(self.latent_dim, self.data_shape, (8,))
            self.discriminator = MLPDiscriminator(self.data_shape, (8,))
            self.encoder = nn.Linear(2, 2)

        def generator_parameters(self):  # 0.1: the encoder trains with G's optimizer
            return itertools.chain(self.generator.parameters(), self.encoder.parameters())

        def generator_loss(self, step):
            return super().generator_loss(step) + self.encoder(step.fake).pow(2).mean()

    class CountAfterSteps(GANCallback):
        def __init__(self) -> None:
            self.d = self.g = 0

        def on_after_discriminator_step(self, trainer: L.Trainer, pl_module: Any) -> None:
            self.d += 1

        def on_after_generator_step(self, trainer: L.Trainer, pl_module: Any) -> None:
            self.g += 1

    model, counter = WithEncoder(data_shape=(2,), latent_dim=2, n_critic=2), CountAfterSteps()
    before = state_of(model.encoder)
    with pytest.warns(DeprecationWarning):
        quiet_trainer(max_steps=3, callbacks=[counter], limit_val_batches=0).fit(
            model, RingMixture(num_samples=128, batch_size=16, seed=0)
        )
    assert (counter.d, counter.g) == (6, 3)
    assert not torch.equal(before["weight"], model.encoder.weight)  # G's optimizer trained the encoder
