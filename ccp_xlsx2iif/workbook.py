"""Reading workbooks: sheets into rows that remember their sheet, Excel row and column.

python-calamine reads the cached values of every cell (formulas included) far faster than
openpyxl. Rows are kept with their Excel numbering: index 0 is row 1, column 0 is column A,
whatever empty area comes before the data.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ccp_xlsx2iif.cells import CellValue, is_blank, parse_text
from ccp_xlsx2iif.contract import SheetSpec, header_key
from ccp_xlsx2iif.opendocument import check_opendocument
from ccp_xlsx2iif.package import PackageInspector, SheetFacts, continuation_sheets, match_sheet
from ccp_xlsx2iif.problems import Columns, FileProblem, Place, Problem, column_letter
from ccp_xlsx2iif.trial import check_by_trial

if TYPE_CHECKING:
    from python_calamine import CalamineSheet, CalamineWorkbook

WRITABLE_SUFFIXES = (".xlsx", ".xlsm")
READABLE_SUFFIXES = (*WRITABLE_SUFFIXES, ".xlsb", ".xls", ".ods")
SAVE_AS_XLSX = 'Open it in Excel and use File > Save As > "Excel Workbook (*.xlsx)".'

Row = Sequence[CellValue]


Merged = list[tuple[tuple[int, int], tuple[int, int]]]

# A parsed sheet of this many cells or more is followed by ``give_back_freed_memory``.
GIVE_BACK_FROM_CELLS = 1_000_000


class Sheets(Protocol):
    """What the readers need of a workbook: its sheets by name, and each sheet's rows.

    ``Book`` (an Excel workbook) and ``csvfiles.CsvBook`` (a CSV file, one sheet) are both.
    """

    path: Path
    label: str | None
    facts: dict[str, SheetFacts]

    @property
    def sheet_names(self) -> list[str]:
        """The names of the sheets, in the workbook's order."""

    @property
    def single_table(self) -> bool:
        """Whether the file is one table (a CSV file), which holds orders and items alike."""

    def describe(self, sheet: str) -> str:
        """Name a sheet of the file, the way the summary shows where orders were read."""

    def find_sheet(self, wanted: str) -> str | None:
        """Return the name of the sheet called ``wanted``."""

    def continuations(self, wanted: str) -> list[str]:
        """Return the sheets that continue ``wanted`` past the last row."""

    def read_rows(self, sheet: str) -> list[list[CellValue]]:
        """Return every row of ``sheet`` from row 1."""

    def merged_ranges(self, sheet: str) -> Merged:
        """Return the merged ranges of ``sheet``."""

    def forget(self, sheet: str) -> None:
        """Let go of a sheet's rows."""

    def close(self) -> None:
        """Release the file."""


