"""Excel tables (Insert > Table): the total row of a table is not a row of orders or items.

A table may end with a total row (Table Design > Total Row): "Total" under the first column
and sums or counts under the others. Read as data, it would be an order without a status, or
an item line of an order called "Total" that no row of the Orders sheet has (a problem that
stops the export, telling the user to delete a row Excel does not let them delete).
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter

from ccp_xlsx2iif.export import ExportOptions, export_workbook
from ccp_xlsx2iif.package import MAX_TOTAL_ROWS, table_totals
from tests.conftest import BATCH, NOW
from tests.expect import failed_export
from tests.grids import calamine_grid, changed_cells, openpyxl_grid
from tests.workbooks import ACCOUNT_ROWS, OrderBook, headers_of, replace_member

MARK = f"2026-03-14 09:30 {BATCH}"
# What a total row of each sheet holds: under a header, the function and the value Excel
# calculated (an error value for an average of no number).
ORDER_TOTALS = {
    "Order ID": ("Total", None),
    "Status": ("count", 2),
    "Subtotal": ("sum", 61.5),
    "Total": ("sum", 65.95),
    "Exported": ("average", "#DIV/0!"),
}
ITEM_TOTALS = {"Order ID": ("Total", None), "Quantity": ("sum", 4)}


def add_table(
    book: Any, name: str, rows: list[dict[str, Any]], totals: dict[str, tuple[str, Any]] | None
) -> None:
    """Write ``rows`` as an Excel table of a sheet of its own, with a total row if asked."""
    sheet = book.add_worksheet(name)
    headers = headers_of(rows)
    columns = []
    for header in headers:
        column: dict[str, Any] = {"header": header}
        function, value = (totals or {}).get(header, (None, None))
        if function == "Total":
            column["total_string"] = "Total"
        elif function is not None:
            column["total_function"] = function
            column["total_value"] = value
        columns.append(column)
    data = [[row.get(header) for header in headers] for row in rows]
    last_row = len(rows) + (1 if totals else 0)
    sheet.add_table(
        0,
        0,
        last_row,
        len(headers) - 1,
        {"name": f"{name}Table", "data": data, "columns": columns, "total_row": bool(totals)},
    )


def tables_workbook(path: Path, *, order_totals: bool = True) -> Path:
    """OrderBook's two orders, their items and accounts, Orders and Items as Excel tables.

    Both tables have a total row, the Orders table unless ``order_totals`` is false.
    """
    orders = OrderBook()
    book = xlsxwriter.Workbook(str(path), {"default_date_format": "yyyy-mm-dd"})
    add_table(book, "Orders", orders.orders, ORDER_TOTALS if order_totals else None)
    add_table(book, "Items", orders.items, ITEM_TOTALS)
    accounts = book.add_worksheet("Accounts")
    for row_number, row in enumerate(ACCOUNT_ROWS):
        accounts.write_row(row_number, 0, row)
    book.close()
    return path


def test_the_total_rows_of_tables_are_not_read(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    plain = OrderBook().save(tmp_path / "plain" / "orders.xlsx")
    expected = export_workbook(plain, ExportOptions(), NOW).iif_path
    assert expected is not None

    path = tables_workbook(tmp_path / "orders.xlsx")
    grids = {reader: reader(path, "Orders") for reader in (calamine_grid, openpyxl_grid)}
    assert grids[calamine_grid][3][:3] == ["Total", "", 2.0]  # the total row, row 4

    result = export_workbook(path, ExportOptions(), NOW)

    assert [order.order_id for order in result.orders] == ["1001", "1002"]
    assert dict(result.skipped) == {}
    assert result.iif_path == tmp_path / BATCH
    assert result.iif_path.read_bytes() == expected.read_bytes()
    # Only the Exported cells of the two orders changed; the total row is as it was.
    for reader, before in grids.items():
        blank = "" if reader is calamine_grid else None
        assert changed_cells(before, reader(path, "Orders"), blank) == {"O2": MARK, "O3": MARK}


@pytest.mark.parametrize(
    ("order_totals", "expected"),
    [
        (True, ["Orders!O4: the cell shows the error #DIV/0!; correct its formula or value"]),
        (
            False,
            [
                "Items!A5: order Total is not on the Orders sheet; fix the Order ID or delete "
                "this item row"
            ],
        ),
    ],
)
def test_without_a_table_the_same_rows_are_read_as_rows(
    tmp_path: Path, order_totals: bool, expected: list[str]
) -> None:
    path = tables_workbook(tmp_path / "orders.xlsx", order_totals=order_totals)
    # The same workbook with the tables' parts taken out of the sheets' relationships.
    with zipfile.ZipFile(path) as book:
        rels = {
            name: book.read(name)
            for name in book.namelist()
            if name.startswith("xl/worksheets/_rels/")
        }
    for name in rels:
        replace_member(
            path,
            name,
            b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"/>',
        )

    assert [str(problem) for problem in failed_export(path)] == expected


TABLE = (
    '<table xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" id="2" '
    'name="ItemsTable" displayName="ItemsTable" {attributes}>'
    '<tableColumns count="1"><tableColumn id="1" name="Order ID"/></tableColumns></table>'
)


@pytest.mark.parametrize(
    ("attributes", "totals"),
    [
        ('ref="A1:E5" totalsRowCount="1"', [(5, 1, 5)]),
        ('ref="$B$2:$D$9" totalsRowCount="1"', [(9, 2, 4)]),
        ('ref="A1:E5" totalsRowCount="3"', [(5, 1, 5)]),  # Excel writes one at most
        ('ref="A1:E5"', []),
        ('ref="A1:E5" totalsRowCount="0" totalsRowShown="1"', []),
        ('ref="A1:E5" totalsRowCount="one"', []),
        ('ref="A1:E1" totalsRowCount="1"', []),  # the header row alone
        ('ref="A1" totalsRowCount="1"', []),
        ('ref="Items!A1:E5" totalsRowCount="1"', []),
    ],
)
def test_a_total_row_is_taken_only_from_a_table_that_declares_one(
    tmp_path: Path, attributes: str, totals: list[tuple[int, int, int]]
) -> None:
    path = tables_workbook(tmp_path / "orders.xlsx")
    replace_member(path, "xl/tables/table2.xml", TABLE.format(attributes=attributes).encode())
    with zipfile.ZipFile(path) as book:
        assert table_totals(book, "xl/worksheets/sheet2.xml") == totals


@pytest.mark.parametrize(
    "table",
    [
        b"<table",  # not well-formed
        b'<!DOCTYPE t [<!ENTITY e "x">]><table ref="A1:E5" totalsRowCount="1"/>',
        None,  # the part is missing
    ],
)
def test_a_table_part_that_cannot_be_read_is_passed_over(
    tmp_path: Path, table: bytes | None
) -> None:
    path = tables_workbook(tmp_path / "orders.xlsx")
    if table is None:
        rels = b"""<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/table" Target="../tables/nowhere.xml"/>
</Relationships>"""
        replace_member(path, "xl/worksheets/_rels/sheet2.xml.rels", rels)
    else:
        replace_member(path, "xl/tables/table2.xml", table)
    with zipfile.ZipFile(path) as book:
        assert table_totals(book, "xl/worksheets/sheet2.xml") == []
        assert table_totals(book, "xl/worksheets/sheet1.xml") == [(4, 1, 15)]


def test_a_sheet_of_many_tables_gives_at_most_a_bounded_number_of_total_rows(
    tmp_path: Path,
) -> None:
    path = tables_workbook(tmp_path / "orders.xlsx")
    relationships = "".join(
        f'<Relationship Id="rId{number}" Type="http://schemas.openxmlformats.org/'
        f'officeDocument/2006/relationships/table" Target="../tables/table2.xml"/>'
        for number in range(MAX_TOTAL_ROWS + 5)
    )
    rels = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f"{relationships}</Relationships>"
    )
    replace_member(path, "xl/worksheets/_rels/sheet2.xml.rels", rels.encode())
    with zipfile.ZipFile(path) as book:
        assert table_totals(book, "xl/worksheets/sheet2.xml") == [(5, 1, 5)] * MAX_TOTAL_ROWS
