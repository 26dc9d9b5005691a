"""A shop's sheet read through a layout, and a sheet of item rows grouped into orders.

``mapped_table`` finds each field of a sheet spec where the layout says. A field read from
one column is read from it as it stands; a field worked out from several columns (a sum, a
name joined from two, a unit price from a line total, a tax split by name), a constant, or a
status read through the layout's status mapping is written into a column of its own after the
sheet's last one, so that the readers that follow see one column per field. Problems in such
a field are placed at its first source column.

``group_orders`` reads a sheet that has a row per item (Shopify, WooCommerce, or any sheet
with the item columns when there is no Items sheet) as one row per order: the order's values
come from the first of its rows that has them; another row of the order with a different
value is a problem naming both cells; an order is exported only when all its rows say so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from operator import itemgetter
from typing import Any

from ccp_xlsx2iif.cells import (
    CellValue,
    CellValueError,
    is_blank,
    parse_money,
    parse_quantity,
    parse_text,
    shown,
)
from ccp_xlsx2iif.contract import ORDERS, Kind, SheetSpec, header_key
from ccp_xlsx2iif.layouts import FIELDS, Layout, Source, national
from ccp_xlsx2iif.package import SheetFacts
from ccp_xlsx2iif.problems import Columns, Place, Problem
from ccp_xlsx2iif.workbook import Table, quoted_list

_UNIT_PRICE_PLACES = Decimal("0.00001")
# The column a CSV file's Exported marks are read into (``csvfiles``): not the file's own.
LEDGER_COLUMN = "Exported (from exported-orders.xlsx)"
_NUMBER_KINDS = (Kind.MONEY, Kind.PRICE, Kind.QUANTITY)


@dataclass(frozen=True)
class Found:
    """Where a field's source columns are on the sheet (1-based), as the source names them."""

    source: Source
    columns: tuple[int, ...] = ()
    per: int | None = None
    pairs: tuple[tuple[int, int], ...] = ()


def mapped_table(
    rows: list[list[CellValue]],
    sheet: str,
    spec: SheetSpec,
    layout: Layout,
    problems: list[Problem],
    *,
    label: str | None = None,
    facts: SheetFacts | None = None,
) -> Table | None:
    """Read ``sheet`` as ``spec`` through ``layout``; ``None`` when required fields are missing.

    Worked-out fields are read from columns of their own, after the sheet's last: the table's
    rows are then copies of ``rows`` with those columns added (``rows`` stay as they are).
    """
    header_row = rows[0] if rows else []
    positions = header_positions(header_row)
    found_headers = [
        header
        for header in (parse_text(cell) for cell in header_row if not is_blank(cell))
        if header != LEDGER_COLUMN
    ]
    index: dict[str, int] = {}
    places: dict[str, int | None] = {}
    derived: list[tuple[str, Found]] = []
    missing: list[str] = []
    for column in spec.columns:
        source = layout.source(column.field)
        if source.is_unmapped:
            continue
        found = find_source(source, positions)
        # A field the Columns sheet places must be there, each of its headers: a misspelt one
        # would else leave an optional field (a class, a memo) or a part of one out of every
        # invoice without a word. A built-in layout's columns may be missing.
        absent = (
            [header for header in source.headers if header_key(header) not in positions]
            if column.field in layout.given and found is not None and source.constant is None
            else []
        )
        if found is None or absent:
            if absent:
                missing += [f'"{header}" (for {column.header})' for header in absent]
            elif column.required or column.field in layout.given:
                wanted = source.describe()
                missing.append(
                    f'"{wanted}"'
                    if wanted == column.header
                    else f'"{wanted}" (for {column.header})'
                )
            continue
        mapped_values = bool(layout.values.get(column.field))
        if source.is_direct and not mapped_values:
            index[column.field] = found.columns[0]
        else:
            derived.append((column.field, found))
        places[column.field] = (
            found.columns[0] if found.columns else found.pairs[0][1] if found.pairs else None
        )
    if missing:
        noun = "column" if len(missing) == 1 else "columns"
        problems.append(
            Problem(
                Place(sheet, book=label),
                "missing-column",
                f"missing {noun} {', '.join(missing)} ({layout.title}); the header row must "
                f"be row 1 (columns found there: {quoted_list(found_headers) or 'none'})",
            )
        )
        return None
    if derived:
        width = max(len(row) for row in rows)
        computers = [_computer(name, found, layout) for name, found in derived]
        for offset, (name, _) in enumerate(derived, start=1):
            index[name] = width + offset
        padding: list[CellValue] = [""] * width
        full_rows = [[*row, *padding[len(row) :]] for row in rows]
        full_rows[0].extend(FIELDS[name].header for name, _ in derived)
        for row in full_rows[1:]:
            row.extend([compute(row) for compute in computers])
        rows = full_rows
    sources = {
        name: found.columns + tuple(value for _, value in found.pairs)
        for name, found in derived
        if found.columns or found.pairs
    }
    columns = Columns(sheet, index, label, places=places, sources=sources)
    return Table(spec, columns, found_headers, rows, facts)


