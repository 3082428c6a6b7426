"""Feature matching (Salimans et al., 2016): G matches the statistics of real data inside D.

Instead of (or besides) fooling D, G minimises ||E f(x) - E f(G(z))||^2 where f is an
intermediate layer of D. The target moves slowly, which stabilises training when D wins easily.
"""

from __future__ import annotations

from typing import Any

import lightning as L
import torch
from torch import Tensor, nn
from torch.utils.hooks import RemovableHandle

from lightgan.core.hooks import DiscriminatorStep, GANCallback, GeneratorStep
from lightgan.core.module import GANModule
from lightgan.errors import ConfigError
from lightgan.nets.buffers import scratch_buffers


class FeatureMatching(GANCallback):
    """Replace G's adversarial loss by ``weight * ||mean f(real) - mean f(fake)||^2 + adversarial_weight * it``.

    Only the adversarial term (``step.adversarial_loss``) is reweighted: a variant's own terms
    (InfoGAN's information, AC-GAN's classes, EBGAN's pulling-away) and penalties added by
    other callbacks stay. The real images are those D saw in its last step, after any
    augmentation or noise, so both sides of the distance went through the same transforms.

    Args:
        layer: name of the discriminator submodule whose output is f (``features``, the
            penultimate representation of every lightgan discriminator, or e.g. ``features.3``).
        weight: factor of the feature-matching term.
        adversarial_weight: factor of G's adversarial loss (0: feature matching alone, as in the paper).
    """

    def __init__(self, layer: str = "features", weight: float = 1.0, adversarial_weight: float = 0.0) -> None:
        self.layer, self.weight, self.adversarial_weight = layer, weight, adversarial_weight
        self._handle: RemovableHandle | None = None
        self._captured: Tensor | None = None
        self._real: tuple[Tensor, Tensor | None, dict[str, Tensor]] | None = None

    def setup(self, trainer: L.Trainer, pl_module: GANModule, stage: str) -> None:
        pl_module.sole_player("discriminator", "FeatureMatching")
        self._layer_module(pl_module)

    def _layer_module(self, pl_module: GANModule) -> nn.Module:
        modules = dict(pl_module.discriminator.named_modules())
        modules.pop("", None)
        if self.layer not in modules:
            names = list(modules)
            shown = ", ".join(names[:40]) + (", ..." if len(names) > 40 else "")
            raise ConfigError(
                f"FeatureMatching layer {self.layer!r} is not a submodule of {type(pl_module.discriminator).__name__}. "
                f"Valid layers: {shown}."
            )
        return modules[self.layer]

    def on_fit_start(self, trainer: L.Trainer, pl_module: GANModule) -> None:
        # after every setup, so a layer replaced by another callback (e.g. minibatch discrimination) is the one hooked
        self._handle = self._layer_module(pl_module).register_forward_hook(self._capture)

    def on_fit_end(self, trainer: L.Trainer, pl_module: GANModule) -> None:
        if self._handle is not None:
            self._handle.remove()
            self._handle = None

    def _capture(self, module: nn.Module, inputs: Any, output: Tensor) -> None:
        self._captured = output.clone()  # later in-place activations must not change it

    def features(
        self, pl_module: GANModule, x: Tensor, labels: Tensor | None, conditions: dict[str, Tensor] | None = None
    ) -> Tensor:
        """f(x) from a forward of D of its own, which leaves D's running statistics alone; ``conditions`` are the
        inputs D judges ``x`` with (the images a translator took)."""
        self._captured = None
        with scratch_buffers(pl_module.discriminator):
            pl_module.discriminate(x, labels, **(conditions or {}))
        features, self._captured = self._captured, None
        if features is None:
            raise RuntimeError(f"FeatureMatching: the discriminator's {self.layer!r} did not run in its forward pass")
        return features

    def on_discriminator_loss(self, trainer: L.Trainer, pl_module: GANModule, step: DiscriminatorStep) -> None:
        self._real = (step.real.detach(), step.labels, step.conditions)

    def on_generator_loss(self, trainer: L.Trainer, pl_module: GANModule, step: GeneratorStep) -> None:
        real, labels, conditions = (
            self._real
            if self._real is not None
            else (step.batch["real"], step.batch.get("label"), pl_module.data_conditions(step.batch))
        )
        with torch.no_grad():
            real_features = self.features(pl_module, real, labels, conditions)
        fake_features = self.features(pl_module, step.fake, step.fake_labels, step.conditions)
        distance = ((real_features.flatten(1).mean(0) - fake_features.flatten(1).mean(0)) ** 2).sum()
        step.logs["train/feature_matching"] = distance.detach()
        # a variant that does not report its adversarial term: all of its loss counts as adversarial
        adversarial = step.adversarial_loss if step.adversarial_loss is not None else step.loss
        step.loss = step.loss + (self.adversarial_weight - 1.0) * adversarial + self.weight * distance
