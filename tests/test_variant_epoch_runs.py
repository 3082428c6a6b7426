"""The configs of the label-using, encoder and energy variants train one short epoch through the
CLI on fabricated data and log what makes each variant that variant (tests/test_variant_configs.py
parses every config)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import fit
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from variant_helpers import tiny_images

from lightgan.app.cli import main
from lightgan.errors import ConfigError
from lightgan.models import ACGAN, ALI, BEGAN, CGAN, EBGAN, SGAN, BiGAN, InfoGAN

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
#: config (one per variant) -> (data fixture, metrics it must log, picture folders it fills with logged images)
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


@pytest.mark.parametrize("model", [CGAN, ACGAN, SGAN, InfoGAN, BiGAN, ALI, EBGAN, BEGAN], ids=lambda cls: cls.__name__)
def test_variants_whose_d_reads_samples_one_by_one_refuse_packing(model: type) -> None:
    with pytest.raises(ConfigError, match=rf"model.init_args.pack=2: .*{model.__name__}"):
        model(data_shape=(1, 16, 16), num_classes=10, latent_dim=16, base_channels=4, pack=2)
