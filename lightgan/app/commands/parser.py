"""The argument parser of lightgan's own commands: an error is one line, not the usage and then the error."""

from __future__ import annotations

import argparse
from typing import NoReturn

from lightgan.errors import ConfigError


class CommandParser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` that raises a ``ConfigError`` (printed as one line by the CLI) on bad input."""

    def error(self, message: str) -> NoReturn:
        raise ConfigError(f"{message} (see `{self.prog} --help`)")
