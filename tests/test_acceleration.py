"""torch.compile of every player's networks, channels-last images and bf16 on the CPU (lightgan.core.acceleration).

Compiling is checked with cheap backends: one that counts the graphs it is handed and runs them as
traced (so a compiled run can be compared with an eager one bit for bit), ``aot_eager`` (AOT
autograd without code generation: it cannot differentiate twice, as inductor cannot) and ones
that fail. Only the marked-slow tests run the default backend, inductor, which compiles C++.
"""

from __future__ import annotations

import copy
import pickle
import warnings
from pathlib import Path
from typing import Any

import lightning as L
import pytest
import torch
from helpers import TINY_RING, assert_same_weights, fit, quiet_trainer, state_of
from test_ddp import assert_same_parameters, ddp_fit
from torch import nn
from variant_helpers import tiny_images, tiny_ring

from lightgan.app.cli import main
from lightgan.core import acceleration
from lightgan.core.acceleration import COMPILE_KEYS, CompiledCall, Compiler, cpu_has_native_bf16, eager
from lightgan.core.hooks import DiscriminatorStep, GANCallback
from lightgan.core.regularizers import gradient_penalty
from lightgan.data import MNIST, GANDataModule, InMemoryDataset
from lightgan.errors import ConfigError
from lightgan.models import DCGAN, GAN
from lightgan.tricks import GeneratorEMA, GradientPenalty, SpectralNorm

RING = {"data_shape": (2,), "latent_dim": 2, "hidden_dims": (16, 16), "seed": 0}
IMAGES = {"data_shape": (1, 16, 16), "latent_dim": 8, "base_channels": 4, "seed": 0}


class CountingBackend:
    """A torch.compile backend that keeps the graphs it is handed and runs them as traced (no code generation)."""

    def __init__(self) -> None:
        self.graphs: list[torch.fx.GraphModule] = []

    def __call__(self, graph: torch.fx.GraphModule, example_inputs: list[Any]) -> Any:
        self.graphs.append(graph)
        return graph.forward


def failing_backend(graph: torch.fx.GraphModule, example_inputs: list[Any]) -> Any:
    raise RuntimeError("no C compiler here")


class WhileTraining(L.Callback):
    """What each network's ``__call__`` is while a training step runs: a CompiledCall or None."""

    def __init__(self) -> None:
        self.calls: dict[str, str] = {}

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, *args: Any) -> None:
        self.calls = {
            name: type(module.__dict__.get("_compiled_call_impl")).__name__
            for name, module in pl_module.named_children()
        }


def ring_run(steps: int = 3, **kwargs: Any) -> tuple[GAN, WhileTraining]:
    """A small GAN with n_critic 2, spectral norm, WGAN-GP's penalty and EMA, trained ``steps`` steps from seed 0."""
    L.seed_everything(0)
    model = GAN(**{**RING, "n_critic": 2, **kwargs})
    probe = WhileTraining()
    tricks = [SpectralNorm(), GradientPenalty(), GeneratorEMA(), probe]
    quiet_trainer(max_steps=steps, callbacks=tricks, limit_val_batches=0).fit(model, tiny_ring())
    return model, probe


