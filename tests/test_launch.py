"""The program's start: an export's workbook is read before the commands are imported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer
import typer.main
from hypothesis import given
from hypothesis import strategies as st
from typer._click import Context

from ccp_xlsx2iif import __version__, cli
from ccp_xlsx2iif.cli import export_workbook_parsed
from ccp_xlsx2iif.launch import FLAGS, VALUE_OPTIONS, export_workbook
from tests.workbooks import OrderBook

EXPORT = typer.main.get_command(cli.app).commands["export"]  # type: ignore[attr-defined]


def typer_reads(args: list[str]) -> tuple[str, bool] | None:
    """Return what the export command's own parser reads in ``args`` (``cli.ReadsAhead``)."""
    return export_workbook_parsed(EXPORT, Context(EXPORT, info_name="export"), args)


def test_the_options_are_the_export_commands_own() -> None:
    """The options named in launch.py are the export's: a new one must be named there.

    Else the value of a new option would be taken for the workbook's name (and the head
    start left unused, as the export's workbook is not that file).
    """
    options = [parameter for parameter in EXPORT.params if parameter.name != "workbook"]
    takes_value = {
        name
        for option in options
        if not option.is_flag
        for name in (*option.opts, *option.secondary_opts)
    }
    flags = {
        name
        for option in options
        if option.is_flag
        for name in (*option.opts, *option.secondary_opts)
    }
    assert takes_value == VALUE_OPTIONS
    assert flags == FLAGS


@pytest.mark.parametrize(
    ("args", "read"),
    [
        (["export", "orders.xlsx"], ("orders.xlsx", False)),
        (["export", "-q", "orders.xlsx", "--dry-run"], ("orders.xlsx", True)),
        (["export", "-o", "batch.iif", "orders.xlsx"], ("orders.xlsx", False)),
        (["export", "-obatch.iif", "orders.xlsx"], ("orders.xlsx", False)),
        (["export", "-qo", "batch.iif", "orders.xlsx"], ("orders.xlsx", False)),
        (["export", "--output=batch.iif", "orders.xlsx"], ("orders.xlsx", False)),
        (
            ["export", "orders.xlsx", "--status", "Shipped", "--status", "Done"],
            ("orders.xlsx", False),
        ),
        (["export", "orders.xlsx", "-o", "--dry-run"], ("orders.xlsx", False)),  # a file's name
        (["export", "--", "-orders.xlsx"], ("-orders.xlsx", False)),
        (["export", "-"], ("-", False)),
        # Left to Typer: help, another command, usage errors, no workbook or two.
        (["export", "orders.xlsx", "--help"], None),
        (["check", "orders.xlsx"], None),
        (["--version"], None),
        ([], None),
        (["export"], None),
        (["export", "orders.xlsx", "more.xlsx"], None),
        (["export", "orders.xlsx", "-o"], None),
        (["export", "orders.xlsx", "--dry-run=yes"], None),
        (["export", "orders.xlsx", "--out", "batch.iif"], None),
        (["export", "orders.xlsx", "-x"], None),
    ],
)
def test_an_export_command_line_is_read_as_typer_reads_it(
    args: list[str], read: tuple[str, bool] | None
) -> None:
    assert export_workbook(args) == read
    if args[:1] == ["export"]:
        assert typer_reads(args[1:]) == read


ARGUMENTS = st.lists(
    st.sampled_from(
        [
            *sorted(VALUE_OPTIONS | FLAGS),
            *("orders.xlsx", "other.xlsx", "batch.iif", "-", "--", "--help", "-h", "-x", "-qo"),
            *("-obatch.iif", "-qobatch.iif", "-oq", "--output=a.iif", "--dry-run=1", "--outp"),
        ]
    ),
    max_size=6,
)


@given(ARGUMENTS)
def test_what_is_read_is_what_typer_reads(args: list[str]) -> None:
    """Whatever the command line, the workbook read ahead is Typer's, or none is."""
    read = export_workbook(["export", *args])
    assert read is None or read == typer_reads(args)


def test_a_plain_command_line_is_always_read() -> None:
    """Every option in any place, with a workbook: read ahead."""
    options: list[str] = []
    for option in sorted(VALUE_OPTIONS):
        options += [option, "value"]
    args = ["export", *options, *sorted(FLAGS), "orders.xlsx"]
    assert export_workbook(args) == ("orders.xlsx", True)
    assert typer_reads(args[1:]) == ("orders.xlsx", True)


def in_a_program(script: str, folder: Path) -> tuple[int, list[str], str]:
    """Run ``script`` in a Python of its own, in ``folder``, beside a workbook orders.xlsx.

    Return its exit status, the lines of its output, and its errors. The workbook must be left
    as it was, and nothing written beside it.
    """
    path = OrderBook().save(folder / "orders.xlsx")
    before = path.read_bytes()
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, cwd=folder
    )
    assert path.read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["orders.xlsx"]
    return completed.returncode, completed.stdout.splitlines(), completed.stderr


def test_a_reading_the_command_never_takes_is_let_go_of(tmp_path: Path) -> None:
    """Begun for an export that Typer then never parses: closed before the program ends."""
    script = (
        "import sys\n"
        "from ccp_xlsx2iif import cli, launch\n"
        "from ccp_xlsx2iif.opening import HeadStart\n"
        "close = HeadStart.close\n"
        "def closed(self):\n"
        "    print('closed', self._opened is not None, flush=True)\n"
        "    close(self)\n"
        "HeadStart.close = closed\n"
        "head_start = launch.begin(['export', 'orders.xlsx'])\n"
        "print('begun', head_start is not None, flush=True)\n"
        "sys.argv = ['ccp-xlsx2iif', '--version']\n"
        "cli.main(head_start)\n"
    )
    assert in_a_program(script, tmp_path) == (
        0,
        ["begun True", f"ccp-xlsx2iif {__version__}", "closed True"],
        "",
    )


def test_ctrl_c_while_the_workbook_is_opened_stops_as_typer_stops(tmp_path: Path) -> None:
    """No traceback: the exit status Typer gives a command stopped by Ctrl+C."""
    script = (
        "import sys\n"
        "from ccp_xlsx2iif import launch, opening\n"
        "open_workbook = opening.open_workbook\n"
        "def interrupted(workbook, *, copied):\n"
        "    open_workbook(workbook, copied=copied)\n"
        "    raise KeyboardInterrupt\n"
        "opening.open_workbook = interrupted\n"
        "sys.argv = ['ccp-xlsx2iif', 'export', 'orders.xlsx']\n"
        "launch.main()\n"
    )
    assert in_a_program(script, tmp_path) == (130, [], "")
