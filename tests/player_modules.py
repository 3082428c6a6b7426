"""Two modules that exist to prove the 0.2 contract for the families to come, and their data.

- ``CycleShaped``: CycleGAN's shape: two generators (A -> B, B -> A) and two discriminators,
  four players with an optimizer each; the generators take images in, not noise.
- ``KGenerators``: MAD-GAN's shape: ``k`` generators, each a player of its own, one discriminator.

They are deliberately tiny and state only what differs from ``GANModule``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from lightgan.api import GANDataModule, GANModule
from lightgan.core.players import DISCRIMINATOR, GENERATOR, Player
from lightgan.core.steps import ConditionalCritic, DiscriminatorStep, GeneratorStep

SIZE = 8


class DomainPairs:
    """Samples of two domains under the batch keys ``source`` (A) and ``real`` (B)."""

    def __init__(self, source: Tensor, real: Tensor) -> None:
        self.source, self.real = source, real

    def __len__(self) -> int:
        return len(self.real)

    def __getitem__(self, index: Tensor) -> dict[str, Tensor]:
        return {"real": self.real[index], "source": self.source[index]}


def _squares(n: int, rng: torch.Generator) -> Tensor:
    """Dark 8x8 images with a bright 3x3 square somewhere, in [-1, 1]."""
    images = torch.full((n, 1, SIZE, SIZE), -1.0)
    corners = torch.randint(0, SIZE - 3, (n, 2), generator=rng)
    for image, (row, col) in zip(images, corners.tolist(), strict=True):
        image[:, row : row + 3, col : col + 3] = 1.0
    return images


class TwoDomains(GANDataModule):
    """Unpaired images of two domains: A, bright squares on black; B, dark squares on white (A inverted).

    A and B are drawn independently, so the pairs in a batch do not correspond.
    """

    def __init__(self, num_samples: int = 96, val_samples: int = 16, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.num_samples, self.val_samples = num_samples, val_samples
        self.data_shape = (1, SIZE, SIZE)

    def setup(self, stage: str) -> None:
        if self.train_set is None:
            rng = torch.Generator().manual_seed(0)
            self.train_set = DomainPairs(_squares(self.num_samples, rng), -_squares(self.num_samples, rng))
            self.val_set = DomainPairs(_squares(self.val_samples, rng), -_squares(self.val_samples, rng))


def _translator() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 1, 3, padding=1), nn.Tanh())


def _patch_critic() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.LeakyReLU(0.2), nn.Conv2d(4, 1, 3, padding=1))


class CycleShaped(GANModule):
    """``g_ab``/``g_ba`` translate between the domains; ``d_a``/``d_b`` judge each domain; cycle consistency."""

    input_conditions = ("source",)
    takes_noise = False
    sampling_networks = ("g_ab",)

    def __init__(self, cycle_weight: float = 10.0, loss: str = "least_squares", **kwargs: Any) -> None:
        super().__init__(loss=loss, **kwargs)
        self.cycle_weight = cycle_weight
        self.g_ab, self.g_ba = _translator(), _translator()
        self.d_a, self.d_b = _patch_critic(), _patch_critic()

    def players(self) -> list[Player]:
        return [
            self.player("g_ab", GENERATOR, ["g_ab"]),
            self.player("g_ba", GENERATOR, ["g_ba"]),
            self.player("d_a", DISCRIMINATOR, ["d_a"]),
            self.player("d_b", DISCRIMINATOR, ["d_b"]),
        ]

    def generate(self, z: Tensor | None, labels: Tensor | None = None, net: Any = None, **conditions: Tensor) -> Tensor:
        return self.g_ab(conditions["source"])

    def critic(self, player: str, conditions: dict[str, Tensor]) -> ConditionalCritic:
        network = {"d_a": self.d_a, "g_ba": self.d_a, "d_b": self.d_b, "g_ab": self.d_b}[player]
        return lambda x, labels=None: network(x).flatten(1).mean(1)

    def discriminator_context(self, batch: dict[str, Any], player: Player, rng: torch.Generator) -> DiscriminatorStep:
        a, b = batch["source"], batch["real"]
        with torch.no_grad():
            real, fake = (b, self.g_ab(a)) if player.name == "d_b" else (a, self.g_ba(b))
        return DiscriminatorStep(
            batch=batch, real=real, fake=fake, player=player.name, critic=self.critic(player.name, {}), rng=rng
        )

    def generator_context(self, batch: dict[str, Any], player: Player, rng: torch.Generator) -> GeneratorStep:
        source = batch["source"] if player.name == "g_ab" else batch["real"]
        return GeneratorStep(
            batch=batch,
            z=None,
            fake=self.get_submodule(player.name)(source),
            player=player.name,
            conditions={"source": source},
            critic=self.critic(player.name, {}),
            rng=rng,
        )

    def discriminator_loss(self, step: DiscriminatorStep) -> Tensor:
        step.real_out, step.fake_out = step.critic(step.real, None), step.critic(step.fake, None)
        return self.loss.discriminator_loss(step.real_out, step.fake_out, step.real_target, step.fake_target)

    def generator_loss(self, step: GeneratorStep) -> Tensor:
        step.fake_out = step.critic(step.fake, None)
        back = self.g_ba if step.player == "g_ab" else self.g_ab
        cycle = (back(step.fake) - step.conditions["source"]).abs().mean()
        step.logs[f"train/{step.player}_cycle"] = cycle.detach()
        return self.adversarial_generator_loss(step) + self.cycle_weight * cycle


class KGenerators(GANModule):
    """``k`` fully connected generators, each its own player; the discriminator sees all of them."""

    sampling_networks = ("generators",)

    def __init__(self, k: int = 3, hidden: int = 16, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        width = self.data_shape[0]
        self.generators = nn.ModuleList(
            nn.Sequential(nn.Linear(self.latent_dim, hidden), nn.ReLU(), nn.Linear(hidden, width)) for _ in range(k)
        )
        self.discriminator = nn.Sequential(nn.Linear(width, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, 1))

    def players(self) -> list[Player]:
        generators = [self.player(f"g{i}", GENERATOR, [f"generators.{i}"]) for i in range(len(self.generators))]
        return [*generators, self.player("discriminator", DISCRIMINATOR, ["discriminator"])]

    def generate(self, z: Tensor | None, labels: Tensor | None = None, net: Any = None, **conditions: Tensor) -> Tensor:
        """Sample i comes from generator i mod k."""
        out = torch.empty(len(z), self.data_shape[0], device=z.device)
        for i, generator in enumerate(self.generators):
            out[i :: len(self.generators)] = generator(z[i :: len(self.generators)])
        return out

    def discriminate(self, x: Tensor, labels: Tensor | None = None, **conditions: Tensor) -> Tensor:
        return self.discriminator(x).view(-1)

    def generator_context(self, batch: dict[str, Any], player: Player, rng: torch.Generator) -> GeneratorStep:
        """Each generator player learns from its own fakes."""
        z = self.draw_inputs(len(batch["real"]), rng).z
        fake = self.get_submodule(player.networks[0])(z)
        return GeneratorStep(batch=batch, z=z, fake=fake, player=player.name, critic=self.discriminate, rng=rng)
