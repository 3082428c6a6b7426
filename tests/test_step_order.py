"""step_order: simultaneous: D and G updated from one batch of fakes, both gradients at the step's starting weights."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml
from helpers import TINY_RING, assert_same_weights, fit, quiet_trainer, state_of

from lightgan.core.hooks import GANCallback
from lightgan.data import RingMixture
from lightgan.errors import ConfigError
from lightgan.models import EGAN, GAN, GMAN

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
AUTHORS = ["gan_ring", "gan_grid", "pacgan2_ring", "pacgan4_grid"]


def tiny_gan(**kwargs: Any) -> GAN:
    return GAN(data_shape=(2,), latent_dim=2, hidden_dims=(8,), seed=7, **kwargs)


def tiny_data() -> RingMixture:
    return RingMixture(num_samples=96, val_samples=32, batch_size=16, seed=0)


class Record(GANCallback):
    """What each update saw, and whether the optimizers stepped."""

    def __init__(self, skip_discriminator: bool = False) -> None:
        self.skip_discriminator = skip_discriminator
        self.seen: dict[str, dict[str, torch.Tensor]] = {}
        self.after: list[str] = []

    def on_discriminator_inputs(self, trainer, pl_module, step) -> None:
        self.seen["d"] = {"real": step.real.clone(), "z": step.z.clone(), "fake": step.fake.detach().clone()}

    def on_generator_inputs(self, trainer, pl_module, step) -> None:
        self.seen["g"] = {"z": step.z.clone(), "fake": step.fake.detach().clone()}

    def on_before_discriminator_step(self, trainer, pl_module, step) -> None:
        step.skipped = self.skip_discriminator

    def on_after_discriminator_step(self, trainer, pl_module, step) -> None:
        self.after.append("d")

    def on_after_generator_step(self, trainer, pl_module, step) -> None:
        self.after.append("g")


def expected_sgd_step(model: GAN, real: torch.Tensor, z: torch.Tensor, lr: float) -> dict[str, torch.Tensor]:
    """One plain SGD step of D and G, both gradients at ``model``'s weights, on one batch of fakes G(z)."""
    d_params, g_params = dict(model.discriminator.named_parameters()), dict(model.generator.named_parameters())
    fake = model.generator(z)
    d_loss = model.loss.discriminator_loss(model.discriminate(real), model.discriminate(fake.detach()))
    g_loss = model.loss.generator_loss(model.discriminate(fake))
    d_grads = torch.autograd.grad(d_loss, list(d_params.values()))
    g_grads = torch.autograd.grad(g_loss, list(g_params.values()))
    expected = {f"discriminator.{n}": p - lr * g for (n, p), g in zip(d_params.items(), d_grads, strict=True)}
    expected |= {f"generator.{n}": p - lr * g for (n, p), g in zip(g_params.items(), g_grads, strict=True)}
    return {name: value.detach() for name, value in expected.items()}


@pytest.mark.parametrize("order", ["simultaneous", "alternating"])
def test_simultaneous_steps_take_both_gradients_at_the_weights_the_step_began_with(order: str) -> None:
    lr = 0.1
    model = tiny_gan(step_order=order, optimizer="sgd", lr_g=lr, lr_d=lr, betas_g=(0.0, 0.9), betas_d=(0.0, 0.9))
    before, record = copy.deepcopy(model), Record()
    quiet_trainer(max_steps=1, limit_val_batches=0, callbacks=[record]).fit(model, tiny_data())

    expected = expected_sgd_step(before, record.seen["d"]["real"], record.seen["d"]["z"], lr)
    trained = state_of(model)
    matches = {
        role: all(torch.allclose(trained[n], v, rtol=0, atol=1e-6) for n, v in expected.items() if n.startswith(role))
        for role in ("discriminator", "generator")
    }
    # D's update is the same in both orders; G's sees the updated D and fresh fakes when alternating
    assert matches == {"discriminator": True, "generator": order == "simultaneous"}


@pytest.mark.parametrize(("order", "generator_runs"), [("simultaneous", 2), ("alternating", 4)])
def test_d_and_g_judge_one_batch_of_fakes_made_by_one_forward_pass(order: str, generator_runs: int) -> None:
    model, record = tiny_gan(step_order=order), Record()
    runs: list[int] = []
    model.generator.register_forward_hook(lambda *args: runs.append(1))
    quiet_trainer(max_steps=2, limit_val_batches=0, callbacks=[record]).fit(model, tiny_data())
    assert len(runs) == generator_runs
    same = torch.equal(record.seen["d"]["fake"], record.seen["g"]["fake"])
    assert same == (order == "simultaneous")
    assert model.global_step == 2