# ------------------------------------------------------------------ options
@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            {"modee": "max-autotune"},
            r"model.init_args.compile: 'modee' is not an option of torch.compile\. Its options",
        ),
        ("yes", r"model.init_args.compile must be true, false or a mapping of torch.compile options, got 'yes'"),
    ],
)
def test_what_torch_compile_does_not_take_is_named_with_its_options(value: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as error:
        GAN(**RING, compile=value)
    assert all(key in str(error.value) for key in ("mode", "fullgraph", "dynamic", "backend", "options"))
    assert "\n" not in str(error.value)


def test_true_compiles_with_torch_compiles_defaults_and_a_mapping_passes_its_options() -> None:
    assert acceleration.compile_options(True) == {} and acceleration.compile_options(False) is None
    assert acceleration.compile_options({"mode": "max-autotune", "dynamic": False}) == {
        "mode": "max-autotune",
        "dynamic": False,
    }
    assert {"mode", "fullgraph", "dynamic", "backend", "options"} <= set(COMPILE_KEYS)


# ------------------------------------------------------------------ compiled training
def test_a_compiled_run_trains_through_compiled_code_to_the_weights_of_an_eager_run() -> None:
    backend = CountingBackend()
    compiled, probe = ring_run(compile={"backend": backend})
    plain, plain_probe = ring_run()
    assert probe.calls["generator"] == probe.calls["discriminator"] == "CompiledCall"
    assert probe.calls["generator_ema"] == "NoneType"  # GeneratorEMA's copy runs eagerly
    assert plain_probe.calls["generator"] == "NoneType"
    assert len(backend.graphs) >= 2  # G and D, each traced at least once
    assert_same_weights(state_of(compiled), state_of(plain))  # same keys, same values
    assert compiled.generator._compiled_call_impl is None  # compiled for the fit only


def test_a_failing_compiler_warns_once_naming_the_reason_and_the_run_goes_on_eagerly() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fallen_back, probe = ring_run(compile={"backend": failing_backend})
    said = [str(w.message) for w in caught if "torch.compile failed" in str(w.message)]
    assert said == [
        "lightgan: torch.compile failed (RuntimeError: no C compiler here); training goes on without compiling. "
        "Set model.init_args.compile: false to silence this, or compile: {fullgraph: true} to make it an error."
    ]
    assert probe.calls["generator"] == probe.calls["discriminator"] == "NoneType"
    assert_same_weights(state_of(fallen_back), state_of(ring_run()[0]))


def test_with_fullgraph_a_failing_compiler_is_an_error() -> None:
    with pytest.raises(Exception, match="no C compiler here"):
        ring_run(steps=1, compile={"backend": failing_backend, "fullgraph": True})


def test_checkpoints_load_across_compiled_and_eager_runs(tmp_path: Path) -> None:
    L.seed_everything(0)
    compiled = GAN(**RING, compile={"backend": "aot_eager"})
    trainer = quiet_trainer(max_steps=2, callbacks=[GradientPenalty()], default_root_dir=tmp_path, limit_val_batches=0)
    trainer.fit(compiled, tiny_ring())
    saved = tmp_path / "compiled.ckpt"
    trainer.save_checkpoint(saved)
    plain = GAN.load_from_checkpoint(saved, compile=False)
    assert_same_weights(state_of(plain), state_of(compiled))
    # and an eager run's checkpoint resumes compiled, with the same keys
    resumed = GAN(**RING, compile={"backend": "aot_eager"})
    quiet_trainer(max_steps=3, callbacks=[GradientPenalty()], limit_val_batches=0).fit(
        resumed, tiny_ring(), ckpt_path=saved
    )
    assert resumed.global_step == 3 and state_of(resumed).keys() == state_of(plain).keys()


def test_a_structure_change_after_compiling_compiles_the_networks_anew() -> None:
    class LateSpectralNorm(L.Callback):
        def on_train_start(self, trainer: L.Trainer, pl_module: GAN) -> None:
            self.before = pl_module.discriminator._compiled_call_impl
            function = "lightgan.tricks.spectral_norm.spectral_norm_networks"
            pl_module.change_structure(function, networks=["discriminator"], n_power_iterations=1)
            self.after = pl_module.discriminator._compiled_call_impl

    backend, late = CountingBackend(), LateSpectralNorm()
    model = GAN(**RING, compile={"backend": backend})
    quiet_trainer(max_steps=1, callbacks=[late], limit_val_batches=0).fit(model, tiny_ring())
    assert isinstance(late.before, CompiledCall) and isinstance(late.after, CompiledCall)
    assert late.after is not late.before
    assert any("parametrizations" in graph.code for graph in backend.graphs)  # traced with the change


# ------------------------------------------------------------------ the eager path and copies
def _critic() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))


