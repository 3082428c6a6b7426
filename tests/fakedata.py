"""Small datasets written in the exact on-disk formats the real ones use (no download ever)."""

from __future__ import annotations

import gzip
import pickle
import struct
from pathlib import Path

import numpy as np

IDX_NAMES = {
    ("train", "images"): "train-images-idx3-ubyte",
    ("train", "labels"): "train-labels-idx1-ubyte",
    ("test", "images"): "t10k-images-idx3-ubyte",
    ("test", "labels"): "t10k-labels-idx1-ubyte",
}


def _idx_bytes(array: np.ndarray) -> bytes:
    """IDX: magic (0, 0, dtype 0x08 = ubyte, ndim), big-endian sizes, raw bytes."""
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_idx_dataset(folder: Path, n_train: int = 256, n_test: int = 64, gzipped: bool = False, seed: int = 0) -> Path:
    """MNIST-style IDX files: 28x28 images with a bright square whose position encodes the class."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for split, n in (("train", n_train), ("test", n_test)):
        labels = rng.integers(0, 10, size=n).astype(np.uint8)
        images = rng.integers(0, 40, size=(n, 28, 28)).astype(np.uint8)
        for i, label in enumerate(labels):
            row, col = divmod(int(label), 5)
            images[i, 4 + row * 10 : 12 + row * 10, 2 + col * 5 : 6 + col * 5] = 255
        for kind, array in (("images", images), ("labels", labels)):
            data = _idx_bytes(array)
            name = IDX_NAMES[(split, kind)]
            if gzipped:
                (folder / f"{name}.gz").write_bytes(gzip.compress(data))
            else:
                (folder / name).write_bytes(data)
    return folder


def write_cifar10(root: Path, per_batch: int = 40, n_test: int = 40, seed: int = 0) -> Path:
    """cifar-10-batches-py: pickled dicts with a (N, 3072) uint8 'data' array and 'labels'."""
    rng = np.random.default_rng(seed)
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for name in names:
        n = n_test if name == "test_batch" else per_batch
        batch = {
            "batch_label": name,
            "data": rng.integers(0, 256, size=(n, 3072)).astype(np.uint8),
            "labels": rng.integers(0, 10, size=n).tolist(),
            "filenames": [f"img_{i}.png" for i in range(n)],
        }
        with (folder / name).open("wb") as f:
            pickle.dump(batch, f)
    return root


# ---------------------------------------------------------------------- image-file datasets
#: Line 2 of list_attr_celeba.txt: the 40 attribute names, space-separated, with a trailing space.
CELEBA_HEADER = (
    "5_o_Clock_Shadow Arched_Eyebrows Attractive Bags_Under_Eyes Bald Bangs Big_Lips Big_Nose Black_Hair Blond_Hair "
    "Blurry Brown_Hair Bushy_Eyebrows Chubby Double_Chin Eyeglasses Goatee Gray_Hair Heavy_Makeup High_Cheekbones Male "
    "Mouth_Slightly_Open Mustache Narrow_Eyes No_Beard Oval_Face Pale_Skin Pointy_Nose Receding_Hairline Rosy_Cheeks "
    "Sideburns Smiling Straight_Hair Wavy_Hair Wearing_Earrings Wearing_Hat Wearing_Lipstick Wearing_Necklace "
    "Wearing_Necktie Young "
)
CELEBA_ATTRIBUTES = CELEBA_HEADER.split()


def write_image(path: Path, width: int = 48, height: int = 40, mode: str = "RGB", seed: int = 0) -> Path:
    """A noisy image in ``mode``; the format follows the file extension (PIL)."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    channels = {"L": 1, "RGB": 3, "RGBA": 4}[mode]
    pixels = rng.integers(0, 256, size=(height, width, channels), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels[..., 0] if channels == 1 else pixels, mode=mode).save(path)
    return path


def write_image_folder(root: Path, classes: dict[str, int], ext: str = ".jpg", mode: str = "RGB") -> Path:
    """``root/<class>/<i><ext>`` for each class; a class named "" puts its images in ``root`` itself."""
    seed = 0
    for name, count in classes.items():
        for i in range(count):
            write_image(root / name / f"{name or 'img'}_{i:03d}{ext}", mode=mode, seed=seed)
            seed += 1
    return root


def celeba_image(top_bottom: tuple[int, int, int], middle: tuple[int, int, int]) -> np.ndarray:
    """A 218 x 178 face-sized image: 20-pixel bands at the top and bottom, which the 178 crop removes."""
    pixels = np.empty((218, 178, 3), dtype=np.uint8)
    pixels[:] = middle
    pixels[:20] = top_bottom
    pixels[-20:] = top_bottom
    return pixels


