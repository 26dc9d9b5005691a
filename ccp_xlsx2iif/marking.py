"""Marking and unmarking orders by hand: ``mark`` and ``unmark``.

``unmark`` clears the Exported cells of a batch, of some orders or of all of them, so that
the next export exports them again: what a user does after deleting a bad import in
QuickBooks. ``mark`` marks orders as exported without writing IIF (orders already entered in
QuickBooks by hand). Both write the workbook the way an export does: in place, losing nothing,
atomically, under the workbook's lock.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from ccp_xlsx2iif.batches import (
    BatchFiles,
    MarkedCell,
    misplaced_marks,
    misplaced_notes,
)
from ccp_xlsx2iif.build import IdColumn
from ccp_xlsx2iif.cells import CellValue, is_unmarked, parse_text
from ccp_xlsx2iif.contract import ORDERS, SheetSpec
from ccp_xlsx2iif.csvfiles import (
    LEDGER_HEADERS,
    LEDGER_SHEET,
    CsvBook,
    Ledger,
    LedgerEntry,
    ledger_path,
    write_ledger,
)
from ccp_xlsx2iif.files import (
    StagedFile,
    batch_in_mark,
    exported_mark,
    real_file,
    temporary_workbook_path,
    writing_to,
)
from ccp_xlsx2iif.iif import US_DATE_FORMAT, day_first
from ccp_xlsx2iif.lock import export_lock, refuse_if_in_use
from ccp_xlsx2iif.mapping import mapped_table
from ccp_xlsx2iif.opening import Fingerprint
from ccp_xlsx2iif.problems import FileProblem, Problem, ProblemsFound, UsageProblem
from ccp_xlsx2iif.reading import choose_layout
from ccp_xlsx2iif.report import first_of
from ccp_xlsx2iif.settings import SETTINGS_SHEET, read_settings
from ccp_xlsx2iif.workbook import Table, check_book_path, open_book
from ccp_xlsx2iif.writeback import ExportedColumn, exported_column, write_marked_copy

# The Orders sheet as marking needs it: the Order ID and the Exported cell.
_MARKING = SheetSpec(
    "Orders",
    tuple(
        # The order's date is read where there is one: a mark older than its order is not its.
        replace(c, required=False) if c.field == "order_date" else c
        for c in ORDERS.columns
        if c.field in ("order_id", "order_date", "exported")
    ),
)
_RANGE = re.compile(r"\s*(\d+)\s*-\s*(\d+)\s*\Z")
MAX_RANGE = 100_000


@dataclass(frozen=True)
class MarkedRow:
    """An order's row and what its Exported cell says now."""

    order_id: str
    row: int
    exported: str


@dataclass(frozen=True)
class MarkPlan:
    """The Exported cells a ``mark`` or ``unmark`` changes, and the text they get."""

    workbook: Path
    column: ExportedColumn
    rows: tuple[MarkedRow, ...]
    text: str
    fingerprint: Fingerprint
    unchanged: tuple[MarkedRow, ...] = ()
    ledger: Ledger | None = None
    source: str = ""


def parse_order_list(text: str) -> list[str]:
    """Read ``1001,1002,1005-1010`` as the order IDs it names (ranges of whole numbers)."""
    ids: list[str] = []
    for part in text.split(","):
        if not part.strip():
            continue
        span = _RANGE.match(part)
        if span is None:
            ids.append(part.strip())
            continue
        first, last = int(span.group(1)), int(span.group(2))
        if last < first or last - first >= MAX_RANGE:
            raise UsageProblem(f'--orders: "{part.strip()}" is not a range from low to high')
        ids.extend(str(number) for number in range(first, last + 1))
    if not ids:
        raise UsageProblem("--orders: no order ID given; write them as 1001,1002,1005-1010")
    return ids


