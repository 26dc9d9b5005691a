"""The orders and items of a workbook, whatever its layout.

The layout is the one asked for (``--layout``, or a ``Layout`` row of the Columns sheet), else
the one the headers show (Shopify's or WooCommerce's export), else the contract's own. A
Columns sheet in the accounts workbook maps fields over it. The orders are on the sheet
``Orders``, or, for a shop's export, on the workbook's first sheet. Items are on the Items
sheet (and the sheets that continue it) or, when there is none, on the orders' own rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace

from ccp_xlsx2iif.build import Selection, attach_lines, read_orders
from ccp_xlsx2iif.cells import CellValue
from ccp_xlsx2iif.contract import ITEMS, ORDERS, Column, Kind, SheetSpec
from ccp_xlsx2iif.csvfiles import with_ledger_marks
from ccp_xlsx2iif.layouts import (
    CCP,
    LAYOUTS,
    ColumnsRow,
    Layout,
    Source,
    detect,
    merged_values,
    read_columns,
)
from ccp_xlsx2iif.mapping import (
    LEDGER_COLUMN,
    find_source,
    group_orders,
    has_item_columns,
    header_positions,
    mapped_table,
)
from ccp_xlsx2iif.problems import Problem
from ccp_xlsx2iif.workbook import Sheets, Table, read_table, required_sheet
from ccp_xlsx2iif.writeback import ExportedColumn, exported_column

COLUMNS_SHEET = "Columns"
COLUMNS = SheetSpec(
    COLUMNS_SHEET,
    (
        Column("field", "Field", Kind.TEXT, required=True),
        Column("header", "Header", Kind.TEXT, required=True),
    ),
)


@dataclass(frozen=True)
class Reading:
    """How a workbook's orders are read: the layout, the sheet, whether items are on it."""

    layout: Layout
    sheet: str | None
    one_sheet: bool
    note: str | None = None


@dataclass
class Orders:
    """The orders read from a workbook, and where their Exported cells are.

    The orders are read in two steps: ``read_workbook_orders`` chooses them (which rows are
    exported is known then), and ``attach_lines`` reads their item lines and makes them.
    """

    selection: Selection
    column: ExportedColumn
    column_problems: list[Problem]
    rows_of: dict[int, list[int]] = field(default_factory=dict)
    # The item tables, read by attach_lines; each sheet is let go of (forget) once read.
    items: Iterable[Table] = ()
    forget: Callable[[str], None] = lambda sheet: None

    def rows(self, first_row: int) -> list[int]:
        """Return the rows of the order read from ``first_row`` (more than one on one sheet)."""
        return self.rows_of.get(first_row, [first_row])

    def chosen_rows(self) -> list[int]:
        """Return every row of the orders chosen for export, made yet or not."""
        pending = self.selection.pending
        origins = (
            pending.origins
            if pending is not None
            else [order.origin for order in self.selection.orders]
        )
        if not self.rows_of:
            return [origin.row for origin in origins]
        return [row for origin in origins for row in self.rows(origin.row)]

    def attach_lines(self) -> None:
        """Read the item lines and make the orders (``selection.orders``); again, do nothing."""
        items, self.items = self.items, ()
        attach_lines(self.selection, items, forget=self.forget)


def choose_layout(
    book: Sheets, accounts_book: Sheets, wanted: str | None, problems: list[Problem]
) -> Reading:
    """Decide how to read the orders of ``book`` (see the module's description)."""
    overrides, values, named = _columns_sheet(accounts_book, problems)
    if named is None and accounts_book is not book:
        overrides2, values2, named = _columns_sheet(book, problems)
        overrides, values = {**overrides2, **overrides}, merged_values(values2, values)
    key = wanted or named
    sheet = book.find_sheet(ORDERS.name)
    detected = None
    if book.single_table:  # a CSV file: its one table holds everything
        sheet = book.sheet_names[0]
    elif sheet is None and book.sheet_names:
        first = book.sheet_names[0]
        shop = LAYOUTS[key] if key else detect(_headers(book, first))
        if shop is not None and shop.one_sheet:
            sheet, detected = first, shop
        elif overrides:  # a Columns sheet says where the fields are: the first sheet's
            sheet = first
    layout = LAYOUTS[key] if key else None
    if layout is None and sheet is not None:
        layout = detected or detect(_headers(book, sheet)) or CCP
    layout = (layout or CCP).with_columns(overrides, values)
    if sheet is None:
        return Reading(layout, None, one_sheet=False)
    one_sheet = (
        layout.one_sheet
        or book.single_table
        or (book.find_sheet(ITEMS.name) is None and has_item_columns(_headers(book, sheet), layout))
    )
    note = None
    if layout is not CCP:
        how = (
            "as asked"
            if key
            else "as the Columns sheet says"
            if overrides or values
            else ("as its headers show")
        )
        rows = "a row per item" if one_sheet else "with an Items sheet"
        note = f"Read {book.describe(sheet)} as a {layout.title}, {rows} ({how})."
    return Reading(layout, sheet, one_sheet, note)


