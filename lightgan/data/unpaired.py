"""``UnpairedImages``: two domains of images with no correspondence, for CycleGAN-style translation.

The layout is that of the CycleGAN datasets (horse2zebra, monet2photo, ...): ``root/trainA/``,
``root/trainB/`` and optionally ``root/testA/``, ``root/testB/``, which validation and test use.
Batches are ``{"real": B image, "source": A image}`` (the other way round with ``direction: BtoA``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from lightning.pytorch.utilities import rank_zero_info
from torch import Tensor

from lightgan.data.base import DatasetView
from lightgan.data.cache import DecodedSet
from lightgan.data.decode import IMAGE_EXTENSIONS, find_images
from lightgan.data.image_files import TEST, TRAIN
from lightgan.data.loader import BatchIndexable
from lightgan.data.paired import TwoDomainImages
from lightgan.errors import ConfigError, DatasetNotFoundError


class UnpairedSet(DatasetView):
    """Images of two domains drawn independently: ``source`` from one dataset, ``real`` from the other.

    It has as many samples as the larger domain, the smaller one cycled. Sample i takes source image
    i mod n_source and target image p(i) mod n_target, p a permutation seeded with 0: the same in every
    run (exact resume, the same held-out pictures), and file names both domains share (sets cut from
    paired data) do not pair up. The loader reshuffles which samples make a batch every epoch, so each
    batch mixes A and B images anew; unpaired objectives compare batches, never the two images of a row.
    """

    def __init__(self, source: BatchIndexable, target: BatchIndexable) -> None:
        super().__init__(source, target)
        self.source, self.target = source, target
        self.partner = torch.randperm(max(len(source), len(target)), generator=torch.Generator().manual_seed(0))

    def __len__(self) -> int:
        return len(self.partner)

    def __getitem__(self, index: Tensor) -> dict[str, Tensor]:
        index = index.cpu()
        return {
            "real": self.target[self.partner[index] % len(self.target)]["real"],
            "source": self.source[index % len(self.source)]["real"],
        }


class UnpairedImages(TwoDomainImages):
    """Unpaired domains A and B in the CycleGAN datasets' layout: ``root/trainA/``, ``root/trainB/`` and optionally
    ``root/testA/``, ``root/testB/`` (validation and test).

    Args:
        **kwargs: root, direction, image_size, channels, source_channels and the caching and loader options of
            ``TwoDomainImages``.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._decoded: dict[str, tuple[DecodedSet, np.ndarray]] = {}

    def _listed(self, side: str) -> tuple[list[Path], list[int]]:
        """The files of domain ``side`` and the split of each."""
        files, splits = [], []
        for name, split in ((f"train{side}", TRAIN), (f"test{side}", TEST)):
            folder = self.root / name
            if not folder.is_dir():
                if split == TRAIN:
                    raise DatasetNotFoundError(
                        f"UnpairedImages: {folder} does not exist. Set data.init_args.root to a folder with trainA/ "
                        "and trainB/ (and optionally testA/, testB/), the layout of the CycleGAN datasets."
                    )
                continue
            found = find_images(folder)
            if not found:
                raise DatasetNotFoundError(
                    f"UnpairedImages: no images in {folder} (looked for {', '.join(IMAGE_EXTENSIONS)}). "
                    "Add images or remove the empty folder."
                )
            files += found
            splits += [split] * len(found)
        return files, splits

    def _decode(self) -> dict[str, tuple[DecodedSet, np.ndarray]]:
        """Each domain's decoded images and the split of each decoded row."""
        if not self._decoded:
            tests = [(self.root / f"test{side}").is_dir() for side in "AB"]
            if tests[0] != tests[1]:
                missing, present = ("testB", "testA") if tests[0] else ("testA", "testB")
                raise ConfigError(
                    f"UnpairedImages: {self.root / present} exists but {self.root / missing} does not; "
                    "validation needs both domains. Add it or remove the other."
                )
            for side in "AB":
                files, splits = self._listed(side)
                decoded = self.sides[side].decode(self.root, files)
                self._decoded[side] = (decoded, np.asarray(splits)[decoded.sources])
        return self._decoded

    def prepare_data(self) -> None:
        self._decode()  # rank 0 of each node writes the caches; the other ranks read them in setup()

    def setup(self, stage: str) -> None:
        if self.train_set is not None:
            return
        decoded = self._decode()
        in_memory = self._hold_in_memory(*(d for d, _ in decoded.values()))

        def subset(split: int) -> UnpairedSet | None:
            parts = []
            for side in self.roles:
                rows = torch.from_numpy(np.nonzero(decoded[side][1] == split)[0])
                if len(rows) == 0:
                    return None
                parts.append(self.sides[side].rows(rows, in_memory))
            return UnpairedSet(*parts)

        self.train_set = subset(TRAIN)
        self.val_set = self.test_set = subset(TEST)
        self._check_training_size(len(self.train_set) if self.train_set is not None else 0, "images")
        counts = ", ".join(
            f"{side} train {np.sum(splits == TRAIN):,} / test {np.sum(splits == TEST):,}"
            for side, (_, splits) in decoded.items()
        )
        where = "in memory" if in_memory else f"read from the caches by {self.num_workers} worker(s)"
        self.summary = (
            f"UnpairedImages: {counts} from {self.root} ({self.direction}: source {self.source_shape}, "
            f"real {self.data_shape}), {where}"
        )
        rank_zero_info(self.summary)
