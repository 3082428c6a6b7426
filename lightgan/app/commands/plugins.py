"""``lightgan plugins``: every registered component, who registered it, and whether it loads.

Listing imports each entry (that is how "loads" is known), so a broken plugin shows up here
with its error instead of as a warning during a run. ``--check`` turns any problem into a
non-zero exit status, for a plugin's own CI.
"""

from __future__ import annotations

import argparse
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


def inspect(kind: str | None = None) -> list[Row]:
    """One row per registered entry; ``problems`` is empty when the entry can be used by its name."""
    rows = []
    for entry in registry.entries(kind):
        problems = []
        if entry.naming_problem:
            problems.append(entry.naming_problem)
        for other in registry.clashes(entry):
            problems.append(f"name clash with {other.origin} ({other.class_path}): use the full class path")
        error = registry.load_error(entry)
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
    parser.add_argument("--check", action="store_true", help="exit with an error if any entry has a problem")
    return parser


def main(argv: list[str]) -> list[Row]:
    args = build_parser().parse_args(argv)
    rows = inspect(args.kind)
    (_print_plain if args.plain else _print_rich)(rows)
    broken = [row for row in rows if row.problems]
    if args.check and broken:
        listed = ", ".join(f"{row.entry.kind} {row.entry.name} ({row.entry.distribution})" for row in broken)
        raise LightGANError(f"{len(broken)} registered entries have problems: {listed}. See the status column.")
    return rows
