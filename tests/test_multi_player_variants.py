"""MAD-GAN, MGAN, GMAN, Dropout-GAN, D2GAN and E-GAN: what makes each one that variant, on tiny 2-D shapes."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import TINY_RING, assert_same_weights, fit, quiet_trainer, state_of
from PIL import Image

from lightgan.core.checkpoint import load_gan
from lightgan.errors import ConfigError
from lightgan.models import D2GAN, EGAN, GMAN, MADGAN, MGAN, DropoutGAN
from lightgan.models.d2gan import log_positive
from lightgan.models.dropout_gan import keep_mask
from lightgan.models.egan import MUTATIONS
from lightgan.models.multi_player import blocks
from lightgan.monitors import FixedNoiseSamples

SMALL: dict[str, Any] = {"data_shape": (2,), "latent_dim": 2, "hidden_dims": (16, 16), "seed": 0}


def batch(n: int = 12, seed: int = 0) -> dict[str, torch.Tensor]:
    return {"real": torch.randn(n, 2, generator=torch.Generator().manual_seed(seed))}


def rng(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# ---------------------------------------------------------------------------------------------- several generators
def test_samples_come_from_the_generators_in_blocks() -> None:
    assert blocks(10, 4).tolist() == [0, 0, 0, 1, 1, 2, 2, 2, 3, 3]
    torch.manual_seed(0)
    model = MADGAN(num_generators=3, **SMALL)
    z = torch.randn(9, 2)
    with model.sampling_networks_ready():
        expected = torch.cat([model.generator[i](z[3 * i : 3 * i + 3]) for i in range(3)])
    assert torch.equal(model.sample(z=z), expected)
    assert model.sample_sources(9).tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]


def test_madgan_shares_the_first_layers_it_is_told_to() -> None:
    independent, shared = MADGAN(num_generators=3, **SMALL), MADGAN(num_generators=3, shared_layers=2, **SMALL)
    first, second = shared.generator[0].net, shared.generator[1].net
    assert first[0] is second[0] and first[2] is second[2]  # two hidden layers shared
    assert first[-1] is not second[-1]  # the output layer is each generator's own
    count = lambda m: sum(p.numel() for p in m.generator.parameters())  # noqa: E731
    assert count(shared) < count(independent)
    with pytest.raises(ConfigError, match="shared_layers must be an integer from 0 to 2"):
        MADGAN(num_generators=3, shared_layers=3, **SMALL)


def test_madgan_discriminator_says_which_generator_or_real() -> None:
    model = MADGAN(num_generators=3, **SMALL)
    step = model.discriminator_step(batch(), generator=rng(), hooks=False)
    real_logits, fake_logits = model.discriminator(step.real), model.discriminator(step.fake)
    assert real_logits.shape == (12, 4)
    made_by = torch.tensor([0] * 4 + [1] * 4 + [2] * 4)
    expected = F.cross_entropy(real_logits, torch.full((12,), 3)) + F.cross_entropy(fake_logits, made_by)
    assert torch.allclose(step.loss, expected)
    # what scores and penalties read: the probability of "real" against any generator
    assert torch.allclose(torch.sigmoid(step.real_out), real_logits.softmax(1)[:, 3], atol=1e-6)


def test_madgan_rewards_a_generator_when_d_says_real() -> None:
    model = MADGAN(num_generators=2, **SMALL)
    step = model.generator_step(batch(), generator=rng(), hooks=False)
    logits = model.discriminator(step.fake)
    assert torch.allclose(step.loss, F.cross_entropy(logits, torch.full((12,), 2)))
    # raising "real" for one generator's fakes lowers G's loss
    logits = logits.detach().requires_grad_(True)
    model.loss.generator_loss(logits).backward()
    assert (logits.grad[:, 2] < 0).all() and (logits.grad[:, :2] > 0).all()


def test_mgan_classifier_shares_the_discriminators_body_and_trains_with_it() -> None:
    model = MGAN(num_generators=3, beta=0.5, **SMALL)
    assert model.find_player(role="discriminator").networks == ("discriminator", "classifier")
    first, second = model.generator[0].net, model.generator[1].net
    assert first[0] is not second[0] and first[2] is second[2] and first[-1] is second[-1]  # all but input shared
    step = model.generator_step(batch(), generator=rng(), hooks=False)
    features = model.discriminator.features(step.fake)
    made_by = torch.tensor([0] * 4 + [1] * 4 + [2] * 4)
    classification = F.cross_entropy(model.classifier(features), made_by)
    adversarial = F.softplus(-model.discriminator.head(features).view(-1)).mean()
    assert torch.allclose(step.loss, adversarial + 0.5 * classification)
    d_step = model.discriminator_step(batch(), generator=rng(1), hooks=False)
    d_step.loss.backward()
    assert model.classifier.weight.grad is not None
    assert all(p.grad is not None for p in model.discriminator.features.parameters())
    assert MGAN(num_generators=3, share_generator_layers=False, **SMALL).generator[0].net[2] is not None


# ---------------------------------------------------------------------------------------------- several discriminators
def test_each_discriminator_is_a_player_of_its_own() -> None:
    model = GMAN(num_discriminators=3, player_settings={"d1": {"lr": 1e-3}}, **SMALL)
    assert [p.name for p in model.declared_players] == ["generator", "d0", "d1", "d2"]
    trainer = quiet_trainer(max_steps=2, limit_val_batches=0)
    before = state_of(model)
    from variant_helpers import tiny_ring

    trainer.fit(model, tiny_ring())
    assert [opt.param_groups[0]["lr"] for opt in trainer.optimizers] == [2e-4, 2e-4, 1e-3, 2e-4]
    after = state_of(model)
    for i in range(3):
        assert any(not torch.equal(before[k], after[k]) for k in before if k.startswith(f"discriminator.{i}."))
    for i in range(3):
        assert f"train/d{i}_loss" in trainer.callback_metrics and f"train/g_loss_d{i}" in trainer.callback_metrics


def _generator_losses(model: Any) -> tuple[torch.Tensor, Any]:
    step = model.generator_step(batch(), generator=rng(), hooks=False)
    losses = torch.stack([F.softplus(-model.discriminator[i](step.fake)).mean() for i in range(3)])
    return losses, step


def test_gman_mean_and_softmax_weighting() -> None:
    torch.manual_seed(0)
    mean = GMAN(num_discriminators=3, **SMALL)
    losses, step = _generator_losses(mean)
    assert torch.allclose(step.loss, losses.mean())
    for lam, expected in ((0.0, losses.mean()), (1000.0, losses.max())):
        torch.manual_seed(0)
        model = GMAN(num_discriminators=3, combination="softmax", lam=lam, **SMALL)
        losses, step = _generator_losses(model)
        assert torch.allclose(step.loss, expected, atol=1e-5)
    torch.manual_seed(0)
    model = GMAN(num_discriminators=3, combination="softmax", lam=2.0, **SMALL)
    losses, step = _generator_losses(model)
    assert torch.allclose(step.loss, (torch.softmax(2.0 * losses, 0) * losses).sum())


def test_gman_star_learns_lambda_with_the_generator() -> None:
    model = GMAN(num_discriminators=3, combination="softmax", lam=1.0, learn_lambda=True, **SMALL)
    assert float(model.softness()) == pytest.approx(1.0, abs=1e-4)
    from variant_helpers import tiny_ring

    trainer = quiet_trainer(max_steps=5, limit_val_batches=0)
    model.hparams.lr_g = 0.05  # a visible change in five steps
    trainer.fit(model, tiny_ring())
    assert float(model.softness()) != pytest.approx(1.0, abs=1e-3)
    losses, step = _generator_losses(model)
    lam = model.softness()
    assert torch.allclose(step.loss, (torch.softmax(lam * losses, 0) * losses).sum() - 0.001 * lam)
    with pytest.raises(ConfigError, match="learn_lambda needs combination: softmax"):
        GMAN(learn_lambda=True, **SMALL)


def test_dropout_keeps_each_discriminator_with_one_minus_p_and_always_one() -> None:
    draws = torch.stack([keep_mask(5, 0.5, g) for g in [rng(0)] for _ in range(2000)])
    assert draws.float().mean().item() == pytest.approx(0.5, abs=0.03)
    assert draws.any(1).all()
    never = torch.stack([keep_mask(5, 0.999, rng(1)) for _ in range(200)])
    assert (never.sum(1) >= 1).all()
    assert keep_mask(5, 0.0, rng(2)).all()


def test_dropout_gan_learns_from_the_mean_of_the_kept_discriminators() -> None:
    torch.manual_seed(0)
    model = DropoutGAN(num_discriminators=3, p=0.5, **SMALL)
    step_rng = rng(3)
    step = model.generator_step(batch(), generator=step_rng, hooks=False)
    losses = torch.stack([F.softplus(-model.discriminator[i](step.fake)).mean() for i in range(3)])
    # replay the same draws: the noise of the fakes, then the mask
    replay = rng(3)
    model.draw_inputs(12, replay)
    keep = keep_mask(3, 0.5, replay)
    assert torch.allclose(step.loss, losses[keep].mean())
    assert step.logs["train/dropout_kept"] == keep.sum()


def test_d2gan_discriminators_reach_the_papers_optima() -> None:
    """Pointwise, D1 minimises -alpha p log D1 + q D1 at D1 = alpha p / q, and D2 minimises p D2 - beta q log D2 at
    D2 = beta q / p (Nguyen et al., 2017, Proposition 1), for data density p and model density q."""
    model = D2GAN(alpha=0.5, beta=2.0, **SMALL)
    p, q = torch.tensor([0.7, 0.2, 0.1], dtype=torch.float64), torch.tensor([0.2, 0.3, 0.5], dtype=torch.float64)
    for index, expected in ((0, 0.5 * p / q), (1, 2.0 * q / p)):
        loss = model.loss_of(index)
        v = torch.zeros(3, dtype=torch.float64, requires_grad=True)
        optimizer = torch.optim.LBFGS(
            [v], max_iter=500, tolerance_grad=1e-12, tolerance_change=1e-15, line_search_fn="strong_wolfe"
        )

        def objective(loss=loss, v=v, optimizer=optimizer) -> torch.Tensor:
            # the loss on one real and one fake sample at each point, weighted by the densities there
            optimizer.zero_grad()
            value = sum(
                p[i] * loss.discriminator_loss(v[i : i + 1], v.new_zeros(1) - 50)
                + q[i] * loss.discriminator_loss(v.new_zeros(1) - 50, v[i : i + 1])
                for i in range(3)
            )
            value.backward()
            return value

        optimizer.step(objective)
        assert torch.allclose(F.softplus(v.detach()), expected, rtol=1e-6)


def test_d2gan_losses_as_the_paper_writes_them() -> None:
    model = D2GAN(alpha=0.5, beta=2.0, **SMALL)
    real, fake = torch.tensor([1.0, -2.0]), torch.tensor([0.5, 3.0])
    d = F.softplus
    assert torch.allclose(model.loss_of(0).discriminator_loss(real, fake), -0.5 * d(real).log().mean() + d(fake).mean())
    assert torch.allclose(model.loss_of(1).discriminator_loss(real, fake), d(real).mean() - 2.0 * d(fake).log().mean())
    step = model.generator_step(batch(), generator=rng(), hooks=False)
    out1, out2 = model.discriminator[0](step.fake), model.discriminator[1](step.fake)
    assert torch.allclose(step.loss, -F.softplus(out1).mean() + 2.0 * F.softplus(out2).log().mean())
    assert torch.isfinite(log_positive(torch.tensor([-200.0]))).all()
    assert log_positive(torch.tensor([-200.0])).item() == pytest.approx(-200.0)


# ---------------------------------------------------------------------------------------------- evolution
def test_egan_keeps_the_fittest_child_of_each_step() -> None:
    from variant_helpers import tiny_ring

    model = EGAN(gamma=0.5, **SMALL)
    fitness_seen: list[list[tuple[float, str]]] = []
    original = model.fitness

    def recording(parent: int, real: torch.Tensor, z: torch.Tensor) -> tuple[float, float, float]:
        scores = original(parent, real, z)
        fitness_seen[-1].append((scores[0], model.mutations[len(fitness_seen[-1])]))  # children in mutation order
        return scores

    model.fitness = recording
    from lightgan.api import GANCallback

    class NewStep(GANCallback):
        def on_train_batch_start(self, *args: Any) -> None:
            fitness_seen.append([])

    trainer = quiet_trainer(max_steps=4, limit_val_batches=0, log_every_n_steps=1, callbacks=[NewStep()])
    trainer.fit(model, tiny_ring())
    assert all(len(children) == 3 for children in fitness_seen)
    assert all(sorted(m for _, m in children) == sorted(MUTATIONS) for children in fitness_seen)
    assert model.mutation_wins.sum().item() == 4
    winner = max(fitness_seen[-1])[1]
    assert trainer.callback_metrics[f"train/egan_won_{winner}"] == 1.0
    shares = [trainer.callback_metrics[f"train/egan_share_{m}"] for m in MUTATIONS]
    assert sum(shares).item() == pytest.approx(1.0)
    assert trainer.callback_metrics["train/egan_fitness"].item() == pytest.approx(max(fitness_seen[-1])[0])


def test_egan_puts_the_winning_childs_weights_and_optimizer_state_in_place() -> None:
    model = EGAN(mutations=("heuristic", "least_squares"), **SMALL)
    optimizer = torch.optim.Adam(model.generator.parameters())
    model.generator[0].net[0].weight.sum().backward()
    optimizer.step()
    state = model.snapshot(0, optimizer)
    with torch.no_grad():
        for param in model.generator[0].parameters():
            param.add_(1.0)
    optimizer.state[next(model.generator[0].parameters())]["exp_avg"].zero_()
    model.restore(0, state, optimizer)
    assert torch.equal(model.generator[0].net[0].weight, state[0]["net.0.weight"])
    first = next(model.generator[0].parameters())
    assert torch.equal(optimizer.state[first]["exp_avg"], state[1][0]["exp_avg"])


def test_egan_diversity_is_minus_the_log_of_ds_gradient_norm() -> None:
    model = EGAN(gamma=2.0, **SMALL)
    real, z = batch()["real"], torch.randn(12, 2, generator=rng(5))
    fitness, quality, diversity = model.fitness(0, real, z)
    fake_out = model.discriminator(model.generator[0](z).detach())
    d_loss = F.softplus(-model.discriminator(real)).mean() + F.softplus(fake_out).mean()
    grads = torch.autograd.grad(d_loss, list(model.discriminator.parameters()))
    norm = torch.sqrt(sum((g**2).sum() for g in grads))
    assert diversity == pytest.approx(-norm.log().item(), rel=1e-5)
    assert quality == pytest.approx(torch.sigmoid(fake_out).mean().item(), rel=1e-5)
    assert fitness == pytest.approx(quality + 2.0 * diversity)


def test_egan_population_trains_on_one_device_only() -> None:
    model = EGAN(population_size=2, **SMALL)
    assert len(model.generator) == 2 and model.sample_sources(4).tolist() == [0, 0, 1, 1]
    model._trainer = SimpleNamespace(world_size=2)
    with pytest.raises(ConfigError, match="Train it on one device"):
        model.setup("fit")
    with pytest.raises(ConfigError, match="mutations must name some of minimax, heuristic, least_squares"):
        EGAN(mutations=("crossover",), **SMALL)


# ---------------------------------------------------------------------------------------------- through the CLI
@pytest.mark.parametrize(
    "variant",
    [
        ["--model=MADGAN", "--model.init_args.num_generators=3"],
        ["--model=MGAN", "--model.init_args.num_generators=3"],
        ["--model=GMAN", "--model.init_args.num_discriminators=3"],
        ["--model=DropoutGAN", "--model.init_args.num_discriminators=3"],
        ["--model=D2GAN"],
        ["--model=EGAN", "--model.init_args.population_size=2"],
    ],
    ids=lambda v: v[0].split("=")[1],
)
def test_variant_resumes_exactly_and_its_checkpoint_samples(variant: list[str], tmp_path: Path) -> None:
    common = [*variant, *TINY_RING[1:], "--seed_everything=5", "--trainer.limit_val_batches=1"]
    straight = fit(*common, "--trainer.max_steps=6", f"--trainer.default_root_dir={tmp_path / 'straight'}")
    fit(*common, "--trainer.max_steps=3", f"--trainer.default_root_dir={tmp_path / 'resumed'}")
    resumed = fit(
        *common, "--trainer.max_steps=6", f"--trainer.default_root_dir={tmp_path / 'resumed'}", "--ckpt_path=last"
    )
    assert resumed.trainer.global_step == 6
    assert_same_weights(state_of(straight.model), state_of(resumed.model))
    loaded = load_gan(tmp_path / "straight" / "checkpoints" / "last.ckpt")
    assert type(loaded) is type(straight.model)
    assert torch.equal(loaded.sample(8, generator=rng()), straight.model.cpu().sample(8, generator=rng()))


def test_pictures_show_one_row_per_generator(tmp_path: Path) -> None:
    model = MADGAN(num_generators=3, data_shape=(1, 16, 16), latent_dim=4, base_channels=4, seed=0)
    callback = FixedNoiseSamples(nrow=5, folder=str(tmp_path))
    trainer = SimpleNamespace(datamodule=None, loggers=[], default_root_dir=str(tmp_path))
    callback.setup(trainer, model, "fit")
    assert callback.z.shape[0] == 15  # nrow per generator
    picture = callback.render(trainer, model, "")
    rows = (picture.shape[0] - 2) // 18  # 16-pixel images with 2-pixel padding
    assert rows == 3 and (picture.shape[1] - 2) // 18 == 5


def test_scatter_plots_colour_the_points_by_generator(tmp_path: Path) -> None:
    cli = fit(
        "--model=MADGAN",
        "--model.init_args.num_generators=2",
        *TINY_RING[1:],
        "--trainer.max_steps=1",
        f"--trainer.default_root_dir={tmp_path}",
        "--trainer.callbacks+=FixedNoiseSamples",
        "--trainer.callbacks.every_n_steps=1",
    )
    pictures = sorted((Path(cli.trainer.default_root_dir) / "samples").glob("*.png"))
    colours = np.asarray(Image.open(pictures[-1]).convert("RGB")).reshape(-1, 3)
    blue, orange = np.array([31, 119, 180]), np.array([255, 127, 14])  # tab10's first two
    assert (np.abs(colours - blue).sum(1) < 60).any() and (np.abs(colours - orange).sum(1) < 60).any()


@pytest.mark.parametrize(("variant", "sharing"), [("MADGAN", {"shared_layers": 1}), ("MGAN", {})])
def test_layer_sharing_needs_layer_by_layer_generators(variant: str, sharing: dict) -> None:
    import lightgan.models as models

    cls = getattr(models, variant)
    with pytest.raises(
        ConfigError, match=r"shares layers between its generators.*ResNetGenerator.*architecture: dcgan"
    ):
        cls(data_shape=(1, 16, 16), architecture="resnet", base_channels=4, latent_dim=8, **sharing)
    madgan = models.MADGAN(data_shape=(1, 16, 16), architecture="resnet", base_channels=4, latent_dim=8)
    assert madgan.sample(2).shape == (2, 1, 16, 16)  # without sharing, residual generators are fine
