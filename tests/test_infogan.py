"""InfoGAN: the latent layout, the mutual-information loss through a Q head on D's body, the traversal."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from variant_helpers import tiny_images

from lightgan.app.cli import main
from lightgan.core.hooks import DiscriminatorStep, GeneratorStep
from lightgan.errors import ConfigError
from lightgan.models import InfoGAN


def tiny_infogan(**overrides) -> InfoGAN:
    torch.manual_seed(0)
    args = dict(data_shape=(1, 16, 16), latent_dim=12, categorical_codes=[3, 2], continuous_codes=2, base_channels=4)
    return InfoGAN(**{**args, **overrides})


def test_code_spec_that_does_not_fit_latent_dim_is_rejected_with_the_numbers() -> None:
    with pytest.raises(ConfigError, match=r"latent_dim=10.*\[10\].*continuous_codes=2 take 12.*at least 13"):
        InfoGAN(data_shape=(1, 16, 16), latent_dim=10, categorical_codes=[10], continuous_codes=2)
    with pytest.raises(ConfigError, match="traversal_code=2"):
        tiny_infogan(traversal_code=2)


def test_code_spec_error_reaches_the_command_line(mnist_root, capsys) -> None:
    args = ["fit", "--model=InfoGAN", *tiny_images(mnist_root, latent_dim=11), "--trainer.logger=false"]
    assert main(args) == 2
    assert "do not fit latent_dim=11" in capsys.readouterr().err


def test_latent_vector_is_noise_then_one_hot_codes_then_continuous_codes() -> None:
    model = tiny_infogan()
    z = model.sample_noise(500, torch.Generator().manual_seed(0))
    noise, (first, second), continuous = model.split_latent(z)
    assert noise.shape == (500, 5) and first.shape == (500, 3) and second.shape == (500, 2)
    for one_hot in (first, second):
        assert torch.equal(one_hot.sum(1), torch.ones(500)) and set(one_hot.unique().tolist()) == {0.0, 1.0}
        assert (one_hot.sum(0) > 100).all()  # every value is drawn
    assert continuous.min() >= -1 and continuous.max() <= 1 and continuous.std() > 0.5
    assert noise.min() < -1.5 and noise.max() > 1.5  # Gaussian noise, unlike the codes


def test_info_loss_is_cross_entropy_plus_gaussian_nll_with_their_weights() -> None:
    model = tiny_infogan(info_weight=2.0, continuous_info_weight=0.3)
    z = model.sample_noise(6, torch.Generator().manual_seed(0))
    features = torch.randn(6, *model.discriminator.features(torch.zeros(2, 1, 16, 16)).shape[1:])
    loss, accuracy = model.info_loss(features, z)

    (first_logits, second_logits), means = model.q_head(features)
    _, (first, second), continuous = model.split_latent(z)
    expected = 2.0 * (F.cross_entropy(first_logits, first.argmax(1)) + F.cross_entropy(second_logits, second.argmax(1)))
    expected = expected + 0.3 * 0.5 * ((continuous - means) ** 2).sum(1).mean()
    torch.testing.assert_close(loss, expected)
    hits = torch.cat([first_logits.argmax(1) == first.argmax(1), second_logits.argmax(1) == second.argmax(1)])
    torch.testing.assert_close(accuracy, hits.float().mean())


def test_q_shares_d_body_and_trains_with_d() -> None:
    model = tiny_infogan()
    opt_g, opt_d = model.configure_optimizers()
    g_params = {id(p) for group in opt_g.param_groups for p in group["params"]}
    d_params = {id(p) for group in opt_d.param_groups for p in group["params"]}
    assert {id(p) for p in model.q_head.parameters()} <= d_params
    assert {id(p) for p in model.discriminator.parameters()} <= d_params
    assert g_params.isdisjoint(d_params) and g_params == {id(p) for p in model.generator.parameters()}

    z = model.sample_noise(6, torch.Generator().manual_seed(0))
    step = GeneratorStep(batch={}, z=z, fake=model.generate(z))
    model.generator_loss(step)
    grads = torch.autograd.grad(step.logs["train/info_loss"], list(model.generator.parameters()))
    assert all(g.abs().sum() > 0 for g in grads), "G's step must make the codes easier to read"


@pytest.mark.parametrize(("network", "slope"), [("paper", 0.1), ("authors", 0.01)])
def test_paper_networks_share_the_fc_1024_between_d_and_q(network: str, slope: float) -> None:
    model = tiny_infogan(data_shape=(1, 28, 28), network=network)
    d = model.discriminator
    shared = d.features(torch.randn(4, 1, 28, 28))
    assert shared.shape == (4, 1024)  # the last layer D and Q share is the fully connected one
    assert d.head.in_features == 1024 and model.q_head.net[1].in_features == 1024
    slopes = {m.negative_slope for m in [*d.features, *model.q_head.net] if isinstance(m, torch.nn.LeakyReLU)}
    assert slopes == {slope}
    assert model.generator(torch.randn(4, 12)).shape == (4, 1, 28, 28)
    biases = [m.bias for m in d.features if isinstance(m, torch.nn.Linear | torch.nn.Conv2d)]
    assert all(torch.count_nonzero(b) == 0 for b in biases)


def test_paper_networks_refuse_a_side_they_cannot_halve_twice() -> None:
    with pytest.raises(ConfigError, match=r"divisible by 4, got 30x30.*network: dcgan"):
        tiny_infogan(data_shape=(1, 30, 30), network="paper")
    with pytest.raises(ConfigError, match="network must be one of dcgan, paper, authors, got 'big'"):
        tiny_infogan(network="big")


def test_discriminator_loss_adds_the_information_term_for_the_shared_body() -> None:
    model = tiny_infogan()
    z = model.sample_noise(6, torch.Generator().manual_seed(0))
    real, fake = torch.rand(6, 1, 16, 16) * 2 - 1, model.generate(z).detach()
    step = DiscriminatorStep(batch={}, real=real, fake=fake, z=z)
    loss = model.discriminator_loss(step)

    info, _ = model.info_loss(model.discriminator.features(fake), z)
    adversarial = model.loss.discriminator_loss(model.discriminator(real), model.discriminator(fake))
    torch.testing.assert_close(loss, adversarial + info)
    body = list(model.discriminator.features.parameters()) + list(model.q_head.parameters())
    grads = torch.autograd.grad(step.logs["train/d_info_loss"], body)
    assert all(g.abs().sum() > 0 for g in grads), "the information term must train D's shared body and Q"


def test_traversal_rows_are_categorical_values_and_columns_sweep_a_continuous_code() -> None:
    model = tiny_infogan(traversal_code=1, traversal_steps=5)
    z = model.traversal_latents()
    noise, (first, second), continuous = model.split_latent(z)
    assert z.shape == (3 * 5, 12)
    assert torch.equal(noise, noise[:1].expand_as(noise))  # one noise vector for the whole grid
    assert first.argmax(1).tolist() == [0] * 5 + [1] * 5 + [2] * 5
    assert second.argmax(1).tolist() == [0] * 15
    torch.testing.assert_close(continuous[:5, 1], torch.linspace(-2, 2, 5))
    torch.testing.assert_close(continuous[5:10, 1], torch.linspace(-2, 2, 5))
    assert torch.equal(continuous[:, 0], torch.zeros(15))
    images = model.sample(len(z), z=z)
    assert not torch.allclose(images[0], images[4]) and not torch.allclose(images[0], images[5])
