"""``lightgan plugins``: every registered component, who registered it, and whether it loads.

The listing reads package metadata only, so it answers at once: the status shows what metadata
tells (a misnamed entry, a name clash). ``--check`` also imports each entry (that is how "loads"
is known, and it costs the seconds torch and Lightning take to import), so a broken plugin shows
up with its error instead of as a warning during a run, and turns any problem into a non-zero
exit status, for a plugin's own CI.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

from lightgan import registry
from lightgan.app.commands.parser import CommandParser
from lightgan.errors import LightGANError

COLUMNS = ("kind", "name", "class path", "distribution", "version", "status")


@dataclass(frozen=True)
class Row:
    entry: registry.Entry
    problems: tuple[str, ...]

    @property
    def status(self) -> str:
        return "; ".join(self.problems) or "ok"

    def cells(self) -> tuple[str, ...]:
        e = self.entry
        return (e.kind, e.name, e.class_path, e.distribution, e.version, self.status)


def inspect(kind: str | None = None, load: bool = True) -> list[Row]:
    """One row per registered entry; ``problems`` is empty when the entry can be used by its name.

    ``load=False`` reads metadata only: problems that show only on import (an import error, a wrong
    base class, a class in a private module) are not looked for.
    """
    rows = []
    for entry in registry.entries(kind):
        problems = []
        if entry.naming_problem:
            problems.append(entry.naming_problem)
        for other in registry.clashes(entry):
            problems.append(f"name clash with {other.origin} ({other.class_path}): use the full class path")
        error = registry.load_error(entry) if load else None
        if error:
            problems.append(error)
        rows.append(Row(entry, tuple(problems)))
    return rows


def _print_plain(rows: list[Row]) -> None:
    table = [COLUMNS, *(row.cells() for row in rows)]
    widths = [max(len(cells[i]) for cells in table) for i in range(len(COLUMNS) - 1)]
    for cells in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=False)) + "  " + cells[-1])


def _print_rich(rows: list[Row]) -> None:
    """One table per kind, distribution and version in one column: at 80 columns the class path and
    status still fit (folded onto more lines when long); they are what a name clash tells the user to read."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = Console()
    for kind in dict.fromkeys(row.entry.kind for row in rows):
        table = Table(title=f"registered {kind}s", title_justify="left", box=box.SIMPLE_HEAD)
        table.add_column("name", no_wrap=True)
        table.add_column("class path", overflow="fold", min_width=20)
        table.add_column("from", overflow="fold")
        table.add_column("status", overflow="fold", min_width=6)
        for row in (row for row in rows if row.entry.kind == kind):
            e = row.entry
            colour = "red" if row.problems else "green"
            table.add_row(e.name, e.class_path, f"{e.distribution} {e.version}", f"[{colour}]{row.status}[/]")
        console.print(table)


def build_parser(prog: str = "lightgan plugins") -> argparse.ArgumentParser:
    parser = CommandParser(
        prog=prog,
        description="List every registered model, datamodule, callback and loss (lightgan's own and plugins'), "
        "the distribution and version that registers it, and whether it loads.",
    )
    parser.add_argument("--kind", choices=list(registry.GROUPS), help="list only this kind")
    parser.add_argument("--plain", action="store_true", help="plain aligned columns instead of a table")
    parser.add_argument(
        "--check",
        action="store_true",
        help="also import every entry (slower: imports torch and Lightning) and exit with an error if any entry "
        "has a problem",
    )
    return parser


def main(argv: list[str]) -> list[Row]:
    args = build_parser().parse_args(argv)
    rows = inspect(args.kind, load=args.check)
    (_print_plain if args.plain else _print_rich)(rows)
    if not args.check:
        note = "read from package metadata; `lightgan plugins --check` imports each entry and shows those that fail"
        print(note, file=sys.stderr)  # on stderr: --plain output stays one row per entry
    broken = [row for row in rows if row.problems]
    if args.check and broken:
        listed = ", ".join(f"{row.entry.kind} {row.entry.name} ({row.entry.distribution})" for row in broken)
        raise LightGANError(f"{len(broken)} registered entries have problems: {listed}. See the status column.")
    return rows
