"""Start-up: --help and --version load nothing a command does not need."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("python_calamine", "jinja2", "openpyxl", "anyascii", "defusedxml", "ccp_xlsx2iif.export")


def imported_modules(*args: str) -> set[str]:
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "ccp_xlsx2iif", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return {
        line.rsplit("|", 1)[-1].strip()
        for line in completed.stderr.splitlines()
        if line.startswith("import time:")
    }


@pytest.mark.parametrize("args", [("--help",), ("--version",), ("export", "--help")])
def test_help_and_version_import_nothing_heavy(args: tuple[str, ...]) -> None:
    modules = imported_modules(*args)
    assert "ccp_xlsx2iif.cli" in modules
    assert [module for module in HEAVY if module in modules] == []
