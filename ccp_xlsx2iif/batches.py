"""Exported cells checked against what they claim: their batch files, and their day.

An Exported cell names the batch its order went to, not the order: if the Orders sheet is
sorted without its Exported column, or a new export of the shop is pasted over the old rows in
another order, the marks stay where they were and no longer sit beside their orders. Orders
would then be skipped as exported that never were, and orders exported before would be
exported again. Three things tell:

- the batch files still beside the workbook say which orders they hold (each invoice's number
  is its Order ID): a mark whose batch holds no invoice of its row's order is a problem;
- a mark the tool wrote starts with its day: a mark older than its row's order is a problem;
- a batch that already holds orders about to be exported (their cells blank) is named in a
  note: marks cleared on purpose leave the same picture as marks lost.

An order may also have been booked from another file: the ledger of the shop's CSV exports, or
another workbook (a new download of the same orders) whose batch files lie beside this one.
Its mark was never in this workbook, so it cannot have been cleared on purpose: such an order,
known by its number and its total, is a problem.
"""

from __future__ import annotations

import datetime as dt
import glob
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import suppress
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Protocol

from ccp_xlsx2iif.cells import DATE_PARSERS, CellValue, CellValueError
from ccp_xlsx2iif.files import batch_in_mark, command_argument, mark_command, mark_day
from ccp_xlsx2iif.problems import Columns, Place, Problem
from ccp_xlsx2iif.report import count, first_of

if TYPE_CHECKING:
    from ccp_xlsx2iif.csvfiles import Ledger

_LONGEST_LINE = 1 << 20


def invoice_numbers(path: Path) -> set[str]:
    """Return the numbers (DOCNUM) of the transactions of an IIF file; none if it is unreadable."""
    return {number.decode("latin-1").strip() for (number,) in _trns_fields(path, (b"DOCNUM",))}


def invoice_amounts(path: Path) -> dict[str, set[bytes]]:
    """Return the AMOUNTs of the TRNS rows of an IIF file by their DOCNUM; none if unreadable.

    An invoice's TRNS row (and its payment's) carries the order's total.
    """
    amounts: dict[str, set[bytes]] = {}
    for number, amount in _trns_fields(path, (b"DOCNUM", b"AMOUNT")):
        amounts.setdefault(number.decode("latin-1").strip(), set()).add(amount)
    return amounts


def _trns_fields(path: Path, names: tuple[bytes, ...]) -> Iterator[tuple[bytes, ...]]:
    """Yield the fields under ``names`` of each TRNS row of an IIF file that has them all.

    An unreadable file has none. Lines are read a megabyte at the most (a file that is not
    IIF has no limit); the rest of a longer one is not the start of a row.
    """
    at: list[int] = []
    last = -1
    starts_line = True
    try:
        with path.open("rb") as stream:
            for line in iter(partial(stream.readline, _LONGEST_LINE), b""):
                if not starts_line:
                    starts_line = line.endswith(b"\n")
                    continue
                starts_line = line.endswith(b"\n")
                if line.startswith(b"TRNS\t"):
                    if at:
                        fields = line.rstrip(b"\r\n").split(b"\t", last + 1)
                        if last < len(fields):
                            yield tuple(fields[i] for i in at)
                elif line.startswith(b"!TRNS\t"):
                    header = line.rstrip(b"\r\n").split(b"\t")
                    found = [header.index(name) for name in names if name in header]
                    at = found if len(found) == len(names) else []
                    last = max(at, default=-1)
    except OSError:
        return


def _is_amount(text: bytes, amount: Decimal) -> bool:
    """Whether an AMOUNT field of an IIF file reads as ``amount``."""
    with suppress(ArithmeticError):
        return Decimal(text.decode("latin-1")) == amount
    return False