def test_gradient_penalties_differentiate_a_compiled_critic_through_its_eager_forward() -> None:
    critic, reference = _critic(), _critic()
    Compiler({"backend": "aot_eager"}).apply([critic])
    real, fake = torch.randn(6, 3), torch.randn(6, 3)
    x = real.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match=r"double backward|create_graph=False"):
        grad.square().sum().backward()  # why penalties need the eager forward
    rng = torch.Generator().manual_seed(1)
    penalty = gradient_penalty(critic, real, fake, rng=rng)
    penalty.backward()
    expected = gradient_penalty(reference, real, fake, rng=torch.Generator().manual_seed(1))
    expected.backward()
    assert torch.allclose(penalty, expected)
    grads = [(got.grad, want.grad) for got, want in zip(critic.parameters(), reference.parameters(), strict=True)]
    assert all(torch.allclose(got, want) for got, want in grads[:-1])  # the last bias has no input gradient


def test_within_eager_compiled_networks_run_their_eager_forward() -> None:
    critic, backend = _critic(), CountingBackend()
    Compiler({"backend": backend}).apply([critic])
    x = torch.randn(4, 3)
    with eager():
        critic(x)
    assert backend.graphs == []
    critic(x)
    assert len(backend.graphs) == 1


def test_copies_and_pickles_of_a_compiled_network_run_eagerly_with_their_own_weights() -> None:
    critic, backend = _critic(), CountingBackend()
    Compiler({"backend": backend}).apply([critic])
    x = torch.randn(4, 3)
    expected = critic(x)
    for copied in (copy.deepcopy(critic), pickle.loads(pickle.dumps(critic))):
        assert copied._compiled_call_impl is None
        assert torch.equal(copied(x), expected)
        with torch.no_grad():
            copied[0].weight.zero_()  # a copy that ran the original's compiled code would not see this
        assert not torch.equal(copied(x), expected)
    assert isinstance(critic._compiled_call_impl, CompiledCall) and len(backend.graphs) == 1


def test_a_module_list_of_networks_has_each_member_compiled() -> None:
    generators = nn.ModuleList([nn.Linear(2, 2), nn.Sequential(nn.Linear(2, 2))])
    assert acceleration.callable_networks(generators) == list(generators)


# ------------------------------------------------------------------ channels-last
def test_channels_last_on_vector_data_is_named() -> None:
    with pytest.raises(ConfigError, match=r"channels_last=True needs image data .* got data_shape=\(2,\)\. Set"):
        GAN(**RING, channels_last=True)


class RecordLayouts(GANCallback):
    """Whether the reals and fakes a discriminator step judges are in channels-last layout."""

    def __init__(self) -> None:
        self.layouts: list[tuple[bool, bool]] = []

    def on_discriminator_loss(self, trainer: L.Trainer, pl_module: Any, step: DiscriminatorStep) -> None:
        fmt = torch.channels_last
        self.layouts.append((step.real.is_contiguous(memory_format=fmt), step.fake.is_contiguous(memory_format=fmt)))


class ColourImages(GANDataModule):
    """Random 3x16x16 uint8 images in memory (with one channel both layouts are the same strides)."""

    data_shape = (3, 16, 16)

    def setup(self, stage: str) -> None:
        self.train_set = InMemoryDataset(torch.randint(0, 256, (64, *self.data_shape), dtype=torch.uint8))


def _colour_run(**kwargs: Any) -> tuple[DCGAN, RecordLayouts]:
    L.seed_everything(0)
    model, layouts = DCGAN(**{**IMAGES, "data_shape": ColourImages.data_shape}, **kwargs), RecordLayouts()
    quiet_trainer(max_steps=2, callbacks=[layouts], limit_val_batches=0).fit(model, ColourImages(batch_size=16))
    return model, layouts


def test_channels_last_converts_the_networks_and_the_reals_and_fakes() -> None:
    model, layouts = _colour_run(channels_last=True)
    plain, plain_layouts = _colour_run()
    assert layouts.layouts == [(True, True)] * 2 and plain_layouts.layouts == [(False, False)] * 2
    convolutions = [m.weight for m in model.modules() if isinstance(m, nn.Conv2d | nn.ConvTranspose2d)]
    assert convolutions and all(w.is_contiguous(memory_format=torch.channels_last) for w in convolutions)
    trained, reference = state_of(model), state_of(plain)
    assert trained.keys() == reference.keys()
    assert all(torch.allclose(trained[k], reference[k], atol=1e-5) for k in trained)  # the same run, another layout


