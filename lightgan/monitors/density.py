"""``DensityPlot``: the classic picture of a GAN at work, p_data, p_g and D(x), drawn during training.

On 1-D data it draws the density of real samples and of generated ones (histograms with kernel
density estimates over them) and the discriminator's output along the data's range; on 2-D data
D's decision surface as a heatmap under the scatter of real and generated samples. Each picture
is a PNG in ``<run dir>/density/``; at the end of fit they become one GIF of the whole run.
"""

from __future__ import annotations

from pathlib import Path

import lightning as L
import numpy as np
import torch
from lightning.pytorch.utilities import rank_zero_only
from torch import Tensor

from lightgan.core.module import GANModule, eval_mode
from lightgan.core.players import DISCRIMINATOR
from lightgan.errors import ConfigError
from lightgan.monitors.outputs import log_video, picture_name
from lightgan.monitors.pictures import PeriodicPicture
from lightgan.monitors.progress_gif import write_gif
from lightgan.monitors.render import HISTOGRAM_BINS, figure_to_array, pyplot

#: Share of the real samples' span added on each side of the drawn range, so generated mass outside shows.
MARGIN = 0.25


def kernel_density(samples: Tensor, at: Tensor) -> Tensor:
    """Gaussian kernel density estimate of 1-D ``samples`` at the sorted points ``at``: Silverman's bandwidth, but
    no narrower than the spacing of ``at`` (a collapsed generator's spike stays drawable)."""
    samples, at = samples.double().view(-1), at.double().view(-1)
    spacing = (at[-1] - at[0]) / max(len(at) - 1, 1)
    bandwidth = (1.06 * samples.std() * len(samples) ** -0.2).nan_to_num(0.0).clamp_min(float(spacing) + 1e-12)
    offsets = (at.view(-1, 1) - samples.view(1, -1)) / bandwidth
    return (torch.exp(-0.5 * offsets.square()).mean(dim=1) / (bandwidth * (2 * torch.pi) ** 0.5)).float()


@torch.no_grad()
def discriminator_values(pl_module: GANModule, points: Tensor) -> Tensor | None:
    """D at ``points``: the probability sigmoid(logit) for losses that read D's output as a logit, the raw
    critic value otherwise; None for a model without one D judging one sample at a time (packing, several Ds)."""
    if pl_module.pack != 1 or len(pl_module.players_of(DISCRIMINATOR)) != 1:
        return None
    networks = [pl_module.get_submodule(name) for name in pl_module.discriminator_networks]
    with eval_mode(networks):
        out = pl_module.discriminate(points.to(pl_module.device))
    if not isinstance(out, Tensor) or out.numel() != len(points):
        return None
    out = out.view(-1).float().cpu()
    return out.sigmoid() if pl_module.loss.expects_logits else out


def critic_label(probability: bool) -> str:
    return "D(x) = sigmoid(logit)" if probability else "critic D(x)"


def density_picture(
    real: Tensor, fake: Tensor, grid: Tensor, critic: Tensor | None, probability: bool, title: str
) -> np.ndarray:
    """1-D: histograms and KDEs of ``real`` (p_data) and ``fake`` (p_g) over ``grid``, D(x) on a second axis."""
    lo, hi = float(grid[0]), float(grid[-1])
    fig, ax = pyplot().subplots(figsize=(7, 4), dpi=100)
    for values, colour, name in ((real, "tab:blue", "p_data"), (fake, "tab:orange", "p_g")):
        ax.hist(values.view(-1).numpy(), bins=HISTOGRAM_BINS, range=(lo, hi), density=True, alpha=0.25, color=colour)
        ax.plot(grid.numpy(), kernel_density(values, grid).numpy(), color=colour, label=name)
    ax.set_xlim(lo, hi)
    ax.set_xlabel("x")
    ax.set_ylabel("density")
    handles, labels = ax.get_legend_handles_labels()
    if critic is not None:
        twin = ax.twinx()
        label = critic_label(probability)
        twin.plot(grid.numpy(), critic.numpy(), color="tab:green", linestyle="--", label=label)
        if probability:
            twin.set_ylim(0, 1)
        twin.set_ylabel(label)
        more = twin.get_legend_handles_labels()
        handles, labels = handles + more[0], labels + more[1]
    ax.legend(handles, labels, loc="upper right", fontsize=8)
    ax.set_title(title)
    return figure_to_array(fig)


def surface_picture(
    real: Tensor,
    fake: Tensor,
    extent: float,
    critic: Tensor | None,
    probability: bool,
    title: str,
    centers: Tensor | None = None,
) -> np.ndarray:
    """2-D: D over the square [-extent, extent]^2 as a heatmap (``critic``: rows of y, columns of x), real and
    generated samples scattered over it, mode centres as crosses."""
    fig, ax = pyplot().subplots(figsize=(6, 5), dpi=100)
    if critic is not None:
        shown = ax.imshow(
            critic.numpy(), extent=(-extent, extent, -extent, extent), origin="lower", cmap="RdBu", alpha=0.8
        )
        fig.colorbar(shown, ax=ax, label=critic_label(probability))
    ax.scatter(real[:, 0].numpy(), real[:, 1].numpy(), s=2, alpha=0.4, color="black", label="p_data samples")
    ax.scatter(fake[:, 0].numpy(), fake[:, 1].numpy(), s=2, alpha=0.6, color="tab:orange", label="p_g samples")
    if centers is not None:
        c = centers.cpu().numpy()
        ax.scatter(c[:, 0], c[:, 1], s=60, marker="x", color="tab:red", label="mode centres")
    ax.set_xlim(-extent, extent)
    ax.set_ylim(-extent, extent)
    ax.set_aspect("equal")
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize=8)
    return figure_to_array(fig)