def plan_marking(
    workbook: Path,
    *,
    clear: bool,
    now: dt.datetime,
    orders: list[str] | None = None,
    batch: str | None = None,
    every: bool = False,
    accounts: Path | None = None,
    layout: str | None = None,
) -> MarkPlan:
    """Choose the Exported cells to clear (``clear``) or to mark, and check each can be written.

    Orders are chosen by ID (``orders``), by the batch file their cell names (``batch``),
    or all of them (``every``, for clearing). The workbook is read in its layout (``layout``,
    else as detected; a Columns sheet of ``accounts`` maps its columns).
    """
    workbook = real_file(workbook)
    check_book_path(workbook, writable=True)
    fingerprint = Fingerprint.of(workbook)
    book = open_book(workbook, writable=True, sheets=(ORDERS.name, SETTINGS_SHEET))
    accounts_book = (
        open_book(accounts, writable=False, label=accounts.name) if accounts is not None else book
    )
    problems: list[Problem] = []
    try:
        reading = choose_layout(book, accounts_book, layout, problems)
        name = reading.sheet
        if name is None:
            raise UsageProblem(f'{workbook.name}: there is no sheet "Orders"')
        # Where its batch files are (a bad setting: beside it), and how its dates are written.
        settings, _ = read_settings(book)
        if accounts_book is not book:
            settings = {**read_settings(accounts_book)[0], **settings}
        output_folder = settings.get("output_folder")
        date_pattern = settings.get("date_format", US_DATE_FORMAT)
        sheet_rows = book.read_rows(name)
        table = mapped_table(sheet_rows, name, _MARKING, reading.layout, problems, label=book.label)
        if table is None or problems:
            raise ProblemsFound(problems)
        real = Table(_MARKING, table.columns, table.headers_found, sheet_rows)
        column, column_problems = exported_column(real, book.merged_ranges(name))
        ids = IdColumn.read(table).ids
        at = table.columns.index.get("exported")
        rows = [
            MarkedRow(
                order_id,
                position + 2,
                parse_text(cells[at - 1]) if at and not is_unmarked(cells[at - 1]) else "",
            )
            for position, (order_id, cells) in enumerate(zip(ids, table.rows[1:], strict=True))
            if order_id.__class__ is str
        ]
    finally:
        book.close()
        if accounts_book is not book:
            accounts_book.close()
    chosen = _choose(rows, orders, batch, every=every, clear=clear, problems=problems, sheet=name)
    changed = tuple(row for row in chosen if bool(row.exported) == clear)
    if clear and not every:
        folders = [workbook.parent, *([Path(output_folder)] if output_folder else [])]
        problems += _misplaced(
            changed, {row.order_id for row in rows}, table, folders, day_first(date_pattern)
        )
    unchanged = tuple(row for row in chosen if bool(row.exported) != clear)
    text = "" if clear else exported_mark(now, "marked by hand")
    _, mark_problems = column.marks({row.row: text for row in changed})
    if changed:
        problems += column_problems + mark_problems
    if problems:
        raise ProblemsFound(problems, notes=misplaced_notes(problems))
    return MarkPlan(workbook, column, changed, text, fingerprint, unchanged)


def _misplaced(
    changed: Sequence[MarkedRow],
    order_ids: set[str],
    table: Table,
    folders: list[Path],
    dates_day_first: bool,
) -> list[Problem]:
    """Return the marks to clear that sit beside another order than theirs.

    Cleared, such a mark would send the order beside it to the next export.
    """
    date_at = table.columns.index.get("order_date", 0) - 1
    cells = [
        MarkedCell(row.row, row.order_id, row.exported, _cell(table.rows[row.row - 1], date_at))
        for row in changed
    ]
    return misplaced_marks(
        cells, table.columns, BatchFiles(folders), order_ids, day_first=dates_day_first
    )


def _cell(cells: Sequence[CellValue | None], at: int) -> CellValue | None:
    return cells[at] if 0 <= at < len(cells) else None


