"""Shared fixtures: the fixed clock of every test run, and the golden-file update flag."""

from __future__ import annotations

import datetime as dt

import pytest

NOW = dt.datetime(2026, 3, 14, 9, 30, 5)
# The IIF file an export at NOW writes beside a workbook called orders.xlsx.
BATCH = "orders-20260314-093005.iif"


@pytest.fixture
def cli_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the command line at ``NOW``."""
    from ccp_xlsx2iif import cli

    monkeypatch.setattr(cli, "_now", lambda: NOW)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite the expected IIF files from the current output instead of comparing",
    )
    parser.addoption(
        "--stress",
        action="store_true",
        help="run the crash test with hundreds of kills instead of the shorter CI version",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture
def stress(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--stress"))
