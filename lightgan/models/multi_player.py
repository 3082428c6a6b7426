"""Bases of the variants that fight mode collapse with more players: several generators, or several discriminators.

``MultiGeneratorGAN`` keeps ``k`` generators in ``self.generator`` (a ``ModuleList``), trained
together by one generator player as their papers do (so they may share layers); a batch of
samples comes from the generators in contiguous blocks (``sample_sources``), so pictures show
one row, or one colour of points, per generator. ``MultiDiscriminatorGAN`` keeps ``K``
discriminators in ``self.discriminator``, players ``d0`` … ``d{K-1}``, each updated on fresh
fakes of its own; the generator's loss combines what they say (``combine``: the variant's
choice). Both build their networks like ``BackboneGAN`` (DCGAN for images, MLP/maxout for vectors).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from lightgan.core.hooks import DiscriminatorStep, GeneratorStep
from lightgan.core.losses import AdversarialLoss
from lightgan.core.players import DISCRIMINATOR, GENERATOR, Player
from lightgan.core.steps import ConditionalCritic
from lightgan.errors import ConfigError
from lightgan.models.backbone import BackboneGAN
from lightgan.models.checks import check_count


def blocks(n: int, k: int, device: torch.device | None = None) -> Tensor:
    """Which of ``k`` sources each of ``n`` samples comes from: contiguous blocks, as even as can be."""
    return torch.arange(n, device=device) * k // n


def weight_layer_spans(generator: nn.Module, owner: str) -> list[range]:
    """Module indices of each weight layer of the generator's ``net`` with the norm and activation after it.

    Only the layer-by-layer generators (``architecture: dcgan`` or ``mlp``) have such a ``net``; sharing
    layers of residual ones would share parts of blocks, so they are refused in one line.
    """
    net = getattr(generator, "net", None)
    if not isinstance(net, nn.Sequential):
        raise ConfigError(
            f"{owner} shares layers between its generators, which needs layer-by-layer generators, not "
            f"{type(generator).__name__}. Use model.init_args.architecture: dcgan or mlp, or share no layers."
        )
    starts = [i for i, module in enumerate(net) if isinstance(module, nn.Linear | nn.ConvTranspose2d | nn.Conv2d)]
    return [range(a, b) for a, b in zip(starts, [*starts[1:], len(net)], strict=True)]


class MultiGeneratorGAN(BackboneGAN):
    """``num_generators`` generators in ``self.generator`` (a ``ModuleList``), trained together by one player.

    Args:
        num_generators: k.
        **kwargs: everything ``BackboneGAN`` takes.
    """

    #: The fewest generators the variant works with.
    minimum_generators = 2
    count_argument = "num_generators"

    def __init__(self, num_generators: int = 4, **kwargs: Any) -> None:
        check_count(self.count_argument, num_generators, "a model of several generators", self.minimum_generators)
        super().__init__(**kwargs)
        self.num_generators = num_generators
        first = self.generator
        self.generator = nn.ModuleList([first, *(self.build_generator() for _ in range(num_generators - 1))])

    def share_layers(self, spans: list[range]) -> None:
        """Make every generator use the first one's modules in ``spans`` (parameters shared, trained once)."""
        first = self.generator[0].net
        for other in self.generator[1:]:
            for span in spans:
                for index in span:
                    other.net[index] = first[index]

    def sample_sources(self, n: int) -> Tensor | None:
        """Which generator makes each of ``n`` samples (contiguous blocks); None with a single one."""
        return blocks(n, self.num_generators) if self.num_generators > 1 else None

    def generate(self, z: Tensor | None, labels: Tensor | None = None, net: Any = None, **conditions: Tensor) -> Tensor:
        generators = net if net is not None else self.generator
        sources = blocks(len(z), self.num_generators, z.device)
        return torch.cat([generators[i](z[sources == i]) for i in range(self.num_generators) if (sources == i).any()])


class MultiDiscriminatorGAN(BackboneGAN):
    """``num_discriminators`` discriminators in ``self.discriminator``, players ``d0`` … ``d{K-1}``.

    Each discriminator is updated on the batch's reals and fakes drawn for it (its penalties
    differentiate it alone: ``step.critic``); the generator hears all of them, one loss per
    discriminator (``generator_losses``, logged as ``train/g_loss_d{i}``), combined by ``combine``.

    Args:
        num_discriminators: K.
        **kwargs: everything ``BackboneGAN`` takes.
    """

    def __init__(self, num_discriminators: int = 2, **kwargs: Any) -> None:
        check_count("num_discriminators", num_discriminators, "a model of several discriminators")
        super().__init__(**kwargs)
        self.num_discriminators = num_discriminators
        first = self.discriminator
        self.discriminator = nn.ModuleList(
            [first, *(self.build_discriminator() for _ in range(num_discriminators - 1))]
        )

    def players(self) -> list[Player]:
        judges = [self.player(f"d{i}", DISCRIMINATOR, (f"discriminator.{i}",)) for i in range(self.num_discriminators)]
        return [self.player("generator", GENERATOR, self.generator_networks), *judges]

    def judge(self, index: int, x: Tensor) -> Tensor:
        """Discriminator ``index``'s outputs for samples ``x`` (packed as configured)."""
        return self.discriminator[index](self.pack_samples(x))

    def loss_of(self, index: int) -> AdversarialLoss:
        """The objective discriminator ``index`` plays (all play ``loss``; D2GAN gives each its own)."""
        return self.loss

    def discriminate(self, x: Tensor, labels: Tensor | None = None, **conditions: Tensor) -> Tensor:
        raise ConfigError(
            f"{type(self).__name__} has {self.num_discriminators} discriminators: judge samples with "
            "judge(index, x) or a step's critic. Tricks that need a single discriminator do not apply to it."
        )

    def critic(self, player: str, conditions: dict[str, Tensor]) -> ConditionalCritic:
        if player.startswith("d") and player[1:].isdigit():
            index = int(player[1:])
            return lambda x, labels=None: self.judge(index, x)
        return super().critic(player, conditions)

    def discriminator_loss(self, step: DiscriminatorStep) -> Tensor:
        index = int(step.player[1:])
        step.real_out = self.judge(index, step.real)
        step.fake_out = self.judge(index, step.fake)
        return self.loss_of(index).discriminator_loss(step.real_out, step.fake_out, step.real_target, step.fake_target)

    def generator_losses(self, step: GeneratorStep) -> Tensor:
        """G's loss against each discriminator, a (K,) tensor; each is logged as ``train/g_loss_d{i}``."""
        losses = []
        for index in range(self.num_discriminators):
            loss = self.loss_of(index)
            fake_out = self.judge(index, step.fake)
            real_out = self.judge(index, step.batch["real"]) if loss.generator_needs_real else None
            losses.append(loss.generator_loss(fake_out, real_out))
            step.logs[f"train/g_loss_d{index}"] = losses[-1].detach()
        step.fake_out = fake_out
        return torch.stack(losses)

    def combine(self, losses: Tensor, step: GeneratorStep) -> Tensor:
        """G's adversarial loss from its loss against each discriminator: their mean unless a variant says otherwise."""
        return losses.mean()

    def generator_loss(self, step: GeneratorStep) -> Tensor:
        step.adversarial_loss = self.combine(self.generator_losses(step), step)
        return step.adversarial_loss
