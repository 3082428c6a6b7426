"""Images per second: lightgan's in-memory uint8 path vs a torchvision DataLoader over PIL images.

Both produce the same batches: the centre square of each image resized to ``--size``, as floats
in [-1, 1] on ``--device``. lightgan decodes the files once (into its cache file) and then
gathers batches from one uint8 tensor (on the GPU when ``--device cuda``); the DataLoader
decodes, resizes and converts every image again in every epoch, in ``--workers`` processes.

    python benchmarks/data_throughput.py                       # 3,000 JPEGs of 256 x 256 -> 64 x 64, 3 epochs
    python benchmarks/data_throughput.py --device cuda --workers 8
    python benchmarks/data_throughput.py --folder data/abstract_art --size 128
    python benchmarks/data_throughput.py --quick               # a few seconds: checks that it runs
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import torch
import torchvision
from PIL import Image
from torch.utils.data import DataLoader
from torchvision import transforms

from lightgan.data.image_folder import ImageFolder
from lightgan.data.loader import ResumableLoader


def write_jpegs(folder: Path, count: int, side: int) -> None:
    """Smooth random colour fields, so the JPEGs compress (and decode) like photos rather than noise."""
    rng = np.random.default_rng(0)
    (folder / "all").mkdir(parents=True, exist_ok=True)
    for i in range(count):
        coarse = rng.integers(0, 256, size=(8, 8, 3), dtype=np.uint8)
        image = Image.fromarray(coarse).resize((side, side), Image.Resampling.BICUBIC)
        image.save(folder / "all" / f"{i:05d}.jpg", quality=90)


def to_model_input(images: torch.Tensor, device: torch.device) -> torch.Tensor:
    """What the model receives: uint8 -> float in [-1, 1] on the training device."""
    return images.to(device, non_blocking=True).float().div_(127.5).sub_(1.0)


def images_per_second(batches: Callable[[], Iterable[torch.Tensor]], epochs: int, device: torch.device) -> float:
    seen = 0
    started = time.perf_counter()
    for _ in range(epochs):
        for images in batches():
            seen += len(to_model_input(images, device))
    if device.type == "cuda":
        torch.cuda.synchronize()
    return seen / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folder", type=Path, help="a folder of images to use instead of generated JPEGs")
    parser.add_argument("--images", type=int, default=3000, help="how many JPEGs to generate")
    parser.add_argument("--source-size", type=int, default=256, help="side of the generated JPEGs")
    parser.add_argument("--size", type=int, default=64, help="side of the images the model sees")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=min(4, len(os.sched_getaffinity(0))))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--quick", action="store_true", help="tiny budget: 256 small images, one epoch")
    args = parser.parse_args()
    if args.quick:
        args.images, args.source_size, args.epochs, args.batch_size = 256, 96, 1, 64
    device = torch.device(args.device)

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder
        if folder is None:
            folder = Path(tmp) / "images"
            write_jpegs(folder, args.images, args.source_size)
        options = {"image_size": args.size, "batch_size": args.batch_size, "num_workers": args.workers}
        options["cache_dir"] = str(Path(tmp) / "cache")

        started = time.perf_counter()
        first = ImageFolder(root=str(folder), **options)
        first.prepare_data()
        first.setup("fit")
        build_seconds = time.perf_counter() - started
        started = time.perf_counter()
        data = ImageFolder(root=str(folder), **options)
        data.setup("fit")
        reload_seconds = time.perf_counter() - started
        dataset = data.train_set
        if device.type != "cpu":
            dataset.move_to(device)  # what GANDataModule does when training on a GPU
        count = len(dataset)
        loader = ResumableLoader(dataset, args.batch_size, shuffle=True, seed=0)
        lightgan_rate = images_per_second(lambda: (batch["real"] for batch in loader), args.epochs, device)

        pipeline = transforms.Compose(
            [transforms.Resize(args.size), transforms.CenterCrop(args.size), transforms.PILToTensor()]
        )
        pil_dataset = torchvision.datasets.ImageFolder(str(folder), transform=pipeline)
        pil_loader = DataLoader(
            pil_dataset,
            batch_size=args.batch_size,
            shuffle=True,
            drop_last=True,
            num_workers=args.workers,
            pin_memory=device.type == "cuda",
            persistent_workers=args.workers > 0,
        )
        torchvision_rate = images_per_second(lambda: (images for images, _ in pil_loader), args.epochs, device)

    print(
        f"data throughput: {count:,} images -> {args.size}x{args.size} RGB, batch {args.batch_size}, "
        f"{args.epochs} epoch(s), {args.workers} worker(s), device {device}, {len(os.sched_getaffinity(0))} CPU cores"
    )
    print(f"  lightgan in-memory uint8 tensor : {lightgan_rate:12,.0f} images/s")
    print(f"      (decoded once in {build_seconds:.1f} s into the cache; later runs load it in {reload_seconds:.2f} s)")
    print(f"  torchvision DataLoader over PIL : {torchvision_rate:12,.0f} images/s")
    print(f"  ratio                           : {lightgan_rate / torchvision_rate:12.1f}x")


if __name__ == "__main__":
    main()
