"""Helpers for image datasets that fit in memory as one uint8 tensor."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def resize_uint8(images: Tensor, size: int, chunk: int = 4096) -> Tensor:
    """Resize an (N, C, H, W) uint8 tensor once, with antialiasing, in chunks to bound memory."""
    if images.shape[-1] == size and images.shape[-2] == size:
        return images
    out = []
    for part in images.split(chunk):
        resized = F.interpolate(part.float(), size=(size, size), mode="bilinear", antialias=True, align_corners=False)
        out.append(resized.round_().clamp_(0, 255).to(torch.uint8))
    return torch.cat(out)