def write_celeba(root: Path, partitions: list[int], seed: int = 0, kaggle_layout: bool = False) -> np.ndarray:
    """CelebA as torchvision expects it under ``root/celeba`` (or as the Kaggle copy lays it out).

    Images are 178 x 218 JPEGs (red bands outside the centre square, green inside). Returns the
    (N, 40) attribute matrix of -1/1 values written to the attribute list.
    """
    from PIL import Image

    rng = np.random.default_rng(seed)
    folder = root / "celeba"
    images = folder / "img_align_celeba"
    if kaggle_layout:
        images = images / "img_align_celeba"
    images.mkdir(parents=True, exist_ok=True)
    n = len(partitions)
    names = [f"{i:06d}.jpg" for i in range(1, n + 1)]
    attributes = rng.choice([-1, 1], size=(n, len(CELEBA_ATTRIBUTES)))
    for name in names:
        Image.fromarray(celeba_image((255, 0, 0), (0, 255, 0))).save(images / name, quality=95)
    if kaggle_layout:
        rows = ["image_id," + ",".join(CELEBA_ATTRIBUTES)]
        rows += [f"{name}," + ",".join(str(v) for v in values) for name, values in zip(names, attributes, strict=True)]
        (folder / "list_attr_celeba.csv").write_text("\n".join(rows) + "\n")
        rows = ["image_id,partition"] + [f"{name},{p}" for name, p in zip(names, partitions, strict=True)]
        (folder / "list_eval_partition.csv").write_text("\n".join(rows) + "\n")
    else:
        # The official layout: the count, the names (with a trailing space), then right-aligned values.
        lines = [str(n), CELEBA_HEADER]
        lines += [name + "".join(f" {v:>2}" for v in values) for name, values in zip(names, attributes, strict=True)]
        (folder / "list_attr_celeba.txt").write_text("\n".join(lines) + "\n")
        lines = [f"{name} {p}" for name, p in zip(names, partitions, strict=True)]
        (folder / "list_eval_partition.txt").write_text("\n".join(lines) + "\n")
    return attributes


def write_chest_xray(root: Path, shenzhen: tuple[int, int] = (3, 3), montgomery: tuple[int, int] = (2, 2)) -> Path:
    """Kaggle's pulmonary-chest-xray-abnormalities layout: both sets, Montgomery's lung masks and readings.

    ``shenzhen``/``montgomery`` are (normal, tuberculosis) counts; scans are 8-bit grayscale PNGs
    whose brightness encodes the label (dark normal, bright tuberculosis); masks are all white.
    """
    from PIL import Image

    folder = root / "chest_xray"
    sets = (
        ("CHNCXR", folder / "ChinaSet_AllFiles" / "ChinaSet_AllFiles", shenzhen),
        ("MCUCXR", folder / "Montgomery" / "MontgomerySet", montgomery),
    )
    for prefix, base, (normal, tb) in sets:
        for number, label in enumerate([0] * normal + [1] * tb, start=1):
            name = f"{prefix}_{number:04d}_{label}"
            (base / "CXR_png").mkdir(parents=True, exist_ok=True)
            scan = np.full((60, 50), 40 if label == 0 else 220, dtype=np.uint8)
            Image.fromarray(scan, mode="L").save(base / "CXR_png" / f"{name}.png")
            (base / "ClinicalReadings").mkdir(parents=True, exist_ok=True)
            (base / "ClinicalReadings" / f"{name}.txt").write_text("male 35yrs\nnormal\n" if label == 0 else "PTB\n")
            if prefix == "MCUCXR":
                for side in ("leftMask", "rightMask"):
                    (base / "ManualMask" / side).mkdir(parents=True, exist_ok=True)
                    Image.fromarray(np.full((60, 50), 255, np.uint8), mode="L").save(
                        base / "ManualMask" / side / f"{name}.png"
                    )
    return root


def write_abstract_art(root: Path, n: int = 6, n_gallery_2: int = 2) -> Path:
    """Kaggle's abstract-art-gallery layout: ``Abstract_gallery/Abstract_gallery/Abstract_image_<i>.jpg``."""
    folder = root / "abstract_art"
    for gallery, count in (("Abstract_gallery", n), ("Abstract_gallery_2", n_gallery_2)):
        for i in range(count):
            write_image(folder / gallery / gallery / f"Abstract_image_{i}.jpg", 64, 56, seed=i + 100 * len(gallery))
    return root
