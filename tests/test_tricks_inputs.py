"""Tricks that change what D sees: targets (label smoothing) and inputs (noise, augmentation, replay)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from trick_steps import (
    ConditionalGAN,
    changed_fields,
    d_step,
    g_step,
    run_d_step,
    run_g_step,
    snapshot,
    tiny_gan,
)

from lightgan.callbacks import ADA, DiffAugment, ExperienceReplay, InstanceNoise, LabelSmoothing
from lightgan.core import augment
from lightgan.errors import ConfigError


# ---------------------------------------------------------------- label smoothing
def test_label_smoothing_changes_only_the_real_target() -> None:
    module = tiny_gan()
    step = d_step(module)
    before = snapshot(step)
    LabelSmoothing(0.9).on_discriminator_targets(None, module, step)
    assert changed_fields(before, step) == {"real_target"}
    assert step.real_target == 0.9 and step.fake_target is None


def test_label_smoothing_range_and_two_sided() -> None:
    module = tiny_gan()
    step = d_step(module, n=200)
    LabelSmoothing(real_range=(0.7, 1.0), fake_target=0.1).on_discriminator_targets(None, module, step)
    assert step.real_target.shape == (200,)
    assert float(step.real_target.min()) >= 0.7 and float(step.real_target.max()) <= 1.0
    assert float(step.real_target.std()) > 0.05  # drawn per sample
    assert step.fake_target == 0.1


def test_label_smoothing_range_draws_one_target_per_pack() -> None:
    module = tiny_gan(pack=2)
    step = run_d_step(module, [LabelSmoothing(real_range=(0.7, 1.0))], d_step(module, n=6))
    assert step.real_target.shape == step.real_out.shape == (3,)


def test_label_smoothing_refuses_losses_without_targets() -> None:
    with pytest.raises(ConfigError, match="minimax, non_saturating or least_squares"):
        LabelSmoothing().setup(None, tiny_gan(loss="wasserstein"), "fit")


# ---------------------------------------------------------------- instance noise
def test_instance_noise_adds_annealed_gaussian_noise_to_both_inputs() -> None:
    module = tiny_gan()
    noise = InstanceNoise(sigma=0.2, anneal_steps=100)
    assert [noise.sigma_at(s) for s in (0, 50, 100, 150)] == pytest.approx([0.2, 0.1, 0.0, 0.0])

    step = d_step(module, n=400)
    before = snapshot(step)
    noise.on_discriminator_inputs(None, module, step)  # generator step 0: full sigma
    assert changed_fields(before, step) == {"real", "fake", "logs"}
    for name in ("real", "fake"):
        added = getattr(step, name) - before[name]
        assert float(added.std()) == pytest.approx(0.2, rel=0.05)
        assert abs(float(added.mean())) < 0.01
    assert float(step.logs["train/instance_noise_sigma"]) == pytest.approx(0.2)

    gstep = g_step(module)
    before = snapshot(gstep)
    noise.on_generator_inputs(None, module, gstep)
    assert changed_fields(before, gstep) == {"fake"}


def test_instance_noise_is_gone_after_annealing(monkeypatch: pytest.MonkeyPatch) -> None:
    module = tiny_gan()
    monkeypatch.setattr(type(module), "global_step", property(lambda self: 150))
    step = d_step(module)
    before = snapshot(step)
    InstanceNoise(sigma=0.2, anneal_steps=100).on_discriminator_inputs(None, module, step)
    assert changed_fields(before, step) == {"logs"}
    assert float(step.logs["train/instance_noise_sigma"]) == 0.0


# ---------------------------------------------------------------- augmentation operations
def _image(n: int = 4) -> torch.Tensor:
    return torch.rand(n, 1, 8, 8, generator=torch.Generator().manual_seed(3)) * 2 - 1


def test_translation_shifts_each_image_by_whole_pixels() -> None:
    x = _image()
    out = augment.translation(x, torch.Generator().manual_seed(0))
    assert not torch.equal(out, x)
    padded = torch.nn.functional.pad(x, [1, 1, 1, 1])
    for i in range(len(x)):
        matches = [
            (dy, dx)
            for dy in (-1, 0, 1)
            for dx in (-1, 0, 1)
            if torch.equal(out[i, 0], torch.roll(padded[i, 0], (-dy, -dx), (0, 1))[1:-1, 1:-1])
        ]
        assert matches, f"sample {i} is not a translation of the input"


def test_cutout_zeroes_one_square_and_keeps_the_rest() -> None:
    x = _image() + 3  # no zeros in the input
    out = augment.cutout(x, torch.Generator().manual_seed(0))
    for i in range(len(x)):
        zero = out[i, 0] == 0
        rows, cols = zero.any(1).nonzero().flatten(), zero.any(0).nonzero().flatten()
        assert zero.sum() == len(rows) * len(cols) and 0 < len(rows) <= 4 and 0 < len(cols) <= 4  # one rectangle
        assert torch.equal(out[i, 0][~zero], x[i, 0][~zero])


def test_color_transforms_are_per_sample_affine_maps() -> None:
    x = torch.rand(4, 3, 8, 8, generator=torch.Generator().manual_seed(3))
    out = augment.brightness(x, torch.Generator().manual_seed(0))
    shift = (out - x).flatten(1)
    assert torch.allclose(shift, shift[:, :1].expand_as(shift)) and float(shift.abs().max()) <= 0.5


def test_augment_probability_zero_is_identity_and_one_changes_every_sample() -> None:
    x = _image(16)
    assert augment.augment(x, ("color",), torch.Generator().manual_seed(0), p=0.0) is x
    out = augment.augment(x, ("color",), torch.Generator().manual_seed(0), p=1.0)
    assert all(not torch.equal(a, b) for a, b in zip(out, x, strict=True))


def test_augmentations_pass_gradients_to_the_generator() -> None:
    x = _image().requires_grad_(True)
    augment.augment(x, ("color", "translation", "cutout", "flip", "rotate90"), None).sum().backward()
    assert x.grad is not None and float(x.grad.abs().sum()) > 0


def test_unknown_policy_lists_the_valid_names() -> None:
    with pytest.raises(ConfigError, match="color, translation, cutout, flip, rotate90"):
        DiffAugment("color,zoom")


# ---------------------------------------------------------------- DiffAugment
def test_diffaugment_augments_real_and_fake_in_d_step_and_fake_in_g_step() -> None:
    module = tiny_gan()
    callback = DiffAugment("cutout")
    callback.setup(None, module, "fit")
    step = d_step(module)
    step.real, step.fake = step.real + 3, step.fake + 3  # no zeros before the cutout
    before = snapshot(step)
    callback.on_discriminator_inputs(None, module, step)
    assert changed_fields(before, step) == {"real", "fake"}
    for x in (step.real, step.fake):  # the same policy on both: every sample has a cut-out square
        assert all(int((sample == 0).sum()) > 0 for sample in x)

    gstep = g_step(module)
    before = snapshot(gstep)
    run_g_step(module, [callback], gstep)
    assert changed_fields(before, gstep) - {"loss", "fake_out", "adversarial_loss"} == {"fake"}
    assert gstep.fake.grad_fn is not None  # G is trained through the augmentation


def test_diffaugment_needs_images() -> None:
    with pytest.raises(ConfigError, match=r"augments images, but the data has shape \(2,\)"):
        DiffAugment().setup(None, tiny_gan(data_shape=(2,)), "fit")


# ---------------------------------------------------------------- ADA
def test_ada_with_p_zero_changes_no_input() -> None:
    module = tiny_gan()
    step = d_step(module)
    before = snapshot(step)
    ADA().on_discriminator_inputs(None, module, step)
    assert changed_fields(before, step) == set()


def processes(count: int) -> SimpleNamespace:
    """A trainer whose strategy sums over ``count`` processes that all saw the same as this one."""
    return SimpleNamespace(strategy=SimpleNamespace(reduce=lambda tensor, reduce_op: tensor * count))


@pytest.mark.parametrize("count", [1, 2])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_ada_moves_p_with_the_sign_of_d_on_reals_seen_by_all_processes(sign: float, count: int) -> None:
    module = tiny_gan()
    ada = ADA(initial_p=0.5, interval=2, speed_images=1200)
    for _ in range(2):  # two D steps of 6 reals in each process: one adjustment by count * 12 / 1200
        step = d_step(module)
        step.real_out = torch.full((6,), sign)
        ada.on_discriminator_loss(processes(count), module, step)
    expected_p = 0.5 + sign * count * 12 / 1200
    assert ada.p == pytest.approx(expected_p)
    assert ada.last_rt == sign
    assert float(step.logs["train/ada_p"]) == pytest.approx(expected_p)


def test_ada_p_stays_in_bounds_and_round_trips_through_its_state() -> None:
    ada = ADA(initial_p=0.0, interval=1, speed_images=1, max_p=0.8)
    ada.adjust(-1.0, images=5)
    assert ada.p == 0.0
    ada.adjust(1.0, images=5)
    assert ada.p == 0.8
    restored = ADA()
    restored.load_state_dict(ada.state_dict())
    assert restored.p == 0.8 and restored.last_rt == 1.0


def test_ada_augments_with_probability_p() -> None:
    module = tiny_gan()
    ada = ADA(policy="cutout", initial_p=0.5)
    step = d_step(module, n=400)
    step.real = step.real + 3
    ada.on_discriminator_inputs(None, module, step)
    cut = sum(int((sample == 0).sum()) > 0 for sample in step.real)
    assert 150 < cut < 250


# ---------------------------------------------------------------- experience replay
def test_experience_replay_mixes_past_fakes_into_the_fake_batch() -> None:
    module = ConditionalGAN(data_shape=(2,), num_classes=3, latent_dim=4, hidden_dims=(8,), seed=0)
    replay = ExperienceReplay(buffer_size=10, replay_ratio=0.5)
    first = d_step(module)
    before = snapshot(first)
    replay.on_discriminator_inputs(None, module, first)
    assert changed_fields(before, first) == set()  # empty buffer: nothing to replay yet
    assert replay.filled == 6 and torch.equal(replay.buffers["fake"][:6], first.fake)

    second = d_step(module)
    before = snapshot(second)
    replay.on_discriminator_inputs(None, module, second)
    assert changed_fields(before, second) == {"fake", "fake_labels", "z"}
    assert torch.equal(second.fake[3:], before["fake"][3:])  # half stays fresh
    for fake, label, z in zip(second.fake[:3], second.fake_labels[:3], second.z[:3], strict=True):  # half is past
        match = [i for i in range(6) if torch.equal(first.fake[i], fake)]
        assert match and first.fake_labels[match[0]] == label and torch.equal(first.z[match[0]], z)
    assert replay.filled == 10  # full: further fakes overwrite random entries

    third = d_step(module)
    fresh = third.fake.clone()
    replay.on_discriminator_inputs(None, module, third)
    assert replay.filled == 10 and replay.buffers["fake"].shape == (10, 2)
    stored = [i for i in range(10) if any(torch.equal(replay.buffers["fake"][i], f) for f in fresh)]
    assert len(stored) == 6  # all six fresh fakes kept, each in its own slot


def test_experience_replay_state_round_trip() -> None:
    module = tiny_gan(data_shape=(2,))
    replay = ExperienceReplay(buffer_size=8)
    replay.on_discriminator_inputs(None, module, d_step(module))
    restored = ExperienceReplay(buffer_size=8)
    restored.load_state_dict(replay.state_dict())
    assert restored.filled == 6 and torch.equal(restored.buffers["fake"], replay.buffers["fake"])


def test_input_tricks_compose_in_list_order() -> None:
    module = tiny_gan()
    step = run_d_step(module, [ExperienceReplay(), DiffAugment(), InstanceNoise(), LabelSmoothing()], d_step(module))
    assert step.loss is not None and torch.isfinite(step.loss)
    assert step.real_target == 0.9
