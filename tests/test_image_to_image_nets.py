"""The image-to-image networks: pix2pix's U-Net and PatchGAN, CycleGAN's ResNet generator, their shared options."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from lightgan.errors import ConfigError
from lightgan.nets.norm import NoiseDropout, noise_from
from lightgan.nets.patchgan import PatchGANDiscriminator, receptive_field
from lightgan.nets.resnet_generator import ResNetGenerator, default_blocks
from lightgan.nets.unet import UNetGenerator, unet_depth


@pytest.mark.parametrize(("size", "depth"), [((16, 16), 4), ((16, 32), 4), ((24, 24), 3)])
def test_the_unet_is_as_deep_as_the_size_allows_and_keeps_it(size: tuple[int, int], depth: int) -> None:
    net = UNetGenerator(1, 3, size, base_channels=4)
    assert net.depth == depth
    out = net(torch.randn(2, 1, *size))
    assert out.shape == (2, 3, *size) and out.abs().max() <= 1
    assert unet_depth(256, 256, None) == 8 and unet_depth(28, 28, None) == 2


def test_unet_skips_carry_the_input_at_full_resolution_past_a_dead_bottleneck() -> None:
    torch.manual_seed(0)
    net = UNetGenerator(1, 1, (16, 16), base_channels=4).eval()
    with torch.no_grad():
        net.encoder[1][0].weight.zero_()  # every deeper feature is now the same for any input
    x = torch.randn(1, 1, 16, 16)
    changed = x.clone()
    changed[0, 0, 8, 8] += 1.0
    with torch.no_grad():
        moved = (net(changed) - net(x))[0, 0].abs() > 0
    # only the first encoder layer's features (half size) reach the output: through the last skip connection
    assert moved.any()
    rows, cols = moved.nonzero().unbind(1)
    assert rows.min() >= 5 and rows.max() <= 10 and cols.min() >= 5 and cols.max() <= 10


def test_unet_dropout_is_in_the_first_decoder_layers_active_in_training_and_drawn_from_the_given_source() -> None:
    net = UNetGenerator(1, 1, (16, 16), base_channels=4)
    with_dropout = [i for i, layer in enumerate(net.decoder) if any(isinstance(m, NoiseDropout) for m in layer)]
    assert with_dropout == [0, 1, 2]
    assert len([m for m in UNetGenerator(1, 1, (8, 8), dropout_layers=1).modules() if isinstance(m, NoiseDropout)]) == 1
    x = torch.randn(4, 1, 16, 16)
    assert not torch.equal(net(x), net(x))
    with noise_from(net, torch.Generator().manual_seed(3)):
        first = net(x)
    with noise_from(net, torch.Generator().manual_seed(3)):
        again = net(x)
    assert torch.equal(first, again)
    net.eval()
    assert torch.equal(net(x), net(x))


def test_a_unet_deeper_than_the_image_allows_is_refused_naming_the_largest_depth() -> None:
    with pytest.raises(
        ConfigError, match=r"depth=3: .* 12x12 .* divisible by 8\. The largest depth these images allow is 2"
    ):
        UNetGenerator(1, 1, (12, 12), depth=3)
    with pytest.raises(ConfigError, match=r"27x27 images have an odd side"):
        UNetGenerator(1, 1, (27, 27))


@pytest.mark.parametrize(
    ("size", "asked", "layers", "grid"),
    [((256, 256), 3, 3, (30, 30)), ((32, 32), 3, 3, (2, 2)), ((16, 16), 3, 2, (2, 2)), ((16, 64), 3, 2, (2, 14)),
     ((8, 8), 3, 1, (2, 2)), ((6, 6), 3, 1, (1, 1)), ((256, 256), 1, 1, (126, 126))],
)  # fmt: skip
def test_patchgan_depth_shrinks_with_the_image_so_the_grid_keeps_a_patch(
    size: tuple[int, int], asked: int, layers: int, grid: tuple[int, int]
) -> None:
    net = PatchGANDiscriminator(3, size, base_channels=2, layers=asked)
    assert net.layers == layers and net.grid == grid
    assert net(torch.randn(2, 3, *size)).shape == (2, 1, *grid)


def test_patchgan_refuses_images_too_small_for_one_patch() -> None:
    with pytest.raises(ConfigError, match="at least 6 pixels a side, got 5x5"):
        PatchGANDiscriminator(3, (5, 5))


@pytest.mark.parametrize(("layers", "field"), [(1, 16), (2, 34), (3, 70)])
def test_the_receptive_field_is_the_support_of_one_patch_logits_input_gradient(layers: int, field: int) -> None:
    torch.manual_seed(0)
    net = PatchGANDiscriminator(1, (128, 128), base_channels=2, layers=layers).eval()
    assert net.patch_size == receptive_field(net) == field
    x = torch.randn(1, 1, 128, 128, requires_grad=True)
    out = net(x)
    out[0, 0, out.shape[2] // 2, out.shape[3] // 2].backward()
    seen = x.grad[0, 0] != 0
    rows, cols = seen.any(1).nonzero().view(-1), seen.any(0).nonzero().view(-1)
    assert rows.min() > 0 and rows.max() < 127  # wholly inside the image: padding did not clip it
    assert rows.max() - rows.min() + 1 == field and cols.max() - cols.min() + 1 == field


def test_patchgan_with_reflection_padding_sees_no_border() -> None:
    flat = torch.full((1, 3, 32, 32), 0.5)
    for padding, uniform in (("reflect", True), ("zeros", False)):
        torch.manual_seed(0)
        net = PatchGANDiscriminator(3, (32, 32), base_channels=4, padding=padding).eval()
        convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
        assert {conv.padding_mode for conv in convs} == {padding}
        out = net(flat)
        assert torch.allclose(out, out[0, 0, 0, 0]) == uniform, padding


def test_instance_norm_replaces_batch_norm_and_the_convolutions_before_it_keep_a_bias() -> None:
    for net in (
        PatchGANDiscriminator(3, (16, 16), base_channels=4, norm="instance"),
        UNetGenerator(1, 3, (16, 16), base_channels=4, norm="instance"),
        ResNetGenerator(1, 3, (16, 16), base_channels=4),
    ):
        modules = list(net.modules())
        assert any(isinstance(m, nn.InstanceNorm2d) for m in modules)
        assert not any(isinstance(m, nn.BatchNorm2d) for m in modules)
        assert all(m.bias is not None for m in modules if isinstance(m, nn.Conv2d | nn.ConvTranspose2d))
    batch = PatchGANDiscriminator(3, (16, 16), base_channels=4)
    before_norm = [m for m in batch.features if isinstance(m, nn.Conv2d)][1:]
    assert before_norm and all(conv.bias is None for conv in before_norm)
    # instance norm trains on the smallest feature maps the smallest images give (one value per map would fail)
    PatchGANDiscriminator(3, (6, 6), norm="instance")(torch.randn(2, 3, 6, 6))
    UNetGenerator(1, 3, (8, 8), norm="instance")(torch.randn(2, 1, 8, 8))
    ResNetGenerator(1, 3, (8, 8))(torch.randn(2, 1, 8, 8))


def test_the_resnet_generator_keeps_the_size_and_its_blocks_add_to_their_input() -> None:
    net = ResNetGenerator(1, 3, (16, 24), base_channels=4)
    assert net.blocks == 6 and default_blocks(256, 256) == 9 and default_blocks(128, 128) == 6
    assert net(torch.randn(2, 1, 16, 24)).shape == (2, 3, 16, 24)
    block = net.net[9]
    with torch.no_grad():
        block.block[-2].weight.zero_()
        block.block[-2].bias.zero_()
        x = torch.randn(2, 16, 4, 6)
        assert torch.equal(block(x), x)


def test_the_resnet_generator_refuses_sizes_it_cannot_carry() -> None:
    with pytest.raises(ConfigError, match="multiples of 4 and at least 8, got 10x12"):
        ResNetGenerator(1, 3, (10, 12))