@dataclass
class Book:
    """An open workbook: its path, how places in it are shown, and its sheet names.

    Sheets are parsed in a thread of their own, one after another, in the order asked for
    (``prefetch``): python-calamine parses without holding Python's lock, so a sheet is
    parsed while the tool scans the next one or works on the rows of the one before. A
    parsed sheet becomes Python rows only when they are asked for (``read_rows``), so that
    the rows of two large sheets are not held at once.
    """

    path: Path
    label: str | None
    reader: CalamineWorkbook
    sheet_names: list[str] = field(default_factory=list)
    facts: dict[str, SheetFacts] = field(default_factory=dict)
    _loaded: dict[str, Future[tuple[CalamineSheet, Merged]]] = field(
        default_factory=dict, repr=False
    )
    _rows: dict[str, tuple[list[list[CellValue]], Merged]] = field(default_factory=dict, repr=False)
    _reader_thread: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="sheet-reader"),
        repr=False,
    )
    _closed: bool = field(default=False, repr=False)
    started: list[str] = field(default_factory=list)  # sheets whose parsing began, in order
    # An .xlsx or .xlsm file's inspector: every sheet is scanned before it is parsed.
    inspector: PackageInspector | None = field(default=None, repr=False)
    # The sheets of an .xls or .xlsb file read by a trial (trial.py); None: no trial needed.
    tried: set[str] | None = field(default=None, repr=False)

    @property
    def single_table(self) -> bool:
        """A workbook has sheets of their own for orders, items and accounts."""
        return False

    def describe(self, sheet: str) -> str:
        """Name a sheet of the workbook."""
        return f'the sheet "{sheet}"'

    def find_sheet(self, wanted: str) -> str | None:
        """Return the name of the sheet called ``wanted`` (any case, spaces trimmed)."""
        return match_sheet(self.sheet_names, wanted)

    def continuations(self, wanted: str) -> list[str]:
        """Return the sheets ``wanted 2``, ``wanted 3``... that continue it past the last row."""
        return continuation_sheets(self.sheet_names, wanted)

    def prefetch(self, sheet: str) -> None:
        """Start parsing ``sheet`` (once), after scanning it if it is not scanned yet.

        Every sheet read is scanned first, whichever the reading asks for (a shop's export
        on its first sheet, a Columns sheet): else one with an absurd extent would make the
        reader ask for the whole grid.
        """
        if sheet not in self._loaded and sheet not in self._rows:
            if self.inspector is not None and sheet not in self.facts:
                self.facts[sheet] = self.inspector.scan(sheet)
            if self.tried is not None and sheet not in self.tried:
                check_by_trial(self.path, [sheet], ())
                self.tried.add(sheet)
            self._loaded[sheet] = self._reader_thread.submit(self._load, sheet)
            self.started.append(sheet)

    def _load(self, sheet: str) -> tuple[CalamineSheet, Merged]:
        with self._translated(sheet):
            parsed = self.reader.get_sheet_by_name(sheet)
            # A range is given by two corners; a file may name them in either order ("C5:A1").
            merged = [
                (
                    (min(row, end_row), min(column, end_column)),
                    (max(row, end_row), max(column, end_column)),
                )
                for (row, column), (end_row, end_column) in parsed.merged_cell_ranges or []
            ]
            return parsed, merged

    @contextmanager
    def _translated(self, sheet: str) -> Iterator[None]:
        from python_calamine import CalamineError

        try:
            yield
        except CalamineError as error:
            raise FileProblem(
                f'{self.path}: the sheet "{sheet}" cannot be read ({error})', hint=SAVE_AS_XLSX
            ) from None
        except BaseException as error:
            if not is_panic(error):
                raise
            raise FileProblem(
                f'{self.path}: the sheet "{sheet}" cannot be read (its reader stopped: {error})',
                hint=SAVE_AS_XLSX,
            ) from None

    def _converted(self, sheet: str) -> tuple[list[list[CellValue]], Merged]:
        """Return the rows and merged ranges of ``sheet``; the parsed sheet is let go of."""
        if sheet not in self._rows:
            self.prefetch(sheet)
            parsed, merged = self._loaded.pop(sheet).result()
            with self._translated(sheet):
                try:
                    rows = parsed.to_python(skip_empty_area=False)
                except BaseException as error:
                    if not _no_date_or_time(error):
                        raise
                    raise self._undated(sheet, parsed) from None
                facts = self.facts.get(sheet)
                if facts is not None:
                    _blank_totals(rows, facts)
                self._rows[sheet] = (rows, merged)
            cells = parsed.height * parsed.width
            del parsed  # the reader's cells: its rows are Python's now
            if cells >= GIVE_BACK_FROM_CELLS:
                give_back_freed_memory()
        return self._rows[sheet]

    def _undated(self, sheet: str, parsed: CalamineSheet) -> FileProblem:
        """Say which row holds a number its date or time format cannot turn into one.

        python-calamine turns a cell formatted as a date, a time or a duration into one; a
        number such as -1E+12 (a date before any calendar) stops it for the whole sheet. The
        rows are read again one by one, up to the one that stops it.
        """
        rows_read, where = 0, "a"
        try:
            with _reader_quiet():
                for _ in parsed.iter_rows():  # from row 1, as to_python(skip_empty_area=False)
                    rows_read += 1
        except BaseException as error:
            if not _no_date_or_time(error):
                raise
            where = f"in row {rows_read + 1}, a"
        return FileProblem(
            f'{self.path}: the sheet "{sheet}" cannot be read: {where} cell formatted as a '
            "date or time holds a number that no date or time can be",
            hint="Excel shows that cell as ########: correct the number, or format the cell "
            "as a number (Home > Number Format > General), save, and run again.",
        )

    def read_rows(self, sheet: str) -> list[list[CellValue]]:
        """Return every row of ``sheet`` from row 1 and column A, empty cells as ``''``."""
        return self._converted(sheet)[0]

    def merged_ranges(self, sheet: str) -> Merged:
        """Return the merged ranges of ``sheet`` as 0-based ((row, col), (row, col)) corners."""
        return self._converted(sheet)[1]

    def forget(self, sheet: str) -> None:
        """Let go of a sheet's rows once they are used."""
        self._loaded.pop(sheet, None)
        self._rows.pop(sheet, None)

    def close(self) -> None:
        """Release the file (after the sheet being read, if any); again, do nothing."""
        self._reader_thread.shutdown(wait=True, cancel_futures=True)
        self._loaded.clear()
        self._rows.clear()
        if not self._closed:
            self._closed = True
            self.reader.close()
            if self.inspector is not None:
                self.inspector.close()


