"""A GIF of the fixed-noise grids at the end of training: the whole run in one picture, also sent to W&B."""

from __future__ import annotations

from pathlib import Path

import lightning as L
from lightning.pytorch.utilities import rank_zero_only, rank_zero_warn
from PIL import Image

from lightgan.core.module import GANModule
from lightgan.errors import ConfigError
from lightgan.monitors.outputs import log_video, picture_name
from lightgan.monitors.samples import FixedNoiseSamples


def write_gif(frames: list[Path], path: Path, frame_ms: int, last_frame_ms: int) -> Path:
    """Frames in order (resized to the first one's size) -> looping GIF, written atomically."""
    images = [Image.open(frame).convert("RGB") for frame in frames]
    size = images[0].size
    images = [image if image.size == size else image.resize(size) for image in images]
    durations = [frame_ms] * (len(images) - 1) + [last_frame_ms]
    partial = path.with_suffix(".partial.gif")
    images[0].save(partial, save_all=True, append_images=images[1:], duration=durations, loop=0)
    partial.replace(path)
    return path


class ProgressGIF(L.Callback):
    """Animate the PNG grids of ``FixedNoiseSamples`` (this run's and, after a resume, earlier ones).

    A last grid is drawn at the end of training if the final step has none yet. The GIF is
    written next to the grids (``samples/progress.gif``) and logged to W&B as a video (``progress``).

    Args:
        filename: name of the GIF in the grids' folder.
        frame_ms: display time of each frame.
        last_frame_ms: display time of the final frame.
    """

    log_key = "progress"

    def __init__(self, filename: str = "progress.gif", frame_ms: int = 300, last_frame_ms: int = 2000) -> None:
        self.filename, self.frame_ms, self.last_frame_ms = filename, frame_ms, last_frame_ms
        self.samples: FixedNoiseSamples | None = None
        self.path: Path | None = None

    def setup(self, trainer: L.Trainer, pl_module: GANModule, stage: str) -> None:
        found = [cb for cb in trainer.callbacks if isinstance(cb, FixedNoiseSamples)]
        if not found:
            raise ConfigError(
                "ProgressGIF animates the grids of FixedNoiseSamples, but trainer.callbacks has none. "
                "Add FixedNoiseSamples to trainer.callbacks (lightgan fit adds one unless you configure your own)."
            )
        self.samples = found[0]

    @rank_zero_only
    def on_fit_end(self, trainer: L.Trainer, pl_module: GANModule) -> None:
        samples = self.samples
        assert samples is not None and samples.out_dir is not None
        if samples.last_step_drawn != trainer.global_step:
            samples.draw(trainer, pl_module)
        frames = sorted(samples.out_dir.glob("epoch=*-step=*.png"))
        if not frames:
            rank_zero_warn(f"ProgressGIF: no sample grids in {samples.out_dir}; no GIF written.")
            return
        self.path = write_gif(frames, samples.out_dir / self.filename, self.frame_ms, self.last_frame_ms)
        log_video(trainer, self.log_key, self.path, caption=picture_name(trainer))
