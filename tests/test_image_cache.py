"""The preprocessed cache: built once, reused, rebuilt when files or settings change; bad files."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import pytest
import torch
from fakedata import write_image

import lightgan.data.cache as cache_module
from lightgan.data.cache import MemmapImages, load_or_build
from lightgan.data.decode import ImageSpec, find_images
from lightgan.errors import DatasetError

SPEC = ImageSpec(size=8, channels=3)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for i in range(6):
        write_image(tmp_path / "images" / f"{i}.png", 20, 16, seed=i)
    return tmp_path / "images"


@pytest.fixture
def decode_calls(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    calls: list[Path] = []
    real = cache_module.decode_image

    def counting(path: Path, spec: ImageSpec):
        calls.append(path)
        return real(path, spec)

    monkeypatch.setattr(cache_module, "decode_image", counting)
    return calls


def _load(folder: Path, cache_file: Path | None, spec: ImageSpec = SPEC, **kwargs):
    return load_or_build(find_images(folder), folder, spec, cache_file, name="Test", **kwargs)


def test_second_load_reads_the_cache_without_decoding(folder: Path, tmp_path: Path, decode_calls: list) -> None:
    cache_file = tmp_path / "cache" / "test.uint8"
    first = _load(folder, cache_file)
    assert len(decode_calls) == 6 and cache_file.stat().st_size == 6 * 3 * 8 * 8
    second = _load(folder, cache_file)
    assert len(decode_calls) == 6  # nothing decoded again
    assert second.pixels is None and second.path == cache_file
    assert torch.equal(first.tensor(), second.tensor())


def test_changed_added_or_removed_files_rebuild_the_cache(folder: Path, tmp_path: Path, decode_calls: list) -> None:
    cache_file = tmp_path / "test.uint8"
    before = _load(folder, cache_file).tensor().clone()
    write_image(folder / "3.png", 20, 16, seed=99)
    os.utime(folder / "3.png", ns=(1, 1))  # a different mtime even on coarse clocks
    changed = _load(folder, cache_file)
    assert len(decode_calls) == 12
    assert not torch.equal(changed.tensor()[3], before[3]) and torch.equal(changed.tensor()[2], before[2])
    (folder / "5.png").unlink()
    assert len(_load(folder, cache_file)) == 5 and len(decode_calls) == 17
    write_image(folder / "new.png", 20, 16)
    assert len(_load(folder, cache_file)) == 6 and len(decode_calls) == 23


def test_another_size_does_not_reuse_the_cache(folder: Path, tmp_path: Path, decode_calls: list) -> None:
    cache_file = tmp_path / "test.uint8"
    _load(folder, cache_file)
    bigger = _load(folder, cache_file, ImageSpec(size=12, channels=3))
    assert len(decode_calls) == 12 and bigger.tensor().shape == (6, 3, 12, 12)


def test_unreadable_images_are_skipped_with_one_warning_each_and_a_count(folder: Path, tmp_path: Path) -> None:
    good = (folder / "0.png").read_bytes()
    (folder / "1.png").write_bytes(good[: len(good) // 2])  # truncated
    (folder / "4.png").write_bytes(b"garbage")
    cache_file = tmp_path / "test.uint8"
    with pytest.warns(UserWarning) as caught:
        decoded = _load(folder, cache_file)
    messages = [str(w.message) for w in caught]
    assert any(str(folder / "1.png") in m for m in messages) and any(str(folder / "4.png") in m for m in messages)
    assert messages[-1].startswith("Test: skipped 2 unreadable image(s) of 6")
    assert decoded.sources.tolist() == [0, 2, 3, 5]
    assert json.loads(cache_file.with_suffix(".json").read_text())["skipped"] == [
        str(folder / "1.png"),
        str(folder / "4.png"),
    ]
    assert _load(folder, cache_file).sources.tolist() == [0, 2, 3, 5]  # reused, same rows
    with pytest.raises(DatasetError, match=r"cannot read the image .*1\.png \(2 unreadable in all"):
        _load(folder, cache_file, on_bad_image="raise")  # the cache built with skip does not hide them


def test_unreadable_image_can_stop_the_run(folder: Path) -> None:
    (folder / "2.png").write_bytes(b"garbage")
    with pytest.raises(DatasetError, match=r"2\.png.*on_bad_image=skip"):
        _load(folder, None, on_bad_image="raise")


def test_no_readable_image_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.jpg").write_bytes(b"x")
    with pytest.warns(UserWarning), pytest.raises(DatasetError, match="none of the 1 image files"):
        _load(tmp_path, None)


def test_worker_processes_decode_the_same_pixels(folder: Path, tmp_path: Path) -> None:
    serial = _load(folder, None).tensor()
    parallel = _load(folder, tmp_path / "w.uint8", workers=2).tensor()
    assert torch.equal(serial, parallel)


def test_memmap_images_gather_rows_and_pickle_without_pixels(folder: Path, tmp_path: Path) -> None:
    decoded = _load(folder, tmp_path / "test.uint8")
    rows = torch.tensor([5, 1, 3])
    dataset = MemmapImages(decoded.path, (6, *SPEC.shape), rows, torch.tensor([7, 8, 9]))
    batch = dataset[torch.tensor([2, 0])]
    assert torch.equal(batch["real"], decoded.tensor()[[3, 5]]) and batch["label"].tolist() == [9, 7]
    assert len(pickle.dumps(dataset)) < 2_000  # the map is reopened in each worker, not copied