class BatchFiles:
    """The batch files of a workbook in its folders, each read once."""

    def __init__(self, folders: Sequence[Path]) -> None:
        self.folders = list(dict.fromkeys(folders))
        self._amounts: dict[Path, dict[str, set[bytes]]] = {}
        self._numbers: dict[Path, set[str]] = {}

    def find(self, name: str) -> Path | None:
        """Return the batch file of this name, in the first folder that holds one."""
        return next((f / name for f in self.folders if (f / name).is_file()), None)

    def numbers(self, path: Path) -> set[str]:
        """Return the invoice numbers of a batch file (``invoice_numbers``).

        A file whose amounts were read already is not read again for its numbers.
        """
        if path not in self._numbers:
            amounts = self._amounts.get(path)
            self._numbers[path] = invoice_numbers(path) if amounts is None else set(amounts)
        return self._numbers[path]

    def amounts(self, path: Path) -> dict[str, set[bytes]]:
        """Return the amounts of a batch file's transactions by number (``invoice_amounts``)."""
        if path not in self._amounts:
            self._amounts[path] = invoice_amounts(path)
        return self._amounts[path]


class Booked(NamedTuple):
    """Orders to export that another file booked already: their problems, the note, their IDs."""

    problems: list[Problem]
    notes: list[str]
    orders: list[str]


NOTHING_BOOKED = Booked([], [], [])


class MarkedCell(NamedTuple):
    """An Exported cell that says something, with its row's order and that order's date."""

    row: int
    order_id: str
    mark: str
    order_date: CellValue | None  # the Order Date cell as read (``None``: there is none)


def misplaced_marks(
    cells: Iterable[MarkedCell],
    columns: Columns | None,
    files: BatchFiles,
    order_ids: Collection[str],
    *,
    day_first: bool = False,
) -> list[Problem]:
    """Return a problem for each Exported cell that sits beside another order than its own.

    A cell is found out by its day (written before its row's order was placed), else by its
    batch file (which holds no invoice of its row's order); each is told once. A batch file
    that is gone, or whose invoices are not numbered by the Order IDs of the sheet (templates
    of one's own), proves nothing.
    """
    problems: list[Problem] = []
    if columns is None:
        return problems
    parse_date = DATE_PARSERS[day_first]  # the orders' dates, as the Date Format writes them
    read: dict[str, tuple[dt.date | None, str | None]] = {}  # what each distinct mark says
    by_batch: dict[str, list[tuple[int, str]]] = {}
    for row, order_id, mark, order_date in cells:
        if mark not in read:
            read[mark] = (mark_day(mark), batch_in_mark(mark))
        day, batch = read[mark]
        if day is not None and order_date is not None:
            try:
                placed = parse_date(order_date)
            except CellValueError:
                placed = None  # an unreadable date of an order not exported is not checked
            if placed is not None and (
                problem := marked_before_placed(columns, row, order_id, day, placed)
            ):
                problems.append(problem)
                continue
        if batch is not None:
            by_batch.setdefault(batch, []).append((row, order_id))
    for batch, rows in sorted(by_batch.items()):
        path = files.find(batch)
        numbers = files.numbers(path) if path is not None else set()
        if numbers.isdisjoint(order_ids):
            continue
        for row, order_id in rows:
            if order_id not in numbers:
                problems.append(
                    Problem(
                        columns.place("exported", row),
                        "misplaced-mark",
                        f"says order {order_id} went to {batch}, which holds no invoice "
                        f"{order_id}: this mark belongs to another order",
                    )
                )
    return problems


# A shop's day and the computer's may differ by a day (time zones): an order is only held to
# have been placed after its mark when its date is later than the day after.
_DAYS_APART = dt.timedelta(days=1)


def marked_before_placed(
    columns: Columns, row: int, order_id: str, marked: dt.date, placed: dt.date
) -> Problem | None:
    """Return a problem if the Exported cell of a row was written before its order was placed."""
    if placed <= marked + _DAYS_APART:
        return None
    return Problem(
        columns.place("exported", row),
        "misplaced-mark",
        f"says order {order_id} was exported or marked on {marked:%Y-%m-%d}, before its date "
        f"{placed:%Y-%m-%d}: this mark belongs to another order",
    )


class _Dated(Protocol):
    @property
    def order_id(self) -> str: ...
    @property
    def order_date(self) -> dt.date: ...


