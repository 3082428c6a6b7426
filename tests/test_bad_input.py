"""Bad input, command by command: each is one line on stderr that names the value and the fix, exit status 2,
no traceback and no usage dump, and nothing written that would be lost."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from fakedata import write_idx_dataset
from helpers import TINY_RING, fit

from lightgan.app.cli import main

QUIET = ["--trainer.logger=false", "--trainer.enable_progress_bar=false", "--trainer.max_steps=1"]
RING = [*TINY_RING, *QUIET]


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A tiny 2-D ring GAN and a tiny DCGAN on fabricated MNIST files, trained once for the whole matrix."""
    base = tmp_path_factory.mktemp("trained")
    cwd = os.getcwd()
    os.chdir(base)
    try:
        ring = fit(*TINY_RING, "--trainer.max_steps=1", "--trainer.default_root_dir=ring").run_dir
        root = write_idx_dataset(base / "data" / "MNIST" / "raw").parent.parent
        images = fit(
            "--model=DCGAN",
            "--model.init_args.base_channels=4",
            "--model.init_args.latent_dim=8",
            "--data=MNIST",
            f"--data.init_args.root={root}",
            "--data.init_args.download=false",
            "--data.init_args.batch_size=32",
            "--trainer.max_steps=1",
            "--trainer.limit_val_batches=0",
            "--trainer.default_root_dir=images",
        ).run_dir
    finally:
        os.chdir(cwd)
    return {name: base / run / "checkpoints" / "last.ckpt" for name, run in (("ring", ring), ("images", images))}


def config(name: str, text: str) -> str:
    Path(name).write_text(text)
    return name


CASES: dict[str, tuple[list[str], str]] = {
    # fit: configs
    "yaml-syntax": (["fit", "--config", "%bad.yaml%", *QUIET], "bad.yaml is not valid YAML at line 2"),
    "yaml-tabs": (["fit", "--config", "%tabs.yaml%", *QUIET], "YAML indents with spaces, not tabs"),
    "config-list": (["fit", "--config", "%list.yaml%", *QUIET], "list.yaml holds a list, not a mapping"),
    "config-missing": (["fit", "--config", "nowhere.yaml", *QUIET], "Config file nowhere.yaml does not exist"),
    # fit: values
    "betas-range": (["fit", *RING, "--model.init_args.betas_g=[1.5, 0.9]"], "betas_g must be two numbers in [0, 1)"),
    "misspelled-key": (["fit", *RING, "--trainer.max_step", "3"], "unrecognized arguments: --trainer.max_step 3"),
    "wrong-type": (["fit", *RING, "--trainer.max_epochs", "x"], 'Parser key "trainer.max_epochs"'),
    "unknown-model": (["fit", "--model=NoSuchGAN", "--data=RingMixture", *QUIET], "Unknown model 'NoSuchGAN'"),
    "unknown-option": (
        ["fit", "--model=EBGAN", "--data=RingMixture", "--model.init_args.loss=hinge", *QUIET],
        "model.init_args.loss is not an option of EBGAN (given 'hinge')",
    ),
    "wgan-logit-loss": (
        ["fit", "--model=WGAN", *TINY_RING[2:], "--model.init_args.loss=non_saturating", *QUIET],
        "model.init_args.loss: non_saturating",
    ),
    "n-critic": (["fit", *RING, "--model.init_args.n_critic=0"], "n_critic must be an integer >= 1"),
    "negative-lr": (["fit", *RING, "--model.init_args.lr_d=-1"], "lr_d must be positive, got -1"),
    "pack": (["fit", *RING, "--model.init_args.pack=3"], "pack=3 needs a batch size divisible by it"),
    "divergence": (["fit", *RING, "--model.init_args.divergence=maybe"], "divergence"),
    "player": (["fit", *RING, "--model.init_args.player_settings={g: {lr: 1}}"], "player_settings names ['g']"),
    "ckpt-missing": (["fit", *RING, "--ckpt_path=gone.ckpt"], "Runs keep theirs in runs/<name>/version_N/checkpoints/"),
    "ckpt-truncated": (["fit", *RING, "--ckpt_path=%half.ckpt%"], "half.ckpt is not a readable checkpoint"),
    "empty-folder": (
        ["fit", "--model=DCGAN", "--data=ImageFolder", "--data.init_args.root=%empty/%", *QUIET],
        "no images found under",
    ),
    "not-images": (
        ["fit", "--model=DCGAN", "--data=ImageFolder", "--data.init_args.root=%junk/%", *QUIET],
        "could be read",
    ),
    # several players and f-divergences
    "generators": (
        ["fit", *RING, "--model=MADGAN", "--model.init_args.num_generators=1"],
        "num_generators must be an integer >= 2",
    ),
    "discriminators": (
        ["fit", *RING, "--model=GMAN", "--model.init_args.num_discriminators=1"],
        "num_discriminators must be an integer >= 2",
    ),
    "dropout-p": (["fit", *RING, "--model=DropoutGAN", "--model.init_args.p=1.0"], "p must be in [0, 1)"),
    "population": (
        ["fit", *RING, "--model=EGAN", "--model.init_args.population_size=0"],
        "population_size must be an integer >= 1",
    ),
    "f-divergence": (
        [
            "fit",
            *RING,
            "--model.init_args.loss={class_path: lightgan.api.FDivergenceLoss, init_args: {divergence: chi}}",
        ],
        "Unknown f-divergence 'chi': choose one of kl, reverse_kl, pearson, hellinger, jensen_shannon, gan",
    ),
    "f-loss-name": (["fit", *RING, "--model.init_args.loss=f_chi"], "f_kl"),
    "loss-mapping": (["fit", *RING, "--model.init_args.loss={divergence: kl}"], "needs class_path"),
    "loss-arguments": (
        ["fit", *RING, "--model.init_args.loss={class_path: lightgan.api.KLLoss, init_args: {temperature: 2}}"],
        "KLLoss does not take {'temperature': 2}",
    ),
    # sample
    "nrow-zero": (["sample", "--ckpt", "%images%", "--nrow", "0"], "--nrow must be at least 1"),
    "nrow-negative": (
        ["sample", "--ckpt", "%images%", "--nrow", "-3"],
        "--nrow must be at least 1 (images per grid row), got -3",
    ),
    "out-under-file": (["sample", "--ckpt", "%images%", "--out", "%afile%/x.png"], "afile is a file, not a folder"),
    "picture-too-large": (["sample", "--ckpt", "%images%", "--n", "200000"], "too large to look at"),
    "jpeg-limit": (["sample", "--ckpt", "%images%", "--n", "3000", "--nrow", "1", "--out", "x.jpg"], "JPEG's 65535"),
    "out-suffix": (["sample", "--ckpt", "%images%", "--out", "x.gif"], "must end in .png, .jpg or .pt"),
    "folder-of-vectors": (["sample", "--ckpt", "%ring%", "--out", "pics/"], "writes one image per sample"),
    "sample-unknown-flag": (["sample", "--ckpt", "%ring%", "--bogus", "1"], "unrecognized arguments: --bogus"),
    "sample-missing-value": (["sample", "--ckpt", "%ring%", "--n"], "argument --n: expected one argument"),
    "sample-ckpt-missing": (["sample", "--ckpt", "gone.ckpt"], "gone.ckpt does not exist"),
    # evaluate, plugins, train-classifier
    "features": (["evaluate", "--ckpt", "%ring%", "--features", "bogus"], "Unknown features 'bogus'"),
    "metrics": (["evaluate", "--ckpt", "%ring%", "--metrics", "bogus"], "Unknown metric(s) ['bogus']"),
    "evaluate-n": (["evaluate", "--ckpt", "%ring%", "--n", "1"], "n >= 2 samples"),
    "evaluate-no-ckpt": (["evaluate"], "the following arguments are required: --ckpt"),
    "plugins-kind": (["plugins", "--kind", "bogus"], "argument --kind: invalid choice: 'bogus'"),
    "classifier-args": (["train-classifier"], "the following arguments are required: --config, --out"),
    "unknown-command": (["trian"], "unknown command 'trian'"),
}
FILES = {
    "bad.yaml": "model: [unclosed\n",
    "tabs.yaml": "model:\n  class_path: GAN\n\tinit_args: {}\n",
    "list.yaml": "- a\n- b\n",
    "half.ckpt": "",
    "afile": "not a folder",
}


