"""PatchGAN discriminator (Isola et al., 2017): real or fake per overlapping patch, not per image.

Its output is a grid of logits, one per patch of ``patch_size`` pixels a side, which the loss
averages. D then judges texture and local structure, the high frequencies that an L1 term to
the target leaves blurry, with fewer weights than a whole-image D and on images of any size.
Three strided layers give the paper's 70x70 patches; smaller images get fewer, so the grid
keeps at least one patch.
"""

from __future__ import annotations

from torch import Tensor, nn

from lightgan.errors import ConfigError
from lightgan.nets.dcgan import init_dcgan_weights
from lightgan.nets.norm import Norm, Padding, bias_before, norm_layer

#: Channels stop doubling at 8 times the first layer's, as in pix2pix.
MAX_WIDTH_MULTIPLE = 8


def patch_grid(size: int, layers: int) -> int:
    """Patches along a side of ``size`` pixels: each strided 4x4 layer halves the side (rounding down),
    the two 4x4 layers of stride 1 that follow take one pixel each."""
    for _ in range(layers):
        size //= 2
    return size - 2


def fitting_layers(height: int, width: int, at_most: int) -> int:
    """The most strided layers, up to ``at_most``, that leave a patch grid of at least 1x1."""
    layers = at_most
    while layers > 0 and patch_grid(min(height, width), layers) < 1:
        layers -= 1
    if layers == 0:
        raise ConfigError(
            f"A PatchGAN discriminator needs images of at least 6 pixels a side, got {height}x{width}. "
            "Use larger images (data.init_args.image_size)."
        )
    return layers


def receptive_field(net: nn.Module) -> int:
    """Input pixels (a side) that one output unit of a stack of square, undilated convolutions sees.

    Back from the output, a layer of kernel k and stride s widens a field of r units to r*s + k - s.
    """
    field = 1
    for layer in reversed([module for module in net.modules() if isinstance(module, nn.Conv2d)]):
        field = field * layer.stride[0] + layer.kernel_size[0] - layer.stride[0]
    return field


class PatchGANDiscriminator(nn.Module):
    """4x4 convolutions with LeakyReLU(0.2): ``layers`` of stride 2, then two of stride 1, the last to one logit.

    As in the DCGAN discriminator, ``features`` makes the last hidden map and ``head`` is the output
    layer: the names the feature-matching and minibatch-discrimination tricks look for.

    Args:
        in_channels: channels of what D judges (for pix2pix: input and output images stacked).
        image_size: (height, width).
        base_channels: width of the first layer; it doubles per layer up to 8 times that.
        layers: strided layers, at most (3: 70x70 patches); fewer when the images are too small for them.
        norm: ``batch`` or ``instance`` (not on the first layer).
        padding: ``zeros`` or ``reflect``.
    """

    def __init__(
        self,
        in_channels: int,
        image_size: tuple[int, int],
        base_channels: int = 64,
        layers: int = 3,
        norm: Norm = "batch",
        padding: Padding = "zeros",
    ) -> None:
        super().__init__()
        self.layers = fitting_layers(*image_size, layers)
        self.grid = tuple(patch_grid(side, self.layers) for side in image_size)
        widths = [base_channels * min(2**i, MAX_WIDTH_MULTIPLE) for i in range(self.layers + 1)]
        modules: list[nn.Module] = [
            nn.Conv2d(in_channels, widths[0], 4, 2, 1, padding_mode=padding),
            nn.LeakyReLU(0.2),
        ]
        for i in range(1, self.layers + 1):
            stride = 2 if i < self.layers else 1
            modules += [
                nn.Conv2d(widths[i - 1], widths[i], 4, stride, 1, bias=bias_before(norm), padding_mode=padding),
                norm_layer(norm, widths[i]),
                nn.LeakyReLU(0.2),
            ]
        self.features = nn.Sequential(*modules)
        self.head = nn.Conv2d(widths[-1], 1, 4, 1, 1, padding_mode=padding)
        self.apply(init_dcgan_weights)

    @property
    def patch_size(self) -> int:
        """Pixels (a side) of the patch each logit judges: its receptive field."""
        return receptive_field(self)

    def forward(self, x: Tensor) -> Tensor:
        """(N, C, H, W) -> (N, 1, *grid) logits, one per patch."""
        return self.head(self.features(x))
