"""SRGAN's content loss (Ledig et al., 2017): the distance between images, or between their VGG19 features.

Pixel MSE rewards the average of all plausible high-resolution images, which is blurry. The
paper's VGG loss instead compares the feature maps of an ImageNet VGG19 at one ReLU (VGG54:
``relu5_4``, the 4th convolution's before the 5th pooling), which sees textures and edges rather
than exact pixel values. Its features were divided by 12.75 (the loss times 1/12.75^2, about
0.006) to bring the loss to the scale of pixel MSE. The paper's VGG19 was Caffe's, fed 0..255
images; torchvision's, fed ImageNet-normalised [0, 1] images, gives features of another scale,
so ``content_weight`` may want tuning.

The VGG comes only from a local file laid out as torchvision's ``vgg19().features`` (or the
whole ``vgg19()``, as torchvision's own download is): nothing is downloaded.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

import torch
import torch.nn.functional as F
import torchvision
from torch import Tensor, nn

from lightgan.errors import ConfigError
from lightgan.nets.norm import check_choice

#: The paper's rescaling of the VGG loss: features divided by 12.75.
VGG_RESCALE = 1 / 12.75**2
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
#: How many offending entries an error names.
_SHOWN = 3


def _vgg19_layout() -> nn.Sequential:
    """torchvision's VGG19 ``features`` without memory (on the meta device): its names, shapes and order."""
    with torch.device("meta"):
        return torchvision.models.vgg19().features


@functools.cache
def vgg19_relus() -> dict[str, int]:
    """``relu<block>_<conv>`` -> index in ``vgg19().features`` (``relu5_4`` -> 35), in order."""
    names, block, conv = {}, 1, 0
    for index, layer in enumerate(_vgg19_layout()):
        if isinstance(layer, nn.Conv2d):
            conv += 1
        elif isinstance(layer, nn.ReLU):
            names[f"relu{block}_{conv}"] = index
        elif isinstance(layer, nn.MaxPool2d):
            block, conv = block + 1, 0
    return names


def check_vgg_layer(layer: str) -> None:
    check_choice("vgg_layer", layer, tuple(vgg19_relus()))


def _listed(keys: list[str]) -> str:
    return ", ".join(keys[:_SHOWN]) + (f" and {len(keys) - _SHOWN} more" if len(keys) > _SHOWN else "")


def _features_entries(state: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """The ``features`` part of a state dict of ``vgg19().features`` or of the whole ``vgg19()``."""
    if not any(key.startswith("features.") for key in state):
        return dict(state)
    return {key.removeprefix("features."): value for key, value in state.items() if not key.startswith("classifier.")}


def vgg19_features(state: object, layer: str, source: str) -> nn.Sequential:
    """torchvision's VGG19 ``features`` up to ``layer`` (its ReLU included), frozen, in eval mode, with the
    weights of ``state``; a one-line ConfigError naming ``source`` when ``state`` is not of that layout.

    Entries for layers deeper than ``layer`` are allowed (a whole VGG19), so is a file truncated after it.
    """
    check_vgg_layer(layer)
    expected = "a state dict of torchvision.models.vgg19().features (or of the whole vgg19())"
    if not isinstance(state, Mapping):
        raise ConfigError(f"{source} is not a VGG19 weights file: expected {expected}, got a {type(state).__name__}.")
    not_tensors = [str(key) for key, value in state.items() if not isinstance(value, Tensor)]
    if not_tensors:
        raise ConfigError(
            f"{source} is not a VGG19 weights file: expected {expected}, but {_listed(not_tensors)} are not tensors."
        )
    entries = _features_entries(state)
    full = _vgg19_layout()
    shapes = {key: tuple(value.shape) for key, value in full.state_dict().items()}
    layout = full[: vgg19_relus()[layer] + 1]
    needed = layout.state_dict()
    unexpected = [key for key in entries if key not in shapes]
    reshaped = [
        f"{k} {tuple(v.shape)} (VGG19: {shapes[k]})"
        for k, v in entries.items()
        if tuple(v.shape) != shapes.get(k, v.shape)
    ]
    missing = [key for key in needed if key not in entries]
    problems = []
    if unexpected:
        problems.append(f"unexpected entries {_listed(unexpected)}")
    if reshaped:
        problems.append(f"other shapes than VGG19's at {_listed(reshaped)}")
    if missing:
        problems.append(f"no {_listed(missing)} (needed up to {layer})")
    if problems:
        raise ConfigError(f"{source} is not a VGG19 of torchvision's layout ({expected}): {'; '.join(problems)}.")
    layout.to_empty(device="cpu")
    layout.load_state_dict({key: entries[key] for key in needed})
    return layout.eval().requires_grad_(False)


class ContentLoss:
    """SRGAN's content loss between generated and target images in [-1, 1]: pixel MSE, or with ``vgg``
    (from :func:`vgg19_features`) the MSE of its features times ``VGG_RESCALE``.

    Not a module on purpose: the frozen VGG is no part of the model's weights, so checkpoints hold G
    and D only and load without the VGG file. It follows the images to their device on first use.
    """

    def __init__(self, vgg: nn.Sequential | None = None, layer: str | None = None, source: str | None = None) -> None:
        self.vgg, self.layer, self.source = vgg, layer, source

    def describe(self) -> str:
        if self.vgg is None:
            return "pixel MSE (no model.init_args.vgg_weights given)"
        return f"MSE of VGG19 {self.layer} features x 1/12.75^2 (the paper's VGG loss), weights {self.source}"

    def __call__(self, fake: Tensor, real: Tensor) -> Tensor:
        if self.vgg is None:
            return F.mse_loss(fake, real)
        with torch.no_grad():
            target = self.features(real)
        return VGG_RESCALE * F.mse_loss(self.features(fake), target)

    def features(self, images: Tensor) -> Tensor:
        """VGG features of images in [-1, 1]: to [0, 1], grayscale to 3 channels, ImageNet mean and std.

        The VGG stays in float32 (autocast still runs it in half precision), so the images are made float32."""
        vgg = self.vgg
        assert vgg is not None, "features() needs a VGG"
        if next(vgg.parameters()).device != images.device:
            vgg.to(images.device)
        images = images.float()
        mean = torch.tensor(IMAGENET_MEAN, device=images.device).view(1, 3, 1, 1)
        std = torch.tensor(IMAGENET_STD, device=images.device).view(1, 3, 1, 1)
        rgb = images.expand(-1, 3, -1, -1) if images.shape[1] == 1 else images
        return vgg(((rgb + 1) / 2 - mean) / std)
