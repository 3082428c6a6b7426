"""Pictures of samples: image grids and 2-D scatter plots, as uint8 arrays and PNG files."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor
from torchvision.utils import make_grid


def image_grid(images: Tensor, nrow: int = 8, padding: int = 2) -> np.ndarray:
    """(N, C, H, W) images in [-1, 1] -> one HxWx3 uint8 grid."""
    grid = make_grid(
        images.detach().float().cpu().clamp(-1, 1), nrow=nrow, padding=padding, normalize=True, value_range=(-1, 1)
    )
    return (grid.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)


def scatter_plot(
    points: Tensor,
    centers: Tensor | None = None,
    title: str = "",
    limit: float | None = None,
    groups: Tensor | None = None,
) -> np.ndarray:
    """2-D samples (blue, or one colour per group: the generator that made them) over mode centres
    (red crosses) -> HxWx3 uint8 picture."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pts = points.detach().float().cpu().numpy()
    fig, ax = plt.subplots(figsize=(5, 5), dpi=100)
    if groups is None:
        ax.scatter(pts[:, 0], pts[:, 1], s=2, alpha=0.5, color="tab:blue", label="samples")
    else:
        owner = groups.cpu().numpy()
        colours = plt.get_cmap("tab10" if owner.max() < 10 else "tab20")
        for group in np.unique(owner):
            mine = pts[owner == group]
            ax.scatter(mine[:, 0], mine[:, 1], s=2, alpha=0.5, color=colours(int(group) % 20), label=f"G{group}")
    if centers is not None:
        c = centers.cpu().numpy()
        ax.scatter(c[:, 0], c[:, 1], s=60, marker="x", color="tab:red", label="mode centres")
        extent = limit or float(np.abs(c).max()) * 1.5 + 0.5
        ax.set_xlim(-extent, extent)
        ax.set_ylim(-extent, extent)
    ax.set_aspect("equal")
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize=8)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(fig)
    buffer.seek(0)
    return np.asarray(Image.open(buffer).convert("RGB"))


def render_samples(
    samples: Tensor,
    centers: Tensor | None = None,
    title: str = "",
    nrow: int = 8,
    inputs: dict[str, Tensor] | None = None,
    sources: Tensor | None = None,
) -> np.ndarray:
    """A grid for images, a scatter plot for 2-D points (coloured by ``sources``: which generator made each).

    Images the generator took as input (``inputs``, e.g. the images it translated) are shown
    above their outputs: each row of ``nrow`` inputs is followed by the row of its outputs.
    """
    if samples.dim() == 4:
        shown = [image for image in (_like(value, samples) for value in (inputs or {}).values()) if image is not None]
        if shown:
            rows = [part[i : i + nrow] for i in range(0, len(samples), nrow) for part in (*shown, samples)]
            samples = torch.cat(rows)
        return image_grid(samples, nrow=nrow)
    if samples.dim() == 2 and samples.shape[1] == 2:
        return scatter_plot(samples, centers, title, groups=sources)
    raise ValueError(f"cannot draw samples of shape {tuple(samples.shape)}: expected images or 2-D points")


def _like(images: Tensor, samples: Tensor) -> Tensor | None:
    """Input images drawn at the outputs' size and channels (None when they are not one image per output)."""
    if images.dim() != 4 or len(images) != len(samples):
        return None
    images = images.to(samples)
    if images.shape[-2:] != samples.shape[-2:]:  # a low-resolution input: enlarged, pixels kept square
        images = F.interpolate(images, size=samples.shape[-2:], mode="nearest")
    if images.shape[1] != samples.shape[1]:
        if images.shape[1] == 1:
            images = images.expand(-1, samples.shape[1], -1, -1)
        elif samples.shape[1] == 1:
            images = images.mean(1, keepdim=True)
        else:
            return None
    return images


def save_png(image: np.ndarray, path: str | Path) -> Path:
    """Write atomically, so a viewer never sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.stem}.partial{path.suffix}")  # the suffix tells PIL the format
    Image.fromarray(image).save(partial)
    partial.replace(path)
    return path


__all__ = ["image_grid", "render_samples", "save_png", "scatter_plot"]