# ------------------------------------------------------------------ bf16 on the CPU
@pytest.mark.parametrize(
    ("avx512_bf16", "amx", "native"), [(True, False, True), (False, True, True), (False, False, False)]
)
def test_native_bf16_means_avx512_bf16_or_amx_on_x86(
    monkeypatch: pytest.MonkeyPatch, avx512_bf16: bool, amx: bool, native: bool
) -> None:
    monkeypatch.setattr(acceleration.platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: avx512_bf16)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: amx)
    assert cpu_has_native_bf16() is native


@pytest.mark.parametrize(("precision", "native", "warned"), [("bf16-mixed", False, True), ("32-true", False, False),
                                                             ("bf16-mixed", True, False)])  # fmt: skip
def test_bf16_on_a_cpu_without_bf16_instructions_warns_that_it_is_emulated(
    monkeypatch: pytest.MonkeyPatch, precision: str, native: bool, warned: bool
) -> None:
    monkeypatch.setattr(acceleration, "cpu_has_native_bf16", lambda: native)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        quiet_trainer(max_steps=1, precision=precision, limit_val_batches=0).fit(GAN(**RING), tiny_ring())
    said = [str(w.message) for w in caught if "bfloat16 is emulated" in str(w.message)]
    assert len(said) == int(warned)
    assert not said or (f"trainer.precision={precision}" in said[0] and "--trainer.precision 32-true" in said[0])


def test_bf16_mixed_trains_float32_weights_with_a_penalty_and_ema_and_its_checkpoint_loads(
    mnist_root: Path, tmp_path: Path
) -> None:
    L.seed_everything(0)
    model = DCGAN(**IMAGES, n_critic=2)
    trainer = quiet_trainer(
        max_steps=3, precision="bf16-mixed", callbacks=[GradientPenalty(), GeneratorEMA()], limit_val_batches=0
    )
    trainer.fit(model, MNIST(root=str(mnist_root), image_size=16, batch_size=16))
    metrics = trainer.callback_metrics
    losses = [metrics[key] for key in ("train/d_loss", "train/g_loss", "train/gradient_penalty")]
    assert all(torch.isfinite(value) for value in losses) and metrics["train/gradient_penalty"] > 0
    weights = state_of(model)
    assert any(k.startswith("generator_ema.") for k in weights)
    assert all(v.dtype == torch.float32 for k, v in weights.items() if v.is_floating_point())
    trainer.save_checkpoint(tmp_path / "bf16.ckpt")
    assert_same_weights(state_of(DCGAN.load_from_checkpoint(tmp_path / "bf16.ckpt")), weights)


