"""Problems found in the user's data, and the errors the command line turns into messages.

Three kinds of failure are kept apart:

* a data problem (``Problem``) is expected and there may be many: they are collected in one
  pass, each with its place the way Excel shows it (``Orders!X12``), and raised together as
  ``ProblemsFound`` (exit code 1);
* a fatal condition that stops the run, such as an unreadable or locked file, is a
  ``FileProblem`` (exit code 3) or a ``UsageProblem`` (exit code 2), one at a time, with a hint;
* anything else is a bug and keeps its traceback.

The command line catches ``UserError`` only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_FILE = 3

# Sheets sort in the order a user meets them in the contract; others follow by name.
_SHEET_ORDER = {"orders": 0, "items": 1, "accounts": 2}
_NUMBERED_SHEET = re.compile(r"(\w+)[\s_-]*\(?(\d+)\)?\s*\Z")
_PLAIN_SHEET_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*\Z")


def column_letter(column: int) -> str:
    """Return Excel's letters for a 1-based column number (1 -> A, 27 -> AA)."""
    letters = ""
    while column > 0:
        column, remainder = divmod(column - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


@dataclass(frozen=True, slots=True)
class Place:
    """Where a value sits: a sheet, and optionally a 1-based row and column.

    ``book`` names the workbook file when it is not the order workbook (an accounts workbook
    given with ``--accounts``); it is shown the way Excel shows a reference to another
    workbook: ``[accounts.xlsx]Accounts!B7``.
    """

    sheet: str
    row: int | None = None
    column: int | None = None
    book: str | None = None

    def __str__(self) -> str:
        sheet = self.sheet if _PLAIN_SHEET_NAME.match(self.sheet) else _quoted(self.sheet)
        if self.book:
            sheet = f"[{self.book}]{sheet}" if sheet[0] != "'" else f"'[{self.book}]{sheet[1:]}"
        if self.row is None and self.column is None:
            return sheet
        if self.column is None:
            return f"{sheet} row {self.row}"
        cell = column_letter(self.column) if self.column is not None else ""
        cell += str(self.row) if self.row is not None else ""
        return f"{sheet}!{cell}"

    def sort_key(self) -> tuple[str, int, int, str, int, int]:
        """Order places by workbook, sheet (in the contract's order), row, then column.

        A sheet that continues another (``Items 2``) follows it, by its number.
        """
        name = self.sheet.casefold()
        numbered = _NUMBERED_SHEET.match(name)
        base, number = (numbered.group(1), int(numbered.group(2))) if numbered else (name, 1)
        order = _SHEET_ORDER.get(base)
        if order is None:
            order, number = len(_SHEET_ORDER), 0
        return (self.book or "", order, number, name, self.row or 0, self.column or 0)


@dataclass(frozen=True, slots=True)
class Columns:
    """Where the fields of one sheet were found: the sheet and each field's 1-based column.

    A field worked out from other columns (``mapping.mapped_table``) is read from a column
    of its own after the sheet's last; ``places`` gives the sheet's column it is shown at
    (``None``: a constant, placed at the row), and ``sources`` every column it is made from.
    """

    sheet: str
    index: Mapping[str, int]
    book: str | None = None
    places: Mapping[str, int | None] | None = None
    sources: Mapping[str, tuple[int, ...]] | None = None

    def place(self, field: str | None, row: int | None) -> Place:
        """Return the place of ``field`` in ``row`` (the whole row when the column is absent)."""
        if field and self.places is not None and field in self.places:
            return Place(self.sheet, row, self.places[field], self.book)
        column = self.index.get(field) if field else None
        return Place(self.sheet, row, column, self.book)

    def sheet_columns(self, field: str) -> tuple[int, ...]:
        """Return the sheet's columns a field's value is read from."""
        if self.sources is not None and field in self.sources:
            return self.sources[field]
        column = self.index.get(field)
        return () if column is None else (column,)


class Origin(NamedTuple):
    """The row a record was read from, so that any of its fields can be placed.

    A named tuple: one is made for each of the hundreds of thousands of rows of a large
    workbook, and a tuple is made fastest.
    """

    columns: Columns
    row: int

    def place(self, field: str | None = None) -> Place:
        """Return the place of one of the record's fields, or of the whole row."""
        return self.columns.place(field, self.row)


def _quoted(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the user's data: where, what kind (``code``) and what to do."""

    place: Place | None
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.place}: {self.message}" if self.place else self.message


# What each kind of problem is, for the summary of a long list of problems.
PROBLEM_KINDS = {
    "missing-sheet": "missing sheet",
    "missing-column": "missing columns",
    "duplicate-column": "column twice",
    "merged-header": "merged header cells",
    "header-not-in-row-1": "header row not in row 1",
    "empty-cell": "empty required cell",
    "bad-value": "unreadable value",
    "unreadable-cell": "error value or uncalculated formula",
    "duplicate-order": "order ID twice",
    "misplaced-mark": "Exported cell beside another order",
    "exported-from-csv": "order exported already from a CSV file",
    "exported-from-another-workbook": "order exported already from another workbook",
    "unknown-to-the-ledger": "order in a batch file that the ledger never recorded",
    "unknown-order": "item of an unknown order",
    "no-items": "order without items",
    "subtotal-mismatch": "subtotal does not match the items",
    "line-total-mismatch": "line total does not match quantity x price",
    "total-mismatch": "total does not match its parts",
    "negative-amount": "negative amount",
    "not-positive-total": "total not more than 0",
    "implausible-date": "implausible date",
    "too-long": "value longer than QuickBooks takes",
    "no-text": "nothing left after transliteration",
    "bad-name": "account or item name QuickBooks cannot take",
    "unknown-role": "unknown role",
    "duplicate-role": "role twice",
    "missing-role": "missing role",
    "exported-column-not-empty": "no room for the Exported column",
    "merged-cell": "merged Exported cell",
    "unwritable-cell": "Exported cell that cannot be overwritten",
    "bad-chart": "unreadable chart of accounts",
    "unknown-account": "account not in the chart of accounts",
    "wrong-account-type": "account type that does not fit",
    "account-type-conflict": "sub-account of another type",
    "item-name-conflict": "two SKUs that are one QuickBooks item",
    "shared-customer-name": "two customers under one name",
    "name-in-use": "name already used in QuickBooks",
    "bad-rule": "invalid Customer Name Rule",
    "job-name": "customer name read as a Customer:Job",
    "other-currency": "order in another currency",
    "unknown-account-type": "chart row without a readable account type",
    "unknown-item": "item not in QuickBooks' item list",
    "unknown-list-entry": "class, terms or sales rep not in QuickBooks' lists",
    "unknown-vendor": "tax agency not a QuickBooks vendor",
    "wrong-item-type": "sales tax item of another type",
    "conflicting-values": "rows of one order that disagree",
    "partly-exported": "order marked Exported on some of its rows",
    "extra-fields": "CSV row with more fields than its header",
    "bad-columns-row": "Columns sheet row that cannot be read",
    "unknown-setting": "unknown setting",
    "bad-setting": "setting that cannot be read",
}


@dataclass(frozen=True, slots=True)
class TextChange:
    """A cell whose text changed on its way into the IIF file (transliterated, one line...)."""

    place: Place
    before: str
    after: str


def sorted_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Return the problems sorted by sheet and row; problems without a place come first."""
    return sorted(
        problems,
        key=lambda p: (p.place is not None, p.place.sort_key() if p.place else ()),
    )


class UserError(Exception):
    """Base class of every error the command line reports without a traceback."""

    exit_code = EXIT_FILE

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from its own arguments when it crosses to another process.
        return type(self), (self.message, self.hint)


class ProblemsFound(UserError):
    """The data has problems; nothing was written."""

    exit_code = EXIT_PROBLEMS

    def __init__(self, problems: Iterable[Problem], notes: Iterable[str] = ()) -> None:
        self.problems = sorted_problems(problems)
        self.notes = list(notes)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{count} {noun} found; nothing was written.")

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.problems, self.notes)


class FileProblem(UserError):
    """A file could not be read or written (missing, locked, not a workbook, disk full...)."""

    exit_code = EXIT_FILE


class UsageProblem(UserError):
    """The command was called in a way that cannot work (conflicting or invalid options)."""

    exit_code = EXIT_USAGE
