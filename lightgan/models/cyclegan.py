"""CycleGAN (Zhu et al., 2017): translation between two domains learnt from unpaired images."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import lightning as L
import torch
from lightning.pytorch.utilities import rank_zero_info
from torch import Tensor, nn
from torch.optim.lr_scheduler import LambdaLR

from lightgan.core.losses import AdversarialLoss
from lightgan.core.module import Batch, GANModule
from lightgan.core.players import DISCRIMINATOR, GENERATOR, Player
from lightgan.core.steps import ConditionalCritic, DiscriminatorStep, GeneratorStep
from lightgan.errors import ConfigError
from lightgan.models.checks import check_count, check_translator_options, reject_packing, require_images
from lightgan.nets.norm import PADDINGS, Norm, Padding, check_choice, noise_from
from lightgan.nets.patchgan import PatchGANDiscriminator
from lightgan.nets.translators import translator_generator
from lightgan.tricks.experience_replay import ExperienceReplay

Direction = Literal["ab", "ba"]


@dataclass(kw_only=True)
class CycleStep(GeneratorStep):
    """The generators' update, both directions in one batch: ``fake`` is G(a) then F(b) as D_B and D_A judge
    them (tricks may have augmented it); ``translated`` keeps them as made, for the cycle."""

    translated: Tensor


class FakePool(ExperienceReplay):
    """The pool of past fakes of one discriminator player (Shrivastava et al.; CycleGAN keeps 50).

    Until the pool is full, D sees the latest fakes, which fill it; from then on each fake D sees is,
    with probability ``replay_ratio`` (1/2), one drawn from the pool instead. The storage is
    ExperienceReplay's: every fresh fake goes in, over a distinct random entry once the pool is full
    (the reference code stores only the fakes it hands out an old one for), and checkpoints keep it.
    """

    def __init__(self, player: str, buffer_size: int = 50) -> None:
        super().__init__(buffer_size, replay_ratio=0.5)
        self.player = player

    @property
    def state_key(self) -> str:
        return self._generate_state_key(player=self.player)

    def setup(self, trainer: L.Trainer, pl_module: GANModule, stage: str) -> None:
        """One pool per discriminator player: nothing to refuse."""

    def on_discriminator_inputs(self, trainer: L.Trainer, pl_module: GANModule, step: DiscriminatorStep) -> None:
        if step.player != self.player:
            return
        rng, fresh = pl_module.step_rng(step), step.fake.detach()
        if self.filled == self.buffer_size:
            n, device = len(fresh), fresh.device
            old = torch.rand(n, generator=rng, device=device) < self.replay_ratio
            drawn = self.buffers["fake"][torch.randint(0, self.filled, (n,), generator=rng, device=device)]
            step.fake = torch.where(old.view(-1, *[1] * (fresh.dim() - 1)), drawn, fresh)
        self._store({"fake": fresh}, rng)


class CycleGAN(GANModule):
    """G translates domain A (each batch's ``source``) into B (its ``real``), F translates B into A; no pairs needed.

    D_B judges B images (real ones against G(a)), D_A judges A images (against F(b)); each is a
    PatchGAN player of its own, updated on fakes from a pool of the last ``pool_size`` (50): half the
    time an old one, so D does not forget what G used to make. G and F are one player, as in the
    paper: one Adam step on the sum of their adversarial terms, ``cycle_weight`` (lambda = 10) x
    (|F(G(a)) - a| + |G(F(b)) - b|) (L1, so each translation keeps what it can be undone from) and,
    with ``identity_weight`` > 0, identity_weight x lambda x (|G(b) - b| + |F(a) - a|) (colours kept).
    Logged: ``train/adversarial_ab`` (G against D_B), ``train/adversarial_ba``, ``train/cycle_a``,
    ``train/cycle_b``, ``train/identity_a``, ``train/identity_b``; players ``g``, ``d_a``, ``d_b``.
    The paper's least-squares loss is the default; lightgan's least-squares G term is LSGAN's
    (1/2)(D(G(a)) - 1)^2, half the reference code's MSE, so at the same lambda the cycle weighs twice
    as much against it as there (lambda = 5 gives the reference's balance). As in pix2pix, D's loss is
    not halved: Adam's steps do not depend on the loss's scale.

    The learning rates stay constant for the first ``lr_decay_start`` of training (half, as the
    paper's 100 + 100 epochs), then fall linearly to 0 at its end: a scheduler on every optimizer,
    stepped every step (or every epoch with ``lr_scheduler_interval: epoch``). The run's length is
    ``trainer.max_steps`` or ``trainer.max_epochs`` x the steps of an epoch, whichever ends it first,
    read when training starts (a run resumed with another length follows the new schedule from where
    it is). A ``lr_scheduler`` given in config replaces this one.

    Both domains have one shape (G's step hands tricks the fakes of both directions as one batch).
    ``sample(source=a)`` translates A images into B; ``translate(images, "ba")`` goes the other way.
    GeneratorEMA averages G, the network ``sample()`` runs. Generators take no noise vector; with
    ``dropout`` > 0 their dropout draws from the training-noise generator, so a resumed run drops the
    same units.

    Args:
        generator: ``resnet`` (the paper's) or ``unet`` (pix2pix's), for G and F.
        base_channels: width of the first layers of G, F, D_A and D_B (64 in the paper).
        resnet_blocks: residual blocks; None: 9 from 256 px on, else 6 (the paper's choice).
        depth: U-Net encoder layers; None: as many as the image size allows.
        dropout: G's and F's dropout probability, in [0, 1) (0 in the paper).
        d_layers: strided layers of the PatchGANs, at most (3: 70x70 patches).
        norm: ``instance`` (the paper) or ``batch`` normalisation, in every network.
        d_padding: ``zeros`` or ``reflect`` padding of D's convolutions.
        cycle_weight: lambda, the weight of the cycle-consistency term (10 in the paper).
        identity_weight: the identity term's weight as a fraction of lambda (0: off; 0.5 in the paper's
            painting <-> photo runs).
        pool_size: past fakes each D's pool keeps (50 in the paper; 0: D sees only the latest fakes).
        lr_decay_start: the fraction of training after which the learning rates decay linearly to 0
            (0.5 in the paper; 1: constant).
        loss: the adversarial objective (``least_squares`` in the paper).
        **kwargs: everything ``GANModule`` takes (``latent_dim`` is unused, ``pack`` refused); its
            defaults are the paper's optimizer: Adam with lr 2e-4 and betas (0.5, 0.999).
    """

    input_conditions = ("source",)
    takes_noise = False

    def __init__(
        self,
        generator: Literal["resnet", "unet"] = "resnet",
        base_channels: int = 64,
        resnet_blocks: int | None = None,
        depth: int | None = None,
        dropout: float = 0.0,
        d_layers: int = 3,
        norm: Norm = "instance",
        d_padding: Padding = "zeros",
        cycle_weight: float = 10.0,
        identity_weight: float = 0.0,
        pool_size: int = 50,
        lr_decay_start: float = 0.5,
        loss: str | dict | AdversarialLoss = "least_squares",
        **kwargs: Any,
    ) -> None:
        super().__init__(loss=loss, **kwargs)
        name = type(self).__name__
        require_images(name, self.data_shape)
        reject_packing(name, self.pack, "each D judges one image at a time")
        check_translator_options(
            generator, ("resnet", "unet"), norm, base_channels, depth, resnet_blocks, dropout, "0 in CycleGAN"
        )
        check_choice("d_padding", d_padding, PADDINGS)
        check_count("d_layers", d_layers, "PatchGAN layers of stride 2", minimum=1)
        check_count("pool_size", pool_size, "past fakes per discriminator; 0: no pool", minimum=0)
        for argument, value in {"cycle_weight": cycle_weight, "identity_weight": identity_weight}.items():
            if not isinstance(value, int | float) or value < 0:
                raise ConfigError(f"model.init_args.{argument} must be >= 0 (0 turns the term off), got {value!r}.")
        if not isinstance(lr_decay_start, int | float) or not 0 <= lr_decay_start <= 1:
            raise ConfigError(
                f"model.init_args.lr_decay_start must be in [0, 1] (0.5 in CycleGAN; 1: a constant learning rate), "
                f"got {lr_decay_start!r}."
            )
        self.cycle_weight, self.identity_weight = cycle_weight, identity_weight
        self.pool_size, self.lr_decay_start = pool_size, lr_decay_start
        #: Schedule steps (steps, or epochs) of the whole run, known once training starts.
        self.schedule_length: float | None = None
        channels, *size = self.data_shape
        common = {"image_size": tuple(size), "base_channels": base_channels, "norm": norm, "dropout": dropout}
        shape = {"depth": depth, "blocks": resnet_blocks, **common}
        self.generator = translator_generator(generator, channels, channels, **shape)
        self.generator_ba = translator_generator(generator, channels, channels, **shape)
        judge = (channels, tuple(size), base_channels, d_layers, norm, d_padding)
        self.discriminator_a = PatchGANDiscriminator(*judge)
        self.discriminator_b = PatchGANDiscriminator(*judge)

    def players(self) -> list[Player]:
        return [
            self.player("generator", GENERATOR, ("generator", "generator_ba")),
            self.player("d_a", DISCRIMINATOR, ("discriminator_a",)),
            self.player("d_b", DISCRIMINATOR, ("discriminator_b",)),
        ]

    def configure_callbacks(self) -> list[L.Callback]:
        pools = [FakePool(p.name, self.pool_size) for p in self.players_of(DISCRIMINATOR)] if self.pool_size else []
        return [*super().configure_callbacks(), *pools]

    def setup(self, stage: str) -> None:
        super().setup(stage)
        datamodule = self.trainer.datamodule
        if stage == "fit" and hasattr(datamodule, "held_out_batch"):
            self._check_domains(self.data_conditions(datamodule.held_out_batch(1))["source"])
        d = self.discriminator_b
        rank_zero_info(
            f"{type(self).__name__}: D_A and D_B judge {d.patch_size}x{d.patch_size}-pixel patches, a "
            f"{d.grid[0]}x{d.grid[1]} grid per image ({d.layers} layers of stride 2)."
        )

    def _check_domains(self, source: Tensor) -> None:
        found = tuple(source.shape[1:])
        if found != self.data_shape:
            raise ConfigError(
                f"{type(self).__name__} translates between domains of one shape, but the data's A images are {found} "
                f"and its B images {self.data_shape}. Give both the same size and channels (data.init_args)."
            )

    # ------------------------------------------------------------------ translating
    def example_conditions(self, n: int, device: torch.device | str | None = None) -> dict[str, Tensor]:
        return {"source": torch.zeros(n, *self.data_shape, device=device)}

    def generate(
        self, z: Tensor | None, labels: Tensor | None = None, net: nn.Module | None = None, **conditions: Tensor
    ) -> Tensor:
        """G(a) for the A images ``source``."""
        if "source" not in conditions:
            raise ConfigError(
                f"{type(self).__name__} translates A images: give them as source=..., e.g. "
                "model.sample(source=images); model.translate(images, 'ba') translates B images into A."
            )
        return (net or self.generator)(conditions["source"])

    @torch.no_grad()
    def translate(self, images: Tensor, direction: Direction = "ab", use_ema: bool = True) -> Tensor:
        """A images into B (``ab``: ``sample(source=images)``) or B images into A (``ba``: F, in eval mode)."""
        if direction not in ("ab", "ba"):
            raise ConfigError(f"direction must be ab (A -> B) or ba (B -> A), got {direction!r}.")
        if direction == "ab":
            return self.sample(source=images, use_ema=use_ema)
        network, training = self.generator_ba, self.generator_ba.training
        network.eval()
        try:
            return network(images.to(self.device))
        finally:
            network.train(training)

    def picture_rows(
        self, conditions: dict[str, Tensor], outputs: Tensor, real: Tensor | None = None
    ) -> list[tuple[str, Tensor]]:
        """A, G(A) and F(G(A)): a picture shows what the cycle keeps. The data's B images are not the A images'
        translations (the domains are unpaired), so ``real`` is no target and is not shown."""
        return [("A", conditions["source"]), ("G(A)", outputs), ("F(G(A))", self.translate(outputs, "ba"))]

    def discriminate(self, x: Tensor, labels: Tensor | None = None, **conditions: Tensor) -> Tensor:
        raise ConfigError(
            f"{type(self).__name__} has two discriminators: judge images with critic('d_a', {{}}) (A images) or "
            "critic('d_b', {}) (B images). Tricks that need a single discriminator do not apply to it."
        )

    def critic(self, player: str, conditions: dict[str, Tensor]) -> ConditionalCritic:
        """D_A for ``d_a``, D_B for ``d_b``; for the generators, D_B on a batch's first half and D_A on the rest."""
        if player in ("d_a", "d_b"):
            network = self.discriminator_a if player == "d_a" else self.discriminator_b
            return lambda x, labels=None: network(x)
        return self._judge_both

    def _judge_both(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        """D_B's patch logits for the first half of ``x`` (B images), then D_A's for the rest (A images)."""
        b, a = x.chunk(2)
        return torch.cat([self.discriminator_b(b), self.discriminator_a(a)])

    # ------------------------------------------------------------------ updates
    @contextlib.contextmanager
    def _noise(self, rng: torch.Generator) -> Iterator[None]:
        """G's and F's dropout masks drawn from ``rng``."""
        with noise_from(self.generator, rng), noise_from(self.generator_ba, rng):
            yield

    def discriminator_context(self, batch: Batch, player: Player, rng: torch.Generator) -> DiscriminatorStep:
        """D_B: B images against G(a); D_A: A images against F(b)."""
        a, b = batch["source"], batch["real"]
        with torch.no_grad(), self._noise(rng):
            real, fake = (b, self.generator(a)) if player.name == "d_b" else (a, self.generator_ba(b))
        critic = self.critic(player.name, {})
        return DiscriminatorStep(batch=batch, real=real, fake=fake, player=player.name, critic=critic, rng=rng)

    def discriminator_loss(self, step: DiscriminatorStep) -> Tensor:
        judge = self.critic(step.player, step.conditions)
        step.real_out, step.fake_out = judge(step.real), judge(step.fake)
        return self.loss.discriminator_loss(step.real_out, step.fake_out, step.real_target, step.fake_target)

    def generator_context(self, batch: Batch, player: Player, rng: torch.Generator) -> CycleStep:
        """G(a) and F(b), with gradient, as one batch of fakes."""
        a, b = batch["source"], batch["real"]
        with self._noise(rng):
            translated = torch.cat([self.generator(a), self.generator_ba(b)])
        return CycleStep(
            batch=batch,
            z=None,
            fake=translated,
            translated=translated,
            player=player.name,
            conditions={"source": a},
            critic=self.critic(player.name, {}),
            rng=rng,
        )

    def generator_loss(self, step: CycleStep) -> Tensor:
        a, b = step.batch["source"], step.batch["real"]
        step.fake_out = self._judge_both(step.fake)
        reals = self._judge_both(torch.cat([b, a])).chunk(2) if self.loss.generator_needs_real else (None, None)
        outs = step.fake_out.chunk(2)
        adversarial = [self.loss.generator_loss(out, real) for out, real in zip(outs, reals, strict=True)]
        step.adversarial_loss = adversarial[0] + adversarial[1]
        fake_b, fake_a = step.translated.chunk(2)
        terms = {"adversarial_ab": adversarial[0], "adversarial_ba": adversarial[1]}
        with self._noise(self.step_rng(step)):
            terms["cycle_a"] = (self.generator_ba(fake_b) - a).abs().mean()
            terms["cycle_b"] = (self.generator(fake_a) - b).abs().mean()
            if self.identity_weight:
                terms["identity_a"] = (self.generator_ba(a) - a).abs().mean()
                terms["identity_b"] = (self.generator(b) - b).abs().mean()
        step.logs.update({f"train/{name}": value.detach() for name, value in terms.items()})
        loss = step.adversarial_loss + self.cycle_weight * (terms["cycle_a"] + terms["cycle_b"])
        if self.identity_weight:
            loss = loss + self.identity_weight * self.cycle_weight * (terms["identity_a"] + terms["identity_b"])
        return loss

    # ------------------------------------------------------------------ learning-rate schedule
    def configure_optimizers(self) -> Any:
        optimizers = super().configure_optimizers()
        if not self.decays_lr:
            return optimizers
        # a function, not the bound method: LambdaLR would put a callable object's attributes in checkpoints
        return optimizers, [LambdaLR(opt, lambda count: self.lr_factor(count)) for opt in optimizers]

    @property
    def decays_lr(self) -> bool:
        """Whether CycleGAN's schedule is on: it decays somewhere, and no ``lr_scheduler`` replaces it."""
        return self.lr_scheduler_factory is None and self.lr_decay_start < 1

    def lr_factor(self, count: int) -> float:
        """The learning rates' multiplier after ``count`` schedule steps: 1 until ``lr_decay_start`` of the run,
        then linearly down to 0 at its end (1 before training starts, when the length is not known yet)."""
        if self.schedule_length is None:
            return 1.0
        return max(0.0, min(1.0, (1 - count / self.schedule_length) / (1 - self.lr_decay_start)))

    def on_train_start(self) -> None:
        super().on_train_start()
        if self.decays_lr:
            self.schedule_length = self.run_length()

    def run_length(self) -> float:
        """The run's schedule steps: ``max_steps`` or ``max_epochs`` x steps per epoch, whichever ends it first, in
        epochs when the schedulers step every epoch."""
        trainer = self.trainer
        per_epoch = trainer.num_training_batches
        bounds = [trainer.max_steps] if trainer.max_steps > 0 else []
        if trainer.max_epochs is not None and trainer.max_epochs > 0:
            bounds.append(trainer.max_epochs * per_epoch)
        steps = min(bounds, default=math.inf)
        length = steps / per_epoch if self.hparams.lr_scheduler_interval == "epoch" else steps
        if not 0 < length < math.inf:
            raise ConfigError(
                f"{type(self).__name__} decays its learning rates over the second part of training, which needs the "
                "run's length: set trainer.max_epochs or trainer.max_steps (or model.init_args.lr_decay_start: 1)."
            )
        return length
