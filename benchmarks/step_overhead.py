"""Time per training step: lightgan's DCGAN vs. the same DCGAN in a hand-written PyTorch loop.

Both train the same networks (same initial weights) with the same losses, optimizers, batch size
and in-memory uint8 data, one discriminator and one generator update per batch. The first
``--warmup`` steps of each run are excluded from the timing. The three loops run in turn,
``--repeats`` times, and the median is reported, so a change in machine load affects all of them
alike. Prints the time per step and the ratio to the hand-written loop:

    python benchmarks/step_overhead.py --steps 300 --repeats 3
"""

from __future__ import annotations

import argparse
import statistics
import time

import lightning as L
import torch
import torch.nn.functional as F

from lightgan.data import GANDataModule, InMemoryDataset
from lightgan.models import DCGAN
from lightgan.nets import DCGANDiscriminator, DCGANGenerator

SHAPE = (1, 28, 28)


class RandomImages(GANDataModule):
    """Uniform-noise uint8 images held in memory: the data costs nothing, the loop is what is timed."""

    def __init__(self, images: torch.Tensor, batch_size: int) -> None:
        super().__init__(batch_size=batch_size, seed=0)
        self.images = images
        self.data_shape = SHAPE

    def setup(self, stage: str) -> None:
        self.train_set = InMemoryDataset(self.images)


class StepClock(L.Callback):
    """Wall time from the start of batch ``warmup`` to the end of training."""

    def __init__(self, warmup: int, device: torch.device) -> None:
        self.warmup, self.device, self.start = warmup, device, 0.0

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


def time_lightgan(images: torch.Tensor, args: argparse.Namespace, device: torch.device, realistic: bool) -> float:
    torch.manual_seed(0)
    model = DCGAN(data_shape=SHAPE, latent_dim=100, base_channels=args.base_channels, seed=0)
    clock = StepClock(args.warmup, device)
    trainer = L.Trainer(
        accelerator=device.type,
        devices=1,
        max_steps=args.steps,
        logger=L.pytorch.loggers.CSVLogger(args.log_dir) if realistic else False,
        enable_progress_bar=realistic,
        enable_checkpointing=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        limit_val_batches=0,
        callbacks=[clock],
    )
    trainer.fit(model, RandomImages(images, args.batch_size))
    return clock.elapsed


def time_plain_loop(images: torch.Tensor, args: argparse.Namespace, device: torch.device) -> float:
    torch.manual_seed(0)
    generator = DCGANGenerator(100, SHAPE, args.base_channels).to(device)
    discriminator = DCGANDiscriminator(SHAPE, args.base_channels).to(device)
    opt_g = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(0))
    start = 0.0
    for step in range(args.steps):
        if step == args.warmup:
            _sync(device)
            start = time.perf_counter()
        index = order[step * args.batch_size : (step + 1) * args.batch_size]
        real = images[index].to(device, non_blocking=True).float().div_(127.5).sub_(1.0)
        n = real.shape[0]

        fake = generator(torch.randn(n, 100, device=device)).detach()
        real_out, fake_out = discriminator(real), discriminator(fake)
        d_loss = F.binary_cross_entropy_with_logits(
            real_out, torch.ones_like(real_out)
        ) + F.binary_cross_entropy_with_logits(fake_out, torch.zeros_like(fake_out))
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()

        discriminator.requires_grad_(False)
        g_out = discriminator(generator(torch.randn(n, 100, device=device)))
        g_loss = F.softplus(-g_out).mean()
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
        discriminator.requires_grad_(True)
    _sync(device)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=300, help="generator steps per run")
    parser.add_argument("--warmup", type=int, default=20, help="steps excluded from the timing")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--base-channels", type=int, default=32)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--repeats", type=int, default=3, help="rounds of the three loops; the median counts")
    parser.add_argument("--log-dir", default="/tmp/lightgan-step-overhead", help="CSV logs of the realistic run")
    args = parser.parse_args()
    if args.steps <= args.warmup:
        parser.error("--steps must exceed --warmup")
    device = torch.device(args.device)
    images = torch.randint(0, 256, (args.steps * args.batch_size, *SHAPE), dtype=torch.uint8)

    timed = args.steps - args.warmup
    loops = {
        "hand-written PyTorch loop": lambda: time_plain_loop(images, args, device),
        "lightgan (no logger, no progress bar)": lambda: time_lightgan(images, args, device, realistic=False),
        "lightgan (CSV logger + progress bar)": lambda: time_lightgan(images, args, device, realistic=True),
    }
    times: dict[str, list[float]] = {name: [] for name in loops}
    for _ in range(args.repeats):
        for name, run in loops.items():
            times[name].append(run())
    medians = {name: statistics.median(values) for name, values in times.items()}
    plain = medians["hand-written PyTorch loop"]
    print(
        f"\nDCGAN {SHAPE}, batch {args.batch_size}, base width {args.base_channels}, {device}, "
        f"{timed} timed steps after {args.warmup} warm-up steps, {torch.get_num_threads()} threads, "
        f"median of {args.repeats} interleaved rounds"
    )
    print(f"{'loop':<48}{'per step':>10}{'ratio':>8}   every round (ms/step)")
    for name, seconds in medians.items():
        rounds = ", ".join(f"{t / timed * 1e3:.1f}" for t in times[name])
        print(f"{name:<48}{seconds / timed * 1e3:>8.2f}ms{seconds / plain:>8.3f}   {rounds}")


if __name__ == "__main__":
    main()
