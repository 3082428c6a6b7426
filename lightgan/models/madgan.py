"""MAD-GAN (Ghosh et al., 2018): k generators and one discriminator that also says which generator made a fake."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from lightgan.core.hooks import DiscriminatorStep, GeneratorStep
from lightgan.core.losses import AdversarialLoss, Target
from lightgan.errors import ConfigError
from lightgan.models.checks import reject_packing
from lightgan.models.multi_player import MultiGeneratorGAN, weight_layer_spans
from lightgan.nets.heads import MultiOutputDiscriminator


def realness(logits: Tensor) -> Tensor:
    """The logit of "real" against "made by any generator" from D's k + 1 logits (the last is "real")."""
    return logits[:, -1] - torch.logsumexp(logits[:, :-1], dim=1)


class SourceCrossEntropy(AdversarialLoss):
    """MAD-GAN's objective on D's k + 1 logits per sample (the last: "real").

    D minimises the cross-entropy of "real" for real samples and of their generator (given as
    ``fake_target``) for fakes; G minimises the cross-entropy of "real" for its fakes. Its targets
    are classes, not the real/fake values label smoothing changes.
    """

    uses_targets = False

    def discriminator_loss(
        self, real_out: Tensor, fake_out: Tensor, real_target: Target = None, fake_target: Target = None
    ) -> Tensor:
        if not isinstance(fake_target, Tensor):
            raise ValueError("SourceCrossEntropy needs the generator of each fake as fake_target")
        return F.cross_entropy(real_out, _real_class(real_out)) + F.cross_entropy(fake_out, fake_target)

    def generator_loss(self, fake_out: Tensor, real_out: Tensor | None = None) -> Tensor:
        return F.cross_entropy(fake_out, _real_class(fake_out))


def _real_class(logits: Tensor) -> Tensor:
    return torch.full((len(logits),), logits.shape[1] - 1, device=logits.device)


class MADGAN(MultiGeneratorGAN):
    """D has k + 1 outputs: which generator made a sample, or "real" (the last).

    D minimises the cross-entropy of that (k + 1)-way choice; generator i is rewarded when D calls
    its fakes real (it minimises -log D_real(G_i(z)), the non-saturating form). To tell the
    generators apart D pushes them towards different modes. Samples come from the generators in
    blocks (pictures show one row, or one colour, per generator).

    D's output as tricks and logs see it (``discriminate``, ``train/d_real_score``) is the logit
    of "real" against "fake", so gradient penalties and the scores work as for any GAN.

    Args:
        num_generators: k.
        shared_layers: how many of the generators' first weight layers (with the norm and
            activation after each) all generators share (the paper shares all but the last for
            images); 0: independent generators.
        **kwargs: everything ``BackboneGAN`` takes except ``loss`` and ``pack``.
    """

    fixed_loss = True

    def __init__(self, num_generators: int = 4, shared_layers: int = 0, **kwargs: Any) -> None:
        super().__init__(num_generators=num_generators, loss=SourceCrossEntropy(), **kwargs)
        reject_packing(type(self).__name__, self.pack, "D must say which generator made each sample")
        if shared_layers != 0:  # only layer-by-layer generators can share layers
            spans = weight_layer_spans(self.generator[0], type(self).__name__)
            if not isinstance(shared_layers, int) or not 0 < shared_layers < len(spans):
                raise ConfigError(
                    f"model.init_args.shared_layers must be an integer from 0 to {len(spans) - 1} (the generators "
                    f"have {len(spans)} weight layers and the last stays their own), got {shared_layers!r}."
                )
            self.share_layers(spans[:shared_layers])
        self.shared_layers = shared_layers
        self.discriminator = MultiOutputDiscriminator(self.discriminator, num_generators + 1)

    def discriminate(self, x: Tensor, labels: Tensor | None = None, **conditions: Tensor) -> Tensor:
        """The logit of "real" against "fake" (what penalties differentiate and scores report)."""
        return realness(self.discriminator(x))

    def discriminator_loss(self, step: DiscriminatorStep) -> Tensor:
        real_logits, fake_logits = self.discriminator(step.real), self.discriminator(step.fake)
        step.real_out, step.fake_out = realness(real_logits), realness(fake_logits)
        made_by = self.sample_sources(len(step.fake)).to(self.device)
        said = fake_logits[:, : self.num_generators].argmax(1)
        step.logs["train/d_source_acc"] = (said == made_by).float().mean()
        return self.loss.discriminator_loss(real_logits, fake_logits, fake_target=made_by)

    def generator_loss(self, step: GeneratorStep) -> Tensor:
        logits = self.discriminator(step.fake)
        step.fake_out = realness(logits)
        step.adversarial_loss = self.loss.generator_loss(logits)
        return step.adversarial_loss
