"""Each image-file datamodule trains a few DCGAN steps through the real CLI and its config."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from fakedata import write_abstract_art, write_celeba, write_chest_xray, write_image_folder
from helpers import fit

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
TINY = [
    "--model.init_args.latent_dim=8",
    "--model.init_args.base_channels=8",
    "--data.init_args.image_size=16",
    "--data.init_args.batch_size=4",
    "--data.init_args.num_workers=0",
    "--trainer.max_steps=2",
    "--trainer.limit_val_batches=1",
    "--trainer.callbacks+=probes.InitialWeights",
]


def _fit(config: str, root: Path, *extra: str):
    cli = fit(f"--config={CONFIGS / config}", f"--data.init_args.root={root}", *TINY, *extra)
    assert cli.trainer.global_step == 2
    probe = cli.trainer.callbacks[0]
    assert probe.moved(cli.model, "generator.") and probe.moved(cli.model, "discriminator.")
    return cli


def test_celeba_config_trains_on_cropped_faces(tmp_path: Path) -> None:
    write_celeba(tmp_path / "data", partitions=[0] * 8 + [1] * 2)
    cli = _fit("dcgan_celeba.yaml", tmp_path / "data")
    assert cli.model.data_shape == (3, 16, 16) and cli.model.num_classes == 0
    assert len(cli.datamodule.train_set) == 8 and len(cli.datamodule.val_set) == 2


def test_celeba_attribute_reaches_a_conditional_model(tmp_path: Path) -> None:
    attributes = write_celeba(tmp_path / "data", partitions=[0] * 8)
    eyeglasses = torch.as_tensor(attributes[:, 15] > 0).long()
    conditional = ["--model=probes.LabelProbeDCGAN", "--data.init_args.attribute=Eyeglasses"]
    cli = _fit("dcgan_celeba.yaml", tmp_path / "data", *conditional)
    assert cli.model.num_classes == 2
    seen = torch.cat([labels for _, labels in cli.model.seen])
    assert torch.equal(cli.datamodule.train_set.labels, eyeglasses)
    assert set(seen.tolist()) <= {0, 1} and len(seen) == 8  # two D steps of four images


def test_abstract_art_config_trains(tmp_path: Path) -> None:
    write_abstract_art(tmp_path / "data", n=8)
    cli = _fit("dcgan_abstract_art.yaml", tmp_path / "data")
    assert cli.model.data_shape == (3, 16, 16) and len(cli.datamodule.train_set) == 8


def test_chest_xray_labels_from_file_names_reach_the_model(tmp_path: Path) -> None:
    write_chest_xray(tmp_path / "data", shenzhen=(3, 3), montgomery=(2, 2))
    cli = _fit("dcgan_chest_xray.yaml", tmp_path / "data", "--model=probes.LabelProbeDCGAN")
    assert cli.model.data_shape == (1, 16, 16) and cli.model.num_classes == 2
    for real, labels in cli.model.seen:
        # Fabricated tuberculosis scans are bright, normal ones dark: each label matches its image.
        assert torch.equal((real.mean(dim=(1, 2, 3)) > 0).long(), labels)


def test_image_folder_config_with_class_subfolders(tmp_path: Path) -> None:
    write_image_folder(tmp_path / "pets", {"cat": 4, "dog": 4}, ext=".png")
    cli = _fit(
        "dcgan_image_folder.yaml",
        tmp_path / "pets",
        "--model=probes.LabelProbeDCGAN",
        "--data.init_args.class_subfolders=true",
    )
    assert cli.model.num_classes == 2 and cli.datamodule.class_names == ["cat", "dog"]
    train = cli.datamodule.train_set
    for real, labels in cli.model.seen:
        for image, label in zip(real, labels, strict=True):
            row = (train.real.float() / 127.5 - 1 - image).abs().flatten(1).amax(1).argmin()
            assert train.labels[row] == label


def test_cifar10_labels_reach_a_conditional_model(cifar_root: Path) -> None:
    cli = fit(
        "--model=probes.LabelProbeDCGAN",
        "--model.init_args.latent_dim=8",
        "--model.init_args.base_channels=8",
        "--data=CIFAR10",
        f"--data.init_args.root={cifar_root}",
        "--data.init_args.download=false",
        "--data.init_args.batch_size=8",
        "--trainer.max_steps=2",
        "--trainer.limit_val_batches=1",
    )
    assert cli.model.num_classes == 10
    train = cli.datamodule.train_set
    for real, labels in cli.model.seen:
        for image, label in zip(real, labels, strict=True):
            row = (train.real.float() / 127.5 - 1 - image).abs().flatten(1).amax(1).argmin()
            assert train.labels[row] == label


def test_missing_dataset_fails_before_training_with_the_fix(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from lightgan.app.cli import main

    status = main(["fit", f"--config={CONFIGS / 'dcgan_chest_xray.yaml'}", f"--data.init_args.root={tmp_path}/none"])
    err = capsys.readouterr().err
    assert status == 2
    assert "ChestXray" in err and "kmader/pulmonary-chest-xray-abnormalities" in err and str(tmp_path) in err


def test_conditional_configs_draw_the_class_they_are_asked_for(tmp_path: Path) -> None:
    write_chest_xray(tmp_path / "xray", shenzhen=(3, 3), montgomery=(2, 2))
    xray = _fit("cgan_chest_xray.yaml", tmp_path / "xray")
    write_celeba(tmp_path / "celeba", partitions=[0] * 8)
    faces = _fit("cgan_celeba_eyeglasses.yaml", tmp_path / "celeba")
    for cli in (xray, faces):
        assert type(cli.model).__name__ == "CGAN" and cli.model.num_classes == 2
        z = torch.randn(2, cli.model.latent_dim)
        first, second = cli.model.sample(2, labels=0, z=z), cli.model.sample(2, labels=1, z=z)
        assert not torch.equal(first, second)  # the class conditions the output