def _headers(book: Sheets, sheet: str) -> list[CellValue]:
    rows = book.read_rows(sheet)
    return list(rows[0]) if rows else []


def _columns_sheet(
    book: Sheets, problems: list[Problem]
) -> tuple[dict[str, Source], dict[str, dict[str, str]], str | None]:
    """Read the Columns sheet of ``book``, if it has one."""
    sheet = book.find_sheet(COLUMNS_SHEET)
    if sheet is None:
        return {}, {}, None
    table = read_table(book, sheet, COLUMNS, problems)
    if table is None:
        return {}, {}, None
    field_at, header_at = table.columns.index["field"] - 1, table.columns.index["header"] - 1
    rows = []
    for row_number, cells in table.records():
        name = cells[field_at] if field_at < len(cells) else ""
        text = cells[header_at] if header_at < len(cells) else ""
        if str(name).strip():
            rows.append(ColumnsRow(row_number, str(name), str(text)))
        elif str(text).strip():  # a header for no field: a row the tool would pass over
            place = table.columns.place("field", row_number)
            message = f'Field is empty; write the field that "{text}" holds, such as Memo'
            problems.append(Problem(place, "bad-columns-row", message))
    sources, values, layout, found = read_columns(rows)
    for row_number, column, message in found:
        place = table.columns.place(column.casefold(), row_number)
        problems.append(Problem(place, "bad-columns-row", message))
    return sources, values, layout


def read_workbook_orders(
    book: Sheets,
    reading: Reading,
    statuses: tuple[str, ...],
    problems: list[Problem],
    *,
    ledger_marks: Mapping[str, str] | None = None,
    day_first: bool = False,
) -> Orders | None:
    """Choose the orders to export; ``None`` when the sheets cannot be used.

    The Items sheet is read too (its problems are found); ``Orders.attach_lines`` reads the
    item lines and makes the orders. ``ledger_marks`` are the Exported marks of a CSV file's
    orders, by Order ID (kept in ``csvfiles.Ledger``): they stand for the file's own Exported
    column. ``day_first``: dates written as text with slashes are day first.
    """
    if reading.sheet is None:
        required_sheet(book, ORDERS.name, problems)
        return None
    sheet = reading.sheet
    layout = reading.layout
    # The statuses to export may be named as the shop names them: they are read as mapped.
    statuses = tuple(layout.statuses.get(status.casefold(), status) for status in statuses)
    if layout is CCP and not reading.one_sheet:
        return _read_contract(book, sheet, statuses, problems, day_first=day_first)
    rows = book.read_rows(sheet)
    facts = book.facts.get(sheet)
    if ledger_marks is not None:
        rows, layout = _with_ledger(rows, layout, ledger_marks)
    orders = mapped_table(rows, sheet, ORDERS, layout, problems, label=book.label, facts=facts)
    items = (
        mapped_table(rows, sheet, ITEMS, layout, problems, label=book.label, facts=facts)
        if reading.one_sheet
        else None
    )
    if orders is None:
        return None
    real = Table(ORDERS, orders.columns, orders.headers_found, rows, facts)
    column, column_problems = exported_column(real, book.merged_ranges(sheet))
    if reading.one_sheet:
        if items is None:
            return None
        grouped = group_orders(orders, problems)
        selection = read_orders(grouped.table, statuses, day_first=day_first)
        # The items are on the orders' sheet, which is let go of once they are read.
        return Orders(selection, column, column_problems, grouped.rows_of, [items], book.forget)
    selection = read_orders(orders, statuses, day_first=day_first)
    tables = _item_tables(book, layout, problems)
    book.forget(sheet)
    if tables is None:
        return None
    return Orders(selection, column, column_problems, items=tables, forget=book.forget)


def _with_ledger(
    rows: list[list[CellValue]], layout: Layout, marks: Mapping[str, str]
) -> tuple[list[list[CellValue]], Layout]:
    """Add each row's mark from the ledger as a column, and read Exported from it."""
    found = find_source(layout.source("order_id"), header_positions(rows[0] if rows else []))
    column = found.columns[0] if found is not None and found.columns else None
    sources = {**layout.sources, "exported": Source((LEDGER_COLUMN,))}
    return with_ledger_marks(rows, column, marks), replace(layout, sources=sources)


def _read_contract(
    book: Sheets,
    sheet: str,
    statuses: tuple[str, ...],
    problems: list[Problem],
    *,
    day_first: bool = False,
) -> Orders | None:
    """Read an Orders and an Items sheet with the contract's own headers (the fast path)."""
    orders_table = read_table(book, sheet, ORDERS, problems)
    selection = column = None
    column_problems: list[Problem] = []
    if orders_table is not None:
        column, column_problems = exported_column(orders_table, book.merged_ranges(sheet))
        selection = read_orders(orders_table, statuses, day_first=day_first)
        orders_table.rows.clear()
        book.forget(sheet)
    tables = _item_tables(book, CCP, problems)
    if selection is None or column is None or tables is None:
        return None
    return Orders(selection, column, column_problems, items=tables, forget=book.forget)