def test_a_cancelled_update_cancels_the_whole_simultaneous_step() -> None:
    model, record = tiny_gan(step_order="simultaneous"), Record(skip_discriminator=True)
    before = state_of(model)
    quiet_trainer(max_steps=2, limit_val_batches=0, callbacks=[record]).fit(model, tiny_data())
    assert_same_weights(before, state_of(model))
    assert record.after == [] and model.global_step == 2


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (lambda: tiny_gan(step_order="simultaneous", n_critic=2), "n_critic=2. Set n_critic: 1"),
        (
            lambda: GMAN(
                data_shape=(2,), latent_dim=2, hidden_dims=(8,), num_discriminators=2, step_order="simultaneous"
            ),
            r"needs one discriminator and one generator, but GMAN's players are \['generator', 'd0', 'd1'\]",
        ),
        (
            lambda: EGAN(data_shape=(2,), latent_dim=2, hidden_dims=(8,), step_order="simultaneous"),
            "but EGAN overrides update. Use model.init_args.step_order: alternating.",
        ),
    ],
    ids=["n_critic", "two-discriminators", "own-update"],
)
def test_what_cannot_be_simultaneous_is_refused_in_one_line(model, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as error:
        quiet_trainer(max_steps=1, limit_val_batches=0).fit(model(), tiny_data())
    assert "\n" not in str(error.value)


def test_an_unknown_step_order_is_named() -> None:
    with pytest.raises(ConfigError, match="step_order must be alternating or simultaneous, got 'both'"):
        tiny_gan(step_order="both")


RESUME = [
    *TINY_RING,
    "--model.init_args.step_order=simultaneous",
    "--model.init_args.init=normal_0.02",
    "--model.init_args.generator_batch_norm=true",
    "--seed_everything=3",
    "--trainer.callbacks+=LabelSmoothing",
    "--trainer.callbacks.real_range=[0.7, 1.0]",
    "--trainer.limit_val_batches=1",
]


@pytest.mark.parametrize("stop_at", [4, 10], ids=["mid-epoch", "epoch-boundary"])  # 10 steps an epoch
def test_a_resumed_simultaneous_run_ends_as_one_that_never_stopped(stop_at: int) -> None:
    total = 12
    straight = fit(*RESUME, f"--trainer.max_steps={total}", "--trainer.default_root_dir=straight")
    fit(*RESUME, f"--trainer.max_steps={stop_at}", "--trainer.default_root_dir=resumed")
    resumed = fit(*RESUME, f"--trainer.max_steps={total}", "--trainer.default_root_dir=resumed", "--ckpt_path=last")

    assert resumed.trainer.global_step == total
    assert_same_weights(state_of(straight.model), state_of(resumed.model))
    for opt_a, opt_b in zip(straight.trainer.optimizers, resumed.trainer.optimizers, strict=True):
        for state_a, state_b in zip(opt_a.state.values(), opt_b.state.values(), strict=True):
            assert_same_weights(state_a, state_b)


@pytest.mark.parametrize("base", AUTHORS)
def test_the_authors_configs_change_only_step_order_and_init(base: str) -> None:
    ours, theirs = (yaml.safe_load((CONFIGS / f"{name}.yaml").read_text()) for name in (base, f"{base}_authors"))
    changed = {key: theirs["model"]["init_args"].pop(key) for key in ("step_order", "init")}
    assert changed == {"step_order": "simultaneous", "init": "normal_0.02"}
    assert theirs == ours
    assert "github.com/fjxmlzn/PacGAN" in (CONFIGS / f"{base}_authors.yaml").read_text().splitlines()[0]


@pytest.mark.parametrize("base", AUTHORS)
def test_the_authors_configs_train_through_the_cli(base: str) -> None:
    tiny = [
        "--data.init_args.num_samples=400",
        "--data.init_args.val_samples=40",
        "--model.init_args.hidden_dims=[16, 16]",
        "--model.init_args.discriminator_hidden_dims=[8, 8]",
    ]
    steps = ["--trainer.max_steps=2", "--trainer.limit_val_batches=1"]
    cli = fit("--config", str(CONFIGS / f"{base}_authors.yaml"), *tiny, *steps)
    model = cli.model
    assert (model.hparams.step_order, model.hparams.init, cli.trainer.global_step) == ("simultaneous", "normal_0.02", 2)
    assert all(torch.isfinite(p).all() for p in model.parameters())
