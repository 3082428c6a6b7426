"""benchmarks/step_overhead.py: the performance table's rows, FLOPs and ratios."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import pytest
import torch

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    return importlib.import_module("step_overhead")


def test_one_step_counts_both_players_forward_and_backward(bench: ModuleType) -> None:
    setting = bench.Setting(28, 4, 8)
    _, d = bench.plain_networks(setting, torch.device("cpu"))
    forward_d = torch.utils.flop_counter.FlopCounterMode(display=False)
    with forward_d:
        d(torch.zeros(8, *setting.shape))
    step = bench.step_flops(setting, torch.device("cpu"))
    # D runs forward on reals, fakes and G's fakes (3x), backward twice; G forward twice, backward once
    assert step > 3 * forward_d.get_total_flops()


def test_the_table_has_a_row_per_loop_with_its_ratio_to_the_hand_written_one(bench: ModuleType) -> None:
    times = {"plain": [2.0, 3.0, 2.5], "eager": [2.5, 2.6, 2.4], "channels-last": [1.0, 1.5, 2.0]}
    text = bench.table(bench.Setting(28, 32, 64), times, 10, 2e9, 20e9, torch.device("cpu"))
    rows = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| loop |")]
    assert [row.split(" | ")[0] for row in rows] == [
        "| hand-written PyTorch loop", "| lightgan eager (no logger, no progress bar)", "| lightgan + channels-last",
    ]  # fmt: skip
    assert rows[1].split(" | ")[1:4] == ["250.0", "240.0-260.0", "1.00x"]  # median 2.5 s over 10 steps
    assert rows[2].removesuffix(" |").split(" | ")[1:6] == ["150.0", "100.0-200.0", "0.60x", "13.3", "67%"]


def test_a_tiny_run_times_the_chosen_loops(
    bench: ModuleType, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(bench.SETTINGS, 28, bench.Setting(28, 4, 8))
    monkeypatch.setattr(bench, "conv_throughput", lambda device: 1e10)  # the yardstick is timed in the real run
    tables = bench.main(["--sizes", "28", "--loops", "plain,eager", "--steps", "3", "--warmup", "1", "--repeats", "1"])
    assert len(tables) == 1 and "| hand-written PyTorch loop |" in tables[0] and "| lightgan eager" in tables[0]
    with pytest.raises(SystemExit):
        bench.main(["--loops", "turbo"])
    assert "--loops: 'turbo' is not one of plain" in capsys.readouterr().err