def _item_tables(book: Sheets, layout: Layout, problems: list[Problem]) -> Iterator[Table] | None:
    """Read the Items sheet and the sheets that continue it, one after the other, lazily.

    ``None`` when the Items sheet cannot be used (the problems say why).
    """
    read: Callable[[str], Table | None]
    if layout is CCP:

        def read(name: str) -> Table | None:
            return read_table(book, name, ITEMS, problems)
    else:

        def read(name: str) -> Table | None:
            rows = book.read_rows(name)
            facts = book.facts.get(name)
            return mapped_table(rows, name, ITEMS, layout, problems, label=book.label, facts=facts)

    name = required_sheet(book, ITEMS.name, problems)
    if name is None:
        return None
    first = read(name)
    if first is None:
        return None

    def tables() -> Iterator[Table]:
        yield first
        for more in book.continuations(ITEMS.name):
            table = read(more)
            if table is not None:
                yield table

    return tables()


@dataclass(frozen=True)
class FieldColumns:
    """Where one field of the contract is read from, as ``columns`` shows it."""

    sheet: str
    field: str
    required: bool
    found: bool
    where: str


@dataclass(frozen=True)
class ColumnsReport:
    """Which header feeds which field, which required fields are missing, what is not used."""

    reading: Reading
    fields: tuple[FieldColumns, ...]
    unused: tuple[str, ...]

    @property
    def missing(self) -> tuple[FieldColumns, ...]:
        """The required fields that no column feeds."""
        return tuple(item for item in self.fields if item.required and not item.found)


def describe_columns(book: Sheets, accounts_book: Sheets, wanted: str | None) -> ColumnsReport:
    """Say how each field of the contract is read from ``book``, before any export."""
    from ccp_xlsx2iif.problems import ProblemsFound

    problems: list[Problem] = []
    reading = choose_layout(book, accounts_book, wanted, problems)
    if problems:
        raise ProblemsFound(problems)
    if reading.sheet is None:
        read_workbook_orders(book, reading, (), problems)
        raise ProblemsFound(problems)
    sheets = [(reading.sheet, ORDERS)]
    items_sheet = reading.sheet if reading.one_sheet else book.find_sheet(ITEMS.name)
    if items_sheet is not None:
        sheets.append((items_sheet, ITEMS))
    fields: list[FieldColumns] = []
    used: set[tuple[str, int]] = set()
    headers_of: dict[str, list[str]] = {}
    for sheet, spec in sheets:
        headers = ["" if cell is None else str(cell) for cell in _headers(book, sheet)]
        headers_of[sheet] = headers
        positions = header_positions(headers)
        for column in spec.columns:
            if spec is ITEMS and column.field == "order_id" and sheet == reading.sheet:
                continue
            found, where, at = _where(reading.layout, column.field, headers, positions)
            used.update((sheet, position) for position in at)
            fields.append(FieldColumns(sheet, column.header, column.required, found, where))
    unused = tuple(
        header
        for sheet, headers in headers_of.items()
        for position, header in enumerate(headers, start=1)
        if header.strip() and (sheet, position) not in used
    )
    return ColumnsReport(reading, tuple(fields), tuple(dict.fromkeys(unused)))


def _where(
    layout: Layout, name: str, headers: list[str], positions: dict[str, int]
) -> tuple[bool, str, tuple[int, ...]]:
    """Say where a field is read from: (found, the words, the sheet's columns used)."""
    from ccp_xlsx2iif.problems import column_letter

    source = layout.source(name)
    if source.is_unmapped:
        return False, "not read", ()
    found = find_source(source, positions)

    def cell(position: int) -> str:
        return f'{column_letter(position)} "{headers[position - 1]}"'

    if found is None:
        if name == "exported":
            return False, 'no column "Exported" yet: the first export adds it', ()
        return False, f'no column "{source.describe()}"', ()
    if source.constant is not None:
        return True, f"always {source.describe()}", ()
    if found.pairs:
        national = source.taxes is not None and source.taxes.national
        which = "the national ones (GST, HST, VAT...)" if national else "all but the national ones"
        values = ", ".join(cell(value) for _, value in found.pairs)
        at = tuple(column for pair in found.pairs for column in pair)
        return True, f"{values}, by their tax names: {which}", at
    if not found.columns:
        return False, "no tax columns", ()
    if found.per is not None:
        return True, f"{cell(found.columns[0])} / {cell(found.per)}", (*found.columns, found.per)
    where = " + ".join(cell(position) for position in found.columns)
    if layout.values.get(name):
        mapped = ", ".join(f"{shop} -> {ours}" for shop, ours in layout.values[name].items())
        where = f"{where}, read as: {mapped}"
    return True, where, found.columns
