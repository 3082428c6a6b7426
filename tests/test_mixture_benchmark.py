"""benchmarks/mixtures.py on a tiny budget: recipes, per-run results, the summary beside PacGAN's Table 1."""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "mixtures.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("mixtures_benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_recipes_cross_configs_with_every_combination_of_varied_values(bench) -> None:
    found = bench.recipes(["gan_ring"], ["trainer.max_epochs=1"], ["model.init_args.hidden_dims=[8,8],[16,16]"])
    assert [r.name for r in found] == [
        "gan_ring[max_epochs=1,hidden_dims=[8,8]]",
        "gan_ring[max_epochs=1,hidden_dims=[16,16]]",
    ]
    assert len(bench.recipes(["gan_ring", "gan_grid"], [], ["a.b=1,2", "c.d=x,y,z"])) == 12
    packed = bench.Recipe("gan_ring", (("model.init_args.pack", "2"),))
    assert (packed.dataset, packed.variant) == ("ring", "PacGAN2")  # matched to PacGAN's Table 1 row
    assert (bench.Recipe("gan_grid").dataset, bench.Recipe("gan_grid").variant) == ("grid", "GAN")


def test_a_tiny_budget_run_prints_the_table_and_resumes_from_its_results(
    bench, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    argv = ["--configs", "gan_ring,gan_grid,not_a_config", "--seeds", "1", "--steps", "8", "--eval-every", "4"]
    argv += ["--n", "200", "--out", str(tmp_path / "bench"), "--threads", "1", "--pictures", "0"]
    argv += ["--set", "data.init_args.num_samples=400", "--set", "model.init_args.hidden_dims=[16,16]"]
    rows = bench.main(argv)
    captured = capsys.readouterr()
    assert "skipping not_a_config" in captured.err
    assert {row.recipe.config for row in rows} == {"gan_ring", "gan_grid"}
    assert "Budget: 8 generator steps per run (PacGAN: 400,000 = 400 epochs x 1,000 steps); 1 seed(s)" in captured.out
    assert "GAN: 6.3 / 98.2 / 0.45" in captured.out and "GAN: 17.3 / 94.8 / 0.70" in captured.out

    result = json.loads(next((tmp_path / "bench").glob("gan_grid*/seed=0.json")).read_text())
    assert [entry["step"] for entry in result["history"]] == [4, 8]
    assert (result["steps"], result["samples"], result["num_modes"]) == (8, 200, 25)
    assert result["final"] == {k: result["history"][-1][k] for k in bench.METRICS}
    assert 0 <= result["final"]["modes_captured"] <= 25

    monkeypatch.setattr(bench, "train_one", lambda *args: pytest.fail("a finished run was trained again"))
    again = bench.main(argv)
    assert [row.results for row in again] == [row.results for row in rows]
    summary = (tmp_path / "bench" / "summary.md").read_text()
    steps_table, same_time = summary.split("Same CPU time")
    assert steps_table.count("\n| ") == 3 and same_time.count("\n| ") == 3  # header + 2 recipes, each
    assert "ring: " in same_time and "grid: " in same_time  # GAN's budget on each
    assert (tmp_path / "bench" / "curves.png").stat().st_size > 0


def test_only_seeds_names_seeds_and_excludes_a_count(bench, capsys) -> None:
    assert bench.seed_list("1") == [1]  # a seed, not a count
    assert bench.seed_list("3,4") == [3, 4] and bench.seed_list("3-5") == [3, 4, 5]
    assert bench.seed_list("0, 4-5, 4") == [0, 4, 5]
    for bad in ("", "a", "5-3", "1-x"):
        with pytest.raises(Exception, match="names no seeds"):
            bench.seed_list(bad)
    with pytest.raises(SystemExit):
        bench.build_parser().parse_args(["--seeds", "2", "--only-seeds", "1"])
    assert "not allowed with argument" in capsys.readouterr().err


def test_seeds_split_over_runs_are_gathered_by_a_run_with_the_count(
    bench, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    argv = ["--configs", "gan_ring", "--steps", "4", "--n", "100", "--out", str(tmp_path), "--threads", "1"]
    argv += ["--pictures", "0", "--set", "data.init_args.num_samples=400", "--set", "model.init_args.hidden_dims=[8]"]
    (row,) = bench.main([*argv, "--only-seeds", "1"])
    assert [result["seed"] for result in row.results] == [1]
    assert [p.name for p in tmp_path.glob("gan_ring*/seed=*.json")] == ["seed=1.json"]

    trained = []

    def fake_train(recipe, seed, options):
        trained.append(seed)
        return {**row.results[0], "seed": seed}

    monkeypatch.setattr(bench, "train_one", fake_train)
    (gathered,) = bench.main([*argv, "--seeds", "2"])
    assert trained == [0], "seed 1 was finished by the first run"
    assert sorted(result["seed"] for result in gathered.results) == [0, 1]
    assert "; 2 seed(s);" in capsys.readouterr().out


def test_recipes_are_read_at_the_cpu_time_the_baseline_took(bench) -> None:
    def result(cpu_s: float, steps: int, modes: list[int]) -> dict:
        every = steps // len(modes)
        history = [
            {"step": every * (i + 1), "modes_captured": m, "high_quality_pct": 10.0 * m, "reverse_kl": 1.0 / m}
            for i, m in enumerate(modes)
        ]
        return {"cpu_s": cpu_s, "steps": steps, "history": history}

    gan = bench.Row(bench.Recipe("gan_ring"), [result(100.0, 1000, [2, 4, 6, 8])])
    slow = bench.Row(bench.Recipe("gman_ring"), [result(400.0, 1000, [3, 5, 7, 8])])  # 4x the CPU per step
    fast = bench.Row(bench.Recipe("fgan_ring"), [result(50.0, 1000, [1, 2, 3, 4])])
    assert bench.at_cpu_budget(slow.results[0], 100.0)["entry"]["step"] == 250  # 250 steps fit in 100 s
    table = bench.same_time_table([gan, slow, fast])
    rows = {line.split("|")[2].strip(): [c.strip() for c in line.split("|")[3:-1]] for line in table.splitlines()[4:]}
    assert rows["gan_ring"] == ["0.100", "1,000 (all its steps)", "8.0", "80.0", "0.12"]
    assert rows["gman_ring"] == ["0.400", "250", "3.0", "30.0", "0.33"]
    assert rows["fgan_ring"] == ["0.050", "1,000 (all its steps)", "4.0", "40.0", "0.25"]
    assert "ring: 100 CPU s" in table and "longest run" in table


def test_curves_average_the_seeds_at_the_steps_every_seed_measured(bench) -> None:
    def result(history: list[tuple[int, int]]) -> dict:
        return {
            "history": [
                {"step": s, "modes_captured": m, "high_quality_pct": 10.0 * m, "reverse_kl": 1.0} for s, m in history
            ]
        }

    two_seeds = bench.Row(bench.Recipe("gan_grid"), [result([(1, 2), (2, 4), (3, 6)]), result([(1, 4), (2, 8)])])
    one_seed = bench.Row(bench.Recipe("pacgan4_grid"), [result([(1, 5), (2, 7), (3, 9)])])
    panels = bench.curve_panels([two_seeds, one_seed])
    assert panels["grid: modes_captured"] == {"gan_grid": {1: 3.0, 2: 6.0}, "pacgan4_grid": {1: 5.0, 2: 7.0, 3: 9.0}}
    assert panels["grid: high_quality_pct"]["gan_grid"] == {1: 30.0, 2: 60.0}
    ring = bench.Row(bench.Recipe("gan_ring"), [result([(1, 8)])])
    assert list(bench.curve_panels([two_seeds, ring])) == [  # one row of panels per dataset
        "grid: modes_captured",
        "grid: high_quality_pct",
        "grid: reverse_kl",
        "ring: modes_captured",
        "ring: high_quality_pct",
        "ring: reverse_kl",
    ]


def test_the_trend_is_fitted_over_the_last_two_doublings_and_carried_to_the_paper_budget(bench) -> None:
    # a fast start (steps 1-3) the fit must leave out, then 10 points per doubling of steps from 4 to 16
    steps = [1, 2, 3, *range(4, 17)]
    history = [
        {"step": s, "modes_captured": 25, "high_quality_pct": 5.0 + 10.0 * math.log2(s), "reverse_kl": 90.0}
        for s in steps
    ]
    for early in history[:3]:
        early["high_quality_pct"] = 0.0
    trend = bench.doubling_trend(history, "high_quality_pct")
    assert trend.per_doubling == pytest.approx(10.0) and trend.at(16) == pytest.approx(45.0)
    assert trend.doublings_to(95.0) == pytest.approx(9)
    assert bench.doubling_trend(history, "modes_captured").doublings_to(30) == math.inf
    assert bench.Trend(per_doubling=1e-3, level=0.0).doublings_to(25) == pytest.approx(25_000)  # 2**25000 overflows
    assert bench._steps_text(25_000) == "beyond 40,000,000" and bench._steps_text(9) == "512"
    assert bench.doubling_trend(history[:2], "high_quality_pct") is None  # too few measurements

    result = {"steps": 16, "num_modes": 25, "history": history, "final": history[-1]}
    table = bench.projection_table([bench.Row(bench.Recipe("gan_grid"), [result])], target_hq=95.0)
    cells = [c.strip() for c in table.splitlines()[-1].split("|")[1:-1]]
    at_budget = 5.0 + 10.0 * math.log2(bench.PUBLISHED_STEPS)  # 191.1: beyond 100 %, so held there
    assert at_budget > 100
    assert cells == [
        "grid",
        "gan_grid",
        "16",
        "25.0 / +0.0 / 25.0",
        "45.0 / +10.0 / 100.0 (bound)",
        "90.00 / +0.00 / 90.00",
        "512",
    ]


def test_a_stopped_run_continues_from_its_last_checkpoint_to_the_same_result(bench, tmp_path: Path) -> None:
    argv = ["--configs", "gan_ring", "--only-seeds", "0", "--n", "100", "--threads", "1", "--pictures", "0"]
    argv += ["--eval-every", "3", "--set", "data.init_args.num_samples=400", "--set", "model.init_args.hidden_dims=[8]"]
    (whole,) = bench.main([*argv, "--steps", "9", "--out", str(tmp_path / "whole")])
    (part,) = bench.main([*argv, "--steps", "6", "--out", str(tmp_path / "split")])
    assert part.results[0]["sittings"] == 1
    (continued,) = bench.main([*argv, "--steps", "9", "--out", str(tmp_path / "split")])  # asks for more steps
    resumed, straight = continued.results[0], whole.results[0]
    assert resumed["sittings"] == 2 and resumed["steps"] == 9
    assert resumed["history"] == straight["history"]  # the first sitting's measurements count, and match
    assert [entry["step"] for entry in resumed["history"]] == [3, 6, 9]

    result = next((tmp_path / "split").glob("gan_ring*/seed=0.json"))
    result.unlink()  # as if the run had been killed after its last checkpoint
    (again,) = bench.main([*argv, "--steps", "9", "--out", str(tmp_path / "split")])
    assert result.is_file() and again.results[0]["history"] == straight["history"]


def test_a_run_stopped_before_its_first_checkpoint_is_trained_again(bench, tmp_path: Path) -> None:
    argv = ["--configs", "gan_ring", "--only-seeds", "0", "--steps", "4", "--n", "100", "--out", str(tmp_path)]
    argv += ["--threads", "1", "--pictures", "0", "--set", "data.init_args.num_samples=400"]
    argv += ["--set", "model.init_args.hidden_dims=[8]"]
    (first,) = bench.main(argv)
    result = next(tmp_path.glob("gan_ring*/seed=0.json"))
    result.unlink()
    for checkpoint in tmp_path.glob("gan_ring*/seed=0/checkpoints/*.ckpt"):
        checkpoint.unlink()  # as if the run had been killed before it saved one
    (again,) = bench.main(argv)
    assert result.is_file() and again.results[0]["final"] == first.results[0]["final"]
    assert again.results[0]["sittings"] == 1
