"""The performance table: lightgan's DCGAN step against a hand-written loop, with each speed lever.

For each image size (28 px: DCGAN, base width 32, batch 64; 64 px: base width 64, batch 128,
where compute dominates) it times, interleaved round by round so a change in machine load
affects all of them alike:

- the same DCGAN in a hand-written PyTorch loop (same networks, initial weights, losses, Adam);
- lightgan eager, without logger and progress bar, and with both (what a run does);
- lightgan with ``model.init_args.compile: true``, with ``--trainer.precision bf16-mixed`` (CPU)
  or ``16-mixed`` (CUDA), and with ``model.init_args.channels_last: true``.

The first ``--warmup`` steps of each run (compilation included) are not timed. It prints the
median time per step, the spread over rounds (min-max), the ratio to the hand-written loop, the
FLOPs of one step (``torch.utils.flop_counter``, forward and backward of both players) and the
fraction of this machine's measured convolution throughput each loop reaches:

    python benchmarks/step_overhead.py --steps 120 --repeats 3
    python benchmarks/step_overhead.py --sizes 64 --loops plain,eager,channels-last --steps 40
    python benchmarks/step_overhead.py --device cuda          # the same table on a GPU
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import lightning as L
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from lightgan.data import GANDataModule, InMemoryDataset
from lightgan.models import DCGAN
from lightgan.nets import DCGANDiscriminator, DCGANGenerator

LATENT = 100


@dataclass(frozen=True)
class Setting:
    """One image size of the table and the batch and widths it is timed at."""

    size: int
    base_channels: int
    batch_size: int

    @property
    def shape(self) -> tuple[int, int, int]:
        return (1, self.size, self.size)


SETTINGS = {28: Setting(28, 32, 64), 64: Setting(64, 64, 128)}


class RandomImages(GANDataModule):
    """Uniform-noise uint8 images held in memory: the data costs nothing, the loop is what is timed."""

    def __init__(self, images: torch.Tensor, batch_size: int) -> None:
        super().__init__(batch_size=batch_size, seed=0)
        self.images = images
        self.data_shape = tuple(images.shape[1:])

    def setup(self, stage: str) -> None:
        self.train_set = InMemoryDataset(self.images)


class StepClock(L.Callback):
    """Wall time from the start of batch ``warmup`` to the end of training."""

    def __init__(self, warmup: int, device: torch.device) -> None:
        self.warmup, self.device, self.start, self.elapsed = warmup, device, 0.0, 0.0

    def on_train_batch_start(self, trainer: L.Trainer, pl_module: L.LightningModule, batch, batch_idx: int) -> None:
        if batch_idx == self.warmup:
            _sync(self.device)
            self.start = time.perf_counter()

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        _sync(self.device)
        self.elapsed = time.perf_counter() - self.start


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_lightgan(
    images: torch.Tensor,
    setting: Setting,
    args: argparse.Namespace,
    device: torch.device,
    *,
    realistic: bool = False,
    precision: str = "32-true",
    **model_options: object,
) -> float:
    torch.manual_seed(0)
    model = DCGAN(
        data_shape=setting.shape, latent_dim=LATENT, base_channels=setting.base_channels, seed=0, **model_options
    )
    clock = StepClock(args.warmup, device)
    trainer = L.Trainer(
        accelerator=device.type,
        devices=1,
        precision=precision,
        max_steps=args.steps,
        logger=L.pytorch.loggers.CSVLogger(args.log_dir) if realistic else False,
        enable_progress_bar=realistic,
        enable_checkpointing=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        limit_val_batches=0,
        callbacks=[clock],
    )
    trainer.fit(model, RandomImages(images, setting.batch_size))
    return clock.elapsed


def plain_networks(setting: Setting, device: torch.device) -> tuple[torch.nn.Module, torch.nn.Module]:
    torch.manual_seed(0)
    generator = DCGANGenerator(LATENT, setting.shape, setting.base_channels).to(device)
    discriminator = DCGANDiscriminator(setting.shape, setting.base_channels).to(device)
    return generator, discriminator


def plain_step(
    generator: torch.nn.Module,
    discriminator: torch.nn.Module,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    real: torch.Tensor,
) -> None:
    """One D update, then one G update on fresh noise: what DCGAN's training step does, written out."""
    n, device = real.shape[0], real.device
    fake = generator(torch.randn(n, LATENT, device=device)).detach()
    real_out, fake_out = discriminator(real), discriminator(fake)
    d_loss = F.binary_cross_entropy_with_logits(real_out, torch.ones_like(real_out))
    d_loss = d_loss + F.binary_cross_entropy_with_logits(fake_out, torch.zeros_like(fake_out))
    opt_d.zero_grad(set_to_none=True)
    d_loss.backward()
    opt_d.step()
    discriminator.requires_grad_(False)
    g_out = discriminator(generator(torch.randn(n, LATENT, device=device)))
    g_loss = F.softplus(-g_out).mean()
    opt_g.zero_grad(set_to_none=True)
    g_loss.backward()
    opt_g.step()
    discriminator.requires_grad_(True)


def adam(module: torch.nn.Module) -> torch.optim.Optimizer:
    return torch.optim.Adam(module.parameters(), lr=2e-4, betas=(0.5, 0.999))


