"""``GANModule``: the manual-optimization loop every variant shares.

One training batch is one discriminator step; after every ``n_critic`` discriminator steps the
generator takes one step. lightgan counts *generator* steps: ``trainer.global_step``,
``max_steps``, checkpoint intervals and the x-axis of logged metrics all advance once per
generator update (Lightning alone would count every optimizer step). Variants override only
what differs: the networks, ``generate``/``discriminate`` for conditioning, or the two
``*_loss`` methods for extra terms.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, ClassVar, Literal

import lightning as L
import torch
from lightning.pytorch.cli import LRSchedulerCallable
from lightning.pytorch.core.optimizer import LightningOptimizer
from lightning.pytorch.strategies import DDPStrategy
from lightning.pytorch.utilities import rank_zero_info
from torch import Tensor, nn

from lightgan.core.hooks import HOOK_NAMES, DiscriminatorStep, GANCallback, GeneratorStep
from lightgan.core.losses import AdversarialLoss, loss_spec, resolve_loss
from lightgan.errors import ConfigError
from lightgan.registry import import_object

Batch = dict[str, Any]
_CHECKPOINT_KEY = "lightgan"


def _check_positive(name: str, value: float, example: str) -> None:
    if not value > 0:
        raise ConfigError(f"model.init_args.{name} must be positive, got {value!r}. Set it to e.g. {example}.")


class GANModule(L.LightningModule):
    """Alternating D/G training with manual optimization.

    Args:
        data_shape: shape of one sample, ``(C, H, W)`` for images or ``(D,)`` for vectors.
            Linked from the datamodule by the CLI.
        num_classes: number of classes the datamodule labels (0 when unlabelled). Linked too.
        latent_dim: size of the noise vector z.
        loss: adversarial objective: a registered name (``non_saturating``, ``minimax``,
            ``least_squares``, ``wasserstein``, ``hinge``) or a loss object.
        n_critic: discriminator steps per generator step; each uses a fresh data batch.
        optimizer: ``adam``, ``rmsprop`` or ``sgd`` for both networks.
        lr_g, lr_d, betas_g, betas_d: separate learning rates and Adam betas (TTUR); with ``sgd``
            the first beta is the momentum (0: plain SGD), RMSprop ignores them.
        weight_decay: applied to both optimizers.
        lr_scheduler: optional scheduler factory, applied to each optimizer.
        lr_scheduler_interval: step the schedulers every generator ``step`` or every ``epoch``.
        gradient_clip_val_g, gradient_clip_val_d: clip each network's gradients (None: off).
        gradient_clip_algorithm: ``norm`` or ``value``.
        noise: prior of z, ``normal`` or ``uniform`` on [-1, 1].
        seed: seed of the training-noise generator; None derives it from the global seed.
        pack: PacGAN packing degree m: D judges groups of m samples concatenated along the first
            data axis (channels, or the features of vectors), so it can see a lack of diversity.
            Variants build D for ``self.packed_shape``; the batch size must be divisible by m.
    """

    #: The generator takes class labels (cGAN-style); such variants need a labelled datamodule.
    conditional: ClassVar[bool] = False
    #: The variant reads class labels of real data even if G is not conditional (e.g. SGAN).
    requires_labels: ClassVar[bool] = False

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
    ) -> None:
        super().__init__()
        self.automatic_optimization = False
        if not isinstance(latent_dim, int) or latent_dim <= 0:
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
        if not data_shape or any(int(s) <= 0 for s in data_shape):
            raise ConfigError(f"data_shape must be a non-empty tuple of positive sizes, got {data_shape!r}.")
        if num_classes < 0:
            raise ConfigError(f"num_classes must be >= 0, got {num_classes!r}.")
        _check_pack(type(self), pack)
        resolved_loss = resolve_loss(loss)
        loss = loss_spec(loss)  # hparams stay plain data: checkpoints then load with weights_only=True
        self.save_hyperparameters()
        # the CLI records callables in hparams as their config (class_path, init_args), not as callables
        self.lr_scheduler_factory = lr_scheduler
        self.data_shape = tuple(int(s) for s in data_shape)
        self.num_classes = int(num_classes)
        self.latent_dim = latent_dim
        self.n_critic = n_critic
        self.pack = pack
        self.loss = resolved_loss
        self.generator_ema: nn.Module | None = None
        #: Mode centres of 2-D training data, kept in checkpoints so plots can show them later.
        self.mode_centers: Tensor | None = None
        self._noise_rng: torch.Generator | None = None
        self._noise_rng_pending_state: Tensor | None = None
        self._critic_steps = 0
        self._structure_changes: list[dict[str, Any]] = []
        self._hook_callbacks: dict[str, list[L.Callback]] = {name: [] for name in HOOK_NAMES}

    # ------------------------------------------------------------------ sampling
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

    def generate(self, z: Tensor, labels: Tensor | None = None, net: nn.Module | None = None) -> Tensor:
        """Run the generator (``net`` overrides which copy, e.g. the EMA one). Conditional variants override."""
        return (net or self.generator)(z)

    def discriminate(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        """Run the discriminator on packs of ``self.pack`` samples. Conditional variants override to pass ``labels``."""
        return self.discriminator(self.pack_samples(x))

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
        n: int,
        labels: Tensor | int | None = None,
        *,
        generator: torch.Generator | None = None,
        z: Tensor | None = None,
        use_ema: bool = True,
    ) -> Tensor:
        """The one way to get samples out: ``n`` outputs in data space, generator in eval mode.

        ``labels`` may be one class for all samples or one per sample (conditional variants);
        ``generator`` makes the draw reproducible; the EMA generator is used when present.
        """
        net = self.generator_ema if use_ema and self.generator_ema is not None else self.generator
        z, labels = self.sample_inputs(n, labels, generator=generator, z=z)
        was_training = net.training
        net.eval()
        try:
            return self.generate(z.to(self.device), labels, net=net)
        finally:
            net.train(was_training)

    def sample_inputs(
        self,
        n: int,
        labels: Tensor | int | None = None,
        *,
        generator: torch.Generator | None = None,
        z: Tensor | None = None,
    ) -> tuple[Tensor, Tensor | None]:
        """The noise and labels ``sample()`` feeds G, drawn in its order (for callers that generate in parts)."""
        if z is None:
            z = self.sample_noise(n, generator)
        if isinstance(labels, int):
            labels = torch.full((n,), labels, dtype=torch.long, device=self.device)
        elif labels is None:
            labels = self.sample_labels(n, generator)
        elif self.conditional:
            labels = labels.to(self.device)
        return z, labels

    # ------------------------------------------------------------------ losses (variant hooks)
    def discriminator_loss(self, step: DiscriminatorStep) -> Tensor:
        """D's objective for one step; fills ``step.real_out``/``step.fake_out``. Override to add terms."""
        step.real_out = self.discriminate(step.real, step.labels)
        step.fake_out = self.discriminate(step.fake, step.fake_labels)
        return self.loss.discriminator_loss(step.real_out, step.fake_out, step.real_target, step.fake_target)

    def generator_loss(self, step: GeneratorStep) -> Tensor:
        """G's objective for one step; fills ``step.fake_out``. Override to add terms."""
        step.fake_out = self.discriminate(step.fake, step.fake_labels)
        return self.adversarial_generator_loss(step)

    def adversarial_generator_loss(
        self, step: GeneratorStep, critic: Callable[[Tensor, Tensor | None], Tensor] | None = None
    ) -> Tensor:
        """G's adversarial term from ``step.fake_out``, also kept as ``step.adversarial_loss``.

        Variants that add terms of their own call this for the adversarial part, so tricks that
        reweight only that part (feature matching) keep the rest. Losses that judge fakes
        relative to real data (``generator_needs_real``) also get ``critic``'s output (default
        ``discriminate``) on the step's real batch.
        """
        if self.loss.generator_needs_real:
            step.real = step.batch["real"]
            real_out = (critic or self.discriminate)(step.real, step.batch.get("label"))
            step.adversarial_loss = self.loss.generator_loss(step.fake_out, real_out)
        else:
            step.adversarial_loss = self.loss.generator_loss(step.fake_out)
        return step.adversarial_loss

    def after_discriminator_step(self, step: DiscriminatorStep) -> None:
        """Runs after D's optimizer step, before callbacks' ``on_after_discriminator_step`` (e.g. weight clipping)."""

    def after_generator_step(self, step: GeneratorStep) -> None:
        """Runs after G's optimizer step, before callbacks' ``on_after_generator_step``."""

    def change_structure(self, function: str, **kwargs: Any) -> None:
        """Apply ``function(self, **kwargs)`` (a dotted path) to the networks once and record it.

        Tricks that change the networks' structure (spectral norm, minibatch discrimination) go
        through here, so that loading a checkpoint repeats the change before the weights load.
        """
        change = {"function": function, "kwargs": kwargs}
        if change not in self._structure_changes:
            import_object(function)(self, **kwargs)
            self._structure_changes.append(change)

    def generator_parameters(self) -> Any:
        """Parameters the generator optimizer updates (variants add encoders or Q heads)."""
        return self.generator.parameters()

    def discriminator_parameters(self) -> Any:
        """Parameters the discriminator optimizer updates."""
        return self.discriminator.parameters()

    # ------------------------------------------------------------------ the loop
    def training_step(self, batch: Batch, batch_idx: int) -> None:
        opt_g, opt_d = self.optimizers()
        d_step = self._discriminator_update(batch, opt_d)
        self._critic_steps += 1
        if self._critic_steps % self.n_critic == 0:
            g_step = self._generator_update(batch, opt_g)
            if self.hparams.lr_scheduler_interval == "step":
                self._step_schedulers()
            self._log_train_step(d_step, g_step)
        self._keep_logger_on_generator_clock()

    def _discriminator_update(self, batch: Batch, opt_d: LightningOptimizer) -> DiscriminatorStep:
        real = batch["real"]
        n = real.shape[0]
        self.toggle_optimizer(opt_d)
        with torch.no_grad():
            fake_labels = self.sample_labels(n, self.noise_rng)
            z = self.sample_noise(n, self.noise_rng)
            fake = self.generate(z, fake_labels)
        step = DiscriminatorStep(
            batch=batch, real=real, fake=fake, labels=batch.get("label"), fake_labels=fake_labels, z=z
        )
        self._call_hooks("on_discriminator_inputs", step)
        self._call_hooks("on_discriminator_targets", step)
        step.loss = self.discriminator_loss(step)
        self._call_hooks("on_discriminator_loss", step)
        opt_d.zero_grad(set_to_none=True)
        self.manual_backward(step.loss)
        self._step_without_counting(opt_d)
        self.untoggle_optimizer(opt_d)
        if not step.skipped:
            self.after_discriminator_step(step)
            self._call_hooks("on_after_discriminator_step")
        return step

    def _generator_update(self, batch: Batch, opt_g: LightningOptimizer) -> GeneratorStep:
        n = batch["real"].shape[0]
        self.toggle_optimizer(opt_g)
        z = self.sample_noise(n, self.noise_rng)
        fake_labels = self.sample_labels(n, self.noise_rng)
        step = GeneratorStep(batch=batch, z=z, fake=self.generate(z, fake_labels), fake_labels=fake_labels)
        self._call_hooks("on_generator_inputs", step)
        step.loss = self.generator_loss(step)
        self._call_hooks("on_generator_loss", step)
        opt_g.zero_grad(set_to_none=True)
        self.manual_backward(step.loss)
        opt_g.step()  # the one optimizer step Lightning counts: global_step == generator steps
        self.untoggle_optimizer(opt_g)
        if not step.skipped:
            self.after_generator_step(step)
            self._call_hooks("on_after_generator_step")
        return step

    def _step_without_counting(self, optimizer: LightningOptimizer) -> None:
        """Step ``optimizer`` through the strategy (precision, clipping hooks) without advancing global_step."""
        self.trainer.strategy.optimizer_step(optimizer.optimizer, closure=lambda: None)

    def _keep_logger_on_generator_clock(self) -> None:
        """Loggers use Lightning's batch counter as x-axis; hold it to the generator-step count.

        Lightning logs batch ``i`` at x = i after stepping to global_step i + 1 and then adds one;
        setting it to global_step - 1 keeps that convention with generator steps when n_critic > 1.
        """
        self.trainer.fit_loop.epoch_loop._batches_that_stepped = self.global_step - 1

    def _log_train_step(self, d_step: DiscriminatorStep, g_step: GeneratorStep) -> None:
        """Progress bar and callback metrics every generator step; loggers every ``log_every_n_steps``.

        Metrics go to loggers directly: Lightning would re-send the last values on the batches in
        between (discriminator-only batches when n_critic > 1), each at the same x.
        """
        losses = {"train/d_loss": d_step.loss.detach(), "train/g_loss": g_step.loss.detach()}
        extra = {
            "train/d_real_score": self._score(d_step.real_out),
            "train/d_fake_score": self._score(d_step.fake_out),
            **{k: v.detach() for k, v in d_step.logs.items()},
            **{k: v.detach() for k, v in g_step.logs.items()},
        }
        self.log_dict(losses, on_step=True, on_epoch=False, prog_bar=True, logger=False)
        self.log_dict(extra, on_step=True, on_epoch=False, logger=False)
        every = self.trainer.log_every_n_steps
        if self.loggers and every and self.global_step % every == 0 and self.trainer.is_global_zero:
            values = {k: float(v) for k, v in {**losses, **extra}.items()}
            values["epoch"] = self.current_epoch
            for logger in self.loggers:
                logger.log_metrics(values, step=self.global_step - 1)
                logger.save()

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

    def _call_hooks(self, name: str, *args: Any) -> None:
        for callback in self._hook_callbacks[name]:
            getattr(callback, name)(self.trainer, self, *args)

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

        D's objective on held-out real data against fixed-seed fakes, comparable across epochs.
        Variants add their own measures (class accuracy, reconstruction error) or replace these.
        """
        n = batch["real"].shape[0] // self.pack * self.pack  # a last partial pack of held-out data is left out
        if n == 0:
            return {}
        real, labels = batch["real"][:n], batch.get("label")
        labels = labels[:n] if labels is not None else None
        fake_labels = self.sample_labels(n, self._eval_rng)
        fake = self.generate(self.sample_noise(n, self._eval_rng), fake_labels)
        real_out = self.discriminate(real, labels)
        fake_out = self.discriminate(fake, fake_labels)
        return {
            "d_loss": self.loss.discriminator_loss(real_out, fake_out),
            "g_loss": self.loss.generator_loss(fake_out, real_out),
            "d_real_score": self._score(real_out),
            "d_fake_score": self._score(fake_out),
        }

    def predict_step(self, batch: Batch, batch_idx: int) -> Tensor:
        n = batch["index"].shape[0]
        rng = torch.Generator(device=self.device).manual_seed(int(batch["index"][0]))
        return self.sample(n, labels=batch.get("label"), generator=rng)

    # ------------------------------------------------------------------ setup and optimizers
    def setup(self, stage: str) -> None:
        for name in ("generator", "discriminator"):
            if not isinstance(getattr(self, name, None), nn.Module):
                raise ConfigError(f"{type(self).__name__} did not build a {name}: assign self.{name} in __init__.")
        if (self.conditional or self.requires_labels) and self.num_classes == 0:
            data_name = type(self.trainer.datamodule).__name__ if self.trainer.datamodule else "the data"
            raise ConfigError(
                f"{type(self).__name__} needs class labels, but {data_name} provides none (num_classes=0). "
                "Pick a labelled dataset (MNIST, FashionMNIST, CIFAR10) or an unconditional model."
            )
        batch_size = getattr(self.trainer.datamodule, "batch_size", None)
        if self.pack > 1 and batch_size is not None and batch_size % self.pack:
            raise ConfigError(
                f"model.init_args.pack={self.pack} needs a batch size divisible by it, but data.init_args.batch_size="
                f"{batch_size}. Set the batch size to a multiple of {self.pack}."
            )
        strategy = self.trainer.strategy
        if isinstance(strategy, DDPStrategy) and not strategy._ddp_kwargs.get("find_unused_parameters"):
            # G and D live in one module and each step updates only one of them.
            strategy._ddp_kwargs["find_unused_parameters"] = True
            rank_zero_info("lightgan: DDP set to find unused parameters (G and D are updated in turn).")

    def on_fit_start(self) -> None:
        self._hook_callbacks = {
            name: [cb for cb in self.trainer.callbacks if _defines_hook(cb, name)] for name in HOOK_NAMES
        }

    def configure_optimizers(self) -> Any:
        opt_g = self._make_optimizer(self.generator_parameters(), self.hparams.lr_g, self.hparams.betas_g)
        opt_d = self._make_optimizer(self.discriminator_parameters(), self.hparams.lr_d, self.hparams.betas_d)
        if self.lr_scheduler_factory is None:
            return [opt_g, opt_d]
        return [opt_g, opt_d], [self.lr_scheduler_factory(opt_g), self.lr_scheduler_factory(opt_d)]

    def _make_optimizer(self, params: Any, lr: float, betas: tuple[float, float]) -> torch.optim.Optimizer:
        kind, decay = self.hparams.optimizer, self.hparams.weight_decay
        if kind == "adam":
            return torch.optim.Adam(params, lr=lr, betas=tuple(betas), weight_decay=decay)
        if kind == "rmsprop":
            return torch.optim.RMSprop(params, lr=lr, weight_decay=decay)
        if kind == "sgd":
            return torch.optim.SGD(params, lr=lr, momentum=betas[0], weight_decay=decay)
        raise ConfigError(f"model.init_args.optimizer must be adam, rmsprop or sgd, got {kind!r}.")

    def on_before_optimizer_step(self, optimizer: torch.optim.Optimizer) -> None:
        is_generator = optimizer is self.trainer.optimizers[0]
        clip = self.hparams.gradient_clip_val_g if is_generator else self.hparams.gradient_clip_val_d
        if clip:
            self.clip_gradients(
                optimizer, gradient_clip_val=clip, gradient_clip_algorithm=self.hparams.gradient_clip_algorithm
            )

    # ------------------------------------------------------------------ checkpoints
    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        from lightgan import __version__

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
        checkpoint[_CHECKPOINT_KEY] = {
            "class_path": f"{cls.__module__}.{cls.__qualname__}",
            "version": __version__,
            "noise_rng_states": states,
            "critic_steps": self._critic_steps,
            "mode_centers": self.mode_centers,
            "structure_changes": self._structure_changes,
        }

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        saved = checkpoint.get(_CHECKPOINT_KEY) or {}
        for change in saved.get("structure_changes", []):
            self.change_structure(change["function"], **change["kwargs"])
        if any(k.startswith("generator_ema.") for k in checkpoint.get("state_dict", {})) and self.generator_ema is None:
            self.generator_ema = copy.deepcopy(self.generator).requires_grad_(False)
        if not saved:
            return
        self._critic_steps = saved.get("critic_steps", 0)
        self.mode_centers = saved.get("mode_centers")
        states = saved.get("noise_rng_states") or []
        rank = self.global_rank
        if rank < len(states):
            self._noise_rng_pending_state = states[rank]
            self._noise_rng = None


def _check_pack(cls: type[GANModule], pack: int) -> None:
    if not isinstance(pack, int) or pack < 1:
        raise ConfigError(f"model.init_args.pack must be an integer >= 1 (samples per D input), got {pack!r}.")
    if pack > 1 and (cls.conditional or cls.requires_labels):
        raise ConfigError(
            f"model.init_args.pack={pack}: packing needs an unconditional variant, but {cls.__name__} judges samples "
            "with their class labels. Use pack: 1, or an unconditional model such as GAN or DCGAN."
        )


def _defines_hook(callback: L.Callback, name: str) -> bool:
    method = getattr(type(callback), name, None)
    return method is not None and method is not getattr(GANCallback, name, None)
