"""CycleGAN: G: A -> B and F: B -> A trained as one player against D_B and D_A, with the cycle term,
the identity term, pools of past fakes and the paper's learning-rate decay.

It trains through the CLI on unpaired data, resumes bit-exactly mid-decay with full pools, and
``lightgan sample`` translates held-out A images and draws A, G(A) and F(G(A)).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import pytest
import torch
from helpers import assert_same_weights, fit, quiet_trainer, state_of
from paired_data import PairedSquares
from PIL import Image
from player_modules import SIZE, TwoDomains

from lightgan.app.cli import main
from lightgan.callbacks import GeneratorEMA
from lightgan.core.steps import DiscriminatorStep
from lightgan.errors import ConfigError
from lightgan.models import CycleGAN
from lightgan.models.cyclegan import FakePool

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
CYCLE = [
    "--model=CycleGAN",
    "--model.init_args.base_channels=4",
    "--data=player_modules.TwoDomains",
    "--data.init_args.batch_size=16",  # 96 samples: 6 steps an epoch
    "--trainer.limit_val_batches=1",
    "--trainer.callbacks+=GeneratorEMA",
    "--seed_everything=5",
]


def tiny(**kwargs: Any) -> CycleGAN:
    torch.manual_seed(0)
    return CycleGAN(data_shape=(1, SIZE, SIZE), base_channels=4, seed=0, **kwargs)


def held_out(n: int) -> dict[str, torch.Tensor]:
    data = TwoDomains()
    data.setup("fit")
    return data.held_out_batch(n)


def l1(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return (x - y).abs().mean()


def test_g_and_f_are_one_player_and_each_discriminator_judges_its_domain() -> None:
    model = tiny()
    players = [(p.name, p.role, p.networks) for p in model.declared_players]
    assert players == [
        ("generator", "generator", ("generator", "generator_ba")),
        ("d_a", "discriminator", ("discriminator_a",)),
        ("d_b", "discriminator", ("discriminator_b",)),
    ]
    batch = held_out(8)
    a, b = batch["source"], batch["real"]
    for player, real, fake, judge in [
        ("d_b", b, model.generator(a), model.discriminator_b),
        ("d_a", a, model.generator_ba(b), model.discriminator_a),
    ]:
        step = model.discriminator_step(batch, player, generator=torch.Generator().manual_seed(0), hooks=False)
        assert torch.equal(step.real, real) and torch.equal(step.fake, fake), player
        assert torch.equal(step.real_out, judge(real)) and torch.equal(step.fake_out, judge(fake)), player
    assert torch.equal(model.sample(source=a), model.generator.eval()(a))
    assert torch.equal(model.translate(b, "ba"), model.generator_ba.eval()(b))


def generator_steps(batch: dict[str, torch.Tensor], *models: CycleGAN) -> list[Any]:
    """Each model's generator step on ``batch``, all with the first model's weights."""
    for model in models[1:]:
        model.load_state_dict(models[0].state_dict())
    return [m.generator_step(batch, generator=torch.Generator().manual_seed(0), hooks=False) for m in models]


def test_the_cycle_term_is_lambda_times_both_round_trips_added_to_the_adversarial_terms() -> None:
    batch = held_out(8)
    a, b = batch["source"], batch["real"]
    without, weighted = tiny(cycle_weight=0.0), tiny(cycle_weight=10.0)
    steps = generator_steps(batch, without, weighted)
    g, f = weighted.generator, weighted.generator_ba
    cycle = l1(f(g(a)), a) + l1(g(f(b)), b)
    assert torch.equal(steps[1].logs["train/cycle_a"], l1(f(g(a)), a).detach())
    assert torch.equal(steps[1].logs["train/cycle_b"], l1(g(f(b)), b).detach())
    assert torch.allclose(steps[1].loss - steps[0].loss, 10 * cycle)
    # least squares: G and F each push D's patch outputs for their fakes to 1
    judged = [(weighted.discriminator_b, g(a)), (weighted.discriminator_a, f(b))]
    assert torch.allclose(steps[0].loss, sum(0.5 * ((d(x) - 1) ** 2).mean() for d, x in judged))
    assert torch.equal(steps[0].loss, steps[0].adversarial_loss)
    assert "train/identity_a" not in steps[1].logs


def test_the_identity_term_is_its_fraction_of_lambda_times_what_each_generator_changes_in_its_target_domain() -> None:
    batch = held_out(8)
    a, b = batch["source"], batch["real"]
    without, weighted = tiny(identity_weight=0.0), tiny(identity_weight=0.5)
    steps = generator_steps(batch, without, weighted)
    identity = l1(weighted.generator(b), b) + l1(weighted.generator_ba(a), a)
    assert identity > 0 and torch.equal(steps[1].logs["train/identity_b"], l1(weighted.generator(b), b).detach())
    assert torch.allclose(steps[1].loss - steps[0].loss, 0.5 * 10 * identity)


def fakes(start: int, n: int) -> torch.Tensor:
    """``n`` distinguishable fakes: image i is filled with the value start + i."""
    return torch.arange(start, start + n, dtype=torch.float).view(n, 1, 1, 1).expand(n, 1, 2, 2).clone()


def pool_step(pool: FakePool, model: CycleGAN, fake: torch.Tensor, rng: torch.Generator, player: str = "d_b") -> Any:
    step = DiscriminatorStep(batch={}, real=torch.zeros_like(fake), fake=fake, player=player, rng=rng)
    pool.on_discriminator_inputs(None, model, step)
    return step


def test_once_full_the_pool_hands_d_a_past_fake_for_half_the_fresh_ones_and_resumes_with_its_contents() -> None:
    model, rng = tiny(), torch.Generator().manual_seed(0)
    pool = FakePool("d_b", buffer_size=8)
    assert pool_step(pool, model, fakes(-10, 8), rng, player="d_a").fake[0, 0, 0, 0] == -10 and pool.filled == 0
    first = pool_step(pool, model, fakes(0, 8), rng)
    assert torch.equal(first.fake, fakes(0, 8)) and pool.filled == 8  # filling: D sees the latest fakes
    old, seen = 0, 0
    for batch in range(1, 201):
        before = set(pool.buffers["fake"][:, 0, 0, 0].tolist())
        fresh = fakes(100 * batch, 10)
        shown = pool_step(pool, model, fresh.clone(), rng).fake[:, 0, 0, 0]
        replayed = shown != fresh[:, 0, 0, 0]
        assert set(shown[replayed].tolist()) <= before
        old, seen = old + int(replayed.sum()), seen + len(shown)
    assert 0.45 < old / seen < 0.55  # 2000 fakes: 4.5 standard deviations either side of 1/2

    saved = io.BytesIO()
    torch.save(pool.state_dict(), saved)  # as a checkpoint keeps it
    saved.seek(0)
    restored = FakePool("d_b", buffer_size=8)
    restored.load_state_dict(torch.load(saved, weights_only=True))
    state = rng.get_state()
    expected = pool_step(pool, model, fakes(-100, 10), rng).fake
    rng.set_state(state)
    assert torch.equal(pool_step(restored, model, fakes(-100, 10), rng).fake, expected)
    assert pool.state_key != FakePool("d_a").state_key  # both pools of a model have their place in a checkpoint


class LearningRates(L.Callback):
    """The learning rate of every optimizer at the start of each training step."""

    def __init__(self) -> None:
        self.seen: list[list[float]] = []

    def on_train_batch_start(self, trainer: L.Trainer, *args: Any) -> None:
        self.seen.append([opt.param_groups[0]["lr"] for opt in trainer.optimizers])


@pytest.mark.parametrize(
    ("length", "interval", "factors"),
    [
        ({"max_epochs": 4}, "step", [1, 1, 1, 1, 1, 3 / 4, 2 / 4, 1 / 4]),  # 8 steps, decay over the last 4
        ({"max_epochs": 4, "max_steps": 6}, "step", [1, 1, 1, 1, 2 / 3, 1 / 3]),  # max_steps ends it first
        ({"max_epochs": 4}, "epoch", [1, 1, 1, 1, 1, 1, 1 / 2, 1 / 2]),  # as the paper: one value per epoch
    ],
    ids=["steps", "max_steps-first", "epochs"],
)
def test_the_learning_rates_stay_constant_for_half_the_run_then_fall_linearly_to_zero(
    length: dict[str, int], interval: str, factors: list[float]
) -> None:
    model, rates = tiny(lr_scheduler_interval=interval), LearningRates()
    data = TwoDomains(num_samples=32, batch_size=16)  # 2 steps an epoch
    quiet_trainer(**length, callbacks=[rates], limit_val_batches=0).fit(model, data)
    assert rates.seen == [pytest.approx([2e-4 * f] * 3) for f in factors]
    assert [opt.param_groups[0]["lr"] for opt in model.trainer.optimizers] == [0.0] * 3


def test_a_run_without_a_length_is_refused_with_the_fix() -> None:
    with pytest.raises(ConfigError, match=r"needs the run's length: set trainer.max_epochs or trainer.max_steps"):
        quiet_trainer(max_epochs=-1, limit_val_batches=0).fit(tiny(), TwoDomains(batch_size=16))


def test_it_trains_through_the_cli_and_sample_draws_held_out_a_images_their_translations_and_reconstructions() -> None:
    cli = fit(*CYCLE, "--trainer.max_steps=2", "--trainer.val_check_interval=2", "--trainer.default_root_dir=run")
    model, trainer = cli.model, cli.trainer
    settings = [(opt.param_groups[0]["initial_lr"], opt.param_groups[0]["betas"]) for opt in trainer.optimizers]
    assert type(model.loss).__name__ == "LeastSquaresLoss" and settings == [(2e-4, (0.5, 0.999))] * 3
    for key in ("train/g_loss", "train/d_a_loss", "train/d_b_loss", "train/cycle_a", "val/cycle_b", "val/d_b_loss"):
        assert torch.isfinite(trainer.callback_metrics[key]), key

    sources = held_out(8)["source"]
    assert main(["sample", "--ckpt", "run/checkpoints/last.ckpt", "--n", "5", "--out", "t.pt"]) == 0
    expected = model.sample(source=sources[:5])
    assert torch.allclose(torch.load("t.pt"), expected)
    assert torch.equal(expected, model.generator_ema.eval()(sources[:5]))

    assert main(["sample", "--ckpt", "run/checkpoints/last.ckpt", "--n", "4", "--nrow", "4", "--out", "t.png"]) == 0
    grid = np.asarray(Image.open("t.png"))
    assert grid.shape[:2] == (3 * (SIZE + 2) + 2, 4 * (SIZE + 2) + 2)  # A, G(A), F(G(A))
    outputs = model.sample(source=sources[:4])
    reconstructions = model.translate(outputs, "ba")
    for i in range(4):
        left = 2 + i * (SIZE + 2)
        assert np.array_equal(grid[2 : 2 + SIZE, left : left + SIZE], pixels(sources[i]))
        for row, images in ((1, outputs), (2, reconstructions)):
            top = 2 + row * (SIZE + 2)
            drawn = grid[top : top + SIZE, left : left + SIZE].astype(int)
            assert np.abs(drawn - pixels(images[i]).astype(int)).max() <= 1, (row, i)


def pixels(image: torch.Tensor) -> np.ndarray:
    """A (1, H, W) image in [-1, 1] as the grid draws it: H x W x 3 bytes."""
    return ((image.expand(3, -1, -1).permute(1, 2, 0).clamp(-1, 1) + 1) * 127.5).round().numpy().astype(np.uint8)


class StopAt(L.Callback):
    """Saves a checkpoint after step ``step`` and stops there, as an interrupted run would."""

    def __init__(self, step: int, path: str) -> None:
        self.step, self.path = step, path

    def on_train_batch_end(self, trainer: L.Trainer, *args: Any) -> None:
        if trainer.global_step == self.step:
            trainer.save_checkpoint(self.path)
            trainer.should_stop = True


def pools(trainer: L.Trainer) -> list[FakePool]:
    return [callback for callback in trainer.callbacks if isinstance(callback, FakePool)]


def test_a_run_resumed_mid_decay_with_full_pools_ends_as_one_that_never_stopped() -> None:
    def run(*callbacks: L.Callback, ckpt_path: str | None = None) -> tuple[CycleGAN, L.Trainer]:
        model = tiny()
        trainer = quiet_trainer(max_epochs=2, limit_val_batches=0, callbacks=[GeneratorEMA(), *callbacks])
        trainer.fit(model, TwoDomains(num_samples=64, batch_size=16, seed=0), ckpt_path=ckpt_path)
        return model, trainer

    straight, straight_trainer = run()  # 8 steps; the rates decay from step 4, the pools are full after 4
    run(StopAt(6, "stopped.ckpt"))
    resumed, resumed_trainer = run(ckpt_path="stopped.ckpt")
    assert resumed_trainer.global_step == 8 and all(pool.filled == 50 for pool in pools(resumed_trainer))
    assert_same_weights(state_of(straight), state_of(resumed))
    for pool_a, pool_b in zip(pools(straight_trainer), pools(resumed_trainer), strict=True):
        assert torch.equal(pool_a.buffers["fake"], pool_b.buffers["fake"]), pool_a.player
    for opt_a, opt_b in zip(straight_trainer.optimizers, resumed_trainer.optimizers, strict=True):
        assert opt_a.param_groups[0]["lr"] == opt_b.param_groups[0]["lr"] == 0.0
        for state_a, state_b in zip(opt_a.state.values(), opt_b.state.values(), strict=True):
            assert_same_weights(state_a, state_b)


def test_the_offline_config_trains_through_the_cli(fashion_root: Path) -> None:
    tiny_run = ["--model.init_args.base_channels=4", "--data.init_args.base.init_args.image_size=16"]
    cli = fit("--config", str(CONFIGS / "cyclegan_fashion_mnist_sneakers_boots.yaml"), *tiny_run,
              "--trainer.max_steps=2", "--trainer.limit_val_batches=1")  # fmt: skip
    assert type(cli.model).__name__ == "CycleGAN" and cli.trainer.global_step == 2
    assert cli.model.hparams.cycle_weight == 10.0 and cli.model.hparams.pool_size == 50
    assert all(torch.isfinite(p).all() for p in cli.model.parameters())


def test_domains_of_different_shapes_are_refused_before_training() -> None:
    model = CycleGAN(data_shape=(3, 16, 16), base_channels=4)
    message = r"A images are \(1, 16, 16\) and its B images \(3, 16, 16\)\. Give both the same size and channels"
    with pytest.raises(ConfigError, match=message):
        quiet_trainer(max_steps=1).fit(model, PairedSquares(batch_size=8))  # 1-channel A, 3-channel B


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"pool_size": -1}, r"pool_size must be an integer >= 0"),
        ({"identity_weight": -0.5}, r"identity_weight must be >= 0"),
        ({"cycle_weight": "ten"}, r"cycle_weight must be >= 0"),
        ({"lr_decay_start": 1.5}, r"lr_decay_start must be in \[0, 1\]"),
        ({"generator": "vgg"}, r"generator must be one of resnet, unet, got 'vgg'"),
        ({"dropout": 1.0}, r"dropout must be in \[0, 1\)"),
        ({"pack": 2}, r"pack=2: CycleGAN cannot pack samples"),
    ],
)
def test_bad_settings_are_named(kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        tiny(**kwargs)


def test_translating_needs_the_images_and_a_known_direction() -> None:
    model = tiny()
    with pytest.raises(ConfigError, match=r"give them as source=\.\.\., e\.g\. model\.sample\(source=images\)"):
        model.sample(4)
    with pytest.raises(ConfigError, match=r"direction must be ab \(A -> B\) or ba \(B -> A\), got 'atob'"):
        model.translate(torch.zeros(1, 1, SIZE, SIZE), "atob")
