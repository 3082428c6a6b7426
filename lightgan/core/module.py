"""``GANModule``: the manual-optimization loop every variant shares.

A GAN is a set of **players** (networks with an optimizer of their own, see
``lightgan.core.players``), by default one generator and one discriminator. One training step
(one Lightning step) takes ``n_critic`` data batches: for each batch every discriminator player
is updated once, then every generator player once. With ``step_order: simultaneous`` one
discriminator and one generator are instead updated together, from one batch of fakes. lightgan
counts these steps, so ``trainer.global_step``, ``max_steps``, checkpoint intervals and the x-axis
of logged metrics advance once per generator update, whatever the number of players or ``n_critic``.

Every update is built by the one pair of public methods ``discriminator_step(batch)`` /
``generator_step(batch)``: they draw the generator's inputs (``draw_inputs``: noise, then
labels, plus any conditions the batch carries), run the tricks' hooks and the variant's loss.
The loop, validation and tests all use them. Variants override only what differs: the
networks, ``generate``/``discriminate`` for conditioning, the two ``*_loss`` methods for
extra terms, ``players()`` for more than two networks.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import itertools
import math
import warnings
from collections.abc import Callable, Iterator
from typing import Any, ClassVar, Literal

import lightning as L
import torch
from lightning.fabric.plugins import TorchCheckpointIO
from lightning.pytorch.cli import LRSchedulerCallable
from lightning.pytorch.core.optimizer import LightningOptimizer
from lightning.pytorch.strategies import DDPStrategy
from lightning.pytorch.utilities import rank_zero_info
from torch import Tensor, nn

from lightgan.core.acceleration import (
    Compiler,
    callable_networks,
    check_channels_last,
    compile_options,
    to_channels_last,
    warn_if_slow_bf16,
)
from lightgan.core.checkpoint import CHECKPOINT_KEY, migrate_checkpoint, settle_epoch_progress
from lightgan.core.checkpoint_io import AtomicCheckpointIO, remove_partial_files
from lightgan.core.divergence import NaNGuard, NonFiniteLossError
from lightgan.core.hooks import HOOK_NAMES, HookCaller, defines_hook
from lightgan.core.interruption import GracefulStop
from lightgan.core.losses import AdversarialLoss, loss_spec, resolve_loss
from lightgan.core.players import (
    DISCRIMINATOR,
    GENERATOR,
    ROLES,
    Player,
    Role,
    check_betas,
    check_player_settings,
    check_players,
)
from lightgan.core.safe_files import import_named
from lightgan.core.steps import ConditionalCritic, DiscriminatorStep, Fakes, GeneratorInputs, GeneratorStep, Step
from lightgan.errors import ConfigError

Batch = dict[str, Any]


def _check_positive(name: str, value: float, example: str) -> None:
    if not value > 0:
        raise ConfigError(f"model.init_args.{name} must be positive, got {value!r}. Set it to e.g. {example}.")


def _no_closure() -> None:
    """Manual optimization computes the loss before stepping; the optimizer gets nothing to re-evaluate."""


class GANModule(L.LightningModule):
    """Discriminator/generator training of any number of players, with manual optimization.

    Args:
        data_shape: shape of one sample, ``(C, H, W)`` for images or ``(D,)`` for vectors.
            Linked from the datamodule by the CLI.
        num_classes: number of classes the datamodule labels (0 when unlabelled). Linked too.
        latent_dim: size of the noise vector z.
        loss: adversarial objective: a registered name (``non_saturating``, ``minimax``,
            ``least_squares``, ``wasserstein``, ``hinge``) or a loss object.
        n_critic: data batches per training step: each discriminator is updated on every one of
            them, the generators once, on the last.
        optimizer: ``adam``, ``rmsprop`` or ``sgd`` for every player.
        lr_g, lr_d, betas_g, betas_d: learning rates and Adam betas of generator and discriminator
            players (TTUR); with ``sgd`` the first beta is the momentum, RMSprop ignores them.
        weight_decay: applied to every optimizer.
        lr_scheduler: optional scheduler factory, applied to each optimizer.
        lr_scheduler_interval: step the schedulers every training ``step`` or every ``epoch``.
        gradient_clip_val_g, gradient_clip_val_d: clip each role's gradients (None: off).
        gradient_clip_algorithm: ``norm`` or ``value``.
        noise: prior of z, ``normal`` or ``uniform`` on [-1, 1].
        seed: seed of the training-noise generator; None derives it from the global seed.
        pack: PacGAN packing degree m: D judges groups of m samples concatenated along the first
            data axis (channels, or the features of vectors), so it can see a lack of diversity.
            Variants build D for ``self.packed_shape``; the batch size must be divisible by m.
        player_settings: per-player optimizer settings that override the role's, e.g.
            ``{"d_a": {"lr": 1e-4}}``; keys ``lr``, ``betas``, ``weight_decay``, ``gradient_clip_val``.
        divergence: what a non-finite loss does (the ``NaNGuard`` every run gets unless it lists
            its own): ``stop`` the run naming the step and the loss, ``restore`` the newest
            checkpoint and go on, or ``ignore`` it. Unless ``ignore``, a checkpoint of
            non-finite weights is never written.
        step_order: ``alternating``: each update sees the ones before it in the step (every
            discriminator, then every generator). ``simultaneous``: D's and G's losses come from
            one batch of fakes, both gradients are taken at the weights the step began with, then
            both optimizers step, as in ALI's and PacGAN's code; it needs one generator, one
            discriminator, ``n_critic`` 1 and the default way of building updates.
        compile: ``true`` or a mapping of ``torch.compile`` options (``mode``, ``fullgraph``,
            ``dynamic``, ``backend``, ``options``, ...) compiles every player's networks for training
            (``lightgan.core.acceleration``); state dict keys stay the same, so checkpoints load
            either way. If compiling fails the run warns once and goes on eagerly (unless ``fullgraph``).
        channels_last: keep the networks' weights and the image batches (reals and fakes) in
            channels-last memory layout, the one oneDNN's and cuDNN's convolutions prefer.
    """

    #: The generator takes class labels (cGAN-style); such variants need a labelled datamodule.
    conditional: ClassVar[bool] = False
    #: The variant reads class labels of real data even if G is not conditional (e.g. SGAN).
    requires_labels: ClassVar[bool] = False
    #: Batch entries G takes besides noise and labels (e.g. ``("source",)``: an image to translate).
    input_conditions: ClassVar[tuple[str, ...]] = ()
    #: Whether G takes a noise vector (image-to-image generators may not).
    takes_noise: ClassVar[bool] = True
    #: Networks the default generator and discriminator players train (extra heads, encoders).
    generator_networks: ClassVar[tuple[str, ...]] = ("generator",)
    discriminator_networks: ClassVar[tuple[str, ...]] = ("discriminator",)
    #: Networks ``sample()`` runs; ``GeneratorEMA`` averages them (as ``<name>_ema``).
    sampling_networks: ClassVar[tuple[str, ...]] = ("generator",)
    #: The variant passes its own loss to ``__init__`` (it follows from the variant's arguments), so
    #: ``loss`` is neither an argument of the variant nor one of its hyperparameters.
    fixed_loss: ClassVar[bool] = False
    #: The variant has a discriminator. False for a generator trained on a loss of its own, with no adversary
    #: (SRResNet, SRGAN's pre-training): ``players()`` is then the generator alone.
    adversarial: ClassVar[bool] = True

    generator: nn.Module
    discriminator: nn.Module

    def __init__(
        self,
        data_shape: tuple[int, ...] = (1, 28, 28),
        num_classes: int = 0,
        latent_dim: int = 100,
        loss: str | dict | AdversarialLoss = "non_saturating",
        n_critic: int = 1,
        optimizer: Literal["adam", "rmsprop", "sgd"] = "adam",
        lr_g: float = 2e-4,
        lr_d: float = 2e-4,
        betas_g: tuple[float, float] = (0.5, 0.999),
        betas_d: tuple[float, float] = (0.5, 0.999),
        weight_decay: float = 0.0,
        lr_scheduler: LRSchedulerCallable | None = None,
        lr_scheduler_interval: Literal["step", "epoch"] = "step",
        gradient_clip_val_g: float | None = None,
        gradient_clip_val_d: float | None = None,
        gradient_clip_algorithm: Literal["norm", "value"] = "norm",
        noise: Literal["normal", "uniform"] = "normal",
        seed: int | None = None,
        pack: int = 1,
        player_settings: dict[str, dict[str, Any]] | None = None,
        divergence: Literal["stop", "restore", "ignore"] = "stop",
        step_order: Literal["alternating", "simultaneous"] = "alternating",
        compile: bool | dict[str, Any] = False,
        channels_last: bool = False,
    ) -> None:
        super().__init__()
        self.automatic_optimization = False
        if self.takes_noise and (not isinstance(latent_dim, int) or latent_dim <= 0):
            raise ConfigError(
                f"model.init_args.latent_dim must be a positive integer, got {latent_dim!r}. Set it to e.g. 100."
            )
        if not isinstance(n_critic, int) or n_critic < 1:
            raise ConfigError(
                f"model.init_args.n_critic must be an integer >= 1 (discriminator steps per generator step), "
                f"got {n_critic!r}. Use 1 for standard GANs or 5 for WGAN."
            )
        _check_positive("lr_g", lr_g, "2e-4")
        _check_positive("lr_d", lr_d, "2e-4")
        check_betas("model.init_args.betas_g", betas_g)
        check_betas("model.init_args.betas_d", betas_d)
        if not data_shape or any(int(s) <= 0 for s in data_shape):
            raise ConfigError(f"data_shape must be a non-empty tuple of positive sizes, got {data_shape!r}.")
        if num_classes < 0:
            raise ConfigError(f"num_classes must be >= 0, got {num_classes!r}.")
        _check_pack(type(self), pack)
        if divergence not in ("stop", "restore", "ignore"):
            raise ConfigError(f"model.init_args.divergence must be stop, restore or ignore, got {divergence!r}.")
        if step_order not in ("alternating", "simultaneous"):
            raise ConfigError(f"model.init_args.step_order must be alternating or simultaneous, got {step_order!r}.")
        options = compile_options(compile)
        if channels_last:
            check_channels_last(tuple(int(s) for s in data_shape))
        self._player_settings = check_player_settings(player_settings)
        resolved_loss = resolve_loss(loss)
        loss = loss_spec(loss)  # hparams stay plain data: checkpoints then load with weights_only=True
        self.save_hyperparameters()
        if self.fixed_loss:
            self.hparams.pop("loss", None)  # rebuilt from the variant's own arguments on load
        # the CLI records callables in hparams as their config (class_path, init_args), not as callables
        self.lr_scheduler_factory = lr_scheduler
        self.data_shape = tuple(int(s) for s in data_shape)
        self.num_classes = int(num_classes)
        self.latent_dim = latent_dim
        self.n_critic = n_critic
        self.step_order = step_order
        self.pack = pack
        self.loss = resolved_loss
        self.generator_ema: nn.Module | None = None
        #: Mode centres of 2-D training data, kept in checkpoints so plots can show them later.
        self.mode_centers: Tensor | None = None
        self._noise_rng: torch.Generator | None = None
        self._noise_rng_pending_state: Tensor | None = None
        self._structure_changes: list[dict[str, Any]] = []
        self._hooks = HookCaller()
        self._players: list[Player] | None = None
        self._player_of_optimizer: dict[int, Player] = {}
        self._compiler = Compiler(options) if options is not None else None
        self.channels_last = bool(channels_last)
        #: Batches the discriminators trained on since the last generator update (see ``critic_batches``).
        self._critic_batches_seen = 0

    # ------------------------------------------------------------------ players
    def players(self) -> list[Player]:
        """The players, in the order of their optimizers: by default ``generator`` and ``discriminator``.

        Override to declare more (each built with :meth:`player`); within a training step every
        discriminator is updated before any generator, each in this order. A variant that is not
        ``adversarial`` has the generator alone.
        """
        generator = self.player("generator", GENERATOR, self.generator_networks)
        if not self.adversarial:
            return [generator]
        return [generator, self.player("discriminator", DISCRIMINATOR, self.discriminator_networks)]

    def player(self, name: str, role: Role, networks: tuple[str, ...] | list[str]) -> Player:
        """A player with its role's optimizer settings (``lr_g``, ``betas_g``, ... for generators),
        overridden by ``player_settings[name]``."""
        h = self.hparams
        is_generator = role == GENERATOR
        settings: dict[str, Any] = {
            "lr": h.lr_g if is_generator else h.lr_d,
            "betas": h.betas_g if is_generator else h.betas_d,
            "weight_decay": h.weight_decay,
            "gradient_clip_val": h.gradient_clip_val_g if is_generator else h.gradient_clip_val_d,
            **self._player_settings.get(name, {}),
        }
        settings["betas"] = tuple(settings["betas"])
        return Player(name=name, role=role, networks=tuple(networks), **settings)

    @property
    def declared_players(self) -> list[Player]:
        """``players()``, computed once."""
        if self._players is None:
            self._players = self.players()
        return self._players

    def players_of(self, role: Role) -> list[Player]:
        return [p for p in self.declared_players if p.role == role]

    def find_player(self, name: str | None = None, role: Role | None = None) -> Player:
        """The player called ``name``, or else the first player of ``role``."""
        for player in self.declared_players:
            if (player.name == name) if name is not None else (player.role == role):
                return player
        names = [p.name for p in self.declared_players]
        raise ConfigError(f"{type(self).__name__} has no player {name or role!r}; its players are {names}.")

    def sole_player(self, role: Role, user: str) -> Player:
        """The only player of ``role``, for tricks built for one; a ConfigError naming ``user`` if there are more."""
        players = self.players_of(role)
        if len(players) != 1:
            raise ConfigError(
                f"{user} works with one {role}, but {type(self).__name__} has {len(players)} "
                f"({', '.join(p.name for p in players)}). Remove {user} from trainer.callbacks."
            )
        return players[0]

    def optimizer_of(self, player: Player) -> torch.optim.Optimizer:
        """The player's optimizer (players and optimizers are in the same order)."""
        return self.trainer.optimizers[self.declared_players.index(player)]

    def network_parameters(self, player: Player) -> Iterator[nn.Parameter]:
        """The parameters of the player's networks."""
        return itertools.chain.from_iterable(self.get_submodule(name).parameters() for name in player.networks)

    def player_parameters(self, player: Player) -> Iterator[nn.Parameter]:
        """What the player's optimizer updates: its networks' parameters.

        A 0.1-style variant that overrides ``generator_parameters()``/``discriminator_parameters()``
        (instead of ``generator_networks``/``discriminator_networks``) keeps its parameters.
        """
        legacy = self._legacy_parameters(player.role)
        return legacy() if legacy is not None else self.network_parameters(player)

    def _legacy_parameters(self, role: Role) -> Callable[[], Iterator[nn.Parameter]] | None:
        name = f"{role}_parameters"
        if type(self).players is not GANModule.players or getattr(type(self), name) is getattr(GANModule, name):
            return None
        return getattr(self, name)

    def generator_parameters(self) -> Iterator[nn.Parameter]:
        """Parameters of every generator player."""
        return itertools.chain.from_iterable(self.network_parameters(p) for p in self.players_of(GENERATOR))

    def discriminator_parameters(self) -> Iterator[nn.Parameter]:
        """Parameters of every discriminator player."""
        return itertools.chain.from_iterable(self.network_parameters(p) for p in self.players_of(DISCRIMINATOR))

    # ------------------------------------------------------------------ inputs and sampling
    @property
    def noise_rng(self) -> torch.Generator:
        """The training-noise generator: on the module's device, seeded per rank, saved in checkpoints.

        Tricks that need randomness during training draw from it too, so that a resumed run
        continues exactly where the stopped one left off.
        """
        if self._noise_rng is None or self._noise_rng.device != self.device:
            rng = torch.Generator(device=self.device)
            base = self.hparams.seed if self.hparams.seed is not None else torch.initial_seed()
            rng.manual_seed((int(base) + 1_000_003 * self.global_rank) % (2**63))
            if self._noise_rng_pending_state is not None:
                rng.set_state(self._noise_rng_pending_state)
                self._noise_rng_pending_state = None
            self._noise_rng = rng
        return self._noise_rng

    def step_rng(self, step: Step) -> torch.Generator:
        """The random source of ``step``: the one it was built with, else the training-noise generator."""
        return step.rng if step.rng is not None else self.noise_rng

    def sample_noise(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """``n`` latent vectors from the configured prior (global RNG when ``generator`` is None)."""
        device = generator.device if generator is not None else self.device
        if self.hparams.noise == "uniform":
            z = torch.rand(n, self.latent_dim, generator=generator, device=device) * 2 - 1
        else:
            z = torch.randn(n, self.latent_dim, generator=generator, device=device)
        return z.to(self.device)

    def sample_labels(self, n: int, generator: torch.Generator | None = None) -> Tensor | None:
        """Uniform class labels for fakes of a conditional variant; None for unconditional ones."""
        if not self.conditional:
            return None
        device = generator.device if generator is not None else self.device
        return torch.randint(0, self.num_classes, (n,), generator=generator, device=device).to(self.device)

    def data_conditions(self, batch: Batch) -> dict[str, Tensor]:
        """The inputs G takes from a data batch (``input_conditions``), e.g. the image to translate."""
        missing = [key for key in self.input_conditions if key not in batch]
        if missing:
            raise ConfigError(
                f"{type(self).__name__} takes {list(self.input_conditions)} from each batch, but the data gives "
                f"only {sorted(batch)}. Pick a datamodule that provides {missing}."
            )
        return {key: batch[key] for key in self.input_conditions}

    def example_conditions(self, n: int, device: torch.device | str | None = None) -> dict[str, Tensor]:
        """Zero inputs of the right shape for ``n`` samples (``input_conditions``), for probes that run D
        without data (a trick measuring a layer's size). Variants that take data as input override it."""
        return {}

    def picture_rows(
        self, conditions: dict[str, Tensor], outputs: Tensor, real: Tensor | None = None
    ) -> list[tuple[str, Tensor]]:
        """The rows a picture of ``outputs`` shows, so that training pictures and ``lightgan sample`` agree: the
        input image (``source``) when there is one, the outputs, and the target (the held-out ``real``) when
        given. Variants with more to show override it (CycleGAN: A, G(A), F(G(A)))."""
        rows = [("input", conditions["source"])] if "source" in conditions else []
        rows.append(("output", outputs))
        if real is not None:
            rows.append(("target", real))
        return rows

    def draw_inputs(
        self,
        n: int,
        generator: torch.Generator | None = None,
        *,
        z: Tensor | None = None,
        labels: Tensor | int | None = None,
        conditions: dict[str, Tensor] | None = None,
    ) -> GeneratorInputs:
        """G's inputs for ``n`` fakes, drawn in one order: noise, then class labels.

        The one place inputs are drawn (training, evaluation, ``sample``, pictures). Parts that
        are given are used as they are and draw nothing; ``labels`` may be one class for all.
        """
        if z is None and self.takes_noise:
            z = self.sample_noise(n, generator)
        if isinstance(labels, int):
            labels = torch.full((n,), labels, dtype=torch.long, device=self.device)
        elif labels is None:
            labels = self.sample_labels(n, generator)
        elif self.conditional:
            labels = labels.to(self.device)
        return GeneratorInputs(z=z, labels=labels, conditions=dict(conditions or {}))

    def sample_inputs(
        self,
        n: int,
        labels: Tensor | int | None = None,
        *,
        generator: torch.Generator | None = None,
        z: Tensor | None = None,
    ) -> tuple[Tensor | None, Tensor | None]:
        """The noise and labels ``sample()`` feeds G (for callers that generate in parts)."""
        inputs = self.draw_inputs(n, generator, z=z, labels=labels)
        return inputs.z, inputs.labels

    def sample_sources(self, n: int) -> Tensor | None:
        """Which generator makes each of ``n`` samples, for models with several (pictures group by it); None."""
        return None

    def generate(
        self, z: Tensor | None, labels: Tensor | None = None, net: nn.Module | None = None, **conditions: Tensor
    ) -> Tensor:
        """Run the generator. Conditional and multi-generator variants override.

        ``net`` (0.1) overrides which network runs; ``sample()`` instead swaps the averaged copies in.
        """
        _no_conditions(self, conditions)
        return (net or self.generator)(z)

    def discriminate(self, x: Tensor, labels: Tensor | None = None, **conditions: Tensor) -> Tensor:
        """Run the discriminator on packs of ``self.pack`` samples. Conditional variants override."""
        _no_conditions(self, conditions)
        return self.discriminator(self.pack_samples(x))

    def critic(self, player: str, conditions: dict[str, Tensor]) -> ConditionalCritic:
        """The discriminator of ``player`` as a function of samples and labels, for tricks that differentiate it."""
        if not conditions:
            return self.discriminate
        return lambda x, labels=None: self.discriminate(x, labels, **conditions)

    @property
    def packed_shape(self) -> tuple[int, ...]:
        """The input shape of D: ``data_shape`` with its first axis ``pack`` times larger."""
        return (self.data_shape[0] * self.pack, *self.data_shape[1:])

    def pack_samples(self, x: Tensor) -> Tensor:
        """``(N, C, ...)`` -> ``(N / pack, pack * C, ...)``: consecutive samples concatenated along axis 1."""
        if self.pack == 1:
            return x
        if x.shape[0] % self.pack:
            raise ConfigError(
                f"A batch of {x.shape[0]} samples cannot be split into packs of model.init_args.pack={self.pack}. "
                "Use a batch size divisible by pack."
            )
        return x.reshape(x.shape[0] // self.pack, self.pack * x.shape[1], *x.shape[2:])

    @torch.no_grad()
    def sample(
        self,
        n: int | None = None,
        labels: Tensor | int | None = None,
        *,
        generator: torch.Generator | None = None,
        z: Tensor | None = None,
        use_ema: bool = True,
        truncation: float | None = None,
        **conditions: Tensor,
    ) -> Tensor:
        """The one way to get samples out: outputs in data space, sampling networks in eval mode.

        ``n`` may be left out when ``z`` or a condition (an image to translate, ...) fixes it;
        ``labels`` may be one class for all samples or one per sample (conditional variants);
        ``generator`` makes the draw reproducible; averaged (EMA) networks are used when present;
        ``truncation`` psi in (0, 1] applies the truncation trick (``generate_truncated``).
        """
        n = _sample_count(n, z, conditions)
        # Under a "true" precision (bf16-true, 64-true) the networks hold that dtype; noise and images come in
        # float32, so they are cast to it, and samples come back in float32 like the data.
        weight = next(self.parameters(), None)
        dtype = weight.dtype if weight is not None else torch.get_default_dtype()
        conditions = {key: _to(value, self.device, dtype) for key, value in conditions.items()}
        inputs = self.draw_inputs(n, generator, z=z, labels=labels, conditions=conditions)
        z = _to(inputs.z, self.device, dtype) if inputs.z is not None else None
        with self.sampling_networks_ready(use_ema):
            if truncation is not None:
                samples = self.generate_truncated(truncation, z, inputs.labels, **inputs.conditions)
            else:
                samples = self.generate(z, inputs.labels, **inputs.conditions)
        return samples.float()

    def generate_truncated(
        self, psi: float, z: Tensor | None, labels: Tensor | None = None, **conditions: Tensor
    ) -> Tensor:
        """G's output with the truncation trick: samples more typical and less varied as psi falls from 1 (no change).

        Here BigGAN's: every component of z outside the central psi of its prior's mass is redrawn
        inside it (``truncated_noise``). Style-based variants override it to truncate in W instead.
        """
        self.check_truncation(psi)
        return self.generate(truncated_noise(z, psi, self.hparams.noise), labels, **conditions)

    def check_truncation(self, psi: float) -> None:
        """One line when psi is outside (0, 1], or when G takes no noise to truncate."""
        if not 0 < psi <= 1:
            raise ConfigError(
                f"truncation psi must be in (0, 1] (1: no truncation; toward 0: samples nearer the average), "
                f"got {psi!r}."
            )
        if not self.takes_noise:
            raise ConfigError(
                f"{type(self).__name__} takes no noise (it translates {list(self.input_conditions)}), so it has no "
                "truncation: leave truncation out."
            )

    @contextlib.contextmanager
    def sampling_networks_ready(self, use_averaged: bool = True) -> Iterator[None]:
        """The sampling networks in eval mode, their averaged copies (``<name>_ema``) swapped in when asked."""
        swapped = [name for name in self.sampling_networks if use_averaged and self.averaged(name) is not None]
        for name in swapped:
            self._swap_averaged(name)
        try:
            with eval_mode([self.get_submodule(name) for name in self.sampling_networks]):
                yield
        finally:
            for name in swapped:
                self._swap_averaged(name)

    def averaged(self, name: str) -> nn.Module | None:
        """The averaged copy of sampling network ``name`` (``GeneratorEMA`` keeps it), if any."""
        return getattr(self, f"{name}_ema", None)

    def _swap_averaged(self, name: str) -> None:
        modules = self._modules
        modules[name], modules[f"{name}_ema"] = modules[f"{name}_ema"], modules[name]

    # ------------------------------------------------------------------ losses (variant hooks)
    def discriminator_loss(self, step: DiscriminatorStep) -> Tensor:
        """D's objective for one step; fills ``step.real_out``/``step.fake_out``. Override to add terms."""
        step.real_out = self.discriminate(step.real, step.labels, **step.conditions)
        step.fake_out = self.discriminate(step.fake, step.fake_labels, **step.conditions)
        return self.loss.discriminator_loss(step.real_out, step.fake_out, step.real_target, step.fake_target)

    def generator_loss(self, step: GeneratorStep) -> Tensor:
        """G's objective for one step; fills ``step.fake_out``. Override to add terms."""
        step.fake_out = self.discriminate(step.fake, step.fake_labels, **step.conditions)
        return self.adversarial_generator_loss(step)

    def adversarial_generator_loss(self, step: GeneratorStep, critic: ConditionalCritic | None = None) -> Tensor:
        """G's adversarial term from ``step.fake_out``, also kept as ``step.adversarial_loss``.

        Variants that add terms of their own call this for the adversarial part, so tricks that
        reweight only that part (feature matching) keep the rest. Losses that judge fakes
        relative to real data (``generator_needs_real``) also get ``critic``'s output (default:
        the step's critic) on the step's real batch.
        """
        if self.loss.generator_needs_real:
            step.real = step.batch["real"]
            judge = critic or step.critic or self.critic(step.player, step.conditions)
            real_out = judge(step.real, step.batch.get("label"))
            step.adversarial_loss = self.loss.generator_loss(step.fake_out, real_out)
        else:
            step.adversarial_loss = self.loss.generator_loss(step.fake_out)
        return step.adversarial_loss

    def after_discriminator_step(self, step: DiscriminatorStep) -> None:
        """Runs after D's optimizer step, before callbacks' ``on_after_discriminator_step``."""

    def after_generator_step(self, step: GeneratorStep) -> None:
        """Runs after G's optimizer step, before callbacks' ``on_after_generator_step``."""

    @property
    def structure_changes(self) -> list[dict[str, Any]]:
        """The recorded structure changes (function and arguments), in order: what checkpoints replay."""
        return [dict(change) for change in self._structure_changes]

    def change_structure(self, function: str, **kwargs: Any) -> None:
        """Apply ``function(self, **kwargs)`` (a dotted path) to the networks once and record it.

        Tricks that change the networks' structure (spectral norm, minibatch discrimination) go
        through here, so that loading a checkpoint repeats the change before the weights load.
        """
        change = {"function": function, "kwargs": kwargs}
        if change not in self._structure_changes:
            source = f"{type(self).__name__}'s recorded changes"
            import_named(function, "network change", source, functions=True)(self, **kwargs)
            self._structure_changes.append(change)
            self._accelerate_networks()

    # ------------------------------------------------------------------ building one update
    def make_fakes(self, batch: Batch, rng: torch.Generator) -> Fakes:
        """Fresh fakes for ``batch``: G's inputs drawn from ``rng`` (with the batch's conditions), G run on them."""
        inputs = self.draw_inputs(len(batch["real"]), rng, conditions=self.data_conditions(batch))
        fake = self.generate(inputs.z, inputs.labels, **inputs.conditions)
        return Fakes(inputs, to_channels_last(fake) if self.channels_last else fake)

    def discriminator_context(self, batch: Batch, player: Player, rng: torch.Generator) -> DiscriminatorStep:
        """One D update's context before any hook: the batch's reals and fresh fakes (made without gradient).

        Variants with several players override it to pair each discriminator with its reals and fakes.
        """
        with torch.no_grad():
            fakes = self.make_fakes(batch, rng)
        return self._discriminator_context_from(fakes, batch, player, rng)

    def _discriminator_context_from(
        self, fakes: Fakes, batch: Batch, player: Player, rng: torch.Generator
    ) -> DiscriminatorStep:
        """D's context on the batch's reals and ``fakes``, detached (a simultaneous step's G backpropagates them)."""
        inputs = fakes.inputs
        return DiscriminatorStep(
            batch=batch,
            real=batch["real"],
            fake=fakes.fake.detach(),
            labels=batch.get("label"),
            fake_labels=inputs.labels,
            z=inputs.z,
            player=player.name,
            conditions=inputs.conditions,
            critic=self.critic(player.name, inputs.conditions),
            rng=rng,
        )

    def generator_context(self, batch: Batch, player: Player, rng: torch.Generator) -> GeneratorStep:
        """One G update's context before any hook: fresh fakes, with gradient."""
        return self._generator_context_from(self.make_fakes(batch, rng), batch, player, rng)

    def _generator_context_from(
        self, fakes: Fakes, batch: Batch, player: Player, rng: torch.Generator
    ) -> GeneratorStep:
        """G's context on ``fakes``."""
        inputs = fakes.inputs
        return GeneratorStep(
            batch=batch,
            z=inputs.z,
            fake=fakes.fake,
            fake_labels=inputs.labels,
            player=player.name,
            conditions=inputs.conditions,
            critic=self.critic(player.name, inputs.conditions),
            rng=rng,
        )

    def discriminator_step(
        self,
        batch: Batch,
        player: str | None = None,
        *,
        generator: torch.Generator | None = None,
        hooks: bool = True,
        fakes: Fakes | None = None,
    ) -> DiscriminatorStep:
        """One discriminator update up to its loss: inputs drawn, tricks' hooks run, the variant's loss.

        No backward and no optimizer step: the loop does those, evaluation does not.
        ``generator`` replaces the training-noise generator (evaluation uses a fixed one);
        ``hooks=False`` leaves the tricks out; ``fakes`` replaces fresh fakes (a simultaneous step's).
        """
        rng = generator if generator is not None else self.noise_rng
        judge = self.find_player(player, role=DISCRIMINATOR)
        if fakes is None:
            step = self.discriminator_context(batch, judge, rng)
        else:
            step = self._discriminator_context_from(fakes, batch, judge, rng)
        if hooks:
            self._hooks("on_discriminator_inputs", self, step)
            self._hooks("on_discriminator_targets", self, step)
        step.loss = self.discriminator_loss(step)
        if hooks:
            self._hooks("on_discriminator_loss", self, step)
        return step

    def generator_step(
        self,
        batch: Batch,
        player: str | None = None,
        *,
        generator: torch.Generator | None = None,
        hooks: bool = True,
        fakes: Fakes | None = None,
    ) -> GeneratorStep:
        """One generator update up to its loss (see :meth:`discriminator_step`)."""
        rng = generator if generator is not None else self.noise_rng
        maker = self.find_player(player, role=GENERATOR)
        if fakes is None:
            step = self.generator_context(batch, maker, rng)
        else:
            step = self._generator_context_from(fakes, batch, maker, rng)
        if hooks:
            self._hooks("on_generator_inputs", self, step)
        step.loss = self.generator_loss(step)
        if hooks:
            self._hooks("on_generator_loss", self, step)
        return step

    # ------------------------------------------------------------------ the loop
    @property
    def batches_per_step(self) -> int:
        """Data batches one training step takes (``n_critic``); lightgan's datamodules hand them over together."""
        return self.n_critic

    def critic_batches(self, step: int) -> int:
        """Data batches the discriminators train on before generator update ``step``: ``n_critic``.

        A variant with a schedule (WGAN's bursts of critic steps) returns more for some steps, a
        multiple of ``n_critic``: the loader's items of ``n_critic`` batches before the last one
        then update only the discriminators and leave the step clock where it is.
        """
        return self.n_critic

    def training_step(self, batch: Batch | list[Batch], batch_idx: int) -> None:
        batches = self._step_batches(batch)
        found = self.optimizers()
        listed = found if isinstance(found, list) else [found]  # Lightning hands over a sole optimizer unlisted
        optimizers = dict(zip((p.name for p in self.declared_players), listed, strict=True))
        self._critic_batches_seen += len(batches)
        if self._critic_batches_seen < self.critic_batches(self.global_step):
            self._discriminator_updates(optimizers, batches, {})
            return
        self._critic_batches_seen = 0
        updates = self._simultaneous_updates if self.step_order == "simultaneous" else self._alternating_updates
        steps = updates(optimizers, batches)
        self._advance_clock()
        if self.hparams.lr_scheduler_interval == "step":
            self._step_schedulers()
        self._log_train_step(steps)

    def _alternating_updates(self, optimizers: dict[str, LightningOptimizer], batches: list[Batch]) -> list[Step]:
        """Every discriminator on each batch, then every generator on the last; each update sees those before it."""
        steps: dict[str, Step] = {}
        self._discriminator_updates(optimizers, batches, steps)
        for player in self.players_of(GENERATOR):
            steps[player.name] = self.update(player, optimizers[player.name], batches[-1])
        return list(steps.values())

    def _discriminator_updates(
        self, optimizers: dict[str, LightningOptimizer], batches: list[Batch], steps: dict[str, Step]
    ) -> None:
        """Every discriminator on each batch, in turn; ``steps`` keeps each player's last."""
        for data in batches:
            for player in self.players_of(DISCRIMINATOR):
                steps[player.name] = self.update(player, optimizers[player.name], data)

    def _simultaneous_updates(self, optimizers: dict[str, LightningOptimizer], batches: list[Batch]) -> list[Step]:
        """D's and G's losses from one batch of fakes, both gradients at the step's starting weights, then both steps.

        A trick that cancels either update (NaNGuard's restore) cancels the training step: no optimizer steps.
        """
        (batch,) = batches
        fakes = self.make_fakes(batch, self.noise_rng)  # with gradient: G's update backpropagates through it
        steps: list[Step] = []
        for role in ROLES:
            (player,) = self.players_of(role)
            build = functools.partial(self._step_builder(role), batch, player.name, fakes=fakes)
            steps.append(self._backward(player, optimizers[player.name], build))
            if steps[-1].skipped:
                return steps
        for step in steps:
            self._step_optimizer(optimizers[step.player])
        for step in steps:
            self.finish_update(step)
        return steps

    def _step_batches(self, batch: Batch | list[Batch]) -> list[Batch]:
        batches = batch if isinstance(batch, list) else [batch]
        if self.channels_last:
            batches = to_channels_last(batches)
        if len(batches) != self.batches_per_step:
            raise ConfigError(
                f"model.init_args.n_critic={self.n_critic} needs {self.n_critic} data batches per training step, but "
                f"the train dataloader gives {len(batches)}. Use a lightgan datamodule (GANDataModule), whose "
                "loader groups them."
            )
        return batches

    def update(self, player: Player, optimizer: LightningOptimizer, batch: Batch) -> Step:
        """One player's update: :meth:`apply_update`, then what follows a taken step (after-hooks).

        Variants whose update is not one gradient step (E-GAN evolves a population) override it.
        """
        step = self.apply_update(player, optimizer, batch)
        if not step.skipped:
            self.finish_update(step)
        return step

    def finish_update(self, step: Step) -> None:
        """What follows a taken optimizer step: the variant's ``after_*_step``, then the callbacks' hooks."""
        role = DISCRIMINATOR if isinstance(step, DiscriminatorStep) else GENERATOR
        getattr(self, f"after_{role}_step")(step)
        self._hooks(f"on_after_{role}_step", self, step)

    def apply_update(self, player: Player, optimizer: LightningOptimizer, batch: Batch) -> Step:
        """The player's step, backward, its before-hooks and the optimizer step (unless a trick cancels it)."""
        step = self._backward(player, optimizer, functools.partial(self._step_builder(player.role), batch, player.name))
        if not step.skipped:
            self._step_optimizer(optimizer)
        return step

    def _step_builder(self, role: Role) -> Callable[..., Step]:
        """What builds an update of ``role``: ``discriminator_step`` or ``generator_step``."""
        return self.discriminator_step if role == DISCRIMINATOR else self.generator_step

    def _backward(self, player: Player, optimizer: LightningOptimizer, build: Callable[[], Step]) -> Step:
        """``build()``'s step and its backward with only the player's parameters trainable, then its before-hooks."""
        self.toggle_optimizer(optimizer)
        step = build()
        optimizer.zero_grad(set_to_none=True)
        self.manual_backward(step.loss)
        self._hooks(f"on_before_{player.role}_step", self, step)
        self.untoggle_optimizer(optimizer)
        return step

    def _step_optimizer(self, optimizer: LightningOptimizer) -> None:
        """Through the strategy (precision, clipping hooks) but not ``LightningOptimizer.step``, which would
        count the step: lightgan's clock advances once per training step (``_advance_clock``)."""
        self.trainer.strategy.optimizer_step(optimizer.optimizer, closure=_no_closure)

    def _advance_clock(self) -> None:
        """One training step is one step of the clock that ``global_step``, ``max_steps`` and loggers read.

        The only write into Lightning's loop state: in manual optimization ``global_step`` is the
        count of optimizer steps taken through ``LightningOptimizer.step``, and lightgan steps
        every optimizer through the strategy instead, so it advances that count here, once.
        """
        progress = self.trainer.fit_loop.epoch_loop.manual_optimization.optim_step_progress
        progress.increment_ready()
        progress.increment_completed()

    def _log_train_step(self, steps: list[Step]) -> None:
        """Each player's loss (and D's mean outputs) and every step's logs, on the generator-step axis."""
        losses: dict[str, Tensor] = {}
        extra: dict[str, Tensor] = {}
        log_names = {p.name: p.log_name for p in self.declared_players}
        for step in steps:
            name = log_names[step.player]
            losses[f"train/{name}_loss"] = step.loss.detach()
            if isinstance(step, DiscriminatorStep):
                extra[f"train/{name}_real_score"] = self._score(step.real_out)
                extra[f"train/{name}_fake_score"] = self._score(step.fake_out)
            extra.update({key: value.detach() for key, value in step.logs.items()})
        self.log_dict(losses, on_step=True, on_epoch=False, prog_bar=True)
        self.log_dict(extra, on_step=True, on_epoch=False)

    def _score(self, out: Tensor | None) -> Tensor:
        """Mean D output as people read it: a probability for logit losses, the raw value otherwise."""
        if out is None:
            return torch.tensor(float("nan"), device=self.device)
        out = out.detach().float()
        return torch.sigmoid(out).mean() if self.loss.expects_logits else out.mean()

    def _step_schedulers(self) -> None:
        schedulers = self.lr_schedulers()
        if schedulers is None:
            return
        for scheduler in schedulers if isinstance(schedulers, list) else [schedulers]:
            scheduler.step()

    def on_train_epoch_end(self) -> None:
        if self.hparams.lr_scheduler_interval == "epoch":
            self._step_schedulers()

    # ------------------------------------------------------------------ evaluation
    def on_validation_epoch_start(self) -> None:
        self._eval_rng = torch.Generator(device=self.device).manual_seed(0)

    def on_test_epoch_start(self) -> None:
        self.on_validation_epoch_start()

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        self._log_evaluation(batch, "val")

    def test_step(self, batch: Batch, batch_idx: int) -> None:
        self._log_evaluation(batch, "test")

    def _log_evaluation(self, batch: Batch, stage: str) -> None:
        metrics = self.evaluation_metrics(batch)
        if metrics:
            logged = {f"{stage}/{name}": value for name, value in metrics.items()}
            self.log_dict(logged, on_step=False, on_epoch=True, sync_dist=True, batch_size=len(batch["real"]))

    def evaluation_metrics(self, batch: Batch) -> dict[str, Tensor]:
        """What validation and test log (as ``val/<name>``, ``test/<name>``) for one held-out batch.

        Every player's own objective (the variant's losses, without the tricks) on held-out real
        data against fixed-seed fakes, comparable across epochs, and what the steps log.
        Variants add their own measures (class accuracy, reconstruction error).
        """
        n = len(batch["real"]) // self.pack * self.pack  # a last partial pack of held-out data is left out
        if n == 0:
            return {}
        batch = {key: value[:n] for key, value in batch.items()}
        metrics: dict[str, Tensor] = {}
        for role in ROLES:
            build = self._step_builder(role)
            for player in self.players_of(role):
                step = build(batch, player.name, generator=self._eval_rng, hooks=False)
                metrics[f"{player.log_name}_loss"] = step.loss
                if isinstance(step, DiscriminatorStep):
                    metrics[f"{player.log_name}_real_score"] = self._score(step.real_out)
                    metrics[f"{player.log_name}_fake_score"] = self._score(step.fake_out)
                metrics.update({key.removeprefix("train/"): value for key, value in step.logs.items()})
        return metrics

    def predict_step(self, batch: Batch, batch_idx: int) -> Tensor:
        n = batch["index"].shape[0]
        rng = torch.Generator(device=self.device).manual_seed(int(batch["index"][0]))
        return self.sample(n, labels=batch.get("label"), generator=rng)

    # ------------------------------------------------------------------ setup and optimizers
    def setup(self, stage: str) -> None:
        owner = type(self).__name__
        roles = ROLES if self.adversarial else (GENERATOR,)
        check_players(owner, self.declared_players, self._player_settings, roles)
        if not self.players_of(DISCRIMINATOR):
            _refuse_discriminator_tricks(owner, self.trainer.callbacks)
        if stage == "predict" and self.input_conditions:
            raise ConfigError(
                f"lightgan predict draws samples from noise, but {owner} translates {list(self.input_conditions)} "
                "images: `lightgan sample --ckpt_path CKPT` translates the held-out inputs of its data."
            )
        if self.step_order == "simultaneous":
            _check_simultaneous(self)
        for name in dict.fromkeys(n for p in self.declared_players for n in p.networks):
            try:
                network = self.get_submodule(name)
            except AttributeError:
                network = None
            if not isinstance(network, nn.Module):
                raise ConfigError(f"{owner} did not build a {name}: assign self.{name} in __init__.")
        if (self.conditional or self.requires_labels) and self.num_classes == 0:
            data_name = type(self.trainer.datamodule).__name__ if self.trainer.datamodule else "the data"
            raise ConfigError(
                f"{owner} needs class labels, but {data_name} provides none (num_classes=0). "
                "Pick a labelled dataset (MNIST, FashionMNIST, CIFAR10) or an unconditional model."
            )
        batch_size = getattr(self.trainer.datamodule, "batch_size", None)
        if self.pack > 1 and batch_size is not None and batch_size % self.pack:
            raise ConfigError(
                f"model.init_args.pack={self.pack} needs a batch size divisible by it, but data.init_args.batch_size="
                f"{batch_size}. Set the batch size to a multiple of {self.pack}."
            )
        strategy = self.trainer.strategy
        if type(strategy.checkpoint_io) is TorchCheckpointIO:  # Lightning's default: not atomic across file systems
            strategy.checkpoint_io = AtomicCheckpointIO()
        for checkpoint in self.trainer.checkpoint_callbacks:
            if checkpoint.dirpath and self.trainer.is_global_zero:
                remove_partial_files(checkpoint.dirpath)
        if isinstance(strategy, DDPStrategy) and not strategy._ddp_kwargs.get("find_unused_parameters"):
            # all players live in one module and each update trains only one of them
            strategy._ddp_kwargs["find_unused_parameters"] = True
            rank_zero_info("lightgan: DDP set to find unused parameters (players are updated in turn).")
        if self.channels_last:  # before DDP takes the parameters' layout and optimizers their state
            self.to(memory_format=torch.channels_last)

    def configure_callbacks(self) -> list[L.Callback]:
        """The callbacks every run of the module has, unless the trainer has its own: ``NaNGuard`` (per
        ``divergence``) and ``GracefulStop`` (SIGTERM and Ctrl-C end the run at a step, saved).

        Variants add the tricks they always use: ``[*super().configure_callbacks(), WeightClipping(...)]``.
        """
        configured = self._trainer.callbacks if self._trainer is not None else []
        action = self.hparams.get("divergence", "stop")
        own: list[L.Callback] = [GracefulStop()]
        if action != "ignore":
            own.append(NaNGuard(action=action))
        return [cb for cb in own if not any(isinstance(existing, type(cb)) for existing in configured)]

    def on_fit_start(self) -> None:
        own = {type(callback) for callback in self.configure_callbacks() or []}
        self._hooks = HookCaller(self.trainer, first=own)
        warn_if_slow_bf16(self.trainer.precision, self.device)
        if self._compiler is not None:  # after the tricks' structure changes and GeneratorEMA's copies
            self._compiler.apply(self.compile_targets())

    def on_fit_end(self) -> None:
        self._hooks = HookCaller()
        if self._compiler is not None:
            self._compiler.remove()

    def compile_targets(self) -> list[nn.Module]:
        """What ``compile`` compiles: every player's networks, or the members of one without a forward (a
        ``ModuleList`` of generators)."""
        names = dict.fromkeys(name for player in self.declared_players for name in player.networks)
        return [net for name in names for net in callable_networks(self.get_submodule(name))]

    def _accelerate_networks(self) -> None:
        """After a structure change: new layers in channels-last layout, and the networks compiled anew if they were."""
        if self.channels_last:
            self.to(memory_format=torch.channels_last)
        if self._compiler is not None and self._compiler.active:
            self._compiler.apply(self.compile_targets())

    def configure_optimizers(self) -> Any:
        players = self.declared_players
        for role in ROLES:
            if self._legacy_parameters(role) is not None:
                warnings.warn(
                    f"{type(self).__name__} overrides {role}_parameters(); since lightgan 0.2 name the networks "
                    f"instead ({role}_networks = (...)) or declare players().",
                    DeprecationWarning,
                    stacklevel=2,
                )
        optimizers = [self._make_optimizer(self.player_parameters(p), p) for p in players]
        self._player_of_optimizer = {id(opt): p for opt, p in zip(optimizers, players, strict=True)}
        if self.lr_scheduler_factory is None:
            return optimizers
        return optimizers, [self.lr_scheduler_factory(opt) for opt in optimizers]

    def _make_optimizer(self, params: Any, player: Player) -> torch.optim.Optimizer:
        kind, decay, lr, betas = self.hparams.optimizer, player.weight_decay, player.lr, player.betas
        if kind == "adam":
            return torch.optim.Adam(params, lr=lr, betas=betas, weight_decay=decay)
        if kind == "rmsprop":
            return torch.optim.RMSprop(params, lr=lr, weight_decay=decay)
        if kind == "sgd":
            return torch.optim.SGD(params, lr=lr, momentum=betas[0], weight_decay=decay)
        raise ConfigError(f"model.init_args.optimizer must be adam, rmsprop or sgd, got {kind!r}.")

    def on_before_optimizer_step(self, optimizer: torch.optim.Optimizer) -> None:
        player = self._player_of_optimizer.get(id(optimizer))
        if player is not None and player.gradient_clip_val:
            self.clip_gradients(
                optimizer,
                gradient_clip_val=player.gradient_clip_val,
                gradient_clip_algorithm=self.hparams.gradient_clip_algorithm,
            )

    # ------------------------------------------------------------------ checkpoints
    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        from lightgan import __version__

        if self.hparams.get("divergence", "stop") != "ignore":
            _refuse_non_finite(checkpoint.get("state_dict", {}), self.global_step)

        state = self.noise_rng.get_state()
        if self.trainer.world_size > 1:  # every rank draws its own noise; keep all of them
            gathered = self.all_gather(state.to(self.device)).cpu()
            states = list(gathered.unbind(0))
        else:
            states = [state]
        cls = type(self)
        datamodule = self.trainer.datamodule
        if datamodule is not None and getattr(datamodule, "mode_centers", None) is not None:
            self.mode_centers = datamodule.mode_centers
        checkpoint[CHECKPOINT_KEY] = {
            "class_path": f"{cls.__module__}.{cls.__qualname__}",
            "version": __version__,
            "noise_rng_states": states,
            "mode_centers": self.mode_centers,
            "structure_changes": self._structure_changes,
            "critic_batches_seen": self._critic_batches_seen,
        }

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        migrate_checkpoint(checkpoint, type(self))
        settle_epoch_progress(checkpoint)
        saved = checkpoint.get(CHECKPOINT_KEY) or {}
        for change in saved.get("structure_changes", []):
            self.change_structure(change["function"], **change["kwargs"])
        weights = checkpoint.get("state_dict", {})
        for name in self.sampling_networks:
            if self.averaged(name) is None and any(key.startswith(f"{name}_ema.") for key in weights):
                setattr(self, f"{name}_ema", copy.deepcopy(self.get_submodule(name)).requires_grad_(False))
        if not saved:
            return
        self.mode_centers = saved.get("mode_centers")
        self._critic_batches_seen = int(saved.get("critic_batches_seen", 0))
        states = saved.get("noise_rng_states") or []
        rank = self.global_rank
        if rank < len(states):
            self._noise_rng_pending_state = states[rank]
            self._noise_rng = None


@contextlib.contextmanager
def eval_mode(networks: list[nn.Module]) -> Iterator[None]:
    """The networks in eval mode (batch norm on its running statistics, no dropout), their modes restored after."""
    modes = [net.training for net in networks]
    for net in networks:
        net.eval()
    try:
        yield
    finally:
        for net, mode in zip(networks, modes, strict=True):
            net.train(mode)


def _refuse_discriminator_tricks(owner: str, callbacks: list[L.Callback]) -> None:
    """Tricks that act on D's updates, or on what D judges, would do nothing (or change a content loss)
    in a variant without a discriminator: they stop the run before training, in one line."""
    judged = [name for name in HOOK_NAMES if "discriminator" in name]
    idle = [
        type(callback).__name__
        for callback in callbacks
        if defines_hook(callback, "on_generator_inputs")
        or (
            any(defines_hook(callback, name) for name in judged)
            and not any(defines_hook(callback, name) for name in HOOK_NAMES if name not in judged)
        )
    ]
    if idle:
        raise ConfigError(
            f"{', '.join(idle)} act on a discriminator, but {owner} has none. Remove them from trainer.callbacks "
            "(or train a variant with a discriminator)."
        )


def _refuse_non_finite(weights: dict[str, Tensor], step: int) -> None:
    """A checkpoint of non-finite weights would replace the last good one: stop before it is written."""
    bad = sorted(
        {
            name.split(".")[0]
            for name, value in weights.items()
            if value.is_floating_point() and not torch.isfinite(value).all()
        }
    )
    if bad:
        raise NonFiniteLossError(
            f"The weights of {', '.join(bad)} are not finite at generator step {step}: no checkpoint is written, "
            "the last one written holds finite weights. Lower the learning rates or add a gradient penalty "
            "(R1Penalty, GradientPenalty); model.init_args.divergence: restore rolls back and goes on."
        )


def _no_conditions(module: GANModule, conditions: dict[str, Tensor]) -> None:
    if conditions:
        raise ConfigError(
            f"{type(module).__name__} takes no inputs besides noise and class labels, but was given "
            f"{sorted(conditions)}. Sample it with noise (and labels) only."
        )


def truncated_noise(z: Tensor, psi: float, prior: str) -> Tensor:
    """BigGAN's truncation of a prior of independent components (``normal``, or ``uniform`` on [-1, 1]).

    Components inside the central psi of their prior's mass (|z| <= t with P(|z| <= t) = psi) are kept;
    each one outside is replaced by a draw from the prior restricted to [-t, t]. The draw is its own
    value's quantile in the tail taken to the same quantile inside, not a fresh random number: the
    samples follow the truncated prior exactly, and a given z always gives the same sample.
    """
    if psi == 1:
        return z
    magnitude = z.abs().float()
    if prior == "uniform":
        threshold = psi
        inside = (magnitude - psi) / (1 - psi) * psi
    else:  # half-normal quantiles: P(|z| <= a) = erf(a / sqrt(2))
        threshold = math.sqrt(2) * float(torch.erfinv(torch.tensor(psi, dtype=torch.float64)))
        tail = (1 - torch.special.erfc(magnitude / math.sqrt(2)) / (1 - psi)).clamp(0, 1)
        inside = math.sqrt(2) * torch.erfinv(tail * psi)
    return torch.where(magnitude > threshold, inside.to(z.dtype) * z.sign(), z)


def _to(value: Tensor, device: torch.device, dtype: torch.dtype) -> Tensor:
    """On ``device``, and in ``dtype`` if it holds real numbers (labels and masks of integers keep theirs)."""
    return value.to(device, dtype) if value.is_floating_point() else value.to(device)


def _sample_count(n: int | None, z: Tensor | None, conditions: dict[str, Tensor]) -> int:
    """How many samples ``sample()`` makes: ``n``, or the size of ``z`` or of the conditions."""
    if n is not None:
        return n
    for value in (z, *conditions.values()):
        if value is not None:
            return len(value)
    raise ConfigError("sample() needs n, z or conditions to know how many samples to make.")


#: How GANModule builds and applies updates; a simultaneous step builds D's and G's with these, so a variant
#: that overrides one (E-GAN's evolving ``update``, contexts pairing players with their own fakes) cannot have it.
_UPDATE_METHODS = (
    "training_step",
    "update",
    "apply_update",
    "discriminator_step",
    "generator_step",
    "discriminator_context",
    "generator_context",
)


def _check_simultaneous(module: GANModule) -> None:
    """A simultaneous step is one D loss and one G loss from one batch of fakes: refuse what is not."""
    owner = type(module).__name__
    fix = "Use model.init_args.step_order: alternating."
    if module.n_critic != 1:
        raise ConfigError(
            f"model.init_args.step_order=simultaneous updates D and G once each per step, but n_critic="
            f"{module.n_critic}. Set n_critic: 1, or step_order: alternating."
        )
    counts = [len(module.players_of(role)) for role in ROLES]
    if counts != [1, 1]:
        names = [p.name for p in module.declared_players]
        raise ConfigError(
            f"model.init_args.step_order=simultaneous needs one discriminator and one generator, but {owner}'s "
            f"players are {names}. {fix}"
        )
    overridden = [name for name in _UPDATE_METHODS if getattr(type(module), name) is not getattr(GANModule, name)]
    if overridden:
        raise ConfigError(
            f"model.init_args.step_order=simultaneous builds D's and G's updates the default way, but {owner} "
            f"overrides {', '.join(overridden)}. {fix}"
        )


def _check_pack(cls: type[GANModule], pack: int) -> None:
    if not isinstance(pack, int) or pack < 1:
        raise ConfigError(f"model.init_args.pack must be an integer >= 1 (samples per D input), got {pack!r}.")
    if pack > 1 and (cls.conditional or cls.requires_labels):
        raise ConfigError(
            f"model.init_args.pack={pack}: packing needs an unconditional variant, but {cls.__name__} judges samples "
            "with their class labels. Use pack: 1, or an unconditional model such as GAN or DCGAN."
        )
