"""A variant that draws training randomness (WGAN-GP's interpolation points) resumes exactly, packed too."""

from __future__ import annotations

from helpers import TINY_RING, assert_same_weights, fit, state_of


def test_wgan_gp_with_packing_resumes_exactly() -> None:
    # 320 samples / batch 32 = 10 batches per epoch; n_critic=2 gives 5 generator steps per epoch.
    common = [*TINY_RING, "--model=WGANGP", "--model.init_args.pack=2", "--model.init_args.n_critic=2"]
    common += ["--seed_everything=3", "--trainer.limit_val_batches=1"]
    straight = fit(*common, "--trainer.max_steps=7", "--trainer.default_root_dir=straight")
    fit(*common, "--trainer.max_steps=3", "--trainer.default_root_dir=resumed")
    resumed = fit(*common, "--trainer.max_steps=7", "--trainer.default_root_dir=resumed", "--ckpt_path=last")
    assert type(resumed.model).__name__ == "WGANGP" and resumed.trainer.global_step == 7
    assert_same_weights(state_of(straight.model), state_of(resumed.model))
