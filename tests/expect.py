"""Running an export that must fail on its data, and proving that it changed nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ccp_xlsx2iif.export import ExportOptions, export_workbook
from ccp_xlsx2iif.problems import Problem, ProblemsFound
from tests.conftest import NOW
from tests.workbooks import OrderBook


def failed_export(path: Path, **options: Any) -> list[Problem]:
    """Export ``path`` expecting data problems, and return them.

    The workbook must stay byte-identical and no file may be added beside it.
    """
    before = path.read_bytes()
    files = sorted(p.name for p in path.parent.iterdir())
    with pytest.raises(ProblemsFound) as raised:
        export_workbook(path, ExportOptions(**options), NOW)
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == files
    return raised.value.problems


def problems(book: OrderBook, folder: Path, **options: Any) -> list[str]:
    """Save ``book`` in ``folder`` and return the lines of its failed export."""
    folder.mkdir(exist_ok=True)
    return [str(problem) for problem in failed_export(book.save(folder / "orders.xlsx"), **options)]


def codes(book: OrderBook, folder: Path, **options: Any) -> list[tuple[str, str]]:
    """Save ``book`` in ``folder`` and return (place, code) of each problem of its export."""
    folder.mkdir(exist_ok=True)
    found = failed_export(book.save(folder / "orders.xlsx"), **options)
    return [(str(problem.place), problem.code) for problem in found]
