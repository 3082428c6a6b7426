"""MGAN (Hoang et al., 2018): k generators, a discriminator, and a classifier that tells the generators apart."""

from __future__ import annotations

from typing import Any

import torch.nn.functional as F
from torch import Tensor

from lightgan.core.hooks import DiscriminatorStep, GeneratorStep
from lightgan.errors import ConfigError
from lightgan.models.checks import reject_packing
from lightgan.models.multi_player import MultiGeneratorGAN, weight_layer_spans
from lightgan.nets.heads import widened_head


class MGAN(MultiGeneratorGAN):
    """A mixture of k generators against a real/fake discriminator D and a classifier C.

    C is a head of k outputs on D's body (they share every layer but the last, and train
    together with D's optimizer): it learns which generator made each fake. Each generator
    minimises its adversarial loss plus ``beta`` x C's cross-entropy on its fakes, so the
    generators are pushed to make samples C can tell apart: different modes. Logged:
    ``train/classifier_loss`` and C's accuracy ``train/classifier_acc``.

    Args:
        num_generators: k.
        beta: weight of the classifier's cross-entropy in D's and G's losses (diversity).
        share_generator_layers: the generators share every weight layer but the first (the
            input layer), as in the paper; False: independent generators.
        **kwargs: everything ``BackboneGAN`` takes except ``pack``.
    """

    #: C trains with D's optimizer on D's body.
    discriminator_networks = ("discriminator", "classifier")

    def __init__(
        self, num_generators: int = 4, beta: float = 0.125, share_generator_layers: bool = True, **kwargs: Any
    ) -> None:
        if not beta >= 0:
            raise ConfigError(f"model.init_args.beta must be >= 0 (0 turns the classifier's push off), got {beta!r}.")
        super().__init__(num_generators=num_generators, **kwargs)
        reject_packing(type(self).__name__, self.pack, "its classifier must say which generator made each sample")
        self.beta, self.share_generator_layers = beta, share_generator_layers
        if share_generator_layers:
            self.share_layers(weight_layer_spans(self.generator[0], type(self).__name__)[1:])
        self.classifier = widened_head(self.discriminator.head, num_generators)

    def classify(self, fake: Tensor) -> tuple[Tensor, Tensor]:
        """(D's outputs, C's k logits) for fakes, through D's body once."""
        features = self.discriminator.features(self.pack_samples(fake))
        return self.discriminator.head(features).view(-1), self.classifier(features).flatten(1)

    def classifier_loss(self, logits: Tensor, step: DiscriminatorStep | GeneratorStep) -> Tensor:
        made_by = self.sample_sources(len(logits)).to(logits.device)
        step.logs["train/classifier_acc"] = (logits.argmax(1) == made_by).float().mean()
        return F.cross_entropy(logits, made_by)

    def discriminator_loss(self, step: DiscriminatorStep) -> Tensor:
        step.real_out = self.discriminate(step.real)
        step.fake_out, logits = self.classify(step.fake)
        adversarial = self.loss.discriminator_loss(step.real_out, step.fake_out, step.real_target, step.fake_target)
        classification = self.classifier_loss(logits, step)
        step.logs["train/classifier_loss"] = classification
        return adversarial + self.beta * classification

    def generator_loss(self, step: GeneratorStep) -> Tensor:
        step.fake_out, logits = self.classify(step.fake)
        return self.adversarial_generator_loss(step) + self.beta * self.classifier_loss(logits, step)
