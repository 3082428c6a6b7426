"""The context of one discriminator or generator update: what it sees, what it computed, what tricks changed.

``GANModule.discriminator_step`` / ``generator_step`` build these; callbacks receive them in
the GAN hooks and may change fields in place; the module reads them back. The fields added in
0.2 (``player`` and the keyword-only ones of ``_PlayerStep``) have defaults, so steps built as in
0.1 still work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from lightgan.core.losses import Target

#: D's output for samples ``x`` with class labels (None for unconditional models): ``critic(x, labels)``.
ConditionalCritic = Callable[[Tensor, Tensor | None], Tensor]


@dataclass
class GeneratorInputs:
    """What G takes to make a batch of fakes, drawn in one order by ``GANModule.draw_inputs``."""

    #: Latent vectors (None for generators that take no noise, such as image-to-image ones).
    z: Tensor | None
    #: Class labels of conditional models, else None.
    labels: Tensor | None = None
    #: Other inputs, named as the batch names them (an image to translate, a low-resolution image, ...).
    conditions: dict[str, Tensor] = field(default_factory=dict)


@dataclass
class Fakes:
    """A batch of fakes and the inputs G made them from (``GANModule.make_fakes``).

    A simultaneous training step builds its D and G updates from one of these, so both losses
    judge the same samples.
    """

    inputs: GeneratorInputs
    #: G's output, with gradient to G's weights when made with it.
    fake: Tensor


@dataclass(kw_only=True)
class _PlayerStep:
    """What every update knows besides its samples (keyword-only, after the fields 0.1 had)."""

    #: Inputs G took besides noise and labels (an image to translate, ...); D judges real and fake
    #: samples together with them.
    conditions: dict[str, Tensor] = field(default_factory=dict)
    #: The D that judges this update's samples, as a function of samples and labels: what
    #: penalties differentiate.
    critic: ConditionalCritic | None = None
    #: The random source of the step: the training noise generator, or a fixed one in evaluation.
    rng: torch.Generator | None = None


@dataclass
class DiscriminatorStep(_PlayerStep):
    """Everything one discriminator update sees; hooks may change fields in place."""

    batch: dict[str, Any]
    real: Tensor
    fake: Tensor
    labels: Tensor | None = None
    fake_labels: Tensor | None = None
    #: The latent vectors ``fake`` was generated from (BiGAN's D judges (x, z) pairs).
    z: Tensor | None = None
    real_target: Target = None
    fake_target: Target = None
    real_out: Tensor | None = None
    fake_out: Tensor | None = None
    loss: Tensor | None = None
    logs: dict[str, Tensor] = field(default_factory=dict)
    #: Set by a callback that undid the step (NaNGuard's restore): nothing that follows the update runs.
    skipped: bool = False
    #: The player being updated (``discriminator`` unless the module has several).
    player: str = "discriminator"


@dataclass
class GeneratorStep(_PlayerStep):
    """Everything one generator update sees; hooks may change fields in place."""

    batch: dict[str, Any]
    z: Tensor | None
    fake: Tensor
    fake_labels: Tensor | None = None
    real: Tensor | None = None
    fake_out: Tensor | None = None
    #: G's adversarial term alone (``loss`` may add a variant's own terms); tricks that reweight it read it here.
    adversarial_loss: Tensor | None = None
    loss: Tensor | None = None
    logs: dict[str, Tensor] = field(default_factory=dict)
    #: Set by a callback that undid the step (NaNGuard's restore): nothing that follows the update runs.
    skipped: bool = False
    #: The player being updated (``generator`` unless the module has several).
    player: str = "generator"


Step = DiscriminatorStep | GeneratorStep
