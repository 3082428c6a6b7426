"""Adam's implementations on a DCGAN's parameters: time per step, and whether they agree.

PyTorch's Adam has three implementations: a loop over the tensors (``foreach=False``, its choice on
the CPU), one that updates all tensors in a few multi-tensor kernels (``foreach=True``, its choice on
CUDA) and a single fused kernel (``fused=True``). This times one generator plus one discriminator
``optimizer.step()`` (what a lightgan training step does) with each, from the same weights and
gradients, the implementations taking turns for ``--repeats`` rounds (median reported), beside the
forward and backward passes of the same step at ``--batch-size`` for scale; then runs
``--steps`` steps of each from the same start on the same gradients and prints the largest difference
of their weights from the loop's, and checks that a state saved by one implementation resumes in
another to the same weights:

    python benchmarks/optimizers.py --shape 3,64,64 --repeats 7 --threads 1
    python benchmarks/optimizers.py --device cuda
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from lightgan.nets import DCGANDiscriminator, DCGANGenerator

IMPLEMENTATIONS: dict[str, dict[str, bool]] = {
    "loop": {"foreach": False, "fused": False},
    "foreach": {"foreach": True, "fused": False},
    "fused": {"foreach": False, "fused": True},
}


def networks(shape: tuple[int, ...], base_channels: int, device: torch.device) -> list[nn.Module]:
    """A DCGAN's generator and discriminator, the same weights on every call."""
    torch.manual_seed(0)
    return [
        DCGANGenerator(100, shape, base_channels).to(device),
        DCGANDiscriminator(shape, base_channels).to(device),
    ]


def adams(nets: list[nn.Module], implementation: str, weight_decay: float) -> list[torch.optim.Adam]:
    flags = IMPLEMENTATIONS[implementation]
    return [
        torch.optim.Adam(net.parameters(), lr=2e-4, betas=(0.5, 0.999), weight_decay=weight_decay, **flags)
        for net in nets
    ]


def set_gradients(nets: list[nn.Module], seed: int) -> None:
    generator = torch.Generator().manual_seed(seed)
    for net in nets:
        for p in net.parameters():
            p.grad = torch.randn(p.shape, generator=generator).to(p.device)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_per_step(shape: tuple[int, ...], args: argparse.Namespace, device: torch.device) -> dict[str, float]:
    """Median seconds per (generator + discriminator) step of each implementation, taking turns."""
    runs: dict[str, Callable[[], float]] = {}
    for name in IMPLEMENTATIONS:
        nets = networks(shape, args.base_channels, device)
        set_gradients(nets, seed=1)
        optimizers = adams(nets, name, args.weight_decay)

        def run(optimizers: list[torch.optim.Adam] = optimizers) -> float:
            _sync(device)
            start = time.perf_counter()
            for _ in range(args.steps):
                for optimizer in optimizers:
                    optimizer.step()
            _sync(device)
            return (time.perf_counter() - start) / args.steps

        run()  # warm-up: the state is allocated on the first step
        runs[name] = run
    times: dict[str, list[float]] = {name: [] for name in runs}
    for round_ in range(args.repeats):
        names = list(runs)[round_ % len(runs) :] + list(runs)[: round_ % len(runs)]
        for name in names:
            times[name].append(runs[name]())
    return {name: statistics.median(values) for name, values in times.items()}


def forward_backward_seconds(shape: tuple[int, ...], args: argparse.Namespace, device: torch.device) -> float:
    """Median seconds of the forward and backward passes of one D and one G update (non-saturating loss)."""
    generator, discriminator = networks(shape, args.base_channels, device)
    z = torch.randn(args.batch_size, 100, device=device)
    real = torch.rand(args.batch_size, *shape, device=device) * 2 - 1
    ones = torch.ones(args.batch_size, 1, device=device)

    def step() -> float:
        _sync(device)
        start = time.perf_counter()
        fake = generator(z)
        d_real, d_fake = discriminator(real).view(-1, 1), discriminator(fake.detach()).view(-1, 1)
        d_loss = F.binary_cross_entropy_with_logits(d_real, ones) + F.binary_cross_entropy_with_logits(d_fake, 0 * ones)
        d_loss.backward()
        F.binary_cross_entropy_with_logits(discriminator(fake).view(-1, 1), ones).backward()
        _sync(device)
        return time.perf_counter() - start

    step()
    return statistics.median(step() for _ in range(args.repeats))


