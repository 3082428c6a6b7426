"""The W&B sweep example: the arguments W&B's agent renders from its parameters are ones `lightgan fit` takes."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from lightgan.app.cli import run_lightning
from lightgan.metrics.evaluator import SCORE_NAMES

REPO = Path(__file__).resolve().parent.parent
SWEEP = REPO / "configs" / "sweeps" / "gan_ring.yaml"


def drawn_values(spec: dict[str, Any]) -> list[Any]:
    """Values W&B may draw for one parameter: each of ``values``, the fixed ``value``, or a range's ends
    and its middle (geometric for the log distributions)."""
    if "values" in spec:
        return spec["values"]
    if "value" in spec:
        return [spec["value"]]
    low, high = spec["min"], spec["max"]
    return [low, math.sqrt(low * high) if spec["distribution"].startswith("log") else (low + high) / 2, high]


def trials(parameters: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Enough trials for every drawn value of every parameter to appear in one (the i-th of each, cycling)."""
    drawn = {name: drawn_values(spec) for name, spec in parameters.items()}
    count = max(len(values) for values in drawn.values())
    return [{name: values[i % len(values)] for name, values in drawn.items()} for i in range(count)]


def render_args(trial: dict[str, Any]) -> list[str]:
    """``${args}`` as W&B's agent renders it: ``--{name}={value}``, the value written by Python's ``str``."""
    return [f"--{name}={value}" for name, value in trial.items()]


def setting(config: dict[str, Any], dotted: str) -> Any:
    for part in dotted.split("."):
        config = config[part]
    return config


@pytest.fixture(scope="module")
def sweep() -> dict[str, Any]:
    return yaml.safe_load(SWEEP.read_text())


def test_the_sweep_runs_lightgan_fit_and_optimises_a_logged_metric(sweep: dict[str, Any]) -> None:
    assert sweep["command"][:3] == ["${env}", "lightgan", "fit"] and sweep["command"][-1] == "${args}"
    prefix, name = sweep["metric"]["name"].split("/")
    assert prefix == "val" and name in SCORE_NAMES["modes"]  # what QualityMetrics(metrics=modes) logs


def test_lightgan_fit_takes_the_arguments_the_agent_renders(
    sweep: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(REPO)  # the agent runs from the repository root: the command names the config from there
    fixed = [arg for arg in sweep["command"][2:] if arg != "${args}"]
    for trial in trials(sweep["parameters"]):
        with pytest.raises(SystemExit) as done:
            run_lightning([*fixed, *render_args(trial), "--print_config"])
        assert done.value.code in (0, None)
        config = yaml.safe_load(capsys.readouterr().out)
        assert {name: setting(config, name) for name in trial} == trial
        (quality,) = [cb for cb in config["trainer"]["callbacks"] if cb["class_path"].endswith("QualityMetrics")]
        assert quality["init_args"]["metrics"] == "modes"
