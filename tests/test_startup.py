"""Start-up: --help and --version load nothing a command does not need."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.command import program_imports
from tests.workbooks import OrderBook

HEAVY = ("python_calamine", "jinja2", "openpyxl", "anyascii", "defusedxml", "ccp_xlsx2iif.export")


@pytest.mark.parametrize("args", [("--help",), ("--version",), ("export", "--help")])
def test_help_and_version_import_nothing_heavy(args: tuple[str, ...]) -> None:
    modules = program_imports(*args)
    assert "ccp_xlsx2iif.cli" in modules
    assert [module for module in HEAVY if module in modules] == []


def test_help_for_a_workbook_opens_nothing(tmp_path: Path) -> None:
    """The program's early start (launch.py) leaves a command line that asks for help alone."""
    path = OrderBook().save(tmp_path / "orders.xlsx")
    modules = program_imports("export", str(path), "--help")
    assert [module for module in (*HEAVY, "ccp_xlsx2iif.opening") if module in modules] == []
