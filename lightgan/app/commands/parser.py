"""The argument parser of lightgan's own commands: an error is one line, not the usage and then the error;
options take dashes or underscores alike (``--no-ema`` or ``--no_ema``), as ``fit``'s take underscores."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import NoReturn

from lightgan.errors import ConfigError


class CommandParser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` that raises a ``ConfigError`` (printed as one line by the CLI) on bad input."""

    def error(self, message: str) -> NoReturn:
        raise ConfigError(f"{message} (see `{self.prog} --help`)")

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        return super().parse_known_args(None if args is None else self._spelled_as_declared(args), namespace)

    def _spelled_as_declared(self, args: Sequence[str]) -> list[str]:
        declared = {flag for action in self._actions for flag in action.option_strings}
        spelled = []
        for token in args:
            flag, equals, value = token.partition("=")
            if flag.startswith("--") and flag not in declared:
                flag = next((other for other in _spellings(flag) if other in declared), flag)
            spelled.append(flag + equals + value)
        return spelled


def _spellings(flag: str) -> tuple[str, str]:
    name = flag[2:]
    return "--" + name.replace("_", "-"), "--" + name.replace("-", "_")