def header_positions(header_row: Sequence[CellValue]) -> dict[str, int]:
    """Return the 1-based column of each header of a sheet, by key (the first of a repeat)."""
    positions: dict[str, int] = {}
    for position, cell in enumerate(header_row, start=1):
        if not is_blank(cell):
            positions.setdefault(header_key(parse_text(cell)), position)
    return positions


def find_source(source: Source, positions: dict[str, int]) -> Found | None:
    """Find a source's columns among the header positions; ``None`` when it has none."""
    if source.constant is not None:
        return Found(source)
    if source.taxes is not None:
        split = source.taxes
        pairs = tuple(
            (positions[header_key(name)], positions[header_key(value)])
            for name, value in zip(split.names, split.values, strict=True)
            if header_key(name) in positions and header_key(value) in positions
        )
        if pairs:
            return Found(source, pairs=pairs)
        if split.fallback and header_key(split.fallback) in positions and not split.national:
            return Found(source, (positions[header_key(split.fallback)],))
        return Found(source) if split.national else None
    found = tuple(positions[key] for key in map(header_key, source.headers) if key in positions)
    if not found:
        return None
    if source.per is not None:
        per = positions.get(header_key(source.per))
        return Found(source, found, per=per) if per is not None else None
    return Found(source, found)


def _computer(name: str, found: Found, layout: Layout) -> Callable[[list[CellValue]], Any]:
    """Return the function that works out a field's value from a row."""
    kind = FIELDS[name].kind
    source = found.source
    if source.constant is not None:
        constant = source.constant
        return lambda row: constant
    if found.pairs:
        return _tax_split(found.pairs, national_taxes=bool(source.taxes and source.taxes.national))
    if not found.columns:  # national taxes of a sheet without tax pairs
        return lambda row: ""
    at = [column - 1 for column in found.columns]
    if found.per is not None:
        per_at = found.per - 1
        return lambda row: _per_unit(row[at[0]], row[per_at])
    value: Callable[[list[CellValue]], CellValue]
    if len(at) == 1:
        value = itemgetter(at[0])
    elif kind in _NUMBER_KINDS:
        value = lambda row: _total(row[i] for i in at)  # noqa: E731
    elif kind is Kind.TEXT:
        value = lambda row: _joined(row, at)  # noqa: E731
    else:  # the first filled
        value = lambda row: next((row[i] for i in at if not is_blank(row[i])), "")  # noqa: E731
    mapped = layout.values.get(name)
    if mapped:
        return lambda row: _mapped(value(row), mapped)
    return value


def _total(cells: Iterable[CellValue]) -> CellValue:
    """Add amount cells; an unreadable one is passed on as it stands, to be reported."""
    total = Decimal(0)
    seen = False
    for cell in cells:
        if is_blank(cell):
            continue
        try:
            total += parse_money(cell)
        except CellValueError:
            return cell
        seen = True
    return str(total) if seen else ""


def _joined(row: Sequence[CellValue], at: Sequence[int]) -> str:
    return " ".join(parse_text(row[i]) for i in at if not is_blank(row[i]))


def _per_unit(total: CellValue, quantity: CellValue) -> CellValue:
    """Work out a unit price from a line total and its quantity (to 5 decimals)."""
    if is_blank(total) or is_blank(quantity):
        return ""
    try:
        amount = parse_money(total)
        count = parse_quantity(quantity)
    except CellValueError:
        return total
    return str((amount / count).quantize(_UNIT_PRICE_PLACES))


def _tax_split(
    pairs: Sequence[tuple[int, int]], *, national_taxes: bool
) -> Callable[[list[CellValue]], CellValue]:
    """Return the sum of the national taxes of a row (``national_taxes``), or of the others."""

    def split(row: list[CellValue]) -> CellValue:
        return _total(
            row[value_at - 1]
            for name_at, value_at in pairs
            if national(row[name_at - 1]) == national_taxes
        )

    return split


def _mapped(value: CellValue, mapped: Mapping[str, str]) -> CellValue:
    """Return the value a Columns sheet (or the layout) reads ``value`` as, else ``value``."""
    if is_blank(value):
        return value
    return mapped.get(parse_text(value).strip().casefold(), value)


# --- one sheet, a row per item -----------------------------------------------------------

ORDER_LEVEL = tuple(
    column for column in ORDERS.columns if column.field not in ("order_id", "exported")
)


