"""docs/plugins.md: the guide's examples, run as the guide shows them, and its tables, checked against the code.

Each example is the guide's own code block, written into a module of its own and imported, so the
CLI finds its classes by class path as it finds a plugin's.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import itertools
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import torch
from helpers import fit, last_checkpoint, quiet_trainer
from lightning.pytorch.loggers import Logger
from torch import nn

from lightgan.api import BackboneGAN, DiscriminatorStep, GANDataModule, GeneratorStep
from lightgan.app.cli import main
from lightgan.core.checkpoint import CHECKPOINT_KEY
from lightgan.data.mixtures import RingMixture
from lightgan.models.gan import GAN
from lightgan.monitors import samples

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "plugins.md"
#: What follows --model for one step of a tiny model on a tiny ring.
TINY_STEP = [
    "--model.init_args.latent_dim=2",
    "--model.init_args.hidden_dims=[8]",
    "--data=RingMixture",
    "--data.init_args.num_samples=64",
    "--data.init_args.batch_size=32",
    "--trainer.limit_val_batches=0",
    "--trainer.max_steps=1",
]
TINY_CORNERS = [
    "--data.init_args.num_samples=128",
    "--data.init_args.batch_size=32",
    "--trainer.limit_val_batches=0",
]


def guide_block(defines: str) -> str:
    """The guide's python block that defines class ``defines``."""
    blocks = re.findall(r"^```python\n(.*?)^```", GUIDE.read_text(), re.MULTILINE | re.DOTALL)
    found = [block for block in blocks if re.search(rf"^class {defines}\b", block, re.MULTILINE)]
    assert len(found) == 1, f"docs/plugins.md should define {defines} in one python block, found {len(found)}"
    return found[0]


def table_rows(header: str) -> list[list[str]]:
    """The body cells of the guide's table whose header row starts with ``header``."""
    lines = GUIDE.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    body = itertools.takewhile(lambda line: line.startswith("|"), lines[start + 2 :])  # after header and rule
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in body]


def names_in(cell: str) -> list[str]:
    return re.findall(r"`(\w+)`", cell)


@pytest.fixture
def guide(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., ModuleType]]:
    """Imports the guide's blocks that define the given classes as one module, removed again afterwards."""
    name = "guide_" + re.sub(r"\W", "_", tmp_path.name)
    folder = tmp_path / "guide_code"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))

    def load(*classes: str) -> ModuleType:
        (folder / f"{name}.py").write_text("\n\n".join(guide_block(cls) for cls in classes))
        importlib.invalidate_caches()
        return importlib.import_module(name)

    yield load
    sys.modules.pop(name, None)


def optimizer_lrs(cli: Any) -> dict[str, float]:
    model = cli.model
    return {p.name: model.optimizer_of(p).param_groups[0]["lr"] for p in model.declared_players}


# ---------------------------------------------------------------------- changing a base default
def test_a_default_declared_again_is_what_the_cli_trains_with(guide: Callable[..., ModuleType]) -> None:
    module = guide("TTURGAN")
    run = fit(f"--model={module.__name__}.TTURGAN", *TINY_STEP)
    assert (run.model.hparams.lr_g, run.model.hparams.lr_d) == (1e-4, 4e-4)
    assert optimizer_lrs(run) == {"generator": 1e-4, "discriminator": 4e-4}

    overridden = fit(f"--model={module.__name__}.TTURGAN", "--model.init_args.lr_d=2e-4", *TINY_STEP)
    assert optimizer_lrs(overridden) == {"generator": 1e-4, "discriminator": 2e-4}


def test_a_default_set_in_kwargs_applies_in_python_but_not_through_the_cli(guide: Callable[..., ModuleType]) -> None:
    module = guide("BrokenTTURGAN")
    assert module.BrokenTTURGAN(data_shape=(2,), latent_dim=2, hidden_dims=(8,)).hparams.lr_g == 1e-4
    run = fit(f"--model={module.__name__}.BrokenTTURGAN", *TINY_STEP)
    assert optimizer_lrs(run) == {"generator": 2e-4, "discriminator": 2e-4}  # the base's defaults


# ---------------------------------------------------------------------- the generator's last layer
def _last_layer(net: nn.Module) -> nn.Module:
    return [m for m in net.modules() if next(m.children(), None) is None][-1]


def test_backbone_ends_images_in_tanh_and_vectors_in_a_linear_layer() -> None:
    assert isinstance(_last_layer(BackboneGAN(data_shape=(2,), latent_dim=2, hidden_dims=(8,)).generator), nn.Linear)
    mlp_images = BackboneGAN(data_shape=(1, 16, 16), architecture="mlp", hidden_dims=(8,))
    dcgan_images = BackboneGAN(data_shape=(1, 16, 16), base_channels=4)
    assert isinstance(_last_layer(mlp_images.generator), nn.Tanh)
    assert isinstance(_last_layer(dcgan_images.generator), nn.Tanh)


def test_the_guides_variant_reaches_data_outside_minus_one_to_one(guide: Callable[..., ModuleType]) -> None:
    """MyGAN on FourCorners (at +-3) through the CLI, with packing, and its generator can leave [-1, 1]."""
    module = guide("MyGAN", "FourCorners").__name__
    run = fit(
        f"--model={module}.MyGAN",
        "--model.init_args.latent_dim=2",
        "--model.init_args.hidden_dims=[8]",
        "--model.init_args.pack=2",
        f"--data={module}.FourCorners",
        *TINY_CORNERS,
        "--trainer.max_steps=2",
    )
    assert run.trainer.global_step == 2
    last = _last_layer(run.model.generator)
    assert isinstance(last, nn.Linear)
    with torch.no_grad():
        last.bias.fill_(3.0)
        last.weight.zero_()
    assert torch.allclose(run.model.sample(4), torch.full((4, 2), 3.0))
    images = importlib.import_module(module).MyGAN(data_shape=(1, 8, 8), latent_dim=2, hidden_dims=(8,))
    assert isinstance(_last_layer(images.generator), nn.Tanh)