def _choose(
    rows: list[MarkedRow],
    orders: list[str] | None,
    batch: str | None,
    *,
    every: bool,
    clear: bool,
    problems: list[Problem],
    sheet: str,
) -> list[MarkedRow]:
    if sum((orders is not None, batch is not None, every)) != 1:
        what = "--batch FILE.iif, --orders or --all" if clear else "--orders"
        raise UsageProblem(f"say which orders: give one of {what}")
    if every:
        return rows
    if batch is not None or orders is None:
        name = Path(batch or "").name
        chosen = [row for row in rows if batch_in_mark(row.exported) == name]
        if not chosen:
            named = sorted({batch_in_mark(row.exported) or "" for row in rows} - {""})
            shown = ", ".join(named[-10:]) if named else "none"
            raise UsageProblem(
                f'no Exported cell on the sheet "{sheet}" names the batch {name} (the batches '
                f"named: {shown})"
            )
        return chosen
    by_id: dict[str, list[MarkedRow]] = {}
    for row in rows:
        by_id.setdefault(row.order_id, []).append(row)
    found, unknown = as_on_the_sheet(orders, by_id)
    if unknown:
        raise UsageProblem(f'no order {first_of(unknown, 10)} on the sheet "{sheet}"')
    return [row for order_id in dict.fromkeys(found) for row in by_id[order_id]]


def as_on_the_sheet(orders: list[str], present: Collection[str]) -> tuple[list[str], list[str]]:
    """Return the Order IDs as the sheet writes them, and those it does not have.

    Shopify writes ``#1001`` and shows the order as 1001; a ``#`` must be quoted in a shell,
    where it starts a comment. An ID given without it is the sheet's ``#`` one when the
    sheet has no ID without it.
    """
    found: list[str] = []
    unknown: list[str] = []
    for order_id in orders:
        if order_id in present:
            found.append(order_id)
        elif f"#{order_id}" in present:
            found.append(f"#{order_id}")
        else:
            unknown.append(order_id)
    return found, unknown


def plan_ledger_marking(csv_path: Path, *, now: dt.datetime, orders: list[str]) -> MarkPlan:
    """Choose the orders of a CSV file to record as exported by hand in its folder's ledger.

    Each order must be in the CSV file; an order the ledger has already marked is left alone.
    """
    book = CsvBook.open(csv_path)
    problems: list[Problem] = []
    reading = choose_layout(book, book, None, problems)
    table = mapped_table(
        book.rows, reading.sheet or csv_path.stem, _MARKING, reading.layout, problems
    )
    if table is None or problems:
        raise ProblemsFound(problems)
    present = {order_id for order_id in IdColumn.read(table).ids if order_id.__class__ is str}
    orders, unknown = as_on_the_sheet(orders, present)
    if unknown:
        raise UsageProblem(f"no order {first_of(unknown, 10)} in {csv_path.name}")
    ledger = Ledger.read(ledger_path(csv_path))
    chosen = [
        MarkedRow(order_id, ledger.rows.get(order_id, 0), ledger.marks.get(order_id, ""))
        for order_id in dict.fromkeys(orders)
    ]
    return MarkPlan(
        ledger.path,
        ExportedColumn(LEDGER_SHEET, LEDGER_HEADERS.index("Exported") + 1, None),
        tuple(row for row in chosen if not row.exported),
        exported_mark(now, "marked by hand"),
        Fingerprint.of_optional(ledger.path),
        tuple(row for row in chosen if row.exported),
        ledger,
        csv_path.name,
    )


def apply_marking(plan: MarkPlan, now: dt.datetime) -> None:
    """Write the plan's Exported cells into the workbook, in place and atomically."""
    workbook = plan.workbook
    if not plan.rows:
        return
    refuse_if_in_use(workbook)
    if plan.ledger is not None:
        entries = [
            LedgerEntry(row.order_id, None, "", None, plan.text, plan.source) for row in plan.rows
        ]
        write = partial(write_ledger, plan.ledger, entries=entries)
    else:
        marks, _ = plan.column.marks({row.row: plan.text for row in plan.rows})
        write = partial(write_marked_copy, workbook, marks=marks)
    with export_lock(workbook, now):
        staged = StagedFile(
            workbook,
            temporary_workbook_path(workbook),
            mode_from=workbook if workbook.exists() else None,
        )
        try:
            with writing_to(staged.temporary):
                write(out=staged.open())
                staged.finish()
            if Fingerprint.of_optional(workbook) != plan.fingerprint:
                raise FileProblem(
                    f"{workbook}: the workbook changed meanwhile (was it saved in Excel?)",
                    hint="Nothing was written. Run the command again.",
                )
            staged.commit()
        except BaseException:
            staged.discard()
            raise
