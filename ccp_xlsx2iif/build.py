"""From sheets to records: which orders are exported, their typed values, lines and accounts.

Only orders that will be exported (status ``Completed`` or another given status, and a blank
Exported cell) are read in full and held to the checks; the others are counted by the reason
they are skipped. Every unreadable cell becomes a ``Problem``; nothing is raised for bad data.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from itertools import chain, compress, count, groupby, repeat
from operator import attrgetter, is_, itemgetter, ne
from typing import Any, TypeVar

from ccp_xlsx2iif import iif, report
from ccp_xlsx2iif.batches import MarkedCell
from ccp_xlsx2iif.cells import (
    DATE_PARSERS,
    EXACT_FLOAT_LIMIT,
    PARSERS,
    CellValue,
    CellValueError,
    is_blank,
    is_unmarked,
    parse_text,
    says_no,
    zero_padded,
)
from ccp_xlsx2iif.chart import ACCOUNT_TYPES, account_type
from ccp_xlsx2iif.checks import MEASURED_TEXTS
from ccp_xlsx2iif.contract import ROLES, Kind, Role, RoleKind, header_key
from ccp_xlsx2iif.files import batch_in_mark, mark_command
from ccp_xlsx2iif.orders import Accounts, Order, OrderLine, RoleAccount
from ccp_xlsx2iif.problems import Columns, Origin, Place, Problem, TextChange
from ccp_xlsx2iif.workbook import Row, Table

ALREADY_EXPORTED = "already exported"
WITH_A_REFUND = "with a refund"
CANCELLED = "cancelled"
_parse_order_id = PARSERS[Kind.ORDER_ID]
_parse_money = PARSERS[Kind.MONEY]


@dataclass
class Selection:
    """The orders to export, in sheet order, and what was skipped and why.

    ``read_orders`` fills it from the Orders sheet; ``attach_lines`` reads the Items sheet and
    makes the orders.
    """

    orders: list[Order] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)
    batches: set[str] = field(default_factory=set)
    text_changes: list[TextChange] = field(default_factory=list)
    first_row: dict[str, int] = field(default_factory=dict)
    exporting_ids: set[str] = field(default_factory=set)
    duplicated: set[str] = field(default_factory=set)
    pending: _Rows | None = None
    # The Exported cells that say something, with their rows' orders (``batches.MarkedCell``).
    marked: list[MarkedCell] = field(default_factory=list)
    order_columns: Columns | None = None
    # The orders skipped for their refund, which must be entered by hand.
    refunds: list[Refund] = field(default_factory=list)
    # The length of the longest text of the orders' Order IDs and fields of MEASURED_TEXTS.
    longest: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Refund:
    """An order that would be exported but for its refund: its ID, Refunded cell and amount."""

    order_id: str
    place: Place
    amount: Decimal


@dataclass
class _Rows:
    """Rows read column by column: their origins, order IDs, values, unreadable positions."""

    origins: list[Origin]
    order_ids: list[str]
    values: dict[str, list[Any]]
    unreadable: set[int]


def status_keys(statuses: Iterable[str]) -> frozenset[str]:
    """Return the statuses that export, as compared: trimmed, any case."""
    return frozenset(status.strip().casefold() for status in statuses if status.strip())


# The text an IIF file carries is cleaned as it is read (iif.clean_text), and each cell it
# changes is reported; names QuickBooks needs must keep some text once cleaned.
WRITTEN_TEXT = frozenset(
    {
        "customer", "company", "email", "phone", "bill_address1", "bill_address2", "bill_city",
        "bill_state", "bill_zip", "bill_country", "ship_name", "ship_address1", "ship_address2",
        "ship_city", "ship_state", "ship_zip", "ship_country", "payment_method", "ship_method",
        "po_number", "memo", "sku", "description", "class_name", "terms", "rep",
    }
)  # fmt: skip
NEEDED_NAMES = {"customer": "customer name", "sku": "SKU"}


_EMPTY = object()


class _Unreadable:
    """A cell that could not be read, and why."""

    __slots__ = ("code", "message")

    def __init__(self, message: str, code: str = "bad-value") -> None:
        self.message = message
        self.code = code


def _cell_reader(
    kind: Kind, failures: list[_Unreadable], *, written: bool, empty: Any, day_first: bool = False
) -> Callable[[CellValue | None], Any]:
    """Return the parser of one cell of a kind, which also tells empty and unreadable cells.

    It gives ``empty`` for an empty cell (the field's default, or ``_EMPTY`` for a required
    one), and an ``_Unreadable`` (also kept in ``failures``) for a value that cannot be
    read. Text the IIF file carries is returned cleaned for it.
    """
    parse = DATE_PARSERS[day_first] if kind is Kind.DATE else PARSERS[kind]
    if kind is Kind.TEXT and written:
        clean_text = iif.clean_text

        def read_text(raw: CellValue | None) -> Any:
            if raw.__class__ is str:
                cleaned = clean_text(raw)
                return cleaned if cleaned or raw.strip() else empty
            if raw is None:
                return empty
            return clean_text(parse_text(raw))

        return read_text

    def read(raw: CellValue | None) -> Any:
        if raw.__class__ is str:
            if not raw or raw.isspace():
                return empty
        elif raw is None:
            return empty
        try:
            return parse(raw)
        except CellValueError as error:
            failure = _Unreadable(str(error))
            failures.append(failure)
            return failure

    return read


def _holds(values: list[Any], marker: object) -> bool:
    """Whether ``marker`` is one of ``values``, by identity, at C speed.

    ``marker in values`` compares by equality: a Decimal compared with anything but a number
    asks whether it is a ``numbers.Rational``, an abstract class, at a Python call per value.
    """
    return any(map(is_, values, repeat(marker)))


def _read_column(
    kind: Kind,
    read: Callable[[CellValue | None], Any],
    raws: list[CellValue | None],
    failures: list[_Unreadable],
    empty: Any,
    *,
    written: bool,
) -> list[Any]:
    """Read a column's cells with ``read``, calling it as few times as it can.

    A column of plain text the IIF file carries (``written``; printable ASCII, no ``"`` or
    ``;``: the text of most shops) is only trimmed, at C speed. In any other column, each
    distinct value is read once: prices, quantities, dates and names repeat thousands of
    times. A column with an unreadable cell is read cell by cell, so that each unreadable
    cell is reported on its own.
    """
    if kind is Kind.TEXT and written:
        values = _plain_text(raws, empty)
        if values is not None:
            return values
    values = _by_distinct_value(read, raws)
    if values is not None and not failures:
        return values
    failures.clear()
    return list(map(read, raws))


def _by_distinct_value(
    read: Callable[[Any], Any],
    raws: list[Any],
    read_all: Callable[[list[Any]], list[Any] | None] | None = None,
) -> list[Any] | None:
    """Read each distinct cell of a column once; ``None`` when that cannot be done safely.

    ``read_all`` may read all the distinct cells at once (``None`` when it cannot); else
    each is read with ``read``. Cells of some types may equal cells of another type
    (1 == 1.0 == True == Decimal(1)): a column holding any is read cell by cell, lest one
    be taken for another.
    """
    if _EQUAL_ACROSS_TYPES.intersection(map(type, raws)):
        return None
    distinct = list(set(raws))
    values = read_all(distinct) if read_all is not None else None
    if values is None:
        values = list(map(read, distinct))
    known = dict(zip(distinct, values, strict=True))
    return list(map(known.__getitem__, raws))


_EQUAL_ACROSS_TYPES = frozenset({int, bool, Decimal})


def _plain_text(raws: list[CellValue | None], empty: Any) -> list[Any] | None:
    """Return a column of plain text trimmed (``empty`` for a blank cell), else ``None``.

    The cells are joined and tested once (``iif.is_plain``), as ``iif.clean_text`` tests one
    cell: text that passes is what it was, spaces aside. The joined text also tells when no
    cell has a space to trim and none is blank (no space or cell beside a ``|``): the column
    is then its cells as they are, not one made anew.
    """
    try:
        joined = "|".join(raws)  # type: ignore[arg-type] # a cell that is not text raises
    except TypeError:
        return None
    if not iif.is_plain(joined):
        return None
    if not (joined[:1] in _TRIMMED_OR_BLANK or joined[-1:] in _TRIMMED_OR_BLANK) and not any(
        mark in joined for mark in _TRIMMED_OR_BLANK_INSIDE
    ):
        return list(raws)
    values: list[Any] = list(map(str.strip, raws))  # type: ignore[arg-type]
    if empty != "" and "" in values:
        values = [value or empty for value in values]
    return values


def _shared(texts: list[Any]) -> list[Any]:
    """Return ``texts`` with each text that repeats held once, at C speed.

    The reader makes a string per cell: a SKU written on a thousand lines would be held a
    thousand times, by the lines, to the end of the export.
    """
    first: dict[Any, Any] = {}
    return list(map(first.setdefault, texts, texts))


# What the joined cells of a column show when a cell is blank or has spaces to trim (or
# holds a "|" itself, which is merely read the longer way).
_TRIMMED_OR_BLANK = ("", " ", "|")
_TRIMMED_OR_BLANK_INSIDE = (" |", "| ", "||")


class _Cells:
    """The cells of many rows, handed out column by column (``None`` past a row's end).

    A wide row spans several cache lines: picking one cell of each row, column after
    column, would read each line many times over. Rows that are all as wide are copied
    into one list first, each read once and in order; a column is then a slice of it. The
    copy holds a reference per cell, so it is made only up to ``_CELLS_COPIED`` cells.
    """

    def __init__(self, rows: Sequence[Row]) -> None:
        self.rows = rows
        widths = set(map(len, rows))
        self.width = min(widths, default=0)
        self.flat: list[CellValue | None] | None = None
        if (
            len(widths) == 1
            and self.width > _NARROW_ROW
            and len(rows) * self.width <= _CELLS_COPIED
        ):
            self.flat = list(chain.from_iterable(rows))

    def column(self, index: int) -> list[CellValue | None]:
        """Return the cells of column ``index`` (0-based), one per row."""
        if self.flat is not None:
            return self.flat[index :: self.width]
        if index < self.width:
            return list(map(itemgetter(index), self.rows))
        return [row[index] if index < len(row) else None for row in self.rows]


# Eight cells of a row fill a cache line (64 bytes): narrower rows are read cell by cell.
_NARROW_ROW = 8
# The most cells copied at once: their references take 64 MB (a sheet of 250,000 orders).
_CELLS_COPIED = 8_000_000


class ColumnReader:
    """Reads the declared columns of many rows at once, column by column.

    A column's cells are parsed in one C-driven pass (``map``), so that each cell costs one
    call of its parser: a sheet of a hundred thousand orders is read in a fraction of the
    time a row-by-row walk takes. Empty and unreadable cells are found afterwards, with
    C-speed searches, and reported with their places; the text an IIF file carries is
    cleaned (``iif.clean_text``) and each cell it changes is noted.
    """

    def __init__(
        self,
        table: Table,
        defaults: Mapping[str, Any],
        *,
        skip: Iterable[str] = (),
        day_first: bool = False,
        measure: frozenset[str] = frozenset(),
    ) -> None:
        index = table.columns.index
        self.table = table
        self.defaults = defaults
        self.day_first = day_first
        # The length of the longest text of each column of ``measure`` read.
        self.measure = measure
        self.longest: dict[str, int] = {}
        self.columns = [
            (column, index[column.field] - 1)
            for column in table.spec.columns
            if column.field in index and column.field not in skip
        ]

    def read(
        self,
        rows: Sequence[Row],
        origins: Sequence[Origin],
        order_ids: Sequence[str] | None,
        problems: list[Problem],
        changes: list[TextChange],
    ) -> tuple[dict[str, list[Any]], set[int]]:
        """Return each column's values for ``rows``, and the positions of unreadable rows.

        Problems name the order of their row when ``order_ids`` are given.
        """
        values_by_field: dict[str, list[Any]] = {}
        unreadable: set[int] = set()
        cells = _Cells(rows)
        padded = self.table.facts.padded if self.table.facts is not None else None

        def report(position: int, field_name: str, code: str, message: str) -> None:
            place = origins[position].place(field_name)
            if order_ids is not None:
                message = f"{message} (order {order_ids[position]})"
            problems.append(Problem(place, code, message))
            unreadable.add(position)

        for column, index in self.columns:
            name = column.field
            failures: list[_Unreadable] = []
            written = name in WRITTEN_TEXT
            default = self.defaults.get(name, "" if column.kind is Kind.TEXT else None)
            empty = _EMPTY if column.required else default
            read = _cell_reader(
                column.kind, failures, written=written, empty=empty, day_first=self.day_first
            )
            raws = cells.column(index)
            if written and padded:
                _show_zero_padded(raws, origins, index + 1, padded)
            if name in _APOSTROPHE_MARKED:
                _drop_apostrophes(raws)
            values = _read_column(column.kind, read, raws, failures, empty, written=written)
            if self.table.facts_found:  # error values and uncalculated formulas read as empty
                for position, origin in enumerate(origins):
                    issue = self.table.issue(origin.row, name)
                    if issue is not None:
                        values[position] = default
                        report(position, name, "unreadable-cell", issue)
            if column.required and _holds(values, _EMPTY):
                for position, value in enumerate(values):
                    if value is _EMPTY:
                        values[position] = default
                        report(position, name, "empty-cell", f"{column.header} is empty")
            for failure in failures:
                position = values.index(failure)
                values[position] = default
                report(position, name, "bad-value", failure.message)
            if written and values != raws:
                self._note_changes(name, raws, values, origins, changes, report)
            if name in self.measure:
                self.longest[name] = max(map(len, values), default=0)
            values_by_field[name] = values
        return values_by_field, unreadable

    @staticmethod
    def _note_changes(
        name: str,
        raws: Sequence[CellValue | None],
        values: list[Any],
        origins: Sequence[Origin],
        changes: list[TextChange],
        report: Callable[[int, str, str, str], None],
    ) -> None:
        """Note the cells whose text was changed for IIF (beyond trimming spaces)."""
        # Most cells are as they were: those that differ at all are found at C speed.
        for position in compress(count(), map(ne, raws, values)):
            raw, after = raws[position], values[position]
            if raw is None or after is None or raw == "":
                continue
            before = parse_text(raw)
            if before != after:
                changes.append(TextChange(origins[position].place(name), before, after))
                if not after and name in NEEDED_NAMES:
                    report(
                        position,
                        name,
                        "no-text",
                        f'{NEEDED_NAMES[name]} "{before}" has nothing QuickBooks can take once '
                        "made plain ASCII; write it in Latin letters",
                    )


def _show_zero_padded(
    raws: list[CellValue | None],
    origins: Sequence[Origin],
    column: int,
    padded: Mapping[tuple[int, int], list[str]],
) -> None:
    """Write the numbers of a text column whose format pads them with zeros as Excel shows them.

    A ZIP code typed as 02134 is the number 2134 in a cell formatted ``00000``.
    """
    for position, raw in enumerate(raws):
        if raw.__class__ is int or raw.__class__ is float:
            pieces = padded.get((origins[position].row, column))
            if pieces is not None:
                raws[position] = zero_padded(raw, pieces)


# The fields whose text some shops' CSV exports start with an apostrophe ('02134), which
# makes Excel keep a ZIP code's leading zero when it opens the file.
_APOSTROPHE_MARKED = frozenset({"bill_zip", "ship_zip", "phone"})
_MARKED_STARTS = frozenset("0123456789+(")


def _drop_apostrophes(raws: list[CellValue | None]) -> None:
    """Take off the apostrophe before a ZIP code or phone number written as ``'02134``."""
    try:
        joined = "\0".join(raws)  # type: ignore[arg-type] # a cell that is not text raises
    except TypeError:
        pass
    else:  # a column of text, as most are: whether any cell starts with one is told at C speed
        if not joined.startswith("'") and "\0'" not in joined:
            return
    for position, raw in enumerate(raws):
        if raw.__class__ is str and raw[:1] == "'" and raw[1:2] in _MARKED_STARTS:
            raws[position] = raw[1:]


def _order_id_of(raw: CellValue | None) -> str | _Unreadable | object:
    """Read one Order ID cell: the ID, ``_EMPTY``, or why it cannot be read."""
    if raw.__class__ is str:
        if not raw or raw.isspace():
            return _EMPTY
    elif raw is None:
        return _EMPTY
    try:
        order_id: str = _parse_order_id(raw)
    except CellValueError as error:
        return _Unreadable(str(error))
    if iif.clean_text(order_id) != order_id:
        return _Unreadable(
            f'Order ID "{order_id}" has characters an IIF file cannot carry; use letters, '
            "digits and dashes"
        )
    return order_id


def _whole_number_ids(raws: list[Any]) -> list[str] | None:
    """Read Order ID cells that are all whole numbers at C speed; else ``None``.

    Most shops number their orders, and a number cell reads as a float (``1001.0``): each
    becomes its digits (``"1001"``), as ``_order_id_of`` reads it.
    """
    if (
        not raws
        or set(map(type, raws)) != {float}
        or not all(map(float.is_integer, raws))
        or max(map(abs, raws)) >= EXACT_FLOAT_LIMIT
    ):
        return None
    return list(map(str, map(int, raws)))


@dataclass
class IdColumn:
    """The Order ID of each data row of a sheet (row 2 on), read in one pass."""

    table: Table
    ids: list[Any]

    @classmethod
    def read(cls, table: Table) -> IdColumn:
        """Read the Order ID column of ``table``."""
        index = table.columns.index["order_id"] - 1
        rows = table.rows[1:]
        raws = [row[index] if index < len(row) else None for row in rows]
        # The lines of an order share its ID: each distinct one is read once.
        ids = _by_distinct_value(_order_id_of, raws, _whole_number_ids)
        if ids is None:
            ids = list(map(_order_id_of, raws))
        if table.facts_found:
            for position in range(len(ids)):
                issue = table.issue(position + 2, "order_id")
                if issue is not None:
                    ids[position] = _Unreadable(issue, "unreadable-cell")
        return cls(table, ids)

    def is_empty_row(self, position: int) -> bool:
        """Whether every cell of the row is empty (such rows are passed over)."""
        return all(is_blank(value) for value in self.table.rows[position + 1])

    def problem(self, position: int) -> Problem | None:
        """Return the problem of a row whose ID cannot be read (``None`` for an empty row)."""
        value = self.ids[position]
        place = self.table.columns.place("order_id", position + 2)
        if value is _EMPTY:
            if self.is_empty_row(position):
                return None
            return Problem(place, "empty-cell", "Order ID is empty")
        return Problem(place, value.code, value.message)


def _skip_reason(
    status: CellValue | None, exported: CellValue | None, *, keys: frozenset[str]
) -> str:
    if not is_unmarked(exported):
        return ALREADY_EXPORTED
    text = "" if status is None else str(status).strip()
    if text.casefold() in keys:
        return ""
    return f'status "{text}"' if text else "no status"


_Record = TypeVar("_Record", Order, OrderLine, Origin)


def _records(
    record: type[_Record], columns: Mapping[str, Iterable[Any]], defaults: Mapping[str, Any]
) -> Iterator[_Record]:
    """Make records of the named tuple ``record`` from a column per field (else its default).

    A named tuple's own constructor is a Python function: each record is made from the tuple
    of its fields by ``tuple.__new__`` instead, at C speed (a third of the time).
    """
    fields = [
        columns[name] if name in columns else repeat(defaults.get(name)) for name in record._fields
    ]
    # The defaults repeat without end: the columns read end the records.
    return map(partial(tuple.__new__, record), zip(*fields, strict=False))


def _origins(columns: Columns, rows: Iterable[int]) -> list[Origin]:
    """Return the origins of rows of one table (made as ``_records`` makes records)."""
    return list(_records(Origin, {"columns": repeat(columns), "row": rows}, {}))


def _skip_refunded(
    orders: Table, ids: list[Any], reasons: list[str], selection: Selection, unclear: set[int]
) -> None:
    """Skip the orders to export that have a refund: the tool books sales, not refunds.

    A partial refund leaves some shops' orders in a status that exports (WooCommerce's stay
    completed): booked whole, the sale would count money the shop gave back. A Refunded cell
    that cannot be read leaves it unclear whether the order may be booked: a problem. An
    order skipped for its status with part of its total refunded (Shopify's
    ``partially_refunded``) is named too: the money kept must be entered by hand as well.
    """
    at = orders.columns.index["refunded"] - 1
    rows = orders.rows[1:]
    # Most cells are blank or 0 (both false): only the others are read, and those a reader
    # gives as empty that are not (an error value).
    facts = orders.facts_found
    for position, row in enumerate(rows):
        raw = row[at] if at < len(row) else None
        if not raw and not facts:
            continue
        issue = orders.issue(position + 2, "refunded") if facts else None
        reason = reasons[position]
        if reason == ALREADY_EXPORTED or position in unclear or (issue is None and is_blank(raw)):
            continue
        place = orders.columns.place("refunded", position + 2)
        amount = _amount(raw, issue)
        if reason:  # skipped for its status: named if it kept part of its total
            if not isinstance(amount, _Unreadable) and 0 < abs(amount) < _total(orders, row):
                selection.refunds.append(Refund(str(ids[position]), place, amount))
            continue
        if isinstance(amount, _Unreadable):
            selection.problems.append(
                Problem(
                    place,
                    amount.code,
                    f"{amount.message}; whether the order was refunded cannot be told (order "
                    f"{ids[position]})",
                )
            )
            unclear.add(position)
        elif amount:
            reasons[position] = WITH_A_REFUND
            selection.refunds.append(Refund(str(ids[position]), place, amount))


def _skip_cancelled(
    orders: Table, ids: list[Any], reasons: list[str], selection: Selection, unclear: set[int]
) -> None:
    """Skip the orders to export that were cancelled, whatever their status says.

    Shopify keeps an order cancelled before its refund "paid": only its Cancelled at date
    tells. A Cancelled cell that holds anything (a date, Y, a ticked checkbox) cancels the
    order, but for one that says no (``cells.says_no``: a column of Yes and No); one that
    cannot be read (an error value) leaves it unclear: a problem.
    """
    at = orders.columns.index["cancelled"] - 1
    facts = orders.facts_found
    for position, row in enumerate(orders.rows[1:]):
        if reasons[position] or position in unclear:
            continue
        issue = orders.issue(position + 2, "cancelled") if facts else None
        if issue is not None:
            selection.problems.append(
                Problem(
                    orders.columns.place("cancelled", position + 2),
                    "unreadable-cell",
                    f"{issue}; whether the order was cancelled cannot be told (order "
                    f"{ids[position]})",
                )
            )
            unclear.add(position)
        elif not says_no(row[at] if at < len(row) else None):
            reasons[position] = CANCELLED


def _total(orders: Table, row: Row) -> Decimal:
    """Return the Total of an order's row; 0 when it cannot be read."""
    total = _amount(orders.value(row, "total"), None)
    return total if isinstance(total, Decimal) else Decimal(0)


def _amount(raw: CellValue | None, issue: str | None) -> Decimal | _Unreadable:
    """Read an amount's cell (Refunded, Total): the amount, or why it cannot be read."""
    if issue is not None or raw is None:
        return _Unreadable(issue or "", "unreadable-cell")
    try:
        amount: Decimal = _parse_money(raw)
    except CellValueError as error:
        return _Unreadable(str(error))
    return amount


def refunds_note(refunds: Sequence[Refund], source: str) -> str | None:
    """Say which orders were skipped for their refund, and what to do with them."""
    if not refunds:
        return None
    one = len(refunds) == 1
    shown = report.first_of(
        [f"{refund.order_id} ({refund.place}: {refund.amount:,.2f})" for refund in refunds], 10
    )
    them = "it" if one else "them"
    return (
        f"{report.count(len(refunds), 'order')} with a refund {'is' if one else 'are'} not "
        f"exported: {shown}. The tool books sales, not refunds: enter {'it' if one else 'each'} "
        f"in QuickBooks by hand (the sale, then its refund), then mark {them} Exported so that "
        f"no export books {them} again: "
        f"{mark_command(source, [refund.order_id for refund in refunds])}"
    )


def read_orders(orders: Table, statuses: Iterable[str], *, day_first: bool = False) -> Selection:
    """Choose the orders to export and read their rows (their lines come later).

    ``day_first``: dates written as text with slashes are day first (``14/03/2026``).
    """
    keys = status_keys(statuses)
    selection = Selection()
    problems = selection.problems
    index = orders.columns.index
    rows = orders.rows[1:]
    id_column = IdColumn.read(orders)
    ids = id_column.ids
    status_at = index["status"] - 1
    exported_at = index.get("exported", 0) - 1
    statuses_found = [row[status_at] if status_at < len(row) else None for row in rows]
    marks: list[CellValue | None] = (
        [row[exported_at] if exported_at < len(row) else None for row in rows]
        if exported_at >= 0
        else [None] * len(rows)
    )
    unclear: set[int] = set()
    if orders.facts_found:
        # Whether such an order is to be exported cannot be told: say so, never guess.
        for position in range(len(rows)):
            for field_name in ("status", "exported"):
                issue = orders.issue(position + 2, field_name)
                if issue is not None:
                    problems.append(
                        Problem(
                            orders.columns.place(field_name, position + 2), "unreadable-cell", issue
                        )
                    )
                    unclear.add(position)
    for mark in set(marks):
        if mark.__class__ is str and mark and (batch := batch_in_mark(mark)):
            selection.batches.add(batch)
    selection.order_columns = orders.columns
    date_at = index.get("order_date", 0) - 1
    # Marks and dates repeat (one per batch, one per day): each is kept once, not per row.
    same_mark: dict[str, str] = {}
    same_date: dict[tuple[type, CellValue | None], CellValue | None] = {}
    selection.marked = []
    for position, (order_id, mark, cells) in enumerate(zip(ids, marks, rows, strict=True)):
        if isinstance(mark, str) and mark and order_id.__class__ is str:
            date = cells[date_at] if 0 <= date_at < len(cells) else None
            selection.marked.append(
                MarkedCell(
                    position + 2,
                    order_id,
                    same_mark.setdefault(mark, mark),
                    same_date.setdefault((date.__class__, date), date),
                )
            )
    reasons = list(map(partial(_skip_reason, keys=keys), statuses_found, marks))
    if "refunded" in index:
        _skip_refunded(orders, ids, reasons, selection, unclear)
    if "cancelled" in index:
        _skip_cancelled(orders, ids, reasons, selection, unclear)

    first_row = selection.first_row
    duplicates: dict[str, list[int]] = {}
    exporting: list[int] = []
    for position, order_id in enumerate(ids):
        reason = reasons[position]
        if order_id.__class__ is str:
            if order_id in first_row:
                duplicates.setdefault(order_id, [first_row[order_id]]).append(position + 2)
            else:
                first_row[order_id] = position + 2
        elif order_id is _EMPTY and id_column.is_empty_row(position):
            continue
        if position in unclear:  # reported: on the sheet (its items belong), but not exported
            continue
        if reason:
            selection.skipped[reason] += 1
        elif order_id.__class__ is str:
            exporting.append(position)
        else:
            problem = id_column.problem(position)
            if problem is not None:
                problems.append(problem)

    order_ids = [ids[position] for position in exporting]
    selection.exporting_ids.update(order_ids)
    origins = _origins(orders.columns, [position + 2 for position in exporting])
    reader = ColumnReader(
        orders,
        _ORDER_DEFAULTS,
        skip=("order_id", "exported", "refunded", "cancelled"),
        day_first=day_first,
        measure=MEASURED_TEXTS,
    )
    values, unreadable = reader.read(
        [rows[position] for position in exporting], origins, order_ids, problems,
        selection.text_changes,
    )  # fmt: skip
    selection.pending = _Rows(origins, order_ids, values, unreadable)
    # A column not read leaves its field's default, "", in every order.
    selection.longest = {
        **dict.fromkeys(MEASURED_TEXTS, 0),
        **reader.longest,
        "order_id": max(map(len, order_ids), default=0),
    }

    duplicated = selection.duplicated
    duplicated.update(order_id for order_id in duplicates if order_id in selection.exporting_ids)
    for order_id, found_rows in duplicates.items():
        if order_id in duplicated:
            first = orders.columns.place("order_id", found_rows[0])
            for row in found_rows[1:]:
                problems.append(
                    Problem(
                        orders.columns.place("order_id", row),
                        "duplicate-order",
                        f"order {order_id} is also on {first}; each order must have one row "
                        "on the Orders sheet",
                    )
                )
    return selection


def attach_lines(
    selection: Selection,
    items: Iterable[Table],
    forget: Callable[[str], None] = lambda sheet: None,
) -> None:
    """Read the Items sheet (and those that continue it) and make the orders, with their lines.

    Each sheet's rows are let go of (``forget``) once read.
    """
    lines: dict[str, tuple[OrderLine, ...]] = {}
    unreadable: set[str] = set()
    for table in items:
        more_lines, more_unreadable = _read_lines(table, selection)
        if not lines:
            lines = more_lines
        else:
            for order_id, order_lines in more_lines.items():
                lines[order_id] = lines.get(order_id, ()) + order_lines
        unreadable |= more_unreadable
        forget(table.columns.sheet)
    pending = selection.pending
    if pending is None:
        return
    # An order with a duplicated ID, an unreadable cell or an unreadable item line is
    # reported already; checking its sums would only repeat that problem in other words.
    reported = selection.duplicated | unreadable
    columns: dict[str, Iterable[Any]] = {
        **pending.values,
        "order_id": pending.order_ids,
        "origin": pending.origins,
        "lines": list(map(lines.get, pending.order_ids, repeat(()))),
    }
    made = _records(Order, columns, _ORDER_DEFAULTS)
    selection.orders = [
        order
        for position, order in enumerate(made)
        if position not in pending.unreadable and pending.order_ids[position] not in reported
    ]
    selection.pending = None


def _read_lines(
    items: Table, selection: Selection
) -> tuple[dict[str, tuple[OrderLine, ...]], set[str]]:
    """Read the item lines of the orders to export; also return the IDs with unreadable lines."""
    problems = selection.problems
    id_column = IdColumn.read(items)
    ids = id_column.ids
    exporting = selection.exporting_ids
    known = selection.first_row
    kept = list(compress(count(), map(exporting.__contains__, ids)))
    # Most sheets have no unknown or unreadable Order ID: a comparison of sets tells.
    strange = set(ids).difference(known)
    for position, order_id in enumerate(ids if strange else ()):
        if order_id.__class__ is str:
            if order_id not in known:
                problems.append(
                    Problem(
                        items.columns.place("order_id", position + 2),
                        "unknown-order",
                        f"order {order_id} is not on the Orders sheet; fix the Order ID or "
                        "delete this item row",
                    )
                )
        elif (problem := id_column.problem(position)) is not None:
            problems.append(problem)
    # Each line holds its order's own ID, not a string of its own that equals it.
    same_id = {order_id: order_id for order_id in exporting}
    order_ids = list(map(same_id.__getitem__, map(ids.__getitem__, kept)))
    origins = _origins(items.columns, map((2).__add__, kept))
    reader = ColumnReader(items, _LINE_DEFAULTS, skip=("order_id",))
    values, bad = reader.read(
        list(map(items.rows.__getitem__, map((1).__add__, kept))),
        origins, order_ids, problems, selection.text_changes,
    )  # fmt: skip
    items.rows.clear()  # the cells are read: let them go before the lines are made
    for name in _CATALOG_TEXTS.intersection(values):
        values[name] = _shared(values[name])
    columns = {**values, "order_id": order_ids, "origin": origins}
    lines: dict[str, tuple[OrderLine, ...]] = {}
    unreadable = {order_ids[position] for position in bad}
    made = _records(OrderLine, columns, _LINE_DEFAULTS)
    # The lines of an order mostly stand together: they are taken a run at a time.
    for order_id, run in groupby(made, key=attrgetter("order_id")):
        lines[order_id] = lines.get(order_id, ()) + tuple(run)
    return lines, unreadable


# The texts of a shop's catalog, which repeat on line after line (some 30 MB of 300,000 lines).
_CATALOG_TEXTS = frozenset({"sku", "description"})
_ORDER_DEFAULTS = Order._field_defaults
# Description is optional on the Items sheet: a sheet without the column has blank ones.
_LINE_DEFAULTS = {**OrderLine._field_defaults, "description": ""}


_ROLE_BY_KEY = {header_key(role.name): role for role in ROLES}
_ITEM_TYPES = {
    "part": "PART",
    "noninventorypart": "PART",
    "noninventory": "PART",
    "serv": "SERV",
    "service": "SERV",
}


def read_accounts(table: Table) -> tuple[Accounts | None, list[Problem]]:
    """Read the Accounts sheet: the account (and optional item) of each role, and the extras."""
    problems: list[Problem] = []
    found: dict[str, RoleAccount] = {}
    seen: dict[str, Origin] = {}
    valid = ", ".join(f'"{role.name}"' for role in ROLES)
    rows: list[Row] = []
    origins: list[Origin] = []
    roles: list[Role] = []
    for row, cells in table.records():
        origin = Origin(table.columns, row)
        role_text = parse_text(table.value(cells, "role") or "")
        role = _ROLE_BY_KEY.get(header_key(role_text))
        if role is None:
            message = (
                f'"{role_text}" is not a role; the roles are {valid}'
                if role_text
                else f"Role is empty; the roles are {valid}"
            )
            problems.append(Problem(origin.place("role"), "unknown-role", message))
            continue
        if role.field in seen:
            problems.append(
                Problem(
                    origin.place("role"),
                    "duplicate-role",
                    f'role "{role.name}" is also on {seen[role.field].place("role")}; '
                    "keep one row per role",
                )
            )
            continue
        seen[role.field] = origin
        rows.append(cells)
        origins.append(origin)
        roles.append(role)
    values, unreadable = ColumnReader(table, {}, skip=("role",)).read(
        rows, origins, None, problems, []
    )
    for position, (role, origin) in enumerate(zip(roles, origins, strict=True)):
        if position in unreadable:
            continue
        account = RoleAccount(
            role.name,
            values["account"][position],
            values["item"][position] if "item" in values else "",
            origin,
            _account_type(values["type"][position] if "type" in values else "", origin, problems),
            _item_type(
                role,
                values["item_type"][position] if "item_type" in values else "",
                origin,
                problems,
            ),
        )
        found[role.field] = account
        problems.extend(_name_problems(role, account))
    for role in ROLES:
        if role.required and role.field not in seen:
            problems.append(
                Problem(
                    Place(table.columns.sheet, book=table.columns.book),
                    "missing-role",
                    f'role "{role.name}" is missing; add a row with Role "{role.name}" and '
                    f"its QuickBooks account in the {table.spec.name} sheet",
                )
            )
    if problems:
        return None, problems
    return Accounts(**found), problems


def _account_type(text: str, origin: Origin, problems: list[Problem]) -> str:
    if not text:
        return ""
    code = account_type(text)
    if code is None:
        problems.append(
            Problem(
                origin.place("type"),
                "bad-value",
                f'"{text}" is not a QuickBooks account type; write one of '
                + ", ".join(ACCOUNT_TYPES.values()),
            )
        )
        return ""
    return code


def _item_type(role: Role, text: str, origin: Origin, problems: list[Problem]) -> str:
    if not text:
        return ""
    code = _ITEM_TYPES.get(header_key(text))
    if role.field != "item_subtotal" or code is None:
        problems.append(
            Problem(
                origin.place("item_type"),
                "bad-value",
                f'"{text}" is not an item type here; the Item Subtotal row takes Non-inventory '
                "Part or Service, the other rows none",
            )
        )
        return ""
    return code


def _name_problems(role: Role, account: RoleAccount) -> list[Problem]:
    if role.kind is RoleKind.SETTING:
        return []
    problems = []
    names = (
        [("account", account.account, "vendor", iif.CUSTOMER_NAME)]
        if role.kind is RoleKind.VENDOR
        else [("account", account.account, "account", None), ("item", account.item, "item", None)]
    )
    for field_name, name, what, limit in names:
        if not name:
            continue
        if limit is not None:
            message = iif.too_long(name, limit)
        else:
            message = iif.list_name_problem(name, what)
        if message is None:
            message = iif.uncarried_name_problem(name, what)
        if message:
            problems.append(Problem(account.origin.place(field_name), "bad-name", message))
    return problems