def ahead_of_the_clock(orders: Iterable[_Dated], today: dt.date, latest: dt.date) -> list[str]:
    """Say which orders to export are dated after tomorrow by this computer's clock.

    Their marks will carry an earlier day than the orders, and be taken for marks that left
    their orders (``marked_before_placed``): a clock set wrong is better set right first.
    Orders dated after ``latest`` are left out: their date is a problem of its own.
    """
    tomorrow = today + _DAYS_APART
    ahead = [order.order_id for order in orders if tomorrow < order.order_date <= latest]
    if not ahead:
        return []
    shown = first_of(ahead, 10)
    verb = "is" if len(ahead) == 1 else "are"
    return [
        f"{count(len(ahead), 'order')} to export ({shown}) {verb} dated after tomorrow by this "
        f"computer's clock (today is {today:%Y-%m-%d}). If the clock is wrong, set it right "
        "before the next export: each Exported cell carries the day it was written, and a mark "
        "older than its order is taken for one that left its order."
    ]


MISPLACED_NOTE = (
    "The Exported cells no longer sit beside their orders: was the sheet sorted without its "
    "Exported column, or a newer export of the shop pasted over the rows? As they are, orders "
    "would be skipped that were never exported, and others booked twice. Undo the sort or the "
    "paste in Excel (or take the workbook from its backup) so that each mark is back beside its "
    "order; each batch file lists the invoices, by Order ID, it holds. (If an Order ID was "
    "corrected after its export, its mark is right: write a word of your own, such as "
    '"booked", over the file name in that cell.)'
)


def misplaced_notes(problems: Sequence[Problem]) -> list[str]:
    """Return the note that explains misplaced marks, if any of ``problems`` is one."""
    return [MISPLACED_NOTE] if any(p.code == "misplaced-mark" for p in problems) else []


def batch_notes(
    workbook: Path,
    named: Collection[str],
    files: BatchFiles,
    exporting: Collection[str],
    *,
    ledger: str | None = None,
    written: str | None = None,
) -> list[str]:
    """Say which orders to export a batch file of this workbook already holds.

    Their Exported cells are blank, yet the file holds their invoices: their marks were
    cleared on purpose (``unmark``, or by hand, after deleting the import in QuickBooks), or
    lost (the sheet sorted without its Exported column, or taken from an older copy). The tool
    cannot tell which, so the user is told before the orders go out again. The batches the
    cells name are looked at, and the files named as this workbook's batches that no cell
    names. For a CSV file (its marks kept in the ``ledger`` beside it), the files named as the
    batches of any CSV file are: each week's export has a name of its own. ``written`` is the
    batch file an export writes (none for ``check`` or a dry run): each note then says how to
    undo it, should those orders be booked already.
    """
    if not exporting:
        return []
    stem = r".+" if ledger else re.escape(workbook.stem)
    pattern = re.compile(stem + r"-\d{8}-\d{6}(?:-\d+)?\.iif", re.IGNORECASE)
    prefix = "*" if ledger else glob.escape(workbook.stem)
    candidates = {
        path.name: path
        for path in _batch_files(prefix, files.folders)
        if pattern.fullmatch(path.name)
    }
    for name in named:
        if (path := files.find(name)) is not None:
            candidates[name] = path
    if ledger:
        beside, copy = "beside the CSV file", "the ledger deleted, or taken"
        unmarked, lost = f"the ledger {ledger} has no mark for them", ""
        unnamed = f"the ledger {ledger} does not name it"
    else:
        beside, copy = "beside the workbook", "the workbook taken"
        unmarked = "their Exported cells are blank"
        lost = " (the sheet sorted without its Exported column, or pasted over)"
        unnamed = "no Exported cell names it"
    notes = []
    for name, path in sorted(candidates.items()):
        again = sorted(files.numbers(path).intersection(exporting), key=_by_number)
        if not again:
            continue
        shown = first_of(again, 10)
        where = beside if path.parent == workbook.parent else f"in {path.parent}"
        held = f"{name}, {where}, already holds {count(len(again), 'order')} to export now"
        undo = (
            f" If so, do not import {written}: undo this export with ccp-xlsx2iif unmark "
            f"{command_argument(workbook.name)} --batch {command_argument(written)}, mark those "
            f"orders ({mark_command(workbook.name, again)}), and export again."
            if written
            else ""
        )
        if name in named:
            notes.append(
                f"{held} ({shown}), though {unmarked}. If you cleared them after deleting them in "
                f"QuickBooks, all is well; if their marks were lost{lost}, they would be booked "
                f"twice.{undo}"
            )
        else:
            notes.append(
                f"{held} ({shown}), and {unnamed}. If that file was imported in QuickBooks and "
                "its transactions are still there, these orders would be booked twice: was "
                f"{copy} from an older copy? (After unmark --batch, once the import was deleted "
                f"in QuickBooks, all is well.){undo}"
            )
    return notes


