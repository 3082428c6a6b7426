"""Semi-supervised GAN (Odena 2016; Salimans et al. 2016): D is an (N + 1)-way classifier."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from lightgan.core.hooks import DiscriminatorStep
from lightgan.core.module import Batch, GANModule
from lightgan.data.base import GANDataModule
from lightgan.errors import ConfigError
from lightgan.models.checks import require_images
from lightgan.nets.dcgan import DCGANGenerator
from lightgan.nets.heads import ClassifierDiscriminator


class SGAN(GANModule):
    """Learns a classifier from a few labels and many unlabelled images.

    D outputs N + 1 logits: the N classes and "fake". Its objective has two parts:

    - unsupervised, on every real batch and every fake: real images must not be called fake,
      fakes must. With l the logits, P(not fake) = sigmoid(s) for the *realness logit*
      s = logsumexp(l[:N]) - l[N], so this part is the configured logit loss on s (and G's
      objective is the usual one on s);
    - supervised, cross-entropy over the N classes, on ``labeled_per_class`` examples per
      class only. They are chosen once from the training set with ``labeled_seed``, so every
      run (and every resume) uses the same ones; the labels of all other images are never read.

    D's classification accuracy on the validation/test split is logged as ``val/class_acc`` /
    ``test/class_acc``; that number is what the method is for.

    Args:
        labeled_per_class: labelled training examples per class (10 gives MNIST's 100-label setting).
        labeled_seed: seed of the choice of labelled examples.
        supervised_weight: weight of the supervised cross-entropy.
        base_channels: channel width of the largest feature map.
        **kwargs: everything ``GANModule`` takes (loss, learning rates, n_critic, ...).
    """

    requires_labels = True

    def __init__(
        self,
        labeled_per_class: int = 10,
        labeled_seed: int = 0,
        supervised_weight: float = 1.0,
        base_channels: int = 64,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        require_images(type(self).__name__, self.data_shape)
        if not isinstance(labeled_per_class, int) or labeled_per_class < 1:
            raise ConfigError(
                f"model.init_args.labeled_per_class must be an integer >= 1, got {labeled_per_class!r}. "
                "Use e.g. 10 (100 labels on MNIST)."
            )
        if not self.loss.expects_logits:
            raise ConfigError(
                f"SGAN's real/fake output is a softmax probability, but loss {self.loss!r} expects critic values. "
                "Use loss: non_saturating or minimax."
            )
        self.labeled_per_class, self.labeled_seed, self.supervised_weight = (
            labeled_per_class,
            labeled_seed,
            supervised_weight,
        )
        self.generator = DCGANGenerator(self.latent_dim, self.data_shape, base_channels)
        self.discriminator = ClassifierDiscriminator(self.data_shape, self.num_classes + 1, base_channels)
        self.labeled_indices: Tensor | None = None

    # ------------------------------------------------------------------ the labelled subset
    def setup(self, stage: str) -> None:
        super().setup(stage)
        if stage == "fit":
            datamodule = self.trainer.datamodule
            if not isinstance(datamodule, GANDataModule):
                raise ConfigError(
                    "SGAN chooses its labelled examples from the datamodule's training set: train it with a "
                    "lightgan datamodule (trainer.fit(model, datamodule=...)), not with bare dataloaders."
                )
            self.choose_labeled(datamodule)

    def choose_labeled(self, datamodule: GANDataModule) -> None:
        """Pick ``labeled_per_class`` training examples per class, the same ones for every run."""
        try:
            batch = datamodule.examples_per_class(self.labeled_per_class, self.labeled_seed)
        except ValueError as exc:
            raise ConfigError(
                f"SGAN: labeled_per_class={self.labeled_per_class}, but {exc}. Lower model.init_args.labeled_per_class."
            ) from exc
        self.labeled_indices = batch["index"]
        # Derived from the data and the seed, so not part of the checkpoint; moved with the module.
        self.register_buffer("labeled_real", batch["real"], persistent=False)
        self.register_buffer("labeled_labels", batch["label"].long(), persistent=False)

    # ------------------------------------------------------------------ objective
    def class_logits(self, x: Tensor) -> Tensor:
        """Logits of the N real classes."""
        return self.discriminator(x)[:, : self.num_classes]

    def discriminate(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        """The realness logit logsumexp(real-class logits) - fake logit; labels are not used."""
        logits = self.discriminator(x)
        return logits[:, : self.num_classes].logsumexp(dim=1) - logits[:, self.num_classes]

    def discriminator_loss(self, step: DiscriminatorStep) -> Tensor:
        unsupervised = super().discriminator_loss(step)
        if self.training:  # a batch of the labelled examples
            n = min(len(step.real), len(self.labeled_labels))
            pick = torch.randperm(len(self.labeled_labels), generator=self.step_rng(step), device=self.device)[:n]
            examples, targets = self.labeled_real[pick], self.labeled_labels[pick]
        else:  # evaluation: the held-out batch's own labels
            examples, targets = step.real, step.labels
        logits = self.class_logits(examples)
        supervised = F.cross_entropy(logits, targets)
        step.logs["train/d_supervised_loss"] = supervised
        step.logs["train/d_labeled_acc"] = (logits.argmax(1) == targets).float().mean()
        return unsupervised + self.supervised_weight * supervised

    # ------------------------------------------------------------------ evaluation
    def evaluation_metrics(self, batch: Batch) -> dict[str, Tensor]:
        accuracy = (self.class_logits(batch["real"]).argmax(1) == batch["label"]).float().mean()
        return {**super().evaluation_metrics(batch), "class_acc": accuracy}
