"""Spectral normalisation (Miyato et al., 2018) applied to every weight layer of a network."""

from __future__ import annotations

from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

_WEIGHT_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose2d, nn.Embedding)


def normalisable_layers(module: nn.Module) -> list[nn.Module]:
    """The layers of ``module`` spectral norm applies to (linear, convolution, embedding)."""
    return [layer for layer in module.modules() if isinstance(layer, _WEIGHT_LAYERS)]


def apply_spectral_norm(module: nn.Module, n_power_iterations: int = 1) -> nn.Module:
    """Constrain each linear/convolutional layer's largest singular value to 1, in place."""
    for layer in list(module.modules()):
        if isinstance(layer, _WEIGHT_LAYERS) and not has_spectral_norm(layer):
            spectral_norm(layer, n_power_iterations=n_power_iterations)
    return module


def has_spectral_norm(layer: nn.Module) -> bool:
    parametrizations = getattr(layer, "parametrizations", None)
    return parametrizations is not None and "weight" in parametrizations
