"""The registry against fake distributions: lazy discovery, clashes, broken plugins, naming rules."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fakedist import FakeSite
from helpers import NO_LOGGER, QUIET, TINY_RING, fit

import lightgan
from lightgan import registry
from lightgan.app import cli
from lightgan.app.commands import plugins as plugins_command
from lightgan.errors import ConfigError
from lightgan.registry import PluginLoadWarning

GAN_SUBCLASS = "from lightgan.models.gan import GAN\n\n\nclass {name}(GAN):\n    pass\n"
BROKEN = "import lightgan_dependency_that_is_not_installed  # noqa: F401\n"


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSite]:
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    fake = FakeSite(tmp_path / "site")
    registry.refresh()
    yield fake
    registry.refresh()


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = cli.main(argv)
    out, err = capsys.readouterr()
    return status, out, err


# ---------------------------------------------------------------- lazy discovery
def test_listing_reads_metadata_and_selecting_imports(site: FakeSite) -> None:
    lazy = site.module(GAN_SUBCLASS.format(name="LazyGAN"))
    site.dist("lazy-plugin", "1.2", {"lightgan.models": {"LazyGAN": f"{lazy}:LazyGAN"}})

    assert "LazyGAN" in registry.names("model")
    entry = registry.find("model", "LazyGAN")
    assert (entry.distribution, entry.version, entry.class_path) == ("lazy-plugin", "1.2", f"{lazy}.LazyGAN")
    assert "LazyGAN" in cli._registered_names()  # the --help text
    cli._preload(["fit", "--model=GAN", "--data=RingMixture"])  # a run that does not mention it
    assert lazy not in sys.modules

    cls = registry.load("model", "LazyGAN")
    assert lazy in sys.modules and cls.__module__ == lazy


def test_a_mentioned_name_is_imported_before_parsing(site: FakeSite) -> None:
    lazy = site.module(GAN_SUBCLASS.format(name="MentionedGAN"))
    site.dist("lazy-plugin", "1.0", {"lightgan.models": {"MentionedGAN": f"{lazy}:MentionedGAN"}})
    cli._preload(["fit", "--model=MentionedGAN"])
    assert lazy in sys.modules


# ---------------------------------------------------------------- clashes
def test_clash_between_plugins_names_both_and_full_path_still_trains(
    site: FakeSite, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = (site.module(GAN_SUBCLASS.format(name="TwinGAN")) for _ in range(2))
    site.dist("plugin-a", "1.0", {"lightgan.models": {"TwinGAN": f"{first}:TwinGAN"}})
    site.dist("plugin-b", "2.0", {"lightgan.models": {"TwinGAN": f"{second}:TwinGAN"}})

    with pytest.raises(ConfigError, match=r"registered by plugin-a 1\.0") as error:
        registry.find("model", "TwinGAN")
    assert f"plugin-b 2.0 ({second}.TwinGAN)" in str(error.value)

    status, _, err = run_cli(["fit", *QUIET, *NO_LOGGER, "--model=TwinGAN"], capsys)
    assert status == 2 and "plugin-a" in err and "plugin-b" in err and "full class path" in err

    # the full class path of either one still works, also from YAML (where the short name appears in the path)
    config = Path("twin.yaml")
    config.write_text(yaml.safe_dump({"model": {"class_path": f"{second}.TwinGAN"}}))
    tiny = [arg for arg in TINY_RING if not arg.startswith("--model=")]
    run = fit(f"--config={config}", *tiny, "--trainer.max_steps=1")
    assert type(run.model).__module__ == second
    assert run.trainer.global_step == 1
    assert first not in sys.modules  # the other plugin was never imported


def test_clash_with_a_builtin_names_lightgan_too(site: FakeSite) -> None:
    # the module does not exist: finding a clash must not import anything
    site.dist("shadow-plugin", "0.1", {"lightgan.models": {"GAN": "shadow_plugin_not_imported:GAN"}})
    with pytest.raises(ConfigError) as error:
        registry.find("model", "GAN")
    message = str(error.value)
    assert f"lightgan {lightgan.__version__} (lightgan.models.gan.GAN)" in message
    assert "shadow-plugin 0.1 (shadow_plugin_not_imported.GAN)" in message


def test_the_same_object_registered_twice_is_no_clash(site: FakeSite) -> None:
    site.dist("reexport-plugin", "0.1", {"lightgan.models": {"GAN": "lightgan.models.gan:GAN"}})
    assert registry.find("model", "GAN").class_path == "lightgan.models.gan.GAN"


def test_clashing_callback_fails_before_parsing(site: FakeSite) -> None:
    site.dist("plugin-a", "1.0", {"lightgan.callbacks": {"Twin": "a_missing:Twin"}})
    site.dist("plugin-b", "1.0", {"lightgan.callbacks": {"Twin": "b_missing:Twin"}})
    with pytest.raises(ConfigError, match=r"plugin-a 1\.0 .* and plugin-b 1\.0"):
        cli._check_names(["fit", "--trainer.callbacks+=Twin"])


# ---------------------------------------------------------------- broken plugins
def test_broken_plugin_is_reported_once_with_its_distribution(site: FakeSite) -> None:
    broken = site.module(BROKEN)
    site.dist("broken-plugin", "0.3", {"lightgan.models": {"BrokenGAN": f"{broken}:BrokenGAN"}})

    with pytest.warns(PluginLoadWarning) as caught:
        assert registry.try_load("model", "BrokenGAN") is None
        assert registry.try_load("model", "BrokenGAN") is None
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "broken-plugin 0.3" in message and "ModuleNotFoundError" in message

    with pytest.raises(ConfigError, match=r"broken-plugin 0\.3 .*ModuleNotFoundError"):
        registry.load("model", "BrokenGAN")


def test_lightgan_keeps_working_next_to_a_broken_plugin(site: FakeSite, capsys: pytest.CaptureFixture[str]) -> None:
    broken = site.module(BROKEN)
    site.dist("broken-plugin", "0.3", {"lightgan.models": {"BrokenGAN": f"{broken}:BrokenGAN"}})

    with warnings.catch_warnings():
        warnings.simplefilter("error", PluginLoadWarning)  # never imported, so never reported
        run = fit(*TINY_RING, "--trainer.max_steps=1")
    assert run.trainer.global_step == 1

    status, _, err = run_cli(["fit", *QUIET, *NO_LOGGER, "--model=BrokenGAN"], capsys)
    assert status == 2
    assert "broken-plugin 0.3" in err and "lightgan_dependency_that_is_not_installed" in err


# ---------------------------------------------------------------- naming rules and kinds
def test_entry_named_differently_from_its_class_is_rejected_with_the_fix(site: FakeSite) -> None:
    module = site.module(GAN_SUBCLASS.format(name="ActualName"))
    site.dist("alias-plugin", "1.0", {"lightgan.models": {"Nickname": f"{module}:ActualName"}})
    assert "Nickname" not in registry.names("model")
    with pytest.raises(ConfigError) as error:
        registry.find("model", "Nickname")
    assert "alias-plugin" in str(error.value)
    assert f'register it as ActualName = "{module}:ActualName"' in str(error.value)
    assert f"{module}.ActualName" in str(error.value)
    (row,) = [row for row in plugins_command.inspect("model") if row.entry.name == "Nickname"]
    assert row.problems == (row.entry.naming_problem,)  # reported once, although the class itself loads


def test_a_class_only_reachable_through_a_private_module_is_refused(site: FakeSite) -> None:
    hidden = site.module(GAN_SUBCLASS.format(name="HiddenGAN"), private=True)
    site.dist("private-plugin", "1.0", {"lightgan.models": {"HiddenGAN": f"{hidden}:HiddenGAN"}})
    # jsonargparse skips classes whose import path has a private part when resolving short names
    with pytest.raises(ConfigError, match=r"private module.*export HiddenGAN from a public module"):
        registry.load("model", "HiddenGAN")


def test_losses_may_use_any_name(site: FakeSite) -> None:
    module = site.module("from lightgan.losses import HingeLoss\n\n\nclass SoftHinge(HingeLoss):\n    pass\n")
    site.dist("loss-plugin", "1.0", {"lightgan.losses": {"soft_hinge": f"{module}:SoftHinge"}})
    assert registry.load("loss", "soft_hinge").__name__ == "SoftHinge"
    from lightgan.core.losses import resolve_loss

    assert type(resolve_loss("soft_hinge")).__name__ == "SoftHinge"


def test_an_entry_of_the_wrong_kind_is_refused(site: FakeSite) -> None:
    module = site.module("class NotAModel:\n    pass\n")
    site.dist("odd-plugin", "1.0", {"lightgan.models": {"NotAModel": f"{module}:NotAModel"}})
    with pytest.raises(ConfigError, match="not a subclass of GANModule"):
        registry.load("model", "NotAModel")


def test_lightning_callbacks_by_class_name_are_left_to_jsonargparse() -> None:
    cli._check_names(["fit", "--trainer.callbacks+=ModelCheckpoint", "--trainer.callbacks+=LabelSmoothing"])
    with pytest.raises(ConfigError, match="Did you mean 'RingMixture'"):
        cli._check_names(["fit", "--data=RingMixtur"])


def test_every_way_of_naming_a_component_is_seen(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "model": "GAN",
                "data": {"class_path": "pkg.Data", "init_args": {}},
                "trainer": {"callbacks": [{"class_path": "A"}, "B"]},
            }
        )
    )
    argv = [
        "fit",
        f"--config={config}",
        "--model.class_path",
        "DCGAN",
        "--trainer.callbacks+=C",
        '--trainer.callbacks+={"class_path": "D", "init_args": {"x": 1}}',
        "--data",
        "data.yaml",
    ]
    assert cli._named_components(argv) == [
        ("model", "GAN"),
        ("datamodule", "pkg.Data"),
        ("callback", "A"),
        ("callback", "B"),
        ("model", "DCGAN"),
        ("callback", "C"),
        ("callback", "D"),
    ]


# ---------------------------------------------------------------- lightgan plugins
def test_plugins_command_lists_kind_distribution_version_and_status(
    site: FakeSite, capsys: pytest.CaptureFixture[str]
) -> None:
    good = site.module(GAN_SUBCLASS.format(name="ListedGAN"))
    broken = site.module(BROKEN)
    site.dist(
        "listed-plugin",
        "4.5",
        {
            "lightgan.models": {"ListedGAN": f"{good}:ListedGAN"},
            "lightgan.callbacks": {"BrokenCallback": f"{broken}:BrokenCallback"},
        },
    )
    status, out, err = run_cli(["plugins", "--plain"], capsys)  # metadata only: nothing is imported
    assert status == 0 and "--check" in err and broken not in sys.modules
    status, out, _ = run_cli(["plugins", "--plain", "--check"], capsys)
    assert status == 2  # the broken callback; the rows are printed first
    rows = {line.split()[1]: line.split(maxsplit=5) for line in out.splitlines()[1:]}
    assert rows["ListedGAN"] == ["model", "ListedGAN", f"{good}.ListedGAN", "listed-plugin", "4.5", "ok"]
    assert rows["BrokenCallback"][:5] == [
        "callback",
        "BrokenCallback",
        f"{broken}.BrokenCallback",
        "listed-plugin",
        "4.5",
    ]
    assert rows["BrokenCallback"][5].startswith("import fails: ModuleNotFoundError")
    assert rows["DCGAN"][3:] == ["lightgan", lightgan.__version__, "ok"]

    status, _, err = run_cli(["plugins", "--plain", "--check", "--kind", "callback"], capsys)
    assert status == 2 and "callback BrokenCallback (listed-plugin)" in err
    status, out, _ = run_cli(["plugins", "--check", "--kind", "model"], capsys)
    assert status == 0 and "ListedGAN" in out


def test_plugins_table_keeps_class_path_and_status_at_80_columns(
    site: FakeSite, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    good = site.module(GAN_SUBCLASS.format(name="ListedGAN"))
    site.dist("listed-plugin", "4.5", {"lightgan.models": {"ListedGAN": f"{good}:ListedGAN"}})
    status, out, _ = run_cli(["plugins", "--kind", "model"], capsys)
    assert status == 0 and max(map(len, out.splitlines())) <= 80
    row = next(line for line in out.splitlines() if "ListedGAN " in line)
    assert row.split()[-1] == "ok" and "listed-plugin" in row
    header = next(line for line in out.splitlines() if "class path" in line)
    start, end = header.index("class path"), header.index("from")
    lines = out.splitlines()
    first = lines.index(row)
    column = [lines[first][start:end].strip()]
    column += [line[start:end].strip() for line in lines[first + 1 :] if not line[:start].strip()]
    assert "".join(column).startswith(f"{good}.ListedGAN")  # folded onto more lines, not cut