def in_ledger(ledger: Ledger, order_id: str, total: Decimal) -> bool:
    """Whether the ledger has this order exported, with this total (or none: marked by hand)."""
    return bool(ledger.marks.get(order_id)) and ledger.totals.get(order_id, total) == total


def exported_from_csv(
    workbook: Path,
    ledger: Ledger,
    totals: Mapping[str, Decimal],
    at: Callable[[str], Place],
) -> Booked:
    """Refuse the orders to export that the ledger of CSV exports beside a workbook has.

    A shop whose weekly CSV file was exported (its orders kept in the ledger) and that then
    saves one as a workbook in Excel, under any name, would export those orders again: the
    workbook's Exported cells are blank, and its batch files are named otherwise. Each such
    order (``totals`` are those to export, by Order ID) is a problem at its Order ID when the
    ledger has it exported with the same total (or with none: marked by hand); the note says
    what to do.
    """
    marks, name = ledger.marks, ledger.path.name
    again = sorted(
        (order_id for order_id, total in totals.items() if in_ledger(ledger, order_id, total)),
        key=_by_number,
    )
    if not again:
        return NOTHING_BOOKED
    problems = _at_their_ids(
        again,
        at,
        "exported-from-csv",
        lambda order_id: (
            f"order {order_id} was exported from a CSV file: {name} has "
            f'"{marks[order_id]}" for it, though its Exported cell here is blank'
        ),
    )
    note = (
        f"{name}, beside {workbook.name}, keeps the orders exported from the shop's CSV files. "
        "If this workbook holds orders of those files (one saved as a workbook in Excel), they "
        "are booked already: mark them here, so that no export books them again: "
        f"{mark_command(workbook.name, again)}. If they are other orders under the same "
        "Order IDs, export this workbook from another folder. To book them again on purpose, "
        f"clear their Exported cells in {name} first."
    )
    return Booked(problems, [note], again)


def unknown_to_the_ledger(
    csv_file: Path,
    ledger: Ledger,
    files: BatchFiles,
    totals: Mapping[str, Decimal],
    at: Callable[[str], Place],
) -> Booked:
    """Refuse the orders of a CSV file that a batch file beside it holds but the ledger lacks.

    An order the ledger has a row for, its cell cleared, was cleared on purpose (``unmark``):
    ``batch_notes`` says so. One it has no row for was never recorded there: the ledger was
    deleted or replaced by an older copy, or the order was exported from a workbook beside
    the CSV files. Each such order (its number and total in a batch file) is a problem.
    """
    unknown = {o: total for o, total in totals.items() if o not in ledger.rows}
    held, batches = _held_in_batches(files, unknown, lambda path: False)
    if not held:
        return NOTHING_BOOKED
    again = sorted(held, key=_by_number)
    name = ledger.path.name
    problems = _at_their_ids(
        again,
        at,
        "unknown-to-the-ledger",
        lambda order_id: (
            f"order {order_id} is in {held[order_id]}, but {name} has no row for it: it would "
            "be booked again"
        ),
    )
    note = (
        f"{first_of(batches, 3)} beside {csv_file.name} {'holds' if len(batches) == 1 else 'hold'} "
        f"orders to export now that {name} has never recorded: was it deleted, or replaced by "
        f"an older copy? Put it back. If it is lost, or the orders were exported from a workbook "
        "beside the CSV files, mark them, so that no export books them again: "
        f"{mark_command(csv_file.name, again)}. To book them again on purpose (their import "
        "deleted in QuickBooks), move those batch files out of this folder first."
    )
    return Booked(problems, [note], again)