# ------------------------------------------------------------------ end to end
@pytest.mark.slow
def test_the_cli_trains_a_compiled_wgan_gp_with_tricks_and_its_checkpoint_loads_uncompiled(
    mnist_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default backend (inductor: C++ code generation), n_critic, EMA, spectral norm, a penalty, channels-last."""
    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", str(tmp_path / "inductor"))  # no cache from an earlier run
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cli = fit(
            "--model=WGANGP",
            *tiny_images(mnist_root),
            "--model.init_args.compile=true",
            "--model.init_args.channels_last=true",
            "--model.init_args.n_critic=2",
            "--trainer.callbacks+=GeneratorEMA",
            "--trainer.callbacks+=SpectralNorm",
            "--trainer.callbacks+=test_acceleration.WhileTraining",
            "--trainer.max_steps=3",
            "--trainer.limit_val_batches=1",
            "--trainer.default_root_dir=run",
            "--seed_everything=0",
        )
    assert not [w for w in caught if "torch.compile failed" in str(w.message)]
    (probe,) = [callback for callback in cli.trainer.callbacks if isinstance(callback, WhileTraining)]
    assert probe.calls["generator"] == probe.calls["discriminator"] == "CompiledCall"
    assert cli.trainer.global_step == 3
    assert torch.isfinite(cli.trainer.callback_metrics["train/gradient_penalty"])
    loaded = type(cli.model).load_from_checkpoint(Path("run") / "checkpoints" / "last.ckpt", compile=False)
    assert_same_weights(state_of(loaded), state_of(cli.model))


@pytest.mark.slow
def test_two_ddp_processes_of_a_compiled_run_with_a_penalty_end_with_identical_weights(tmp_path: Path) -> None:
    ranks = ddp_fit(
        tmp_path,
        *("--model=GAN", "--model.init_args.latent_dim=2", "--model.init_args.hidden_dims=[16, 16]"),
        "--model.init_args.compile={backend: aot_eager, fullgraph: true}",  # a failure to compile fails the run
        "--trainer.callbacks+=GradientPenalty",
        *("--data=RingMixture", "--data.init_args.num_samples=512", "--data.init_args.batch_size=32"),
        "--trainer.max_steps=4",
    )
    assert [r["global_step"] for r in ranks] == [4, 4]
    assert_same_parameters(ranks)
    assert not any(key.startswith("_orig_mod") or "._orig_mod." in key for key in ranks[0]["weights"])


def test_cli_takes_compile_as_a_mapping_and_channels_last_as_a_flag(mnist_root: Path) -> None:
    cli = fit(
        "--model=DCGAN",
        *tiny_images(mnist_root),
        "--model.init_args.compile={backend: eager, dynamic: false}",
        "--model.init_args.channels_last=true",
        "--trainer.max_steps=1",
        "--trainer.limit_val_batches=0",
    )
    assert cli.model.hparams.compile == {"backend": "eager", "dynamic": False} and cli.model.channels_last
    assert cli.trainer.global_step == 1


# ------------------------------------------------------------------ precisions a run cannot use
@pytest.mark.parametrize(
    ("precision", "accelerator", "said"),
    [
        ("16-mixed", "cpu", "trainer.precision=16-mixed needs a GPU: on the CPU Lightning would train in bf16-mixed"),
        ("16", "cpu", "trainer.precision=16 needs a GPU"),
        ("16-true", "cpu", "eps=1e-8 rounds to 0 and the first update writes inf/NaN into the weights"),
        ("transformer-engine", "cpu", "needs NVIDIA's transformer_engine package, which is not installed"),
    ],
)
def test_a_precision_that_would_not_do_what_it_says_is_one_line_before_anything_is_written(
    precision: str, accelerator: str, said: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    argv = ["fit", *TINY_RING, f"--trainer.precision={precision}", f"--trainer.accelerator={accelerator}"]
    assert main([*argv, "--trainer.max_steps=1", f"--trainer.default_root_dir={tmp_path / 'run'}"]) == 2
    error = capsys.readouterr().err.strip()
    assert said in error and len(error.splitlines()) == 1
    assert not (tmp_path / "run").exists()


def test_16_mixed_is_refused_on_the_cpu_only(monkeypatch: pytest.MonkeyPatch) -> None:
    acceleration.check_precision("16-mixed", "gpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    acceleration.check_precision("16-mixed", "auto")  # auto picks the GPU
    with pytest.raises(ConfigError, match="needs a GPU"):
        acceleration.check_precision("16-mixed", "cpu")


def test_float16_weights_really_break_adam_at_its_first_update() -> None:
    """The reason check_precision gives for refusing 16-true, measured."""
    weight = nn.Parameter(torch.ones(2, dtype=torch.float16))
    weight.grad = torch.tensor([1e-5, 0.0], dtype=torch.float16)
    torch.optim.Adam([weight], lr=2e-4).step()
    assert not torch.isfinite(weight).any()


@pytest.mark.parametrize("precision", ["bf16-true", "64-true"])
def test_true_precisions_train_and_sample_in_float32_like_the_data(precision: str, tmp_path: Path) -> None:
    """The networks hold bf16/float64 weights; pictures and samples drawn outside the training step still work."""
    cli = fit(*TINY_RING, f"--trainer.precision={precision}", "--trainer.max_steps=2", "--trainer.max_epochs=1")
    assert (
        next(cli.model.generator.parameters()).dtype
        == {"bf16-true": torch.bfloat16, "64-true": torch.float64}[precision]
    )
    assert list(Path(cli.trainer.default_root_dir).glob("samples/*.png"))  # the end-of-epoch picture was drawn
    samples = cli.model.sample(5, z=torch.zeros(5, 2))
    assert samples.dtype == torch.float32 and samples.shape == (5, 2) and torch.isfinite(samples).all()
