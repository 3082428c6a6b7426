"""E-GAN (Wang et al., 2019): a population of generators evolved against one discriminator."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from lightning.pytorch.core.optimizer import LightningOptimizer
from torch import Tensor

from lightgan.core.hooks import GeneratorStep
from lightgan.core.losses import NonSaturatingLoss
from lightgan.core.players import GENERATOR, Player
from lightgan.core.steps import Step
from lightgan.errors import ConfigError
from lightgan.models.multi_player import MultiGeneratorGAN

#: The mutations: G's objectives on D's logits v of its fakes (the paper's Eqs. 5-7, halves included).
MUTATIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "minimax": lambda v: -0.5 * F.softplus(v).mean(),  # ½ E log(1 - D(G(z)))
    "heuristic": lambda v: 0.5 * F.softplus(-v).mean(),  # -½ E log D(G(z))
    "least_squares": lambda v: ((torch.sigmoid(v) - 1) ** 2).mean(),  # E (D(G(z)) - 1)²
}


@dataclass
class _Child:
    fitness: float
    quality: float
    diversity: float
    mutation: str
    state: tuple[dict[str, Tensor], list[dict[str, Any]]]
    step: Step


class EGAN(MultiGeneratorGAN):
    """Each training step, every parent generator makes one child per mutation; the fittest survive.

    A child is a copy of its parent (weights and optimizer state) after one update with the
    mutation's objective: ``minimax`` (½ E log(1 - D(G(z)))), ``heuristic`` (the non-saturating
    -½ E log D(G(z))) or ``least_squares`` (E (D(G(z)) - 1)²). Its fitness is quality + gamma·diversity:
    quality is D's mean probability that the child's fakes are real, diversity is
    -log ‖∇_D L_D‖ (a child whose fakes leave D's loss flat spreads over the data; this is the
    paper's sign, the authors' code uses +log). All children are scored on the same batch and
    noise; the ``population_size`` fittest become the parents. D trains as in a GAN on fakes of
    the whole population.

    Logged: which mutation won (``train/egan_won_<mutation>``, 1 or 0), each mutation's share of
    the wins so far (``train/egan_share_<mutation>``, kept in checkpoints), and the winner's
    ``train/egan_fitness``, ``egan_quality`` and ``egan_diversity``. Samples come from the
    population in blocks, as D sees them. E-GAN runs on one process: the population would differ
    between processes.

    Args:
        population_size: μ, the parents kept (the paper uses 1).
        mutations: the objectives children are made with.
        gamma: gamma, the weight of diversity in the fitness.
        **kwargs: everything ``BackboneGAN`` takes except ``loss``.
    """

    fixed_loss = True
    minimum_generators = 1
    count_argument = "population_size"

    def __init__(
        self,
        population_size: int = 1,
        mutations: tuple[str, ...] = ("minimax", "heuristic", "least_squares"),
        gamma: float = 0.1,
        **kwargs: Any,
    ) -> None:
        unknown = [m for m in mutations if m not in MUTATIONS]
        if unknown or not mutations:
            raise ConfigError(
                f"model.init_args.mutations must name some of {', '.join(MUTATIONS)}, got {list(mutations)!r}."
            )
        if not gamma >= 0:
            raise ConfigError(f"model.init_args.gamma must be >= 0 (0: fitness is quality alone), got {gamma!r}.")
        super().__init__(num_generators=population_size, loss=NonSaturatingLoss(), **kwargs)
        self.hparams.pop("num_generators", None)  # population_size says it
        self.mutations, self.gamma = tuple(mutations), gamma
        self.register_buffer("mutation_wins", torch.zeros(len(MUTATIONS)))
        self._evolving: tuple[int, str] | None = None

    def setup(self, stage: str) -> None:
        if self.trainer.world_size > 1:
            raise ConfigError(
                f"EGAN evolves one population, which {self.trainer.world_size} processes would each evolve their own "
                "way. Train it on one device (trainer.devices: 1)."
            )
        super().setup(stage)

    # ------------------------------------------------------------------ one child
    @contextlib.contextmanager
    def evolving(self, parent: int, mutation: str) -> Iterator[None]:
        """Generator updates made meanwhile train parent ``parent`` alone, with ``mutation``'s objective."""
        self._evolving = (parent, mutation)
        try:
            yield
        finally:
            self._evolving = None

    def generate(self, z: Tensor | None, labels: Tensor | None = None, net: Any = None, **conditions: Tensor) -> Tensor:
        if self._evolving is not None:
            return self.generator[self._evolving[0]](z)
        return super().generate(z, labels, net, **conditions)

    def generator_loss(self, step: GeneratorStep) -> Tensor:
        step.fake_out = self.discriminate(step.fake)
        mutation = self._evolving[1] if self._evolving is not None else "heuristic"
        step.adversarial_loss = MUTATIONS[mutation](step.fake_out)
        return step.adversarial_loss

    def fitness(self, parent: int, real: Tensor, z: Tensor) -> tuple[float, float, float]:
        """(fitness, quality, diversity) of generator ``parent`` now, on the real batch and noise ``z``."""
        with torch.no_grad():
            fake = self.generator[parent](z)
        fake_out = self.discriminate(fake)
        d_loss = self.loss.discriminator_loss(self.discriminate(real), fake_out)
        weights = [p for p in self.discriminator.parameters() if p.requires_grad]
        grads = torch.autograd.grad(d_loss, weights)
        norm = torch.sqrt(sum((g.float() ** 2).sum() for g in grads))
        quality = torch.sigmoid(fake_out.detach()).mean().item()
        diversity = -torch.log(norm.clamp(min=1e-12)).item()
        return quality + self.gamma * diversity, quality, diversity

    # ------------------------------------------------------------------ the population
    def snapshot(self, parent: int, optimizer: torch.optim.Optimizer) -> tuple[dict[str, Tensor], list[dict]]:
        """Generator ``parent``'s weights and optimizer state, copied."""
        net = self.generator[parent]
        weights = {key: value.detach().clone() for key, value in net.state_dict().items()}
        return weights, [copy.deepcopy(optimizer.state.get(p, {})) for p in net.parameters()]

    def restore(self, slot: int, state: tuple[dict[str, Tensor], list[dict]], optimizer: torch.optim.Optimizer) -> None:
        """Put a snapshot (of any member) into generator ``slot`` with its optimizer state."""
        weights, states = state
        net = self.generator[slot]
        net.load_state_dict(weights)
        for param, param_state in zip(net.parameters(), states, strict=True):
            optimizer.state[param] = copy.deepcopy(param_state)

    def update(self, player: Player, optimizer: LightningOptimizer, batch: dict[str, Any]) -> Step:
        if player.role != GENERATOR:
            return super().update(player, optimizer, batch)
        torch_optimizer = optimizer.optimizer
        parents = [self.snapshot(i, torch_optimizer) for i in range(self.num_generators)]
        real = batch["real"]
        z = self.sample_noise(len(real), self.noise_rng)  # every child is judged on the same noise
        children: list[_Child] = []
        for parent, state in enumerate(parents):
            for mutation in self.mutations:
                self.restore(parent, state, torch_optimizer)
                with self.evolving(parent, mutation):
                    step = self.apply_update(player, optimizer, batch)
                if step.skipped:  # a trick undid the step (NaNGuard's restore): the run goes back, not on
                    return step
                scores = self.fitness(parent, real, z)
                children.append(_Child(*scores, mutation, self.snapshot(parent, torch_optimizer), step))
        survivors = sorted(children, key=lambda child: child.fitness, reverse=True)[: self.num_generators]
        for slot, child in enumerate(survivors):
            self.restore(slot, child.state, torch_optimizer)
        best = survivors[0]
        self._log_evolution(best)
        self.finish_update(best.step)
        return best.step

    def _log_evolution(self, best: _Child) -> None:
        names = list(MUTATIONS)
        self.mutation_wins[names.index(best.mutation)] += 1
        shares = self.mutation_wins / self.mutation_wins.sum()
        logs = best.step.logs
        for index, name in enumerate(names):
            if name in self.mutations:
                logs[f"train/egan_won_{name}"] = torch.tensor(float(name == best.mutation))
                logs[f"train/egan_share_{name}"] = shares[index]
        logs["train/egan_fitness"] = torch.tensor(best.fitness)
        logs["train/egan_quality"] = torch.tensor(best.quality)
        logs["train/egan_diversity"] = torch.tensor(best.diversity)
