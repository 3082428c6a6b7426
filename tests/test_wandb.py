"""W&B never prompts or hangs: offline with no key or no network, WANDB_MODE honoured."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from helpers import TINY_RING, fit
from wandb.proto import wandb_internal_pb2 as pb

from lightgan.app import loggers
from lightgan.app.loggers import resolve_wandb_mode
from lightgan.app.run_dir import previous_wandb_run_id


def test_without_a_key_runs_offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("WANDB_MODE")
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))
    mode, reason = resolve_wandb_mode("auto", probe_timeout=1)
    assert mode == "offline" and "no W&B API key" in reason


def test_wandb_mode_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WANDB_MODE", "disabled")
    assert resolve_wandb_mode("auto", 1)[0] == "disabled"
    monkeypatch.setenv("WANDB_MODE", "dryrun")
    assert resolve_wandb_mode("auto", 1)[0] == "offline"
    assert resolve_wandb_mode("online", 1)[0] == "online"  # an explicit mode argument wins


def test_key_but_no_network_goes_offline_quickly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WANDB_MODE")
    monkeypatch.setenv("WANDB_API_KEY", "x" * 40)
    monkeypatch.setenv("WANDB_BASE_URL", "http://127.0.0.1:9")  # nothing listens on the discard port
    start = time.monotonic()
    mode, reason = resolve_wandb_mode("auto", probe_timeout=2)
    assert mode == "offline" and "did not answer" in reason
    assert time.monotonic() - start < 15  # bounded by the probe timeout, not W&B's 90 s init wait


def test_key_and_reachable_server_goes_online(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WANDB_MODE")
    monkeypatch.setenv("WANDB_API_KEY", "x" * 40)
    monkeypatch.setattr(loggers, "wandb_reachable", lambda timeout: True)
    assert resolve_wandb_mode("auto", 1)[0] == "online"


def test_offline_true_is_honoured_even_when_online_is_possible(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("WANDB_MODE")
    monkeypatch.setenv("WANDB_API_KEY", "x" * 40)
    monkeypatch.setattr(loggers, "wandb_reachable", lambda timeout: True)
    logger = loggers.WandbAutoModeLogger(offline=True, save_dir=str(tmp_path))
    assert logger._wandb_init["mode"] == "offline"


def _wait_for_record(path: Path, needle: bytes, timeout: float = 30.0) -> bytes:
    """W&B's service process writes the offline log; on a loaded machine it may trail ``finish()``."""
    deadline = time.monotonic() + timeout
    while True:
        record = path.read_bytes()
        if needle in record or time.monotonic() > deadline:
            return record
        time.sleep(0.5)