def materialise(token: str, checkpoints: dict[str, Path]) -> str:
    """``%name%`` in a token: a fixture file, folder or checkpoint made in the test's folder."""
    if token.count("%") != 2:
        return token
    name = token.split("%")[1]
    if name in checkpoints:
        value = str(checkpoints[name])
    elif name.endswith("/"):
        Path(name).mkdir(exist_ok=True)
        if name == "junk/":
            Path("junk/broken.jpg").write_text("not a jpeg")
        value = name.rstrip("/")
    elif name == "half.ckpt":
        shutil.copy(checkpoints["ring"], name)
        Path(name).write_bytes(Path(name).read_bytes()[:500])
        value = name
    else:
        Path(name).write_text(FILES[name])
        value = name
    return token.replace(f"%{name}%", value)


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_line_naming_the_value_and_the_fix(
    case: str, checkpoints: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    argv, expected = CASES[case]
    argv = [materialise(token, checkpoints) for token in argv]
    before = set(Path().rglob("*"))
    code = main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2, err
    assert len(err) == 1 and err[0].startswith("lightgan: error: "), err
    assert expected in err[0]
    written = {p for p in set(Path().rglob("*")) - before if p.is_file() and p.suffix in (".png", ".jpg", ".pt")}
    assert not written, f"bad input still wrote {written}"


def test_a_read_only_output_folder_is_named(checkpoints: dict[str, Path], monkeypatch, capsys) -> None:
    Path("locked").mkdir()
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda path, mode: False if Path(path).name == "locked" else real_access(path, mode)
    )
    assert main(["sample", "--ckpt", str(checkpoints["ring"]), "--out", "locked/x.png"]) == 2
    assert "cannot be written: locked is not writable" in capsys.readouterr().err


def test_a_finished_runs_folder_is_not_written_over(capsys) -> None:
    fit(*TINY_RING, "--trainer.max_steps=1", "--trainer.default_root_dir=mine")
    config = Path("mine/config.yaml").read_text()
    assert main(["fit", *RING, "--trainer.default_root_dir=mine"]) == 2
    assert "mine already holds a run: continue it with --ckpt_path last" in capsys.readouterr().err
    assert Path("mine/config.yaml").read_text() == config
