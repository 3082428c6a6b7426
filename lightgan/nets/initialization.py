"""Weight initialisation schemes a config can name (``model.init_args.init``).

A scheme re-draws the weight of every linear and convolution layer from the global RNG and sets
its bias to zero, as DCGAN's and ALI's (so PacGAN's) code do; normalisation layers keep their own
initialisation. ``default`` leaves a network as built: PyTorch's initialisation, DCGAN's for the
DCGAN networks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, get_args

from torch import Tensor, nn

from lightgan.errors import ConfigError

_WEIGHT_LAYERS = (
    nn.Linear,
    nn.Conv1d,
    nn.Conv2d,
    nn.Conv3d,
    nn.ConvTranspose1d,
    nn.ConvTranspose2d,
    nn.ConvTranspose3d,
)

InitScheme = Literal["default", "normal_0.02", "xavier", "kaiming", "kaiming_uniform", "orthogonal"]
INIT_SCHEMES: tuple[str, ...] = get_args(InitScheme)

#: How each scheme but ``default`` draws a weight.
_DRAWS: dict[str, Callable[[Tensor], Tensor]] = {
    "normal_0.02": lambda weight: nn.init.normal_(weight, 0.0, 0.02),
    "xavier": nn.init.xavier_uniform_,  # Glorot & Bengio: variance 2 / (fan_in + fan_out)
    "kaiming": lambda weight: nn.init.kaiming_normal_(weight, nonlinearity="relu"),  # He et al.: variance 2 / fan_in
    # the same variance drawn uniformly, as the WGAN-GP authors' tflib does ('he')
    "kaiming_uniform": lambda weight: nn.init.kaiming_uniform_(weight, nonlinearity="relu"),
    "orthogonal": nn.init.orthogonal_,  # Saxe et al.: orthonormal rows (or columns)
}


def init_weights(network: nn.Module, scheme: str) -> nn.Module:
    """``network``, its linear and convolution layers re-drawn in place per ``scheme`` (``default``: untouched)."""
    if scheme not in INIT_SCHEMES:
        raise ConfigError(f"model.init_args.init must be one of {', '.join(INIT_SCHEMES)}, got {scheme!r}.")
    if scheme != "default":
        network.apply(lambda layer: init_layer(layer, scheme))
    return network


def init_layer(layer: nn.Module, scheme: str) -> None:
    """One module re-drawn per ``scheme`` (weight drawn, bias zeroed) if it is a linear or convolution layer."""
    if isinstance(layer, _WEIGHT_LAYERS):
        _DRAWS[scheme](layer.weight)
        if layer.bias is not None:
            nn.init.zeros_(layer.bias)