# ---------------------------------------------------------------------- logging
class StepRecorder(Logger):
    """Keeps every (step, metrics) the trainer sends."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[int | None, dict[str, float]]] = []

    @property
    def name(self) -> str:
        return "recorder"

    @property
    def version(self) -> str:
        return "0"

    def log_hyperparams(self, params: Any, *args: Any, **kwargs: Any) -> None:
        """Not needed here."""

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        self.rows.append((step, dict(metrics)))

    def steps_of(self, prefix: str) -> list[int | None]:
        return [step for step, metrics in self.rows if any(key.startswith(prefix) for key in metrics)]


@pytest.mark.parametrize(("n_critic", "every"), [(1, 1), (3, 1), (1, 2), (3, 2)])
def test_logged_points_sit_at_the_generator_step_they_belong_to(
    guide: Callable[..., ModuleType], n_critic: int, every: int
) -> None:
    """The guide's FakeSpread in step.logs, and the same value through pl_module.log in the hook, land at
    x = the step they belong to, including what the first step's critic updates log (0.1 put those at -1)."""

    class Recorded(guide("FakeSpread").FakeSpread):
        def __init__(self) -> None:
            self.values: list[tuple[int, float]] = []

        def on_discriminator_loss(self, trainer: Any, pl_module: Any, step: DiscriminatorStep) -> None:
            super().on_discriminator_loss(trainer, pl_module, step)
            value = step.logs["train/d_fake_out_spread"]
            pl_module.log("train/d_spread_from_hook", value, on_step=True, on_epoch=False)
            self.values.append((trainer.global_step, float(value)))

    recorder, spread = StepRecorder(), Recorded()
    data = RingMixture(num_samples=192, val_samples=32, batch_size=32)  # 6 batches: 6 // n_critic steps
    model = GAN(data_shape=data.data_shape, latent_dim=2, hidden_dims=(8,), n_critic=n_critic)
    trainer = quiet_trainer(logger=recorder, callbacks=[spread], max_epochs=1, log_every_n_steps=every)
    trainer.fit(model, data)

    steps = 6 // n_critic
    assert trainer.global_step == steps and len(spread.values) == 6  # every batch is one critic update
    sent = [x for x in range(steps) if (x + 1) % every == 0]
    assert recorder.steps_of("train/") == sent
    assert recorder.steps_of("val/") == [steps - 1]
    assert recorder.steps_of("train/d_spread_from_hook") == sent
    last_critic_value = dict(spread.values)  # per step, the value of its last critic update
    for x, metrics in recorder.rows:
        for key in ("train/d_fake_out_spread", "train/d_spread_from_hook"):
            if key in metrics:
                assert metrics[key] == pytest.approx(last_critic_value[x])


# ---------------------------------------------------------------------- the tables
def test_the_datamodule_arguments_table_matches_the_signature() -> None:
    parameters = inspect.signature(GANDataModule.__init__).parameters
    documented = {names_in(row[0])[0]: row[1].strip("`") for row in table_rows("| Argument | Default |")}
    assert documented == {name: str(p.default) for name, p in parameters.items() if name != "self"}


def test_the_step_table_lists_every_field_of_both_steps() -> None:
    kinds = {"D": DiscriminatorStep, "G": GeneratorStep}
    documented: dict[str, set[str]] = {}
    for row in table_rows("| Field | In |"):
        for name in names_in(row[0]):
            documented[name] = {kind.strip() for kind in row[1].split(",")}
    fields = {kind: {f.name for f in dataclasses.fields(cls)} for kind, cls in kinds.items()}
    assert documented == {name: {kind for kind in kinds if name in fields[kind]} for name in fields["D"] | fields["G"]}


# ---------------------------------------------------------------------- reference points
def test_mode_centers_reach_the_plots_the_checkpoint_and_evaluate(
    guide: Callable[..., ModuleType], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    module = guide("FourCorners").__name__
    drawn: list[torch.Tensor | None] = []
    render = samples.render_samples

    def render_and_keep_centers(*args: Any, **kwargs: Any) -> Any:
        drawn.append(kwargs["centers"])
        return render(*args, **kwargs)

    monkeypatch.setattr(samples, "render_samples", render_and_keep_centers)

    run = fit(
        "--model=GAN",
        "--model.init_args.latent_dim=2",
        "--model.init_args.hidden_dims=[8]",
        f"--data={module}.FourCorners",
        *TINY_CORNERS,
        "--trainer.max_epochs=1",
        "--trainer.default_root_dir=corners",
    )
    centers = run.datamodule.mode_centers
    assert drawn and all(torch.equal(c, centers) for c in drawn)  # FixedNoiseSamples' plot at the epoch's end
    saved = torch.load(last_checkpoint(Path("corners")), weights_only=True)[CHECKPOINT_KEY]["mode_centers"]
    assert torch.equal(saved, centers)

    assert main(["evaluate", "--ckpt", str(last_checkpoint(Path("corners"))), "--n", "200", "--no-progress"]) == 0
    assert "modes_captured" in capsys.readouterr().out  # chosen by default for data with mode centres
