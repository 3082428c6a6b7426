"""``GameWatch``: what the players of a GAN do to each other, in numbers, and an alarm when D wins outright.

A discriminator that wins the game outright (its loss near 0) gives the generator gradients that
vanish or point nowhere, and the generator's loss climbs: the classic failure of a GAN whose D
is too strong. Before that shows in the samples it shows in three numbers: D's loss, G's loss
and the size of the updates. The largest singular value of each of D's weight layers bounds how
sharply D can change its verdict (spectral norm fixes it at 1); the gradient norms show which
player is moving.
"""

from __future__ import annotations

from typing import Any

import lightning as L
import torch
from lightning.pytorch.utilities import rank_zero_warn
from torch import Tensor, nn

from lightgan.core.hooks import DiscriminatorStep, GANCallback, GeneratorStep
from lightgan.core.losses import HingeLoss, LeastSquaresLoss, MinimaxLoss, NonSaturatingLoss
from lightgan.core.module import GANModule
from lightgan.errors import ConfigError

#: Losses whose D loss is never below 0, so "near 0" means D separates real from fake.
_FLOORED_AT_ZERO = (MinimaxLoss, NonSaturatingLoss, LeastSquaresLoss, HingeLoss)
ADVICE = (
    "Try: a lower lr_d (or lr_g > lr_d, TTUR), fewer n_critic, LabelSmoothing, InstanceNoise, R1Penalty or "
    "SpectralNorm on D, DiffAugment or ADA when the data set is small."
)


def largest_singular_value(weight: Tensor, iterations: int = 30) -> float:
    """The largest singular value of a weight (a convolution as out_channels x the rest), by power iteration."""
    matrix = weight.detach().float().flatten(1)
    v = torch.randn(matrix.shape[1], generator=torch.Generator().manual_seed(0)).to(matrix.device)
    for _ in range(iterations):
        u = matrix @ v
        u = u / u.norm().clamp(min=1e-12)
        v = matrix.t() @ u
        v = v / v.norm().clamp(min=1e-12)
    return float((matrix @ v).norm())


def weight_layers(network: nn.Module) -> dict[str, Tensor]:
    """The weights of a network's linear and convolutional layers, by module name."""
    layers = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.ConvTranspose2d)
    return {name: module.weight for name, module in network.named_modules() if isinstance(module, layers)}


def gradient_norm(parameters: Any) -> float:
    grads = [p.grad.detach().float() for p in parameters if p.grad is not None]
    return float(torch.sqrt(sum((g**2).sum() for g in grads))) if grads else 0.0


class GameWatch(GANCallback):
    """Every ``every_n_steps`` generator steps, log per discriminator player and weight layer
    ``game/<player>_sigma/<layer>`` (largest singular value, by power iteration), each player's
    gradient norm ``game/<player>_grad_norm`` (before clipping), and ``game/d_wins`` (1 when the
    alarm is on).

    The alarm: when D's mean loss over the last ``every_n_steps`` steps stays below ``d_loss_floor``
    for ``patience`` checks in a row while G's mean loss rose over them, a warning names the step,
    both losses and what to try. It watches losses that cannot fall below 0 (minimax,
    non-saturating, least squares, hinge); with several discriminators, the one that loses most.

    Args:
        every_n_steps: generator steps between measurements.
        d_loss_floor: D's loss below which D counts as winning outright.
        patience: checks in a row D must win before the alarm.
    """

    def __init__(self, every_n_steps: int = 100, d_loss_floor: float = 0.05, patience: int = 2) -> None:
        if not isinstance(every_n_steps, int) or every_n_steps < 1:
            raise ConfigError(f"GameWatch every_n_steps must be an integer >= 1, got {every_n_steps!r}.")
        if not d_loss_floor > 0:
            raise ConfigError(f"GameWatch d_loss_floor must be positive, got {d_loss_floor!r}.")
        if not isinstance(patience, int) or patience < 1:
            raise ConfigError(f"GameWatch patience must be an integer >= 1, got {patience!r}.")
        self.every_n_steps, self.d_loss_floor, self.patience = every_n_steps, d_loss_floor, patience
        self.alarm_step: int | None = None
        self._due = False
        self._grad_norms: dict[str, float] = {}
        self._step_d_losses: list[Tensor] = []
        self._d_losses: list[Tensor] = []
        self._g_losses: list[Tensor] = []
        #: (D's worst mean loss, G's mean loss) of each past window.
        self.windows: list[tuple[float, float]] = []

    def setup(self, trainer: L.Trainer, pl_module: GANModule, stage: str) -> None:
        self._watches_alarm = isinstance(pl_module.loss, _FLOORED_AT_ZERO)

    def on_train_batch_start(self, trainer: L.Trainer, pl_module: GANModule, batch: Any, batch_idx: int) -> None:
        self._due = trainer.global_step % self.every_n_steps == 0
        self._step_d_losses: list[Tensor] = []

    def _record(self, pl_module: GANModule, step: DiscriminatorStep | GeneratorStep) -> None:
        player = pl_module.find_player(step.player)
        if self._due:
            self._grad_norms[player.log_name] = gradient_norm(pl_module.player_parameters(player))

    def on_before_discriminator_step(self, trainer: L.Trainer, pl_module: GANModule, step: DiscriminatorStep) -> None:
        self._record(pl_module, step)
        self._step_d_losses.append(step.loss.detach())

    def on_before_generator_step(self, trainer: L.Trainer, pl_module: GANModule, step: GeneratorStep) -> None:
        self._record(pl_module, step)
        self._g_losses.append(step.loss.detach())

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: GANModule, *args: Any) -> None:
        if self._step_d_losses:
            self._d_losses.append(torch.stack(self._step_d_losses).max())
        if not self._due:
            return
        logs: dict[str, float] = {f"game/{name}_grad_norm": value for name, value in self._grad_norms.items()}
        for player in pl_module.players_of("discriminator"):
            for network in player.networks:
                for layer, weight in weight_layers(pl_module.get_submodule(network)).items():
                    logs[f"game/{player.log_name}_sigma/{network}.{layer}"] = largest_singular_value(weight)
        logs["game/d_wins"] = float(self._check_alarm(trainer.global_step))
        pl_module.log_dict(logs, on_step=True, on_epoch=False)
        self._grad_norms = {}

    def _check_alarm(self, step: int) -> bool:
        """Close the window of losses since the last check; True while D has won ``patience`` windows in a row."""
        if not self._watches_alarm or not self._d_losses or not self._g_losses:
            return False
        self.windows.append((float(torch.stack(self._d_losses).mean()), float(torch.stack(self._g_losses).mean())))
        self._d_losses, self._g_losses = [], []
        if len(self.windows) <= self.patience:
            return False
        recent = self.windows[-self.patience :]
        before = self.windows[-self.patience - 1]
        winning = all(d < self.d_loss_floor for d, _ in recent) and recent[-1][1] > before[1]
        if winning and self.alarm_step is None:
            self.alarm_step = step
            d_loss, g_loss = recent[-1]
            rank_zero_warn(
                f"GameWatch: at generator step {step} the discriminator wins outright: its loss has stayed below "
                f"{self.d_loss_floor} for {self.patience * self.every_n_steps} steps (now {d_loss:.4f}) while the "
                f"generator's rose from {before[1]:.3f} to {g_loss:.3f}. {ADVICE}"
            )
        elif not winning:
            self.alarm_step = None  # the game recovered: warn again if it is lost again
        return winning
