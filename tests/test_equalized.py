"""Equalised-learning-rate layers, pixel norm and minibatch standard deviation."""

from __future__ import annotations

import math

import torch

from lightgan.nets.equalized import EqualizedConv2d, EqualizedLinear, MinibatchStdDev, PixelNorm


def test_equalized_layers_scale_unit_weights_by_he_constant_at_run_time() -> None:
    torch.manual_seed(0)
    linear = EqualizedLinear(400, 300)
    assert abs(linear.weight.std().item() - 1) < 0.01
    x = torch.randn(8, 400)
    expected = x @ (linear.weight * math.sqrt(2 / 400)).T + linear.bias
    assert torch.allclose(linear(x), expected, atol=1e-5)
    conv = EqualizedConv2d(16, 8, 3)
    image = torch.randn(2, 16, 5, 5)
    manual = torch.nn.functional.conv2d(image, conv.weight * math.sqrt(2 / (16 * 9)), conv.bias, padding=1)
    assert torch.allclose(conv(image), manual, atol=1e-5) and conv(image).shape == (2, 8, 5, 5)


def test_a_learning_rate_multiplier_keeps_the_function_and_slows_the_weights_gradient() -> None:
    torch.manual_seed(0)
    slow, plain = EqualizedLinear(10, 4, lr_multiplier=0.01, bias_init=1.0), EqualizedLinear(10, 4, bias_init=1.0)
    with torch.no_grad():
        slow.weight.copy_(plain.weight / 0.01)
        slow.bias.copy_(plain.bias / 0.01)
    x = torch.randn(3, 10)
    assert torch.allclose(slow(x), plain(x), atol=1e-5)
    slow(x).sum().backward()
    plain(x).sum().backward()
    # the effective weight moves lr_multiplier^2 as fast under SGD: its stored weight's gradient is 0.01x
    assert torch.allclose(slow.weight.grad, plain.weight.grad * 0.01, atol=1e-6)


def test_pixel_norm_gives_every_pixel_unit_root_mean_square_over_channels() -> None:
    x = torch.randn(2, 6, 4, 4) * 5
    rms = PixelNorm()(x).square().mean(dim=1).sqrt()
    assert torch.allclose(rms, torch.ones_like(rms), atol=1e-4)


def test_minibatch_stddev_appends_the_groups_mean_feature_std() -> None:
    x = torch.randn(8, 3, 2, 2)
    out = MinibatchStdDev(group_size=4)(x)
    assert out.shape == (8, 4, 2, 2) and torch.equal(out[:, :3], x)
    members = [0, 2, 4, 6]  # x.view(4, 2, ...): sample i is in group column i % 2
    expected = x[members].std(dim=0, unbiased=False).mean()
    assert torch.allclose(out[members, 3], expected.expand(4, 2, 2), atol=1e-5)
    odd = MinibatchStdDev(group_size=4)(torch.randn(6, 3, 2, 2))  # 4 does not divide 6: groups of 2
    assert odd.shape == (6, 4, 2, 2)
    same = MinibatchStdDev()(torch.ones(4, 3, 2, 2))
    assert torch.allclose(same[:, 3], torch.full((4, 2, 2), 1e-4), atol=1e-5)  # no variety: sqrt(epsilon)
