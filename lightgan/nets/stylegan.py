"""StyleGAN's networks (Karras et al., 2019 and 2020): a mapping network, a style-driven synthesis network and D.

**Mapping** f: Z -> W: z is pixel-normalised, then ``layers`` fully connected layers (LeakyReLU 0.2)
whose learning rate is multiplied by ``lr_multiplier`` (0.01). Its w is repeated for each of the
synthesis network's ``num_ws`` style inputs, two per resolution, so every layer may take another
w (style mixing). ``w_avg`` (a buffer, so checkpoints keep it) tracks the mean w, the centre that
truncation pulls styles toward.

**Synthesis**: a learned 4x4 constant, then per resolution up to the data's a bilinear 2x upsampling
and 3x3 convolutions. Each convolution takes its own w through a learned affine map (its style),
adds per-pixel noise (one map per sample, scaled by a learned per-channel factor that starts at
0), a bias and LeakyReLU 0.2. ``style_mode`` picks how the style acts:

- ``adain`` (StyleGAN 1): every feature map is instance-normalised after the activation, then
  scaled and shifted by the style, ``(1 + y_s) * IN(x) + y_b``. At 4x4 the constant is the first
  layer's input, as in the paper. One unstyled 1x1 ``to_rgb`` at the end makes the image: StyleGAN 1
  is grown progressively, and once grown that is its network.
- ``modulated`` (StyleGAN 2): the style scales the convolution weights' input channels
  (modulation), and each output channel's weights are rescaled to unit norm (demodulation), which
  normalises the statistics the way instance norm did without normalising the data (the paper's
  "droplet" artefacts). The image is the sum of a modulated 1x1 ``to_rgb`` per resolution, each
  upsampled into the next (StyleGAN 2's skip generator).
  As in StyleGAN 2's code, each ``to_rgb`` shares its w with the next resolution's first convolution.

Either way a w of index ``i`` reaches resolution ``4 * 2 ** (i // 2)`` and those above it only.
Noise is drawn afresh in training (from the generator the caller hands over, so a resumed run
draws the same) and is fixed in eval mode (buffers drawn once, StyleGAN 2's ``noise_mode='const'``):
samples then depend on z alone. Bilinear resampling stands for the papers' [1, 3, 3, 1] filters.

**D** is StyleGAN 2's residual discriminator: a 1x1 ``from_rgb``, per resolution two 3x3
convolutions and 2x average pooling added to a pooled 1x1 skip (scaled by sqrt(1/2)), then at
4x4 the minibatch standard deviation, a 3x3 convolution and two fully connected layers. Every
weight layer has the equalised learning rate.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Literal, get_args

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lightgan.errors import ConfigError
from lightgan.nets.equalized import EqualizedConv2d, EqualizedLinear, MinibatchStdDev, PixelNorm

StyleMode = Literal["adain", "modulated"]
STYLE_MODES: tuple[str, ...] = get_args(StyleMode)
#: How per-layer noise is drawn: ``random`` (fresh maps), ``fixed`` (the buffers), None: random in training only.
Noise = Literal["random", "fixed"] | None
#: The resolution of the learned constant.
START = 4


def _doublings(size: int) -> list[int]:
    """4, 8, ... up to ``size``."""
    return [START * 2**level for level in range(size.bit_length() - START.bit_length() + 1)]


def style_resolutions(data_shape: Sequence[int]) -> list[int]:
    """4, 8, ... up to the image side; a ConfigError unless the images are square with a power-of-two side >= 8."""
    _, height, width = data_shape
    if height != width or height < 2 * START or height & (height - 1):
        raise ConfigError(
            f"StyleGAN makes square images whose side is a power of two >= 8 (8, 16, 32, 64, ...), got "
            f"{height}x{width}. Set data.init_args.image_size to e.g. 32."
        )
    return _doublings(height)


def style_ranges(size: int) -> dict[str, range]:
    """The ws of the coarse, middle and fine styles: the paper's 4-8, 16-32 and 64+ pixel layers.

    Below 64 pixels the last resolution's layers are the fine styles and the one's before them
    the middle ones (none at 8 pixels); the rest are coarse.
    """
    resolutions = _doublings(size)
    if size >= 64:
        groups = {
            "coarse": [r for r in resolutions if r <= 8],
            "middle": [r for r in resolutions if 16 <= r <= 32],
            "fine": [r for r in resolutions if r >= 64],
        }
    else:
        *rest, last = resolutions
        middle = rest[-1:] if len(rest) > 1 else []
        groups = {"coarse": rest[: len(rest) - len(middle)], "middle": middle, "fine": [last]}
    return {
        name: range(2 * resolutions.index(group[0]), 2 * resolutions.index(group[-1]) + 2)
        for name, group in groups.items()
        if group
    }


def modulated_conv2d(x: Tensor, weight: Tensor, styles: Tensor, demodulate: bool = True) -> Tensor:
    """StyleGAN 2's convolution: ``weight`` (out, in, k, k) scaled per sample by ``styles`` (n, in) along its
    input channels, each output channel's weights rescaled to unit norm when ``demodulate``.

    Computed as StyleGAN 2's code trains: the styles scale the input, one shared convolution runs, and
    each sample's demodulation factors scale its output (convolution is linear, so this equals
    convolving with every sample's own weights, and it runs faster than the grouped convolution that does).
    """
    out = F.conv2d(x * styles.view(*styles.shape, 1, 1), weight, padding=weight.shape[-1] // 2)
    if not demodulate:
        return out
    norms = styles.square() @ weight.square().sum(dim=(2, 3)).t()  # (n, out): each sample's squared weight norms
    return out * torch.rsqrt(norms + 1e-8).view(*norms.shape, 1, 1)


def upsample(x: Tensor) -> Tensor:
    return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)


class MappingNetwork(nn.Module):
    """z -> w, repeated ``num_ws`` times; keeps ``w_avg``, the mean w, for truncation."""

    def __init__(self, latent_dim: int, w_dim: int, num_ws: int, layers: int = 8, lr_multiplier: float = 0.01) -> None:
        super().__init__()
        dims = [latent_dim] + [w_dim] * layers
        body: list[nn.Module] = [PixelNorm()]
        for in_features, out_features in itertools.pairwise(dims):
            body += [EqualizedLinear(in_features, out_features, lr_multiplier=lr_multiplier), nn.LeakyReLU(0.2)]
        self.net = nn.Sequential(*body)
        self.num_ws = num_ws
        self.register_buffer("w_avg", torch.zeros(w_dim))

    def forward(self, z: Tensor) -> Tensor:
        """(n, latent_dim) -> (n, num_ws, w_dim): one w for every style input."""
        return self.net(z).unsqueeze(1).repeat(1, self.num_ws, 1)

    def truncate(self, ws: Tensor, psi: float) -> Tensor:
        """``w_avg + psi (w - w_avg)``: psi 1 changes nothing, psi near 0 gives the average w."""
        return self.w_avg.lerp(ws, psi)

    @torch.no_grad()
    def track(self, z: Tensor, beta: float) -> None:
        """``w_avg <- beta w_avg + (1 - beta) mean(f(z))``: an exponential moving average of mapped latents."""
        self.w_avg.lerp_(self.net(z).mean(0), 1 - beta)


class NoiseInput(nn.Module):
    """Adds a per-pixel noise map (the same for every channel) times a learned per-channel scale, 0 at first."""

    def __init__(self, channels: int, resolution: int) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.zeros(channels))
        self.register_buffer("fixed", torch.randn(1, 1, resolution, resolution))

    def forward(self, x: Tensor, rng: torch.Generator | None, random: bool) -> Tensor:
        if random:
            shape = (x.shape[0], 1, *x.shape[2:])
            noise = torch.randn(shape, generator=rng, device=rng.device if rng is not None else x.device).to(x)
        else:
            noise = self.fixed
        return x + noise * self.scale.view(1, -1, 1, 1)


class StyledConv(nn.Module):
    """One styled layer: (2x upsampling,) 3x3 convolution (none for StyleGAN 1's 4x4 constant), noise, bias,
    LeakyReLU 0.2 (times sqrt(2), StyleGAN 2's gain), and the style by ``mode``."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        w_dim: int,
        resolution: int,
        mode: StyleMode,
        upsampled: bool = False,
        convolved: bool = True,
    ) -> None:
        super().__init__()
        self.mode, self.upsampled = mode, upsampled
        self.conv = EqualizedConv2d(in_channels, out_channels, 3, bias=False) if convolved else None
        # modulation scales the input channels (1 at first); AdaIN scales and shifts the output channels
        affine_out, bias_init = (in_channels, 1.0) if mode == "modulated" else (2 * out_channels, 0.0)
        self.affine = EqualizedLinear(w_dim, affine_out, gain=1.0, bias_init=bias_init)
        self.noise = NoiseInput(out_channels, resolution)
        self.bias = nn.Parameter(torch.zeros(out_channels))

    def forward(self, x: Tensor, w: Tensor, rng: torch.Generator | None, random_noise: bool) -> Tensor:
        if self.upsampled:
            x = upsample(x)
        style = self.affine(w)
        if self.conv is not None and self.mode == "modulated":
            x = modulated_conv2d(x, self.conv.weight * self.conv.scale, style)
        elif self.conv is not None:
            x = self.conv(x)
        x = self.noise(x, rng, random_noise)
        x = F.leaky_relu(x + self.bias.view(1, -1, 1, 1), 0.2) * math.sqrt(2)
        if self.mode == "modulated":
            return x
        scale, shift = style.view(len(x), 2, -1, 1, 1).unbind(1)
        return (1 + scale) * F.instance_norm(x) + shift


class ToRGB(nn.Module):
    """1x1 convolution to image channels: modulated by a style (StyleGAN 2, no demodulation) or plain (StyleGAN 1)."""

    def __init__(self, in_channels: int, channels: int, w_dim: int, modulated: bool) -> None:
        super().__init__()
        self.conv = EqualizedConv2d(in_channels, channels, 1, bias=True, gain=1.0)
        self.affine = EqualizedLinear(w_dim, in_channels, gain=1.0, bias_init=1.0) if modulated else None

    def forward(self, x: Tensor, w: Tensor) -> Tensor:
        if self.affine is None:
            return self.conv(x)
        out = modulated_conv2d(x, self.conv.weight * self.conv.scale, self.affine(w), demodulate=False)
        return out + self.conv.bias.view(1, -1, 1, 1)


class SynthesisBlock(nn.Module):
    """The styled layers of one resolution, the index of each one's w, and its ``to_rgb`` (if it has one)."""

    def __init__(self, layers: list[StyledConv], w_indices: list[int], to_rgb: ToRGB | None, rgb_index: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.w_indices, self.rgb_index = w_indices, rgb_index
        self.to_rgb = to_rgb


def channels_at(resolution: int, size: int, base_channels: int, max_channels: int) -> int:
    """``base_channels`` feature maps at the image size, twice as many per halving, at most ``max_channels``."""
    return min(max_channels, base_channels * size // resolution)


class SynthesisNetwork(nn.Module):
    """A learned 4x4 constant and styled convolutions up to the image size; ws (n, num_ws, w_dim) -> images."""

    def __init__(
        self, w_dim: int, data_shape: Sequence[int], base_channels: int, max_channels: int, mode: StyleMode
    ) -> None:
        super().__init__()
        channels, size = data_shape[0], data_shape[1]
        self.resolutions = style_resolutions(data_shape)
        self.num_ws = 2 * len(self.resolutions)
        widths = [channels_at(r, size, base_channels, max_channels) for r in self.resolutions]
        self.const = nn.Parameter(torch.randn(1, widths[0], START, START))
        blocks = []
        for level, (resolution, width) in enumerate(zip(self.resolutions, widths, strict=True)):
            before = widths[max(level - 1, 0)]
            modulated = mode == "modulated"
            if modulated:  # 4x4: constant -> conv (w 0) -> to_rgb (w 1); then up-conv (w 2k - 1), conv (w 2k)
                first = [StyledConv(before, width, w_dim, resolution, mode, upsampled=True)] if level else []
                indices = [2 * level - 1, 2 * level] if level else [0]
            else:  # 4x4: the constant styled (w 0), conv (w 1); then up-conv (w 2k), conv (w 2k + 1)
                convolved = level > 0
                first = [StyledConv(before, width, w_dim, resolution, mode, upsampled=convolved, convolved=convolved)]
                indices = [2 * level, 2 * level + 1]
            layers = [*first, StyledConv(width, width, w_dim, resolution, mode)]
            last = level == len(self.resolutions) - 1
            to_rgb = ToRGB(width, channels, w_dim, modulated) if modulated or last else None
            blocks.append(SynthesisBlock(layers, indices, to_rgb, 2 * level + 1))
        self.blocks = nn.ModuleList(blocks)

    def forward(self, ws: Tensor, rng: torch.Generator | None = None, noise: Noise = None) -> Tensor:
        """Images from one w per style input; noise drawn from ``rng`` (the global RNG when None) when random."""
        random_noise = self.training if noise is None else noise == "random"
        x = self.const.expand(len(ws), -1, -1, -1)
        image = None
        for block in self.blocks:
            for layer, index in zip(block.layers, block.w_indices, strict=True):
                x = layer(x, ws[:, index], rng, random_noise)
            if block.to_rgb is not None:
                rgb = block.to_rgb(x, ws[:, block.rgb_index])
                image = rgb if image is None else upsample(image) + rgb
        return image


class StyleGenerator(nn.Module):
    """``synthesis(mapping(z))``; the parts are used on their own for mixing and truncation."""

    def __init__(
        self,
        latent_dim: int,
        data_shape: Sequence[int],
        w_dim: int = 512,
        mapping_layers: int = 8,
        mapping_lr_multiplier: float = 0.01,
        base_channels: int = 64,
        max_channels: int = 512,
        style_mode: StyleMode = "modulated",
    ) -> None:
        super().__init__()
        self.synthesis = SynthesisNetwork(w_dim, data_shape, base_channels, max_channels, style_mode)
        self.mapping = MappingNetwork(latent_dim, w_dim, self.synthesis.num_ws, mapping_layers, mapping_lr_multiplier)

    @property
    def num_ws(self) -> int:
        return self.synthesis.num_ws

    def forward(self, z: Tensor) -> Tensor:
        return self.synthesis(self.mapping(z))


def _conv_act(in_channels: int, out_channels: int, kernel_size: int = 3) -> nn.Sequential:
    return nn.Sequential(EqualizedConv2d(in_channels, out_channels, kernel_size), nn.LeakyReLU(0.2))


class ResidualDown(nn.Module):
    """Two 3x3 convolutions and 2x average pooling, plus a pooled 1x1 skip; the sum scaled by sqrt(1/2)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.main = nn.Sequential(_conv_act(in_channels, in_channels), _conv_act(in_channels, out_channels))
        self.skip = EqualizedConv2d(in_channels, out_channels, 1, bias=False, gain=1.0)

    def forward(self, x: Tensor) -> Tensor:
        return (F.avg_pool2d(self.main(x), 2) + self.skip(F.avg_pool2d(x, 2))) * math.sqrt(0.5)


class StyleDiscriminator(nn.Module):
    """StyleGAN 2's residual D; ``features`` is everything before the output layer ``head``."""

    def __init__(
        self, data_shape: Sequence[int], base_channels: int = 64, max_channels: int = 512, mbstd_group: int = 4
    ) -> None:
        super().__init__()
        channels, size = data_shape[0], data_shape[1]
        resolutions = style_resolutions(data_shape)[::-1]
        widths = [channels_at(r, size, base_channels, max_channels) for r in resolutions]
        layers: list[nn.Module] = [_conv_act(channels, widths[0], 1)]
        layers += [ResidualDown(a, b) for a, b in itertools.pairwise(widths)]
        top = widths[-1]
        layers += [
            MinibatchStdDev(mbstd_group),
            _conv_act(top + 1, top),
            nn.Flatten(),
            EqualizedLinear(top * START * START, top),
            nn.LeakyReLU(0.2),
        ]
        self.features = nn.Sequential(*layers)
        self.head = EqualizedLinear(top, 1, gain=1.0)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x)).view(-1)