def give_back_freed_memory() -> bool:
    """Return the memory freed by the process to the system, where the C library can.

    A sheet parsed by python-calamine is millions of small allocations of its reader thread
    (the text of each cell). Freed once the rows are Python's, most of them stay with the
    process, unused: some 50 MB of a 100,000-order Orders sheet, held to the end of the
    export beside the rows and orders that follow. glibc's ``malloc_trim`` hands them back
    (a few hundredths of a second). Return whether it could be asked.
    """
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """Return glibc's ``malloc_trim``; ``None`` elsewhere (macOS, Windows, musl)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def _blank_totals(rows: list[list[CellValue]], facts: SheetFacts) -> None:
    """Read the total row of each Excel table as empty: its cells sum the rows above it."""
    for row, first, last in facts.totals:
        if row <= len(rows):
            cells = rows[row - 1]
            cells[first - 1 : last] = [""] * len(cells[first - 1 : last])


def is_panic(error: BaseException) -> bool:
    """Whether ``error`` is a panic of python-calamine's Rust code, which no input should cause.

    pyo3 raises it as ``pyo3_runtime.PanicException``, a ``BaseException`` that cannot be
    imported by name.
    """
    return type(error).__name__ == "PanicException"


def _no_date_or_time(error: BaseException) -> bool:
    """Whether python-calamine stopped on a number it could not make a date, time or duration.

    Below about -1E+11 days it panics; a duration of more than 999,999,999 days overflows
    Python's timedelta.
    """
    return isinstance(error, OverflowError) or is_panic(error)


@contextmanager
def _reader_quiet() -> Iterator[None]:
    """Keep what Rust prints on a panic (to the process's standard error) from the user.

    Used only once a sheet has failed already, while it is read again to find the row: the
    user has seen the reader's message once, and then reads the tool's own.
    """
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no standard error to keep quiet
        yield
        return
    try:
        with Path(os.devnull).open("wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def unreadable(path: Path, error: OSError) -> FileProblem:
    """Say why a file could not be read, and what to do."""
    if isinstance(error, FileNotFoundError):
        return FileProblem(f"{path}: no such file", hint="Check the folder and the file name.")
    if isinstance(error, PermissionError):
        return FileProblem(
            f"{path}: permission denied",
            hint="Check that you may read the file, and close it in any program that holds it "
            "(Excel, a sync client).",
        )
    return FileProblem(f"{path}: cannot be read ({error.strerror or error})")


def check_book_path(path: Path, *, writable: bool) -> None:
    """Raise ``FileProblem`` when ``path`` is not an existing file of a kind the tool reads."""
    if path.is_dir():
        raise FileProblem(f"{path}: is a folder, not a workbook", hint="Give the workbook's path.")
    suffix = path.suffix.casefold()
    allowed = WRITABLE_SUFFIXES if writable else READABLE_SUFFIXES
    if suffix not in allowed:
        what = f"a {suffix} file" if suffix else "not an Excel workbook"
        raise FileProblem(
            f"{path}: {what}; the tool reads Excel workbooks ({', '.join(allowed)})",
            hint=SAVE_AS_XLSX,
        )
    if not path.exists():
        raise unreadable(path, FileNotFoundError(path))


def open_book(
    path: Path,
    *,
    writable: bool,
    label: str | None = None,
    sheets: Sequence[str] | None = (),
    continued: Sequence[str] = (),
    trial: bool = True,
) -> Book:
    """Open a workbook for reading, or raise ``FileProblem`` saying why it cannot be read.

    An .xlsx or .xlsm file is inspected first (``package.PackageInspector``), and each of
    ``sheets`` (``None``: all) is scanned for error values and formulas without a calculated
    value before it is read; the sheets are then read in the background, in that order. The
    sheets of ``continued`` are followed by the sheets that continue them (``Items 2``...).
    An .ods file is measured first (``opendocument.check_opendocument``); the same sheets of
    an .xls or .xlsb file are first read by a process of its own (``trial.check_by_trial``),
    except with ``trial=False``, which that process passes.
    """
    check_book_path(path, writable=writable)
    inspector = None
    tried = False  # a binary file's sheets asked for now are tried; others, when read
    if path.suffix.casefold() in WRITABLE_SUFFIXES:
        if path.stat().st_size == 0:
            raise FileProblem(f"{path}: the file is empty", hint=SAVE_AS_XLSX)
        inspector = PackageInspector(path)
    elif path.suffix.casefold() == ".ods":
        check_opendocument(path)
    elif trial:
        check_by_trial(path, sheets, continued)
        tried = True
    book = None
    try:
        book = _open_reader(path, label)
        book.inspector, inspector = inspector, None  # the book's now: closed with it
        names = list(book.sheet_names if sheets is None else sheets)
        for name in continued:
            names[names.index(name) + 1 : names.index(name) + 1] = book.continuations(name)
        found = [sheet for sheet in map(book.find_sheet, names) if sheet is not None]
        if tried:
            book.tried = set(found)
        if book.inspector is not None:
            book.inspector.scan_beside(found)  # before the reader's thread starts
        for sheet in found:
            book.prefetch(sheet)  # scanned first
    except BaseException:
        if book is not None:
            book.close()  # its reader thread ends, and the file is let go of
        if inspector is not None:
            inspector.close()
        raise
    return book


def _open_reader(path: Path, label: str | None) -> Book:
    from python_calamine import CalamineError, CalamineWorkbook, PasswordError

    try:
        reader = CalamineWorkbook.from_path(str(path))
    except PasswordError:
        raise FileProblem(
            f"{path}: the workbook is protected by a password",
            hint="Open it in Excel, remove the password (File > Info > Protect Workbook), save.",
        ) from None
    except OSError as error:
        raise unreadable(path, error) from None
    except CalamineError:
        raise FileProblem(f"{path}: not a readable Excel workbook", hint=SAVE_AS_XLSX) from None
    except BaseException as error:
        if not is_panic(error):
            raise
        raise FileProblem(f"{path}: not a readable Excel workbook", hint=SAVE_AS_XLSX) from None
    return Book(path, label, reader, list(reader.sheet_names))


@dataclass
class Table:
    """A sheet read against its declared columns.

    ``columns`` maps each declared field found on the sheet to its 1-based column; ``rows``
    are the sheet's rows from row 1 (the header row).
    """

    spec: SheetSpec
    columns: Columns
    headers_found: list[str]
    rows: list[list[CellValue]]
    facts: SheetFacts | None = None

    def records(self, key: str | None = None) -> Iterator[tuple[int, Row]]:
        """Yield (Excel row number, cells) for each non-empty row below the header.

        A row whose ``key`` cell is filled is not empty: the other cells need no look.
        """
        at = self.columns.index.get(key, 0) - 1 if key else -1
        for index in range(1, len(self.rows)):
            cells = self.rows[index]
            if (0 <= at < len(cells) and cells[at] != "" and cells[at] is not None) or not all(
                is_blank(value) for value in cells
            ):
                yield index + 1, cells

    def has(self, field_name: str) -> bool:
        """Return whether the sheet has the column of ``field_name``."""
        return field_name in self.columns.index

    @property
    def facts_found(self) -> bool:
        """Whether the sheet has cells that a reader gives as empty but are not."""
        return self.facts is not None and bool(self.facts.errors or self.facts.uncalculated)

    def issue(self, row: int, field_name: str) -> str | None:
        """Return why a cell cannot be read although the reader gives it a value.

        A reader gives an error value (``#N/A``) and a formula saved without a calculated
        value both as an empty cell; the scan of the sheet's XML knows better.
        """
        if self.facts is None:
            return None
        for column in self.columns.sheet_columns(field_name):
            error = self.facts.errors.get((row, column))
            if error is not None:
                return f"the cell shows the error {error}; correct its formula or value"
            if (row, column) in self.facts.uncalculated:
                return (
                    "the formula in this cell has no calculated value (the workbook was saved "
                    "by a program that does not calculate); open the workbook in Excel, save "
                    "it, and run again"
                )
        return None

    def value(self, cells: Row, field_name: str) -> CellValue | None:
        """Return the raw cell of ``field_name`` in a row, ``None`` when the column is absent."""
        column = self.columns.index.get(field_name)
        if column is None or column > len(cells):
            return None
        return cells[column - 1]


def quoted_list(names: Sequence[str]) -> str:
    """Return names as a message lists them: ``"Order ID", "Total"``."""
    return ", ".join(f'"{name}"' for name in names)


def required_sheet(book: Sheets, name: str, problems: list[Problem]) -> str | None:
    """Return the name of the sheet called ``name``; when there is none, add the problem.

    The problem lists the sheets the workbook has.
    """
    sheet = book.find_sheet(name)
    if sheet is None:
        problems.append(
            Problem(
                None,
                "missing-sheet",
                f'{book.path.name}: there is no sheet "{name}" (sheets found: '
                f"{quoted_list(book.sheet_names) or 'none'})",
            )
        )
    return sheet


def read_table(book: Sheets, sheet: str, spec: SheetSpec, problems: list[Problem]) -> Table | None:
    """Read ``sheet`` of ``book`` as ``spec``; return ``None`` when required columns are missing.

    Duplicate and missing headers are added to ``problems``.
    """
    rows = book.read_rows(sheet)
    header_row = rows[0] if rows else []
    for (first_row, first_column), (_, last_column) in book.merged_ranges(sheet):
        if first_row == 0 and last_column > first_column:
            cells = f"{column_letter(first_column + 1)}1:{column_letter(last_column + 1)}1"
            problems.append(
                Problem(
                    Place(sheet, 1, first_column + 1, book.label),
                    "merged-header",
                    f"the header cells {cells} are merged; unmerge them, so that each column "
                    "has its own header",
                )
            )
    by_key = {header_key(column.header): column for column in spec.columns}
    index: dict[str, int] = {}
    found: list[str] = []
    for position, cell in enumerate(header_row, start=1):
        if is_blank(cell):
            continue
        header = parse_text(cell)
        found.append(header)
        column = by_key.get(header_key(header))
        if column is None:
            continue
        if column.field in index:
            first = Place(sheet, 1, index[column.field], book.label)
            problems.append(
                Problem(
                    Place(sheet, 1, position, book.label),
                    "duplicate-column",
                    f'a second "{column.header}" column (the first is {first}); '
                    "rename or remove one of them",
                )
            )
            continue
        index[column.field] = position
    missing = [column.header for column in spec.required_columns if column.field not in index]
    if missing:
        lower = _header_row_below(rows, spec)
        if lower is not None:
            problems.append(
                Problem(
                    Place(sheet, lower, book=book.label),
                    "header-not-in-row-1",
                    f"the headers are in row {lower}, but the header row must be row 1; delete "
                    f"the rows above it",
                )
            )
            return None
        noun = "column" if len(missing) == 1 else "columns"
        problems.append(
            Problem(
                Place(sheet, book=book.label),
                "missing-column",
                f"missing {noun} {quoted_list(missing)}; the header row must be row 1 "
                f"(columns found there: {quoted_list(found) or 'none'})",
            )
        )
        return None
    return Table(spec, Columns(sheet, index, book.label), found, rows, book.facts.get(sheet))


def _header_row_below(rows: Sequence[Row], spec: SheetSpec) -> int | None:
    """Return the Excel row (2 to 10) holding all of the sheet's required headers, if any."""
    required = {header_key(column.header) for column in spec.required_columns}
    for index in range(1, min(len(rows), 10)):
        if required <= {header_key(cell) for cell in rows[index] if not is_blank(cell)}:
            return index + 1
    return None
