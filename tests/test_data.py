from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import torch
import torchvision
from fakedata import write_idx_dataset

from lightgan.data import CIFAR10, MNIST, FashionMNIST, GridMixture, RingMixture
from lightgan.errors import ConfigError, DatasetNotFoundError


def first_batch(dm, stage: str = "fit") -> dict[str, torch.Tensor]:
    dm.prepare_data()
    dm.setup(stage)
    batch = next(iter(dm.train_dataloader()))
    return dm.on_after_batch_transfer(batch, 0)


def test_mnist_reads_idx_files(mnist_root: Path) -> None:
    dm = MNIST(root=str(mnist_root), download=False, batch_size=16, seed=0)
    assert dm.data_shape == (1, 28, 28) and dm.num_classes == 10
    batch = first_batch(dm)
    assert batch["real"].shape == (16, 1, 28, 28) and batch["real"].dtype == torch.float32
    assert batch["real"].min() >= -1 and batch["real"].max() <= 1
    # the fabricated images encode the label as a bright square: the loader keeps image and label paired
    for image, label in zip(batch["real"], batch["label"], strict=True):
        row, col = divmod(int(label), 5)
        assert image[0, 4 + row * 10 + 2, 2 + col * 5 + 1] == 1.0
    assert len(dm.val_set) == 64


def test_mnist_unpacks_gzipped_files(tmp_path: Path) -> None:
    write_idx_dataset(tmp_path / "data" / "MNIST" / "raw", gzipped=True)
    dm = MNIST(root=str(tmp_path / "data"), download=False, batch_size=8)
    assert first_batch(dm)["real"].shape == (8, 1, 28, 28)


def test_mnist_resizes_once_in_memory(mnist_root: Path) -> None:
    dm = MNIST(root=str(mnist_root), download=False, image_size=32, batch_size=4)
    assert dm.data_shape == (1, 32, 32)
    assert first_batch(dm)["real"].shape == (4, 1, 32, 32)
    assert dm.train_set.real.dtype == torch.uint8


def test_missing_mnist_says_where_to_get_it(tmp_path: Path) -> None:
    dm = MNIST(root=str(tmp_path / "nowhere"), download=False)
    with pytest.raises(DatasetNotFoundError, match=r"nowhere/MNIST/raw lacks the IDX files.*download=true"):
        dm.prepare_data()


def test_failed_download_explains_the_manual_route(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(self, *args, **kwargs):
        raise RuntimeError("Error downloading train-images-idx3-ubyte.gz")

    monkeypatch.setattr(torchvision.datasets.MNIST, "download", no_network)
    with pytest.raises(DatasetNotFoundError, match=r"Could not download MNIST.*put them there"):
        MNIST(root=str(tmp_path / "data"), download=True).prepare_data()  # ok-offline: download is patched to fail


def test_fashion_mnist_uses_debian_package_files(tmp_path: Path) -> None:
    debian = write_idx_dataset(tmp_path / "usr-share-datasets-fashion-mnist", gzipped=True, seed=5)
    dm = FashionMNIST(root=str(tmp_path / "data"), download=False, debian_root=str(debian), batch_size=8)
    batch = first_batch(dm)
    assert batch["real"].shape == (8, 1, 28, 28)
    raw = tmp_path / "data" / "FashionMNIST" / "raw" / "train-images-idx3-ubyte"
    assert raw.read_bytes() == gzip.decompress((debian / "train-images-idx3-ubyte.gz").read_bytes())


@pytest.mark.skipif(
    not Path("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz").is_file(),
    reason="Debian's dataset-fashion-mnist package is not installed",
)
def test_real_fashion_mnist_from_debian(tmp_path: Path) -> None:
    dm = FashionMNIST(root=str(tmp_path / "data"), download=False, batch_size=32)
    first_batch(dm)
    assert (len(dm.train_set), len(dm.val_set), len(dm.test_set)) == (50_000, 10_000, 10_000)
    assert torch.bincount(torch.cat([dm.train_set.labels, dm.val_set.labels])).tolist() == [6000] * 10


def test_cifar10_reads_python_batches(cifar_root: Path) -> None:
    dm = CIFAR10(root=str(cifar_root), download=False, batch_size=8)
    assert dm.data_shape == (3, 32, 32)
    batch = first_batch(dm)
    assert batch["real"].shape == (8, 3, 32, 32)
    assert len(dm.train_set) == 5 * 40 and len(dm.val_set) == 40
    # pixel layout: the pickle stores 1024 R, then G, then B values per image (row-major)
    import pickle

    with (cifar_root / "cifar-10-batches-py" / "test_batch").open("rb") as f:
        raw = pickle.load(f)
    first = torch.from_numpy(raw["data"][0]).view(3, 32, 32)
    assert torch.equal(dm.val_set.real[0], first)


def test_missing_cifar_names_the_folder(tmp_path: Path) -> None:
    with pytest.raises(DatasetNotFoundError, match=r"cifar-10-batches-py lacks data_batch_1\.\.5"):
        CIFAR10(root=str(tmp_path), download=False).prepare_data()


def test_ring_mixture_geometry() -> None:
    dm = RingMixture(num_samples=4000, val_samples=100)
    dm.setup("fit")
    centers = dm.mode_centers
    assert centers.shape == (8, 2)
    assert torch.allclose(centers.norm(dim=1), torch.ones(8))
    points, modes = dm.train_set.real, dm.train_set.labels
    assert torch.allclose((points - centers[modes]).std(), torch.tensor(0.01), rtol=0.1)
    assert torch.bincount(modes, minlength=8).min() > 400  # all modes present, roughly equal weight


def test_grid_mixture_geometry() -> None:
    dm = GridMixture(num_samples=5000, val_samples=100)
    dm.setup("fit")
    xs = sorted({float(x) for x in dm.mode_centers[:, 0]})
    assert xs == [-4.0, -2.0, 0.0, 2.0, 4.0] and len(dm.mode_centers) == 25
    points, modes = dm.train_set.real, dm.train_set.labels
    assert torch.allclose((points - dm.mode_centers[modes]).std(), torch.tensor(0.05), rtol=0.1)


def test_mixture_rejects_bad_sizes() -> None:
    with pytest.raises(ConfigError, match="num_samples \\(10\\) must be at least the batch size \\(100\\)"):
        RingMixture(num_samples=10)
