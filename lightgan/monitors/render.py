"""Pictures of samples: image grids and plots of vectors, as uint8 arrays and PNG files."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor
from torchvision.utils import make_grid

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: A scatter matrix shows this many dimensions at most: more panels would be too small to read.
MATRIX_DIMS = 4
#: Bars of a histogram.
HISTOGRAM_BINS = 50


def image_grid(images: Tensor, nrow: int = 8, padding: int = 2) -> np.ndarray:
    """(N, C, H, W) images in [-1, 1] -> one HxWx3 uint8 grid."""
    grid = make_grid(
        images.detach().float().cpu().clamp(-1, 1), nrow=nrow, padding=padding, normalize=True, value_range=(-1, 1)
    )
    return (grid.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)


def pyplot() -> ModuleType:
    """matplotlib's pyplot on a backend that needs no display (training runs on headless machines)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def figure_to_array(fig: Figure) -> np.ndarray:
    """A finished figure -> HxWx3 uint8 picture; the figure is closed."""
    plt = pyplot()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(fig)
    buffer.seek(0)
    return np.asarray(Image.open(buffer).convert("RGB"))


def _by_group(points: np.ndarray, groups: Tensor | None) -> list[tuple[np.ndarray, object, str]]:
    """``(points, colour, label)`` per generator that made them (``groups``), or all points in blue."""
    if groups is None:
        return [(points, "tab:blue", "samples")]
    owner = groups.cpu().numpy()
    colours = pyplot().get_cmap("tab10" if owner.max() < 10 else "tab20")
    return [(points[owner == group], colours(int(group) % 20), f"G{group}") for group in np.unique(owner)]


def _bins(values: np.ndarray) -> np.ndarray:
    """Histogram bin edges over the finite values: a diverged generator's NaNs must not stop the picture."""
    return np.histogram_bin_edges(values[np.isfinite(values)], bins=HISTOGRAM_BINS)


def scatter_plot(
    points: Tensor,
    centers: Tensor | None = None,
    title: str = "",
    limit: float | None = None,
    groups: Tensor | None = None,
) -> np.ndarray:
    """2-D samples (blue, or one colour per group: the generator that made them) over mode centres
    (red crosses) -> HxWx3 uint8 picture."""
    pts = points.detach().float().cpu().numpy()
    fig, ax = pyplot().subplots(figsize=(5, 5), dpi=100)
    for mine, colour, label in _by_group(pts, groups):
        ax.scatter(mine[:, 0], mine[:, 1], s=2, alpha=0.5, color=colour, label=label)
    if centers is not None:
        c = centers.cpu().numpy()
        ax.scatter(c[:, 0], c[:, 1], s=60, marker="x", color="tab:red", label="mode centres")
        extent = limit or float(np.abs(c).max()) * 1.5 + 0.5
        ax.set_xlim(-extent, extent)
        ax.set_ylim(-extent, extent)
    ax.set_aspect("equal")
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize=8)
    return figure_to_array(fig)


def histogram(
    points: Tensor, centers: Tensor | None = None, title: str = "", groups: Tensor | None = None
) -> np.ndarray:
    """1-D samples as a histogram (one colour per generator when ``groups`` is given), mode centres as
    dashed red lines -> HxWx3 uint8 picture."""
    values = points.detach().float().cpu().numpy().reshape(-1)
    fig, ax = pyplot().subplots(figsize=(6, 4), dpi=100)
    bins = _bins(values)
    for mine, colour, label in _by_group(values, groups):
        ax.hist(mine, bins=bins, histtype="stepfilled", alpha=0.5, color=colour, label=label)
    if centers is not None:
        ax.vlines(
            centers.cpu().numpy().reshape(-1), 0, 1, transform=ax.get_xaxis_transform(),
            colors="tab:red", linestyles="dashed", label="mode centres",
        )  # fmt: skip
    ax.set_xlabel("value")
    ax.set_ylabel("samples")
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize=8)
    return figure_to_array(fig)


