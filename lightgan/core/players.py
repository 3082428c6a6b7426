"""Players: the networks of a GAN that each have an optimizer and an update of their own.

A classic GAN has two players, the generator and the discriminator. CycleGAN has two of each,
MAD-GAN several generators, GMAN several discriminators. A player names the module
attributes it trains (``networks``), its ``role`` (which decides where its update falls in a
training step: every discriminator, then every generator) and its optimizer settings.

Each player's Adam is PyTorch's default implementation: the loop over tensors on the CPU, the
multi-tensor (``foreach``) kernels on CUDA. ``benchmarks/optimizers.py`` times the others on a
DCGAN's parameters (torch 2.14, one CPU thread, 2 cores shared with other work): ``foreach`` takes
the step 1.8x faster with bitwise the same weights, ``fused`` 5x faster with weights within 1.5e-8
of the loop's after 20 steps in float32 (one ulp apart in bfloat16). Either saves at most 2% of a
training step, since Adam is 1.5 to 2.2% of one at batch 64 (1x28x28 and 3x64x64). That is not
worth an option: ``fused`` weights no longer match a run with the loop (or a hand-written
reference) bit for bit, and Lightning refuses per-player gradient clipping with a fused optimizer
under ``16-mixed`` precision, where the optimizer unscales the gradients itself. A state saved by
one implementation loads in another, but the flags saved with it win on resume.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from lightgan.errors import ConfigError

Role = Literal["generator", "discriminator"]
GENERATOR: Role = "generator"
DISCRIMINATOR: Role = "discriminator"
ROLES: tuple[Role, ...] = (DISCRIMINATOR, GENERATOR)  # the order of updates within one training step

#: Optimizer settings a player may override (``model.init_args.player_settings.<name>.<key>``).
SETTING_KEYS = ("lr", "betas", "weight_decay", "gradient_clip_val")


@dataclass(frozen=True)
class Player:
    """One optimizer's worth of a GAN: what it trains, its role in the step, and its optimizer settings."""

    name: str
    role: Role
    #: Attribute names (dotted for submodules, e.g. ``generators.0``) of the networks it trains.
    networks: tuple[str, ...]
    lr: float
    betas: tuple[float, float]
    weight_decay: float = 0.0
    gradient_clip_val: float | None = None

    @property
    def log_name(self) -> str:
        """How logged metrics name the player: ``g``/``d`` for the classic pair, else its own name."""
        return {GENERATOR: "g", DISCRIMINATOR: "d"}.get(self.name, self.name)


def check_player_settings(settings: Mapping[str, Mapping[str, Any]] | None) -> dict[str, dict[str, Any]]:
    """``player_settings`` as plain dicts, with unknown keys named (player names are checked at setup)."""
    checked: dict[str, dict[str, Any]] = {}
    for name, values in (settings or {}).items():
        if not isinstance(values, Mapping):
            raise ConfigError(
                f"model.init_args.player_settings.{name} must be a mapping of {', '.join(SETTING_KEYS)}, "
                f"got {values!r}."
            )
        unknown = sorted(set(values) - set(SETTING_KEYS))
        if unknown:
            raise ConfigError(
                f"model.init_args.player_settings.{name}: unknown setting(s) {unknown}. "
                f"A player's settings are {', '.join(SETTING_KEYS)}."
            )
        lr = values.get("lr")
        if lr is not None and not lr > 0:
            raise ConfigError(f"model.init_args.player_settings.{name}.lr must be positive, got {lr!r}.")
        if values.get("betas") is not None:
            check_betas(f"model.init_args.player_settings.{name}.betas", values["betas"])
        checked[str(name)] = dict(values)
    return checked


def check_betas(key: str, betas: Any) -> None:
    """Adam's betas: two numbers in [0, 1), named with the key that set them."""
    values = list(betas) if isinstance(betas, list | tuple) else [betas]
    if len(values) != 2 or not all(isinstance(b, int | float) and 0 <= b < 1 for b in values):
        raise ConfigError(
            f"{key} must be two numbers in [0, 1) (Adam's decay rates), got {betas!r}. The usual choices are "
            "[0.5, 0.999] and, for WGAN-GP, [0.0, 0.9]."
        )


def check_players(
    owner: str, players: list[Player], settings: Mapping[str, Any], roles: tuple[Role, ...] = ROLES
) -> None:
    """Player names unique, every one of ``roles`` present (a variant without a discriminator asks for the
    generator only), every ``player_settings`` entry naming a player."""
    names = [p.name for p in players]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ConfigError(f"{owner} declares the player name(s) {repeated} more than once; player names must differ.")
    missing = [role for role in roles if not any(p.role == role for p in players)]
    if missing:
        raise ConfigError(f"{owner} declares no {' and no '.join(missing)} player; a GAN needs at least one of each.")
    unknown = sorted(set(settings) - set(names))
    if unknown:
        raise ConfigError(
            f"model.init_args.player_settings names {unknown}, but {owner}'s players are {names}. "
            "Use one of those names."
        )
