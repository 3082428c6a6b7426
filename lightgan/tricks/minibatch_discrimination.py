"""Minibatch discrimination as a callback: put the layer of ``lightgan.nets.minibatch`` before D's head.

The change is made at setup, before the optimizers exist, so D's optimizer trains the new
layer; it is recorded in the model, so checkpoints load back into the same structure.
"""

from __future__ import annotations

import lightning as L
import torch
from torch import nn

from lightgan.core.module import GANModule
from lightgan.errors import ConfigError
from lightgan.nets.minibatch import MinibatchDiscriminationHead


def insert_minibatch_discrimination(pl_module: GANModule, num_kernels: int, kernel_dim: int) -> None:
    """Wrap ``pl_module.discriminator.head`` in a ``MinibatchDiscriminationHead`` (once)."""
    discriminator = pl_module.discriminator
    head = getattr(discriminator, "head", None)
    if not isinstance(head, nn.Module):
        children = ", ".join(name for name, _ in discriminator.named_children()) or "none"
        raise ConfigError(
            f"MinibatchDiscrimination inserts its layer before the discriminator's `head`, but "
            f"{type(discriminator).__name__} has no `head` submodule (its submodules: {children})."
        )
    if isinstance(head, MinibatchDiscriminationHead):
        return
    in_features, out_features = _head_sizes(pl_module, head)
    new_head = MinibatchDiscriminationHead(head, in_features, out_features, num_kernels, kernel_dim)
    reference = next(head.parameters(), None)
    discriminator.head = new_head.to(reference.device) if reference is not None else new_head


def _head_sizes(pl_module: GANModule, head: nn.Module) -> tuple[int, int]:
    """Per-sample sizes of the head's input and output, found by one forward pass in eval mode."""
    seen: dict[str, torch.Tensor] = {}

    def record(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        seen["in"], seen["out"] = inputs[0], output

    discriminator = pl_module.discriminator
    device = next(discriminator.parameters()).device
    n = 2 * pl_module.pack  # two D outputs
    probe = torch.zeros(n, *pl_module.data_shape, device=device)
    labels = torch.zeros(n, dtype=torch.long, device=device) if pl_module.num_classes else None
    handle = head.register_forward_hook(record)
    was_training = discriminator.training
    discriminator.eval()
    try:
        with torch.no_grad():
            pl_module.discriminate(probe, labels, **pl_module.example_conditions(n, device))
    finally:
        handle.remove()
        discriminator.train(was_training)
    return seen["in"][0].numel(), seen["out"][0].numel()


class MinibatchDiscrimination(L.Callback):
    """Append minibatch features (``num_kernels`` kernels of ``kernel_dim`` dimensions) before D's head.

    Args:
        num_kernels: B, the number of closeness values appended per sample.
        kernel_dim: C, the dimension in which each kernel compares samples.
    """

    def __init__(self, num_kernels: int = 100, kernel_dim: int = 5) -> None:
        if num_kernels < 1 or kernel_dim < 1:
            raise ConfigError(
                f"MinibatchDiscrimination num_kernels and kernel_dim must be >= 1, got {num_kernels}, {kernel_dim}."
            )
        self.num_kernels, self.kernel_dim = num_kernels, kernel_dim

    def setup(self, trainer: L.Trainer, pl_module: GANModule, stage: str) -> None:
        pl_module.sole_player("discriminator", "MinibatchDiscrimination")
        pl_module.change_structure(
            f"{__name__}.insert_minibatch_discrimination", num_kernels=self.num_kernels, kernel_dim=self.kernel_dim
        )