def trained(shape: tuple[int, ...], args: argparse.Namespace, device: torch.device, plan: list[str]) -> list[nn.Module]:
    """The networks after ``len(plan)`` steps, step i taken by implementation ``plan[i]``; a change of
    implementation goes through ``state_dict``/``load_state_dict``, as a resumed run does."""
    nets = networks(shape, args.base_channels, device)
    optimizers, current = adams(nets, plan[0], args.weight_decay), plan[0]
    for step, name in enumerate(plan):
        if name != current:
            states = [optimizer.state_dict() for optimizer in optimizers]
            optimizers, current = adams(nets, name, args.weight_decay), name
            for optimizer, state in zip(optimizers, states, strict=True):
                optimizer.load_state_dict(state)
                optimizer.param_groups[0].update(IMPLEMENTATIONS[name])  # the saved flags would win
        set_gradients(nets, seed=100 + step)
        for optimizer in optimizers:
            optimizer.step()
    return nets


def largest_difference(a: list[nn.Module], b: list[nn.Module]) -> float:
    pairs = [(p, q) for x, y in zip(a, b, strict=True) for p, q in zip(x.parameters(), y.parameters(), strict=True)]
    return max(float((p - q).detach().abs().max()) for p, q in pairs)


def agreement(shape: tuple[int, ...], args: argparse.Namespace, device: torch.device) -> list[str]:
    steps = args.steps
    reference = trained(shape, args, device, ["loop"] * steps)
    rows = []
    for name in IMPLEMENTATIONS:
        other = trained(shape, args, device, [name] * steps)
        rows.append(f"  {name:<8} max |w - w_loop| after {steps} steps: {largest_difference(reference, other):.3g}")
    for first, then in (("loop", "fused"), ("fused", "loop"), ("loop", "foreach")):
        plan = [first] * (steps // 2) + [then] * (steps - steps // 2)
        resumed = trained(shape, args, device, plan)
        straight = trained(shape, args, device, [then] * steps)
        difference = largest_difference(resumed, straight)
        rows.append(f"  saved by {first}, resumed by {then}: max |w - w_{then}| {difference:.3g}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shape", default="3,64,64", help="image shape C,H,W (1,28,28: MNIST; 3,64,64: CelebA)")
    parser.add_argument("--base-channels", type=int, default=64)
    parser.add_argument("--weight-decay", type=float, default=0.0)
    parser.add_argument("--steps", type=int, default=20, help="optimizer steps per timing, and steps compared")
    parser.add_argument("--repeats", type=int, default=7, help="timed rounds, the implementations taking turns")
    parser.add_argument("--batch-size", type=int, default=64, help="batch of the forward/backward timed for scale")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    shape = tuple(int(x) for x in args.shape.split(","))
    device = torch.device(args.device)
    params = sum(p.numel() for net in networks(shape, args.base_channels, device) for p in net.parameters())
    print(f"DCGAN {shape}, base_channels {args.base_channels}: {params:,} parameters on {device}, ", end="")
    print(f"{torch.get_num_threads()} threads, torch {torch.__version__}")
    times = time_per_step(shape, args, device)
    passes = forward_backward_seconds(shape, args, device)
    print(f"  forward + backward of a G+D step at batch {args.batch_size}: {passes * 1e3:.1f} ms")
    for name, seconds in times.items():
        share = seconds / (seconds + passes)
        print(
            f"  {name:<8} {seconds * 1e3:8.2f} ms per G+D step   {times['loop'] / seconds:5.2f}x the loop   "
            f"{share:6.1%} of the training step"
        )
    print("\n".join(agreement(shape, args, device)))


if __name__ == "__main__":
    main()
