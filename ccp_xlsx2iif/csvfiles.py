"""Orders exported as CSV, and the workbook that remembers which of them were exported.

Shops export CSV first. A CSV file is read as a workbook of one sheet (named after the file,
as Excel names it), with its encoding and delimiter found by looking: a byte-order mark says
UTF-8 or UTF-16; else UTF-8 if the bytes are valid UTF-8, else Windows-1252 (what Excel
writes on Windows); the delimiter is the one of comma, semicolon, tab and bar that splits the
header and the first rows alike.

A CSV has no room for an Exported marker a user keeps: each week's export is a new file,
and the weeks overlap. The tool therefore keeps the Exported state of every order it exported
from CSV in a small workbook beside the CSV files, ``exported-orders.xlsx`` (sheet Orders:
Order ID, Order Date, Customer, Total, Exported, Source File). An order whose ID is there with
a filled Exported cell is not exported again, whichever CSV it comes from; clearing the cell
(or ``unmark``) exports it again. The CSV files themselves are never changed.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from ccp_xlsx2iif.cells import (
    CellValue,
    CellValueError,
    is_blank,
    parse_money,
    parse_order_id,
    parse_text,
)
from ccp_xlsx2iif.contract import Column, Kind, SheetSpec
from ccp_xlsx2iif.files import real_file, workbook_bytes
from ccp_xlsx2iif.mapping import LEDGER_COLUMN
from ccp_xlsx2iif.package import SheetFacts, match_sheet
from ccp_xlsx2iif.problems import FileProblem, Place, Problem, ProblemsFound
from ccp_xlsx2iif.workbook import unreadable

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
LEDGER_NAME = "exported-orders.xlsx"
LEDGER_SHEET = "Orders"
LEDGER_HEADERS = ("Order ID", "Order Date", "Customer", "Total", "Exported", "Source File")
LEDGER = SheetSpec(
    LEDGER_SHEET,
    (
        Column("order_id", "Order ID", Kind.ORDER_ID, required=True),
        Column("exported", "Exported", Kind.RAW, required=True),
        Column("total", "Total", Kind.RAW),
    ),
)
_DELIMITERS = ",;\t|"
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}
_SAMPLE = 1 << 16
# A CSV larger than this is refused: it is not an order export.
LARGEST_CSV = 2 << 30
GIVE_THE_EXPORT = "Give the CSV file the shop exported, or the workbook saved from it."


def is_csv(path: Path) -> bool:
    """Whether ``path`` names a CSV (or tab-separated) text file."""
    return path.suffix.casefold() in CSV_SUFFIXES


def ledger_path(csv_path: Path) -> Path:
    """Return the ledger of the orders exported from the CSV files of a folder."""
    return real_file(csv_path.parent / LEDGER_NAME)


def decode(data: bytes, path: Path) -> tuple[str, str]:
    """Return the text of a CSV file and the name of its encoding."""
    for mark, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(mark):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError:
                break
    else:
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
            if "\ufffd" not in text:
                return text, "cp1252"
    raise FileProblem(
        f"{path}: the file's text is not in an encoding the tool knows (UTF-8, UTF-16, "
        "Windows-1252)",
        hint='Save it again from the shop or from Excel as "CSV UTF-8 (Comma delimited)".',
    )


def delimiter_of(text: str) -> str:
    """Return the delimiter that splits the first lines of ``text`` into the same columns."""
    sample = text[:_SAMPLE]
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        header = sample.splitlines()[0] if sample else ""
        counts = {delimiter: header.count(delimiter) for delimiter in _DELIMITERS}
        best = max(counts, key=lambda delimiter: counts[delimiter])
        return best if counts[best] else ","


def read_csv(path: Path) -> tuple[list[list[CellValue]], str, str]:
    """Read a CSV file's rows (text cells); also return its encoding and delimiter."""
    try:
        size = path.stat().st_size
        if size > LARGEST_CSV:
            raise FileProblem(
                f"{path}: {size:,} bytes is too large for an order export",
                hint="Export the orders in parts from the shop (a range of dates each).",
            )
        data = path.read_bytes()
    except IsADirectoryError:
        raise FileProblem(f"{path}: a folder, not a file", hint=GIVE_THE_EXPORT) from None
    except OSError as error:
        raise unreadable(path, error) from None
    if not data.strip():
        raise FileProblem(
            f"{path}: the file is empty", hint="Export the orders from the shop again."
        )
    if b"\x00" in data[:_SAMPLE] and not data.startswith(
        (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    ):
        raise FileProblem(f"{path}: not a CSV file (it holds binary data)", hint=GIVE_THE_EXPORT)
    text, encoding = decode(data, path)
    delimiter = "\t" if path.suffix.casefold() == ".tsv" else delimiter_of(text)
    try:
        rows: list[list[CellValue]] = [
            list(row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        ]
    except csv.Error as error:
        raise FileProblem(
            f"{path}: not a readable CSV file ({error})",
            hint="Export the orders from the shop again, or open the file in Excel and save it "
            'as "CSV UTF-8".',
        ) from None
    return rows, encoding, delimiter


@dataclass
class CsvBook:
    """A CSV file read as a workbook of one sheet (``workbook.Sheets``)."""

    path: Path
    rows: list[list[CellValue]]
    encoding: str
    delimiter: str
    label: str | None = None
    facts: dict[str, SheetFacts] = field(default_factory=dict)

    @classmethod
    def open(cls, path: Path) -> CsvBook:
        """Read the CSV file at ``path``; a row with more fields than the header is a problem.

        Such a row has a delimiter inside a field that is not quoted: its values have moved
        into the wrong columns.
        """
        rows, encoding, delimiter = read_csv(path)
        width = len(rows[0]) if rows else 0
        problems = [
            Problem(
                Place(path.stem, number, width + 1),
                "extra-fields",
                f"the row has {len(row)} fields but the header {width}: a field holds the "
                f"delimiter (a {DELIMITER_NAMES.get(delimiter, delimiter)}) without quotes, so "
                "its values are in the wrong columns; export the file again from the shop",
            )
            for number, row in enumerate(rows, start=1)
            if len(row) > width and any(not is_blank(cell) for cell in row[width:])
        ]
        if problems:
            raise ProblemsFound(problems)
        return cls(path, rows, encoding, delimiter)

    @property
    def sheet_names(self) -> list[str]:
        """The one sheet, named after the file as Excel names it."""
        return [self.path.stem]

    @property
    def single_table(self) -> bool:
        """A CSV file is one table: orders and items are on its rows."""
        return True

    def describe(self, sheet: str) -> str:
        """Name the file, its encoding and its delimiter, for the summary."""
        delimiter = DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))
        return f"{self.path.name} ({self.encoding}, {delimiter}-separated)"

    def find_sheet(self, wanted: str) -> str | None:
        """Return the sheet's name if it is ``wanted``."""
        return match_sheet(self.sheet_names, wanted)

    def continuations(self, wanted: str) -> list[str]:
        """Return no sheets: a CSV file has one."""
        return []

    def read_rows(self, sheet: str) -> list[list[CellValue]]:
        """Return the rows of the sheet."""
        return self.rows

    def merged_ranges(self, sheet: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
        """Return no merged cells: a CSV file has none."""
        return []

    def forget(self, sheet: str) -> None:
        """Rows are kept: they are the file."""

    def close(self) -> None:
        """Nothing to release."""


@dataclass
class Ledger:
    """The workbook of orders exported from CSV files: each order's Exported cell, by ID."""

    path: Path
    marks: dict[str, str] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    # The total recorded with each exported order (none for an order marked by hand).
    totals: dict[str, Decimal] = field(default_factory=dict)

    @property
    def exists(self) -> bool:
        """Whether the ledger was written already."""
        return self.path.exists()

    @classmethod
    def read(cls, path: Path) -> Ledger:
        """Read the ledger at ``path`` (an empty one when there is none yet)."""
        from ccp_xlsx2iif.workbook import open_book, read_table

        ledger = cls(path)
        if not path.exists():
            return ledger
        book = open_book(path, writable=True, sheets=(LEDGER_SHEET,))
        problems: list[Problem] = []
        try:
            sheet = book.find_sheet(LEDGER_SHEET)
            if sheet is None:
                raise FileProblem(
                    f'{path}: there is no sheet "{LEDGER_SHEET}"; this file keeps which orders '
                    "were exported from CSV files",
                    hint="Restore it, or move it away to export every order again.",
                )
            table = read_table(book, sheet, LEDGER, problems)
            if table is None:
                raise ProblemsFound(problems)
            id_at = table.columns.index["order_id"] - 1
            mark_at = table.columns.index["exported"] - 1
            for row_number, cells in table.records("order_id"):
                raw = cells[id_at] if id_at < len(cells) else None
                if is_blank(raw):
                    continue
                try:
                    order_id = parse_order_id(raw)  # type: ignore[arg-type]
                except CellValueError:
                    continue
                mark = cells[mark_at] if mark_at < len(cells) else None
                total = table.value(cells, "total")
                if total is not None and not is_blank(total):
                    with contextlib.suppress(CellValueError):
                        ledger.totals[order_id] = parse_money(total)
                ledger.rows.setdefault(order_id, row_number)
                ledger.marks[order_id] = "" if is_blank(mark) else parse_text(mark)  # type: ignore[arg-type]
        finally:
            book.close()
        return ledger


def new_ledger_note(ledger: Ledger, csv_name: str, batch: str | None = None) -> str:
    """Say that the export starts the ledger of this folder, and what that means.

    The ledger is found beside the CSV file: a week's file saved in another folder than the
    last one's finds none there, and would book again the orders the other ledger keeps.
    ``batch`` is the IIF file an export writes (none for ``check`` or a dry run): then it is
    too late to move the other ledger first, and the note says how to start again.
    """
    name = ledger.path.name
    if batch is None:
        what_then = f"move that folder's {name} here first, or they would be booked twice"
    else:
        what_then = (
            f"do not import {batch}: they would be booked twice. Delete it and the {name} "
            f"this export started, move that folder's {name} here, and export again"
        )
    return (
        f"There is no {name} beside {csv_name} yet: exporting this file starts one, which "
        "keeps the orders exported from the CSV files of this folder. If orders of this file "
        f"were exported before from a CSV file in another folder, {what_then}. Keep each "
        "week's CSV file in this folder."
    )


@dataclass(frozen=True)
class LedgerEntry:
    """An order to record in the ledger as exported (or marked by hand)."""

    order_id: str
    order_date: dt.date | None
    customer: str
    total: Decimal | None
    exported: str
    source: str


def write_ledger(ledger: Ledger, out: BinaryIO, entries: Sequence[LedgerEntry]) -> None:
    """Write to ``out`` the ledger with ``entries`` recorded: new rows, or marks on old ones."""
    from openpyxl import Workbook, load_workbook
    from openpyxl.styles import Font

    sheet: Any
    if ledger.exists:
        book = load_workbook(ledger.path)
        sheet = book[match_sheet(book.sheetnames, LEDGER_SHEET) or LEDGER_SHEET]
        headers = {str(cell.value).strip().casefold(): cell.column for cell in sheet[1]}
        exported_at = headers.get("exported", 5)
    else:
        book = Workbook()
        sheet = book.active
        sheet.title = LEDGER_SHEET
        sheet.append(LEDGER_HEADERS)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for letter, width in zip("ABCDEF", (14, 12, 28, 12, 44, 28), strict=True):
            sheet.column_dimensions[letter].width = width
        exported_at = 5
    for entry in entries:
        row = ledger.rows.get(entry.order_id)
        if row is not None:
            sheet.cell(row, exported_at).value = entry.exported
            continue
        sheet.append(
            [
                entry.order_id,
                entry.order_date,
                entry.customer,
                float(entry.total) if entry.total is not None else None,
                entry.exported,
                entry.source,
            ]
        )
        new_row = sheet.max_row
        sheet.cell(new_row, 2).number_format = "yyyy-mm-dd"
        sheet.cell(new_row, 4).number_format = "#,##0.00"
    out.write(workbook_bytes(book))


def with_ledger_marks(
    rows: list[list[CellValue]], order_id_column: int | None, marks: Mapping[str, str]
) -> list[list[CellValue]]:
    """Return the rows of a CSV with a last column holding each row's mark from the ledger."""
    if not rows:
        return []
    width = len(rows[0])
    marked: list[list[CellValue]] = [[*rows[0], LEDGER_COLUMN]]
    for row in rows[1:]:
        if len(row) != width:
            row = [*row[:width], *[""] * (width - len(row))]
        mark = ""
        if order_id_column is not None and order_id_column <= len(row):
            raw = row[order_id_column - 1]
            if not is_blank(raw):
                try:
                    mark = marks.get(parse_order_id(raw), "")
                except CellValueError:
                    mark = ""
        marked.append([*row, mark])
    return marked
