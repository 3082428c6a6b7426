"""A run stopped and resumed with --ckpt_path last ends with the same weights as one that never stopped."""

from __future__ import annotations

import pytest
from helpers import TINY_RING, assert_same_weights, fit, state_of

# 320 samples / batch 32 = 10 batches per epoch; n_critic=2 gives 5 generator steps per epoch.
COMMON = [
    *TINY_RING,
    "--model.init_args.n_critic=2",
    "--model.init_args.generator_batch_norm=true",
    "--seed_everything=3",
    "--trainer.callbacks+=LabelSmoothing",
    "--trainer.callbacks.real_range=[0.7, 1.0]",
    "--trainer.limit_val_batches=1",
]


@pytest.mark.parametrize("stop_at", [3, 5, 7], ids=["mid-epoch-0", "epoch-boundary", "mid-epoch-1"])
def test_resume_matches_uninterrupted_run(stop_at: int) -> None:
    total = 9
    straight = fit(*COMMON, f"--trainer.max_steps={total}", "--trainer.default_root_dir=straight")
    assert straight.trainer.global_step == total

    fit(*COMMON, f"--trainer.max_steps={stop_at}", "--trainer.default_root_dir=resumed")
    resumed = fit(*COMMON, f"--trainer.max_steps={total}", "--trainer.default_root_dir=resumed", "--ckpt_path=last")

    assert resumed.trainer.global_step == total
    assert resumed.trainer.current_epoch == straight.trainer.current_epoch  # epochs count the same data
    assert_same_weights(state_of(straight.model), state_of(resumed.model))
    for opt_a, opt_b in zip(straight.trainer.optimizers, resumed.trainer.optimizers, strict=True):
        for state_a, state_b in zip(opt_a.state.values(), opt_b.state.values(), strict=True):
            assert_same_weights(state_a, state_b)


def test_a_run_stopped_by_max_steps_inside_its_last_epoch_goes_on_when_given_more_steps() -> None:
    once = [*COMMON, "--trainer.max_epochs=2"]  # 10 generator steps in all
    straight = fit(*once, "--trainer.max_steps=8", "--trainer.default_root_dir=straight")
    fit(*once, "--trainer.max_steps=7", "--trainer.default_root_dir=resumed")  # stops inside epoch 1
    resumed = fit(*once, "--trainer.max_steps=8", "--trainer.default_root_dir=resumed", "--ckpt_path=last")
    assert resumed.trainer.global_step == 8 and resumed.trainer.current_epoch == straight.trainer.current_epoch
    assert_same_weights(state_of(straight.model), state_of(resumed.model))


@pytest.mark.parametrize("stop_at", [5, 7], ids=["epoch-boundary", "mid-epoch-1"])
def test_a_run_without_validation_resumes_exactly_at_an_epoch_boundary(stop_at: int) -> None:
    # without validation the last checkpoint is written in on_train_epoch_end, which Lightning resumed by
    # fetching one more batch into the finished epoch: a step too many there and the next epoch's data order
    unvalidated = [*COMMON, "--trainer.limit_val_batches=0", "--trainer.num_sanity_val_steps=0"]
    straight = fit(*unvalidated, "--trainer.max_steps=12", "--trainer.default_root_dir=straight")
    fit(*unvalidated, f"--trainer.max_steps={stop_at}", "--trainer.default_root_dir=resumed")
    resumed = fit(*unvalidated, "--trainer.max_steps=12", "--trainer.default_root_dir=resumed", "--ckpt_path=last")
    assert resumed.trainer.global_step == 12 and resumed.trainer.current_epoch == straight.trainer.current_epoch
    loop = resumed.trainer.fit_loop.epoch_loop.batch_progress.current
    assert loop.completed == straight.trainer.fit_loop.epoch_loop.batch_progress.current.completed == 2
    assert resumed.trainer.train_dataloader.state_dict() == straight.trainer.train_dataloader.state_dict()
    assert_same_weights(state_of(straight.model), state_of(resumed.model))