class DensityPlot(PeriodicPicture):
    """Draw p_data, p_g and D(x) on 1-D data, or D's decision surface under the samples on 2-D data.

    The same held-out real samples and the same noise are drawn every time, over a range fixed
    by the real samples, so the pictures of a run differ only by what training changed. D's
    output is shown as a probability for losses that read it as a logit (minimax,
    non-saturating) and as the raw critic value for the others (Wasserstein, hinge, least squares).

    Args:
        every_n_steps: draw every N generator steps.
        every_n_epochs: also draw at the end of every N-th epoch (0: never).
        num_samples: real and generated samples in each picture.
        grid_points: points D is evaluated at (1-D), or per side of the grid (2-D).
        seed: seed of the noise.
        gif: name of the GIF written at the end of fit next to the PNGs (None: no GIF).
        frame_ms: display time of each GIF frame.
        last_frame_ms: display time of the final frame.
        folder: sub-folder of the run directory for the PNG files.
    """

    log_key = "density"

    def __init__(
        self,
        every_n_steps: int | None = 100,
        every_n_epochs: int = 0,
        num_samples: int = 2_000,
        grid_points: int = 200,
        seed: int = 0,
        gif: str | None = "density.gif",
        frame_ms: int = 200,
        last_frame_ms: int = 2000,
        folder: str = "density",
    ) -> None:
        if num_samples < 2 or grid_points < 2:
            raise ConfigError(
                f"DensityPlot needs num_samples and grid_points >= 2, got {num_samples} and {grid_points}."
            )
        super().__init__(every_n_epochs, every_n_steps, folder)
        self.num_samples, self.grid_points, self.seed = num_samples, grid_points, seed
        self.gif, self.frame_ms, self.last_frame_ms = gif, frame_ms, last_frame_ms
        self.gif_path: Path | None = None
        self.real: Tensor | None = None
        self.z: Tensor | None = None

    def setup(self, trainer: L.Trainer, pl_module: GANModule, stage: str) -> None:
        super().setup(trainer, pl_module, stage)
        shape = tuple(pl_module.data_shape)
        if shape not in ((1,), (2,)) or pl_module.input_conditions or not pl_module.takes_noise:
            raise ConfigError(
                f"DensityPlot draws densities of 1-D data and decision surfaces of 2-D data from noise, but "
                f"{type(pl_module).__name__} makes samples of shape {shape}. Use it with Mixture1D, RingMixture or "
                "GridMixture, or remove it from trainer.callbacks."
            )

    def _inputs(self, trainer: L.Trainer, pl_module: GANModule) -> tuple[Tensor, Tensor]:
        """The real samples and the noise every picture uses, made at the first picture."""
        if self.real is None or self.z is None:
            self.real = trainer.datamodule.held_out_batch(self.num_samples)["real"].float().cpu()
            self.z = pl_module.draw_inputs(len(self.real), torch.Generator().manual_seed(self.seed)).z.cpu()
        return self.real, self.z

    def render(self, trainer: L.Trainer, pl_module: GANModule, title: str) -> np.ndarray:
        real, z = self._inputs(trainer, pl_module)
        fake = pl_module.sample(z=z.to(pl_module.device)).float().cpu()
        probability = pl_module.loss.expects_logits
        if real.shape[1] == 1:
            lo, hi = float(real.min()), float(real.max())
            grid = torch.linspace(lo - MARGIN * (hi - lo), hi + MARGIN * (hi - lo), self.grid_points)
            critic = discriminator_values(pl_module, grid.view(-1, 1))
            return density_picture(real, fake, grid, critic, probability, title)
        extent = float(real.abs().max()) * (1 + MARGIN)
        side = torch.linspace(-extent, extent, self.grid_points)
        ys, xs = torch.meshgrid(side, side, indexing="ij")
        critic = discriminator_values(pl_module, torch.stack([xs.flatten(), ys.flatten()], dim=1))
        surface = critic.view(self.grid_points, self.grid_points) if critic is not None else None
        centers = getattr(trainer.datamodule, "mode_centers", None)
        return surface_picture(real, fake, extent, surface, probability, title, centers)

    @rank_zero_only
    def on_fit_end(self, trainer: L.Trainer, pl_module: GANModule) -> None:
        if self.last_step_drawn != trainer.global_step:
            self.draw(trainer, pl_module)
        if self.gif is None or self.out_dir is None:
            return
        frames = sorted(self.out_dir.glob("epoch=*-step=*.png"))
        if frames:
            self.gif_path = write_gif(frames, self.out_dir / self.gif, self.frame_ms, self.last_frame_ms)
            log_video(trainer, f"{self.log_key}_gif", self.gif_path, caption=picture_name(trainer))