@dataclass
class Grouped:
    """A sheet of item rows read as one row per order.

    ``table`` has the order's values on its first row and blank rows for the others, so that
    every row keeps its Excel row number; ``rows_of`` gives, by the first row, every row of
    an order (the rows its Exported cells are written in).
    """

    table: Table
    rows_of: dict[int, list[int]]


def group_orders(table: Table, problems: list[Problem]) -> Grouped:
    """Group the rows of ``table`` (a sheet read as ORDERS) by Order ID; see the module text."""
    from ccp_xlsx2iif.build import IdColumn

    ids = IdColumn.read(table).ids
    index = table.columns.index
    width = max(len(row) for row in table.rows)
    rows_of: dict[int, list[int]] = {}
    first_position: dict[str, int] = {}
    members: dict[int, list[int]] = {}
    for position, order_id in enumerate(ids):
        if order_id.__class__ is not str:
            continue
        first = first_position.setdefault(order_id, position)
        members.setdefault(first, []).append(position)
    grouped_rows: list[list[CellValue]] = [table.rows[0]]
    blank: list[CellValue] = [""] * width
    data = table.rows[1:]
    merged: dict[int, list[CellValue]] = {}
    for first, positions in members.items():
        rows_of[first + 2] = [position + 2 for position in positions]
        row = list(data[first])
        if len(positions) > 1:
            _merge(table, ids[first], row, [data[p] for p in positions], positions, problems)
        merged[first] = row
    exported_at = index.get("exported")
    for first, positions in members.items():
        if exported_at is None or len(positions) == 1:
            continue
        marks = [not is_blank(_cell(data[p], exported_at)) for p in positions]
        if any(marks) and not all(marks):
            cleared = [p + 2 for p, mark in zip(positions, marks, strict=True) if not mark]
            marked = [p + 2 for p, mark in zip(positions, marks, strict=True) if mark]
            problems.append(
                Problem(
                    table.columns.place("exported", cleared[0]),
                    "partly-exported",
                    f"order {ids[first]} is marked Exported in {_rows(marked)} but not in "
                    f"{_rows(cleared)}; mark all its rows, or clear all of them to export it "
                    "again",
                )
            )
    for position in range(len(data)):
        order_row = merged.get(position)
        if order_row is not None:
            grouped_rows.append(order_row)
        elif ids[position].__class__ is str:
            grouped_rows.append(blank)  # another row of an order: read with its first row
        else:
            grouped_rows.append(data[position])
    return Grouped(
        Table(table.spec, table.columns, table.headers_found, grouped_rows, table.facts), rows_of
    )


def _rows(rows: list[int]) -> str:
    shown_rows = ", ".join(map(str, rows[:5])) + (" ..." if len(rows) > 5 else "")
    return f"row {shown_rows}" if len(rows) == 1 else f"rows {shown_rows}"


def _cell(row: Sequence[CellValue], column: int) -> CellValue:
    return row[column - 1] if column - 1 < len(row) else ""


def _merge(
    table: Table,
    order_id: str,
    row: list[CellValue],
    rows: list[list[CellValue]],
    positions: list[int],
    problems: list[Problem],
) -> None:
    """Fill the order's row with the first value of each field; report differing values."""
    index = table.columns.index
    for column in ORDER_LEVEL:
        at = index.get(column.field)
        if at is None:
            continue
        first: tuple[int, CellValue] | None = None
        for position, cells in zip(positions, rows, strict=True):
            value = _cell(cells, at)
            if is_blank(value):
                continue
            if first is None:
                first = (position, value)
                if len(row) < at:
                    row.extend([""] * (at - len(row)))
                row[at - 1] = value
            elif not _same(first[1], value, column.kind):
                problems.append(
                    Problem(
                        table.columns.place(column.field, position + 2),
                        "conflicting-values",
                        f"{column.header} {shown(value)} differs from "
                        f"{table.columns.place(column.field, first[0] + 2)} "
                        f"({shown(first[1])}), on another row of the same order; the rows of "
                        f"an order must agree (order {order_id})",
                    )
                )


def _same(first: CellValue, other: CellValue, kind: Kind) -> bool:
    if first == other:
        return True
    if kind in _NUMBER_KINDS:
        from ccp_xlsx2iif.cells import PARSERS

        try:
            return bool(PARSERS[kind](first) == PARSERS[kind](other))
        except CellValueError:
            return False
    return parse_text(first).strip() == parse_text(other).strip()


def has_item_columns(headers: Sequence[CellValue], layout: Layout) -> bool:
    """Whether a sheet's headers hold the item fields (SKU, Quantity) a one-sheet layout needs."""
    keys = header_positions(headers)
    needed = [layout.source(name) for name in ("sku", "quantity")]
    return all(any(header_key(header) in keys for header in source.headers) for source in needed)
