"""The 0.2 contract carries modules of more than two players: CycleGAN's shape (two generators that take
images in, two discriminators) and MAD-GAN's (k generators). Each trains through the CLI, checkpoints,
resumes bit-exactly, samples through ``sample()`` and draws its pictures with lightgan's own tools."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import TINY_RING, assert_same_weights, fit, quiet_trainer, state_of
from PIL import Image
from player_modules import CycleShaped, KGenerators, TwoDomains

from lightgan.app.cli import main
from lightgan.data import RingMixture
from lightgan.errors import ConfigError

CYCLE = [
    "--model=player_modules.CycleShaped",
    "--data=player_modules.TwoDomains",
    "--data.init_args.batch_size=16",  # 96 samples: 6 batches an epoch
    "--trainer.limit_val_batches=1",
    "--seed_everything=2",
]
K_GENERATORS = [
    "--model=player_modules.KGenerators",
    "--model.init_args.latent_dim=2",
    *TINY_RING[3:],
    "--trainer.callbacks+=GeneratorEMA",
    "--trainer.limit_val_batches=1",
    "--seed_everything=4",
]


def test_four_players_four_optimizers_each_trained_with_its_own_loss() -> None:
    model = CycleShaped(data_shape=(1, 8, 8), player_settings={"d_a": {"lr": 1e-3}})
    before = state_of(model)
    trainer = quiet_trainer(max_steps=3, limit_val_batches=1, val_check_interval=3, log_every_n_steps=1)
    trainer.fit(model, TwoDomains(batch_size=16, seed=0))
    assert [p.name for p in model.declared_players] == ["g_ab", "g_ba", "d_a", "d_b"]
    assert [opt.param_groups[0]["lr"] for opt in trainer.optimizers] == [2e-4, 2e-4, 1e-3, 2e-4]
    for name in ("g_ab", "g_ba", "d_a", "d_b"):
        changed = [k for k in before if k.startswith(name) and not torch.equal(before[k], state_of(model)[k])]
        assert changed, f"{name} was not trained"
    logged = trainer.callback_metrics
    for key in ("train/g_ab_loss", "train/g_ba_loss", "train/d_a_loss", "train/d_b_loss", "train/g_ab_cycle"):
        assert key in logged
    for key in ("val/g_ab_loss", "val/d_b_real_score", "val/g_ba_cycle"):  # each player's own objective
        assert key in logged
    assert trainer.global_step == 3


def test_each_discriminator_takes_n_critic_batches_per_step_and_each_generator_one() -> None:
    from lightgan.api import GANCallback

    seen: dict[str, int] = {}

    class CountUpdates(GANCallback):
        def on_after_discriminator_step(self, trainer, pl_module, step) -> None:
            seen[step.player] = seen.get(step.player, 0) + 1

        def on_after_generator_step(self, trainer, pl_module, step) -> None:
            seen[step.player] = seen.get(step.player, 0) + 1

    model = CycleShaped(data_shape=(1, 8, 8), n_critic=2)
    quiet_trainer(max_steps=3, limit_val_batches=0, callbacks=[CountUpdates()]).fit(model, TwoDomains(batch_size=16))
    assert seen == {"d_a": 6, "d_b": 6, "g_ab": 3, "g_ba": 3}


@pytest.mark.parametrize(("args", "extra"), [(CYCLE, ["--model.init_args.n_critic=2"]), (K_GENERATORS, [])])
@pytest.mark.parametrize("stop_at", [2, 4])
def test_a_resumed_run_ends_with_the_weights_of_one_that_never_stopped(
    args: list[str], extra: list[str], stop_at: int
) -> None:
    total = 5
    straight = fit(*args, *extra, f"--trainer.max_steps={total}", "--trainer.default_root_dir=straight")
    fit(*args, *extra, f"--trainer.max_steps={stop_at}", "--trainer.default_root_dir=resumed")
    resumed = fit(
        *args, *extra, f"--trainer.max_steps={total}", "--trainer.default_root_dir=resumed", "--ckpt_path=last"
    )
    assert resumed.trainer.global_step == total
    assert_same_weights(state_of(straight.model), state_of(resumed.model))
    for opt_a, opt_b in zip(straight.trainer.optimizers, resumed.trainer.optimizers, strict=True):
        for state_a, state_b in zip(opt_a.state.values(), opt_b.state.values(), strict=True):
            assert_same_weights(state_a, state_b)


def test_a_generator_that_takes_images_samples_and_draws_inputs_above_outputs_and_targets(tmp_path: Path) -> None:
    cli = fit(*CYCLE, "--trainer.max_steps=2", "--trainer.default_root_dir=run")
    model = cli.model
    a = cli.datamodule.held_out_batch(4)["source"]
    translated = model.sample(source=a)
    assert translated.shape == a.shape
    assert torch.equal(translated, model.g_ab.eval()(a))

    # FixedNoiseSamples keeps 16 held-out inputs; 8 a row, each input row above its output row and the row of
    # the batch's ``real`` (GANModule.picture_rows' default): 6 rows of 8 px images with make_grid's 2 px padding
    grid = np.asarray(Image.open(sorted(Path("run/samples").glob("*.png"))[-1]))
    assert grid.shape[:2] == (6 * 10 + 2, 8 * 10 + 2)
    callback = next(cb for cb in cli.trainer.callbacks if type(cb).__name__ == "FixedNoiseSamples")
    assert callback.z is None and callback.conditions["source"].shape == (16, 1, 8, 8)

    ckpt = "run/checkpoints/last.ckpt"
    assert main(["sample", "--ckpt", ckpt, "--n", "5", "--out", "t.pt"]) == 0
    expected = model.sample(source=cli.datamodule.held_out_batch(5)["source"])
    assert torch.allclose(torch.load("t.pt"), expected)
    assert main(["sample", "--ckpt", ckpt, "--n", "8", "--nrow", "4", "--out", "t.png"]) == 0
    assert np.asarray(Image.open("t.png")).shape[:2] == (6 * 10 + 2, 4 * 10 + 2)


def test_several_generators_are_averaged_and_sampled_through_their_average() -> None:
    cli = fit(*K_GENERATORS, "--trainer.max_steps=3", "--trainer.default_root_dir=run")
    model = cli.model
    assert isinstance(model.generators_ema, torch.nn.ModuleList) and model.generators_ema is not model.generators
    z = torch.randn(6, 2)
    with torch.no_grad():
        by_hand = torch.stack([model.generators_ema[i % 3](z[i]) for i in range(6)])
    assert torch.allclose(model.sample(z=z), by_hand)
    assert torch.equal(model.sample(z=z), model.sample(z=z))
    assert not torch.allclose(model.sample(z=z, use_ema=False), by_hand)
    assert main(["sample", "--ckpt", "run/checkpoints/last.ckpt", "--n", "300", "--out", "k.png"]) == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"player_settings": {"g9": {"lr": 1e-3}}}, r"player_settings names \['g9'\], but KGenerators's players"),
        ({"player_settings": {"g0": {"momentum": 0.9}}}, r"player_settings.g0: unknown setting\(s\) \['momentum'\]"),
        ({"player_settings": {"g0": {"lr": -1.0}}}, "player_settings.g0.lr must be positive"),
    ],
)
def test_bad_player_settings_are_named(kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        model = KGenerators(data_shape=(2,), latent_dim=2, **kwargs)
        quiet_trainer(max_steps=1, limit_val_batches=0).fit(model, RingMixture(num_samples=64, batch_size=16))


def test_a_player_without_its_network_is_named() -> None:
    class Forgetful(KGenerators):
        def players(self):
            return [*super().players(), self.player("critic2", "discriminator", ["critic2"])]

    with pytest.raises(ConfigError, match=r"Forgetful did not build a critic2: assign self\.critic2 in __init__"):
        quiet_trainer(max_steps=1).fit(
            Forgetful(data_shape=(2,), latent_dim=2), RingMixture(num_samples=64, batch_size=16)
        )


@pytest.mark.parametrize("callback", ["FeatureMatching", "MinibatchDiscrimination", "ExperienceReplay"])
def test_tricks_built_for_one_discriminator_say_so(callback: str, capsys) -> None:
    args = ["fit", *CYCLE, f"--trainer.callbacks+={callback}", "--trainer.max_steps=1", "--trainer.logger=false"]
    assert main(args) == 2
    assert f"{callback} works with one discriminator, but CycleShaped has 2 (d_a, d_b)" in capsys.readouterr().err
