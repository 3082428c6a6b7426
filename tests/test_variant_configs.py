"""Every variant config parses, and trains one short epoch through the CLI on fabricated data,
logging what makes the variant that variant."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from helpers import fit
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from variant_helpers import tiny_images

from lightgan.cli import main

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
#: config -> data fixture; the first config of each variant also trains (see RUNS).
PARSE_ONLY = {"cgan_mnist": "mnist_root", "acgan_mnist": "mnist_root"}
#: config -> (data fixture, metrics it must log, picture folders it must fill with logged images)
RUNS = {
    "cgan_fashion_mnist": ("fashion_root", [], {}),
    "acgan_cifar10": ("cifar_root", ["train/d_class_acc", "train/d_class_loss", "val/class_acc"], {}),
    "infogan_mnist": ("mnist_root", ["train/info_loss"], {"traversals": "infogan/traversal"}),
    "sgan_mnist": ("mnist_root", ["train/d_supervised_loss", "val/class_acc"], {}),
    "bigan_mnist": ("mnist_root", ["val/reconstruction_error"], {"reconstructions": "bigan/reconstructions"}),
    "ali_cifar10": ("cifar_root", ["val/reconstruction_error"], {"reconstructions": "bigan/reconstructions"}),
    "ebgan_mnist": ("mnist_root", ["train/pullaway"], {}),
    "began_mnist": ("mnist_root", ["train/k", "train/convergence", "val/convergence"], {}),
}


@pytest.mark.parametrize("name", [*PARSE_ONLY, *RUNS])
def test_config_parses(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", "--config", str(CONFIGS / f"{name}.yaml"), "--print_config"])
    assert exit_info.value.code in (0, None)
    resolved = yaml.safe_load(capsys.readouterr().out)
    declared = yaml.safe_load((CONFIGS / f"{name}.yaml").read_text())
    assert resolved["model"]["class_path"].endswith("." + declared["model"]["class_path"])
    for key, value in declared["model"]["init_args"].items():
        assert resolved["model"]["init_args"][key] == value, key


@pytest.mark.parametrize("name", RUNS)
def test_config_trains_an_epoch(name: str, request: pytest.FixtureRequest) -> None:
    fixture, metrics, pictures = RUNS[name]
    root = request.getfixturevalue(fixture)
    cli = fit(
        "--config",
        str(CONFIGS / f"{name}.yaml"),
        f"--data.init_args.root={root}",
        "--data.init_args.image_size=16",
        "--data.init_args.batch_size=16",
        "--model.init_args.base_channels=4",
        "--trainer.max_epochs=1",
        "--trainer.limit_train_batches=2",
        "--trainer.limit_val_batches=1",
        "--trainer.logger=lightning.pytorch.loggers.TensorBoardLogger",
        "--trainer.logger.save_dir=.",
        "--trainer.default_root_dir=run",
    )
    assert cli.trainer.global_step == 2
    run = Path("run")
    assert (run / "checkpoints" / "last.ckpt").is_file()
    missing = [key for key in ["train/d_loss", "val/d_loss", *metrics] if key not in cli.trainer.callback_metrics]
    assert not missing, f"not logged: {missing}"
    events = EventAccumulator(str(run), size_guidance={"images": 0})
    events.Reload()
    for folder, tag in pictures.items():
        assert sorted(p.name for p in (run / folder).glob("*.png")) == ["epoch=000-step=0000002.png"]
        assert tag in events.Tags()["images"]


def test_label_using_variants_fail_on_unlabelled_data_before_training(mnist_root, capsys) -> None:
    for model in ("CGAN", "ACGAN", "SGAN"):
        data = tiny_images(mnist_root, data="variant_helpers.UnlabelledDigits")
        args = ["fit", f"--model={model}", *data, "--trainer.logger=false", f"--trainer.default_root_dir={model}"]
        assert main(args) == 2
        error = capsys.readouterr().err
        assert f"{model} needs class labels" in error and "UnlabelledDigits provides none" in error, error
        assert not (Path(model) / "checkpoints").exists()
