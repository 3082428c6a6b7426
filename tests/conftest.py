from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from fakedata import write_cifar10, write_idx_dataset

os.environ.setdefault("WANDB_SILENT", "true")


@pytest.fixture(autouse=True)
def _offline_and_isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test may reach the network, write outside its temporary folder or change torch's thread count for
    the tests after it (results on the CPU depend on it, and some tests compare with a fresh process)."""
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.delenv("LIGHTGAN_RUN_DIR", raising=False)
    monkeypatch.setenv("WANDB_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def mnist_root(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    write_idx_dataset(root / "MNIST" / "raw")
    return root


@pytest.fixture
def fashion_root(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    write_idx_dataset(root / "FashionMNIST" / "raw", seed=1)
    return root


@pytest.fixture
def cifar_root(tmp_path: Path) -> Path:
    return write_cifar10(tmp_path / "data")