# A batch file's name: the name of the workbook it was exported from, then its day and time.
_BATCH_NAME = re.compile(r"(.+)-\d{8}-\d{6}(?:-\d+)?\.iif", re.IGNORECASE)


def held_by_other_workbooks(
    workbook: Path,
    named: Collection[str],
    files: BatchFiles,
    totals: Mapping[str, Decimal],
    at: Callable[[str], Place],
) -> Booked:
    """Refuse the orders to export that the batch file of another workbook beside it holds.

    A shop that downloads its orders as a new workbook each week (or saves one under another
    name) has blank Exported cells in it for orders an earlier file exported: its batch files
    are named after that file, and no cell of this workbook names them. Their marks cannot
    have been cleared here on purpose, so each such order is a problem at its Order ID; the
    note says what to do. An order is held when an invoice there has its number and its
    total (``totals``, by Order ID): another shop's order under the same number seldom has
    the same total as well.
    """

    def own(path: Path) -> bool:  # named by a cell, or this workbook's: told by batch_notes
        found = _BATCH_NAME.fullmatch(path.name)
        stem = found.group(1) if found else ""
        return path.name in named or stem.casefold() == workbook.stem.casefold()

    held, batches = _held_in_batches(files, totals, own)
    if not held:
        return NOTHING_BOOKED
    again = sorted(held, key=_by_number)
    problems = _at_their_ids(
        again,
        at,
        "exported-from-another-workbook",
        lambda order_id: (
            f"order {order_id} is in {held[order_id]}, the batch file of another "
            "workbook, though its Exported cell here is blank"
        ),
    )
    one = len(batches) == 1
    note = (
        f"{first_of(batches, 3)} beside {workbook.name} "
        f"{'is the batch file' if one else 'are batch files'} of another workbook (named "
        f"after it) and {'holds' if one else 'hold'} orders to export now. If this workbook "
        "holds orders of that one (the shop's orders downloaded again, or saved under another "
        "name), they are booked already: mark them here, so that no export books them again: "
        f"{mark_command(workbook.name, again)}. If they are other orders under the same Order "
        "IDs (another shop's), keep each shop's workbook in a folder of its own. To book them "
        "again on purpose (their import deleted in QuickBooks), move "
        f"{'that batch file' if one else 'those batch files'} out of this folder first."
    )
    return Booked(problems, [note], again)


def _at_their_ids(
    order_ids: Iterable[str], at: Callable[[str], Place], code: str, message: Callable[[str], str]
) -> list[Problem]:
    """Return a problem per order, at its Order ID cell (``at``)."""
    return [Problem(at(order_id), code, message(order_id)) for order_id in order_ids]


def _held_in_batches(
    files: BatchFiles, totals: Mapping[str, Decimal], skip: Callable[[Path], bool]
) -> tuple[dict[str, str], list[str]]:
    """Return the first batch file that holds each order, and all that hold one of them.

    A batch holds an order when one of its invoices has the order's number and total; those
    to ``skip`` are not looked at. An order exported and unmarked again is in several.
    """
    held: dict[str, str] = {}
    batches: list[str] = []
    for path in _batch_files("*", files.folders):
        if _BATCH_NAME.fullmatch(path.name) is None or skip(path):
            continue
        invoices = files.amounts(path)
        for order_id in sorted(invoices.keys() & totals.keys(), key=_by_number):
            total = totals[order_id]
            if any(_is_amount(t, total) for t in invoices[order_id]):
                held.setdefault(order_id, path.name)
                if path.name not in batches:
                    batches.append(path.name)
    return held, sorted(batches)


def _batch_files(prefix: str, folders: Iterable[Path]) -> list[Path]:
    found: dict[str, Path] = {}
    for folder in folders:
        for path in sorted(folder.glob(f"{prefix}-*.iif")):
            if path.is_file():
                found.setdefault(path.name, path)
    return list(found.values())


def _by_number(order_id: str) -> tuple[int, int, str]:
    plain = order_id.isascii() and order_id.isdigit()
    return (0, int(order_id), "") if plain else (1, 0, order_id)