def scatter_matrix(
    points: Tensor,
    centers: Tensor | None = None,
    title: str = "",
    groups: Tensor | None = None,
    max_dims: int = MATRIX_DIMS,
) -> np.ndarray:
    """Samples of many dimensions as a pairwise scatter matrix of the first ``max_dims`` of them (histograms
    on the diagonal, points coloured as in ``scatter_plot``) -> HxWx3 uint8 picture."""
    pts = points.detach().float().cpu().numpy()
    dims = pts.shape[1]
    shown = min(dims, max_dims)
    fig, axes = pyplot().subplots(shown, shown, figsize=(2.5 * shown, 2.5 * shown), dpi=100, squeeze=False)
    parts = _by_group(pts, groups)
    c = centers.cpu().numpy() if centers is not None else None
    for row in range(shown):
        for col in range(shown):
            ax = axes[row, col]
            if row == col:
                ax.hist([mine[:, col] for mine, _, _ in parts], bins=_bins(pts[:, col]), histtype="stepfilled",
                        alpha=0.5, color=[colour for _, colour, _ in parts])  # fmt: skip
            else:
                for mine, colour, label in parts:
                    ax.scatter(mine[:, col], mine[:, row], s=1, alpha=0.5, color=colour, label=label)
                if c is not None:
                    ax.scatter(c[:, col], c[:, row], s=40, marker="x", color="tab:red", label="mode centres")
            ax.set_xlabel(f"dim {col}" if row == shown - 1 else "")
            ax.set_ylabel(f"dim {row}" if col == 0 else "")
    if shown > 1:
        legend = fig.legend(*axes[-1, 0].get_legend_handles_labels(), loc="upper right", fontsize=8)
        for handle in legend.legend_handles:
            handle.set_sizes([20])  # the panels' 1-point dots would be invisible in the legend
    fig.suptitle(", ".join(part for part in (title, f"dims 0-{shown - 1} of {dims}") if part))
    return figure_to_array(fig)


def drawable(shape: Sequence[int]) -> bool:
    """Whether ``render_samples`` can draw samples of this shape (one sample's): images (C, H, W) or vectors."""
    return len(shape) == 3 or (len(shape) == 1 and shape[0] >= 1)


def render_samples(
    samples: Tensor,
    centers: Tensor | None = None,
    title: str = "",
    nrow: int = 8,
    rows: Sequence[tuple[str, Tensor]] = (),
    sources: Tensor | None = None,
) -> np.ndarray:
    """A grid for images; for vectors a histogram (1-D), a scatter plot (2-D) or a scatter matrix (more),
    the points coloured by ``sources``: which generator made each.

    Image ``rows`` (``GANModule.picture_rows``: a translator's input, output and target) are drawn
    in place of the samples alone, ``nrow`` images of each in turn, at the size and channels of
    ``samples``: a low-resolution input is enlarged with its pixels kept square.
    """
    shape = tuple(samples.shape[1:])
    if not drawable(shape):
        raise ValueError(f"cannot draw samples of shape {shape}: expected images (C, H, W) or vectors (D,)")
    if len(shape) == 3:
        shown = [image for image in (_like(images, samples) for _, images in rows) if image is not None]
        if shown:
            samples = torch.cat([part[i : i + nrow] for i in range(0, len(samples), nrow) for part in shown])
        return image_grid(samples, nrow=nrow)
    plot = {1: histogram, 2: scatter_plot}.get(shape[0], scatter_matrix)
    return plot(samples, centers, title, groups=sources)


def _like(images: Tensor, samples: Tensor) -> Tensor | None:
    """Images of a row drawn at the outputs' size and channels (None when they are not one image per output)."""
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


__all__ = [
    "drawable",
    "figure_to_array",
    "histogram",
    "image_grid",
    "pyplot",
    "render_samples",
    "save_png",
    "scatter_matrix",
    "scatter_plot",
]
