"""benchmarks/generators.py: ProGAN's scaled schedule, the three tables on known records, and a tiny run."""

from __future__ import annotations

import argparse
import importlib
import json
from pathlib import Path
from types import ModuleType

import pytest

from lightgan.models.progan import GrowthSchedule

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(BENCHMARKS))  # as when run as a script: it imports the scripts beside it
    return importlib.import_module("generators")


def test_progan_grows_to_full_resolution_and_trains_there_for_the_last_quarter(bench) -> None:
    settings = dict(item.removeprefix("model.init_args.").split("=") for item in bench.progan_schedule(32_000))
    schedule = GrowthSchedule((4, 8, 16, 32), int(settings["fade_images"]), int(settings["stable_images"]))
    assert schedule.at(0) == (0, 1.0)
    assert schedule.at(20_000 - 1)[0] == 2  # 32x32 starts fading in at 5/8 of the images
    assert schedule.at(20_000) == (3, 0.0) and schedule.at(22_000) == (3, 0.5)
    assert schedule.at(24_000) == (3, 1.0)  # and trains at full weight from 3/4


def test_methods_are_named_from_the_known_ones(bench) -> None:
    assert bench.method_list("dcgan, stylegan") == ["dcgan", "stylegan"]
    with pytest.raises(argparse.ArgumentTypeError, match="choose from dcgan, progan, stylegan, sagan"):
        bench.method_list("dcgan,biggan")


def _record(method: str, cpu_s: float, fids: list[float]) -> dict:
    history = [{"step": 100 * (i + 1), "fid": f, "precision": 0.1 * i, "recall": 0.05 * i} for i, f in enumerate(fids)]
    return {"method": method, "steps": 100 * len(fids), "batch": 32, "cpu_s": cpu_s, "history": history}


def test_the_tables_read_each_method_at_its_end_and_at_dcgans_cpu_time(bench) -> None:
    records = {
        "dcgan": _record("DCGAN", 40.0, [300.0, 200.0, 150.0, 120.0]),  # 100 ms per step
        "stylegan": _record("StyleGAN", 160.0, [250.0, 140.0, 90.0, 60.0]),  # 4x the CPU per step
    }
    equal_images = bench.equal_images_table(records).splitlines()
    assert equal_images[2] == "| DCGAN | 400 | 12,800 | 120.0 | 0.300 | 0.150 | 100 | 1.00x |"
    assert equal_images[3] == "| StyleGAN | 400 | 12,800 | 60.0 | 0.300 | 0.150 | 400 | 4.00x |"
    equal_time = bench.equal_time_table(records)
    assert "DCGAN's run: 40 CPU s." in equal_time
    assert "| StyleGAN | 100 | 100 | 250.0 | 0.000 | 0.000 |" in equal_time  # 100 steps fit, measured at step 100
    assert "| DCGAN | 400 | 400 | 120.0 |" in equal_time


def test_the_truncation_verdict_needs_precision_up_and_recall_down(bench) -> None:
    def curve(precisions: list[float], recalls: list[float]) -> list[dict]:
        return [
            {"psi": psi, "fid": 1.0, "precision": p, "recall": r}
            for psi, p, r in zip(bench.PSIS, precisions, recalls, strict=True)
        ]

    lines = bench.trend_lines(
        {"A": curve([0.5, 0.6, 0.7, 0.8], [0.5, 0.4, 0.3, 0.2]), "B": curve([0.5, 0.6, 0.7, 0.8], [0.5, 0.5, 0.6, 0.6])}
    )
    assert lines[0].endswith(": as the papers describe")
    assert "recall 0.500 -> 0.600" in lines[1] and lines[1].endswith("NOT as the papers describe")


def test_a_tiny_run_prints_every_table_draws_and_is_not_trained_again(
    bench, fashion_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    argv = ["--methods", "dcgan,progan,stylegan", "--steps", "4", "--eval-every", "2", "--n", "32", "--batch", "8"]
    argv += ["--set", "model.init_args.base_channels=4", "--out", str(tmp_path / "bench"), "--pictures", str(tmp_path)]
    argv += ["--set", "model.init_args.latent_dim=8"]
    result = bench.main(argv)
    printed = capsys.readouterr().out
    for title in ("## Equal images", "## Equal CPU time", "## Truncation"):
        assert title in printed
    records = result["records"]
    assert [record["steps"] for record in records.values()] == [4, 4, 4]
    assert [[entry["step"] for entry in record["history"]] for record in records.values()] == [[2, 4]] * 3
    assert [point["psi"] for point in result["curves"]["StyleGAN"]] == [1.0, 0.9, 0.7, 0.5]
    untruncated = result["curves"]["DCGAN"][0]
    assert untruncated["fid"] == pytest.approx(records["dcgan"]["history"][-1]["fid"])  # the same samples and reals
    for name in ("generators_samples.png", "generators_truncation_dcgan.png", "generators_truncation_stylegan.png"):
        assert (tmp_path / name).is_file()
    assert json.loads((tmp_path / "bench" / "progan" / "seed=0.json").read_text())["overrides"][0].endswith("=4")

    monkeypatch.setattr(bench, "train", lambda *args: pytest.fail("a finished run was trained again"))
    again = bench.main(argv)
    assert again["curves"] == result["curves"]