def time_plain_loop(images: torch.Tensor, setting: Setting, args: argparse.Namespace, device: torch.device) -> float:
    generator, discriminator = plain_networks(setting, device)
    opt_g, opt_d = adam(generator), adam(discriminator)
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(0))
    start = 0.0
    for step in range(args.steps):
        if step == args.warmup:
            _sync(device)
            start = time.perf_counter()
        index = order[step * setting.batch_size : (step + 1) * setting.batch_size]
        real = images[index].to(device, non_blocking=True).float().div_(127.5).sub_(1.0)
        plain_step(generator, discriminator, opt_g, opt_d, real)
    _sync(device)
    return time.perf_counter() - start


def step_flops(setting: Setting, device: torch.device) -> int:
    """Floating-point operations of one training step (both players, forward and backward)."""
    generator, discriminator = plain_networks(setting, device)
    real = torch.rand(setting.batch_size, *setting.shape, device=device) * 2 - 1
    counter = FlopCounterMode(display=False)
    with counter:
        plain_step(generator, discriminator, adam(generator), adam(discriminator), real)
    return counter.get_total_flops()


def conv_throughput(device: torch.device, repeats: int = 5) -> float:
    """FLOP/s this machine reaches on a large convolution (forward and backward), the table's yardstick."""
    x = torch.randn(128, 64, 32, 32, device=device, requires_grad=True)
    conv = torch.nn.Conv2d(64, 128, 4, 2, 1).to(device)
    counter = FlopCounterMode(display=False)
    with counter:
        conv(x).sum().backward()
    flops, best = counter.get_total_flops(), float("inf")
    for _ in range(repeats):
        _sync(device)
        start = time.perf_counter()
        conv(x).sum().backward()
        _sync(device)
        best = min(best, time.perf_counter() - start)
    return flops / best


def loops_for(
    images: torch.Tensor, setting: Setting, args: argparse.Namespace, device: torch.device
) -> dict[str, Callable[[], float]]:
    mixed = "16-mixed" if device.type == "cuda" else "bf16-mixed"
    return {
        "plain": lambda: time_plain_loop(images, setting, args, device),
        "eager": lambda: time_lightgan(images, setting, args, device),
        "realistic": lambda: time_lightgan(images, setting, args, device, realistic=True),
        "compile": lambda: time_lightgan(images, setting, args, device, compile=True),
        "mixed": lambda: time_lightgan(images, setting, args, device, precision=mixed),
        "channels-last": lambda: time_lightgan(images, setting, args, device, channels_last=True),
    }


LABELS = {
    "plain": "hand-written PyTorch loop",
    "eager": "lightgan eager (no logger, no progress bar)",
    "realistic": "lightgan eager (CSV logger + progress bar)",
    "compile": "lightgan + compile",
    "mixed": "lightgan + mixed precision",
    "channels-last": "lightgan + channels-last",
}


def table(
    setting: Setting, times: dict[str, list[float]], timed: int, flops: int, peak: float, device: torch.device
) -> str:
    medians = {name: statistics.median(values) for name, values in times.items()}
    plain = medians.get("plain")
    lines = [
        f"\nDCGAN {setting.shape}, batch {setting.batch_size}, base width {setting.base_channels}, {device}, "
        f"{torch.get_num_threads()} threads; {timed} timed steps, median of {len(next(iter(times.values())))} "
        f"interleaved rounds; one step = {flops / 1e9:.2f} GFLOP; this machine's convolution: {peak / 1e9:.1f} GFLOP/s",
        "",
        "| loop | ms / step | spread (ms) | vs hand-written | GFLOP/s | of conv peak |",
        "|---|---|---|---|---|---|",
    ]
    for name, seconds in medians.items():
        per_step = seconds / timed
        spread = f"{min(times[name]) / timed * 1e3:.1f}-{max(times[name]) / timed * 1e3:.1f}"
        ratio = f"{seconds / plain:.2f}x" if plain else "-"
        rate = flops / per_step
        lines.append(
            f"| {LABELS[name]} | {per_step * 1e3:.1f} | {spread} | {ratio} | {rate / 1e9:.1f} | {rate / peak:.0%} |"
        )
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="28,64", help="image sizes: 28 and/or 64")
    parser.add_argument("--loops", default=",".join(LABELS), help=f"which loops, of {', '.join(LABELS)}")
    parser.add_argument("--steps", type=int, default=120, help="generator steps per run")
    parser.add_argument("--warmup", type=int, default=20, help="steps excluded from the timing")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved rounds; the median counts")
    parser.add_argument("--log-dir", default="/tmp/lightgan-step-overhead", help="CSV logs of the realistic run")
    return parser


def main(argv: list[str] | None = None) -> list[str]:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.steps <= args.warmup:
        parser.error("--steps must exceed --warmup")
    sizes = [int(s) for s in args.sizes.split(",")]
    chosen = args.loops.split(",")
    for size in sizes:
        if size not in SETTINGS:
            parser.error(f"--sizes: {size} is not one of {', '.join(map(str, SETTINGS))}")
    for name in chosen:
        if name not in LABELS:
            parser.error(f"--loops: {name!r} is not one of {', '.join(LABELS)}")
    device = torch.device(args.device)
    peak = conv_throughput(device)
    tables = []
    for size in sizes:
        setting = SETTINGS[size]
        images = torch.randint(0, 256, (args.steps * setting.batch_size, *setting.shape), dtype=torch.uint8)
        runs = loops_for(images, setting, args, device)
        times: dict[str, list[float]] = {name: [] for name in chosen}
        for _ in range(args.repeats):
            for name in chosen:
                times[name].append(runs[name]())
        tables.append(table(setting, times, args.steps - args.warmup, step_flops(setting, device), peak, device))
        print(tables[-1], flush=True)
    return tables


if __name__ == "__main__":
    main()
