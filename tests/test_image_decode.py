"""Decoding image files: crop, resize, channel conversion, unusual modes, unreadable files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fakedata import celeba_image, write_image
from PIL import Image

from lightgan.data.decode import ImageSpec, decode_image, find_images


def _save(pixels: np.ndarray, path: Path, **kwargs) -> Path:
    Image.fromarray(pixels).save(path, **kwargs)
    return path


def _bands(width: int, height: int, side: tuple[int, int, int], centre: tuple[int, int, int]) -> np.ndarray:
    """Centre square in one colour, the rest (left/right or top/bottom) in another."""
    pixels = np.empty((height, width, 3), np.uint8)
    pixels[:] = side
    short = min(width, height)
    top, left = (height - short) // 2, (width - short) // 2
    pixels[top : top + short, left : left + short] = centre
    return pixels


@pytest.mark.parametrize("width,height", [(90, 30), (30, 90)], ids=["landscape", "portrait"])
def test_largest_centred_square_is_kept(tmp_path: Path, width: int, height: int) -> None:
    path = _save(_bands(width, height, (0, 0, 255), (255, 0, 0)), tmp_path / "x.png")
    decoded = decode_image(path, ImageSpec(size=8, channels=3))
    assert decoded.pixels.shape == (3, 8, 8)
    assert (decoded.pixels[0] == 255).all() and (decoded.pixels[2] == 0).all()


def test_fixed_crop_removes_celeba_borders(tmp_path: Path) -> None:
    path = _save(celeba_image((255, 0, 0), (0, 255, 0)), tmp_path / "000001.png")
    cropped = decode_image(path, ImageSpec(size=16, channels=3, crop_size=178)).pixels
    assert (cropped[1] == 255).all() and (cropped[0] == 0).all()
    inner = decode_image(path, ImageSpec(size=16, channels=3, crop_size=100)).pixels
    assert (inner[1] == 255).all()


def test_jpeg_draft_decoding_keeps_the_same_crop(tmp_path: Path) -> None:
    """A large JPEG is decoded at reduced scale; the fixed crop must shrink with it."""
    pixels = np.zeros((480, 640, 3), np.uint8)
    pixels[:] = (255, 0, 0)
    pixels[112:368, 192:448] = (0, 255, 0)  # the centred 256 x 256 square, on JPEG block edges
    jpeg = _save(pixels, tmp_path / "big.jpg", quality=95)
    png = _save(pixels, tmp_path / "big.png")
    spec = ImageSpec(size=16, channels=3, crop_size=256)
    with Image.open(jpeg) as image:
        image.draft("RGB", (80, 60))
        assert image.size == (80, 60)  # the decoder really reduces this file eightfold
    from_jpeg, from_png = decode_image(jpeg, spec).pixels, decode_image(png, spec).pixels
    assert (from_png[1] == 255).all() and (from_png[0] == 0).all()
    assert np.abs(from_jpeg.astype(int) - from_png.astype(int)).max() <= 12


def test_rgb_to_grayscale_and_back_are_conversions(tmp_path: Path) -> None:
    rgb = write_image(tmp_path / "rgb.png", 16, 16, mode="RGB")
    gray = write_image(tmp_path / "gray.png", 16, 16, mode="L")
    as_gray = decode_image(rgb, ImageSpec(16, channels=1))
    assert as_gray.converted and as_gray.pixels.shape == (1, 16, 16)
    assert np.array_equal(as_gray.pixels[0], np.asarray(Image.open(rgb).convert("L")))
    as_rgb = decode_image(gray, ImageSpec(16, channels=3))
    assert as_rgb.converted and as_rgb.pixels.shape == (3, 16, 16)
    assert all(np.array_equal(as_rgb.pixels[c], np.asarray(Image.open(gray))) for c in range(3))
    assert not decode_image(gray, ImageSpec(16, channels=1)).converted
    assert not decode_image(rgb, ImageSpec(16, channels=3)).converted


def test_sixteen_bit_scans_are_stretched_to_eight_bits(tmp_path: Path) -> None:
    values = np.linspace(1000, 3000, 16 * 16).reshape(16, 16).astype(np.uint16)
    path = tmp_path / "scan.png"
    Image.fromarray(values).save(path)
    assert Image.open(path).mode.startswith("I")
    pixels = decode_image(path, ImageSpec(16, channels=1)).pixels
    assert pixels.min() == 0 and pixels.max() == 255
    assert np.all(np.diff(pixels[0].astype(int).flatten()) >= 0)  # order kept


def test_transparent_pixels_become_white(tmp_path: Path) -> None:
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[..., 0] = 255
    rgba[:, :4, 3] = 255  # left half opaque red, right half transparent
    pixels = decode_image(_save(rgba, tmp_path / "a.png"), ImageSpec(8, channels=3)).pixels
    assert (pixels[:, :, 6:] == 255).all()
    assert (pixels[0, :, :2] == 255).all() and (pixels[1:, :, :2] == 0).all()


def test_truncated_and_garbage_files_raise(tmp_path: Path) -> None:
    good = write_image(tmp_path / "good.jpg", 64, 64)
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    garbage = tmp_path / "garbage.png"
    garbage.write_bytes(b"\x89PNG not really")
    for path in (truncated, garbage):
        with pytest.raises(OSError):
            decode_image(path, ImageSpec(16, 3))


def test_find_images_skips_hidden_and_other_files(tmp_path: Path) -> None:
    for name in ("b/2.PNG", "a/1.jpg", "c.jpeg", ".hidden.jpg", "a/._1.jpg", ".lightgan_cache/x.png"):
        write_image(tmp_path / name, 8, 8)
    (tmp_path / "notes.txt").write_text("not an image")
    found = [path.relative_to(tmp_path).as_posix() for path in find_images(tmp_path)]
    assert found == ["a/1.jpg", "b/2.PNG", "c.jpeg"]


def test_find_images_follows_linked_class_folders_once(tmp_path: Path) -> None:
    write_image(tmp_path / "elsewhere" / "cat" / "1.png", 8, 8)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "cat").symlink_to(tmp_path / "elsewhere" / "cat", target_is_directory=True)
    (tmp_path / "data" / "cat" / "loop").symlink_to(tmp_path / "data", target_is_directory=True)
    found = [path.relative_to(tmp_path / "data").as_posix() for path in find_images(tmp_path / "data")]
    assert found == ["cat/1.png"]