def test_offline_run_records_metrics_config_and_sample_images(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WANDB_MODE")  # no key in tests: the logger must choose offline by itself
    cli = fit(*TINY_RING, "--trainer.max_steps=4", "--trainer.log_every_n_steps=1", logger=True)
    assert cli.trainer.logger.mode == "offline"
    runs = list((cli.run_dir / "wandb").glob("offline-run-*"))
    assert len(runs) == 1
    files = runs[0] / "files"
    assert list((files / "media" / "images").glob("samples_*.png")), "the sample grid is logged as an image"
    (record_file,) = runs[0].glob("run-*.wandb")
    record = _wait_for_record(record_file, b"train/g_loss")
    assert b"train/g_loss" in record and b"train/d_loss" in record
    assert b"RingMixture" in record and b"n_critic" in record  # the resolved CLI config
    assert (cli.run_dir / "config.yaml").is_file()


def test_a_run_is_grouped_by_its_config_tagged_with_what_it_trained_and_gets_its_gif(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("WANDB_MODE")
    cli = fit(*TINY_RING, "--trainer.max_steps=4", "--trainer.callbacks+=ProgressGIF", logger=True)
    assert cli.run_dir.parent.name == "gan_ringmixture"  # the config name lightgan gave the run folder
    (run,) = (cli.run_dir / "wandb").glob("offline-run-*")
    (video,) = (run / "files" / "media" / "videos").glob("progress_*.gif")
    assert video.read_bytes() == (cli.run_dir / "samples" / "progress.gif").read_bytes()
    (record_file,) = run.glob("run-*.wandb")
    # the run's labels as wandb serialises them into its record
    tags = pb.RunRecord(tags=["GAN", "RingMixture", "ProgressGIF"]).SerializeToString()
    record = _wait_for_record(record_file, tags)
    assert tags in record and pb.RunRecord(run_group="gan_ringmixture").SerializeToString() in record
    assert pb.RunRecord(project="lightgan").SerializeToString() in record


@pytest.mark.parametrize("log_model", ["true", "all"])
def test_checkpoints_are_model_artifacts_of_the_offline_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, log_model: str
) -> None:
    monkeypatch.delenv("WANDB_MODE")
    staging = tmp_path / "wandb-data" / "artifacts" / "staging"  # where wandb keeps the files for `wandb sync`
    monkeypatch.setenv("WANDB_DATA_DIR", str(tmp_path / "wandb-data"))
    options = [f"--trainer.logger.init_args.{key}" for key in (f"log_model={log_model}", "tags=[mine]", "group=trial")]
    cli = fit(*TINY_RING, "--trainer.max_steps=4", *options, logger=True)
    logger = cli.trainer.logger
    assert (logger._wandb_init["tags"], logger._wandb_init["group"]) == (["mine"], "trial")  # the user's labels stay
    (record_file,) = (cli.run_dir / "wandb").glob("offline-run-*/run-*.wandb")
    artifact = pb.ArtifactRecord(type="model", name=f"model-{logger.version}").SerializeToString()
    record = _wait_for_record(record_file, artifact)
    checkpoints = sorted((cli.run_dir / "checkpoints").glob("*.ckpt"))
    assert [p.name for p in checkpoints] == ["epoch=0-step=4.ckpt", "last.ckpt"]
    assert record.count(artifact) == len(checkpoints)
    assert sorted(p.read_bytes() for p in staging.iterdir()) == sorted(p.read_bytes() for p in checkpoints)


def test_a_disabled_run_logs_no_checkpoints(tmp_path: Path) -> None:
    logger = loggers.WandbAutoModeLogger(mode="disabled", log_model="all", save_dir=str(tmp_path))
    assert logger._log_model is False  # nothing would ever upload the copies wandb makes of them


def test_a_resumed_run_continues_its_wandb_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WANDB_MODE")
    first = fit(*TINY_RING, "--trainer.max_steps=2", logger=True)
    resumed = fit(*TINY_RING, "--trainer.max_steps=4", "--ckpt_path=last", logger=True)
    assert resumed.run_dir == first.run_dir
    records = list((first.run_dir / "wandb").glob("offline-run-*/run-*.wandb"))
    assert len(records) == 2 and len({record.name for record in records}) == 1


def _fake_wandb_run(run_dir: Path, folder: str, run_id: str) -> None:
    (run_dir / "wandb" / folder).mkdir(parents=True)
    (run_dir / "wandb" / folder / f"run-{run_id}.wandb").write_bytes(b"")
    time.sleep(0.01)  # the newer record is written later


def test_the_newest_wandb_run_id_is_read_from_its_record_not_its_folder_name(tmp_path: Path) -> None:
    assert previous_wandb_run_id(tmp_path) is None
    _fake_wandb_run(tmp_path, "offline-run-20261122_112748-abc12345", "abc12345")
    # W&B appends -1 to a folder when a resumed run starts in the same second
    _fake_wandb_run(tmp_path, "offline-run-20261122_112748-abc12345-1", "abc12345")
    assert previous_wandb_run_id(tmp_path) == "abc12345"
    _fake_wandb_run(tmp_path, "run-20261122_120000-my-sweep-7", "my-sweep-7")  # ids may hold dashes
    assert previous_wandb_run_id(tmp_path) == "my-sweep-7"
    _fake_wandb_run(tmp_path, "offline-run-20261121_235959-older999", "older999")  # older start, newer file
    assert previous_wandb_run_id(tmp_path) == "my-sweep-7"
