"""A workbook's cells as read back by two readers, and the cells that differ between two reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from python_calamine import CalamineWorkbook


def calamine_grid(path: Path, sheet: str) -> list[list[Any]]:
    with CalamineWorkbook.from_path(str(path)) as book:
        return book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)


def openpyxl_grid(path: Path, sheet: str) -> list[list[Any]]:
    book = load_workbook(path, data_only=True)
    return [list(row) for row in book[sheet].iter_rows(values_only=True)]


def changed_cells(before: list[list[Any]], after: list[list[Any]], blank: Any) -> dict[str, Any]:
    """Return {cell: new value} for every cell whose value differs."""
    from ccp_xlsx2iif.problems import column_letter

    changes = {}
    for row in range(max(len(before), len(after))):
        old_row = before[row] if row < len(before) else []
        new_row = after[row] if row < len(after) else []
        for column in range(max(len(old_row), len(new_row))):
            old = old_row[column] if column < len(old_row) else blank
            new = new_row[column] if column < len(new_row) else blank
            if old != new:
                changes[f"{column_letter(column + 1)}{row + 1}"] = new
    return changes
