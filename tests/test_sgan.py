"""SGAN: an (N + 1)-way D that learns from a fixed handful of labels and reports its accuracy."""

from __future__ import annotations

import lightning as L
import pytest
import torch
import torch.nn.functional as F

from lightgan.core.hooks import DiscriminatorStep
from lightgan.data import MNIST
from lightgan.errors import ConfigError
from lightgan.models import SGAN


def digits(root) -> MNIST:
    data = MNIST(root=str(root), image_size=16, batch_size=16)
    data.setup("fit")
    return data


def tiny_sgan(**overrides) -> SGAN:
    torch.manual_seed(0)
    args = dict(data_shape=(1, 16, 16), num_classes=10, latent_dim=8, base_channels=4, labeled_per_class=2)
    return SGAN(**{**args, **overrides})


def test_labelled_examples_are_a_fixed_few_per_class(mnist_root) -> None:
    data = digits(mnist_root)
    labels = data.train_set.labels
    model, again, other_seed = tiny_sgan(), tiny_sgan(), tiny_sgan(labeled_seed=1)
    for m in (model, again, other_seed):
        m.choose_labeled(data)
    assert torch.bincount(labels[model.labeled_indices], minlength=10).tolist() == [2] * 10
    assert torch.equal(model.labeled_labels, labels[model.labeled_indices])
    assert torch.equal(model.labeled_real, data.train_set.real[model.labeled_indices].float() / 127.5 - 1)
    assert torch.equal(model.labeled_indices, again.labeled_indices)
    assert not torch.equal(model.labeled_indices, other_seed.labeled_indices)


def test_asking_for_more_labels_than_a_class_has_names_the_class(mnist_root) -> None:
    with pytest.raises(ConfigError, match=r"labeled_per_class=100, but class \d has only \d+ training examples"):
        tiny_sgan(labeled_per_class=100).choose_labeled(digits(mnist_root))


def test_realness_logit_is_the_probability_of_not_being_fake() -> None:
    model = tiny_sgan()
    x = torch.rand(5, 1, 16, 16)
    p_fake = model.discriminator(x).softmax(1)[:, -1]
    torch.testing.assert_close(torch.sigmoid(model.discriminate(x)), 1 - p_fake)


def test_discriminator_reads_only_the_chosen_labels(mnist_root) -> None:
    model = tiny_sgan(labeled_per_class=1, supervised_weight=0.5)
    model.choose_labeled(digits(mnist_root))  # 10 labelled examples, fewer than the batch: all are used
    real, fake = torch.rand(16, 1, 16, 16) * 2 - 1, torch.rand(16, 1, 16, 16) * 2 - 1
    losses = []
    for batch_labels in (torch.arange(16) % 10, torch.zeros(16, dtype=torch.long)):
        step = DiscriminatorStep({"real": real, "label": batch_labels}, real, fake, batch_labels)
        losses.append(model.discriminator_loss(step))
    torch.testing.assert_close(losses[0], losses[1])

    unsupervised = F.softplus(-model.discriminate(real)).mean() + F.softplus(model.discriminate(fake)).mean()
    supervised = F.cross_entropy(model.class_logits(model.labeled_real), model.labeled_labels)
    torch.testing.assert_close(losses[0], unsupervised + 0.5 * supervised)


def test_validation_logs_classification_accuracy_on_the_held_out_split(mnist_root) -> None:
    data = digits(mnist_root)
    model = tiny_sgan()
    trainer = L.Trainer(logger=False, enable_progress_bar=False, enable_model_summary=False, accelerator="cpu")
    (metrics,) = trainer.validate(model, data, verbose=False)
    model.eval()
    held_out = data.on_after_batch_transfer(data.val_set[torch.arange(len(data.val_set))], 0)
    with torch.no_grad():
        accuracy = (model.class_logits(held_out["real"]).argmax(1) == held_out["label"]).float().mean()
    assert metrics["val/class_acc"] == pytest.approx(accuracy.item())
