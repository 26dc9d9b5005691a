"""The program's entry point: an export's workbook begins to be read before the commands load.

Typer and the commands take some 0.06 s to import, before a command line is parsed: for
``ccp-xlsx2iif export WORKBOOK ...`` the workbook is opened first and its sheets parsed in the
background meanwhile (``opening.HeadStart``). The command line is read here as Typer reads
it, as far as the workbook's name and ``--dry-run`` go: the options of the export that take
a value are named below, and a test holds them to the command's own. Any command line this
reading is not sure of (another command, ``--help``, an option it does not know, a second
argument) begins nothing: Typer reads it, and begins the reading itself if it should
(``cli.ReadsAhead``). The export takes the reading only if Typer finds the same workbook.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ccp_xlsx2iif.opening import HeadStart

COMMAND = "export"
# The export's options that take a value (the next argument, or what follows "=", or for a
# short option, the rest of its argument), and the export's flags.
VALUE_OPTIONS = frozenset(
    {
        "--accounts",
        "--output",
        "-o",
        "--status",
        "--chart",
        "--tax-mode",
        "--as",
        "--date-format",
        "--class",
        "--layout",
        "--templates",
    }
)
FLAGS = frozenset(
    {
        "--create-accounts",
        "--declare-items",
        "--declare-customers",
        "--no-payments",
        "--dry-run",
        "--force",
        "--quiet",
        "-q",
        "--json",
    }
)
DRY_RUN = "--dry-run"
# The exit status when Ctrl+C stops the program (Typer's, 128 + SIGINT).
INTERRUPTED = 130
END_OF_OPTIONS = "--"


def main() -> None:
    """Run the command line, an export's workbook read from the start."""
    try:
        head_start = begin(sys.argv[1:])
    except KeyboardInterrupt:  # Ctrl+C: the program stops as Typer stops a command
        raise SystemExit(INTERRUPTED) from None
    from ccp_xlsx2iif import cli

    cli.main(head_start)


def begin(args: list[str]) -> HeadStart | None:
    """Begin reading the workbook of an export's command line ``args``; ``None``: not begun."""
    return begin_named(export_workbook(args))


def begin_named(named: tuple[str, bool] | None) -> HeadStart | None:
    """Begin reading a workbook named by an export's arguments, with whether it is a dry run.

    ``named`` is what ``export_workbook`` (or the command's own parser) read; ``None``: nothing.
    """
    if named is None:
        return None
    workbook, dry_run = named
    from ccp_xlsx2iif.opening import HeadStart

    return HeadStart.begin(Path(workbook), copied=not dry_run)


def export_workbook(args: list[str]) -> tuple[str, bool] | None:
    """Return the workbook an export's command line names, and whether it is a dry run.

    ``None`` when ``args`` are not an export's, or ask for help, or are not read here for
    sure: those are left to Typer.
    """
    if not args or args[0] != COMMAND:
        return None
    positional: list[str] = []
    dry_run = False
    rest = iter(args[1:])
    for arg in rest:
        if arg == END_OF_OPTIONS:
            positional.extend(rest)
        elif arg.startswith("--"):
            name, equals, _ = arg.partition("=")
            if name in VALUE_OPTIONS:
                if not equals and next(rest, None) is None:
                    return None  # its value is missing
            elif name in FLAGS and not equals:
                dry_run = dry_run or name == DRY_RUN
            else:
                return None  # --help, or an option Typer refuses
        elif arg.startswith("-") and arg != "-":
            if not _short_options(arg, rest):
                return None
        else:
            positional.append(arg)
    if len(positional) != 1:
        return None
    return positional[0], dry_run


def _short_options(arg: str, rest: Iterator[str]) -> bool:
    """Read ``-q``, ``-o FILE``, ``-oFILE``, ``-qo FILE``; whether they are all known."""
    for at, letter in enumerate(arg[1:], start=2):
        option = "-" + letter
        if option in VALUE_OPTIONS:
            return at < len(arg) or next(rest, None) is not None
        if option not in FLAGS:
            return False
    return True
