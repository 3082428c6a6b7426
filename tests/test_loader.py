from __future__ import annotations

from itertools import chain

import torch

from lightgan.data import InMemoryDataset
from lightgan.data.loader import ResumableLoader


def dataset(n: int = 50) -> InMemoryDataset:
    return InMemoryDataset(torch.arange(n).float().unsqueeze(1), torch.arange(n))


def labels_of(loader: ResumableLoader) -> list[list[int]]:
    return [batch["label"].tolist() for batch in loader]


def test_order_depends_on_seed_and_epoch_only() -> None:
    a, b = ResumableLoader(dataset(), 10, seed=1), ResumableLoader(dataset(), 10, seed=1)
    epoch0, epoch1 = labels_of(a), labels_of(a)
    assert epoch0 == labels_of(b) and epoch1 == labels_of(b)
    assert epoch0 != epoch1
    assert epoch0 != labels_of(ResumableLoader(dataset(), 10, seed=2))
    assert sorted(chain.from_iterable(epoch0)) == list(range(50))


def test_resumes_mid_epoch_at_the_next_unseen_batch() -> None:
    straight = ResumableLoader(dataset(), 10, seed=3)
    expected = labels_of(straight) + labels_of(straight)

    stopped = ResumableLoader(dataset(), 10, seed=3)
    it = iter(stopped)
    seen = [next(it)["label"].tolist() for _ in range(3)]
    state = stopped.state_dict()
    assert state == {"seed": 3, "epoch": 0, "batches_consumed": 3}

    resumed = ResumableLoader(dataset(), 10, seed=99)  # the checkpointed seed wins
    resumed.load_state_dict(state)
    assert resumed.state_dict() == state  # saved again before its first batch: still the restored position
    assert seen + labels_of(resumed) + labels_of(resumed) == expected


def test_resume_after_a_finished_epoch_starts_the_next() -> None:
    straight = ResumableLoader(dataset(), 10, seed=4)
    first, second = labels_of(straight), labels_of(straight)
    stopped = ResumableLoader(dataset(), 10, seed=4)
    assert labels_of(stopped) == first
    resumed = ResumableLoader(dataset(), 10, seed=4)
    resumed.load_state_dict(stopped.state_dict())
    assert labels_of(resumed) == second


def test_ranks_get_disjoint_equal_shards() -> None:
    loaders = [ResumableLoader(dataset(51), 5, rank=rank, world_size=2) for rank in (0, 1)]
    shards = [list(chain.from_iterable(labels_of(loader))) for loader in loaders]
    assert len(shards[0]) == len(shards[1]) == 25
    assert not set(shards[0]) & set(shards[1])


def test_drop_last_and_keep_last() -> None:
    assert [len(b) for b in labels_of(ResumableLoader(dataset(23), 10))] == [10, 10]
    assert [len(b) for b in labels_of(ResumableLoader(dataset(23), 10, shuffle=False, drop_last=False))] == [10, 10, 3]


def test_worker_processes_give_the_same_batches() -> None:
    in_process = labels_of(ResumableLoader(dataset(), 10, seed=5))
    assert labels_of(ResumableLoader(dataset(), 10, seed=5, num_workers=2)) == in_process
