"""Numbers in text fields are written as Excel shows them: ZIP codes keep their leading zeros.

Excel keeps a ZIP code typed as 02134 as the number 2134, and shows the zero through the
cell's format (Format Cells > Special > Zip Code, ``00000``). A reader of values gives 2134;
the tool finds the format in the workbook's styles and writes ``02134`` into the IIF file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from openpyxl import load_workbook

from ccp_xlsx2iif.cells import zero_padded, zero_padded_pieces
from ccp_xlsx2iif.export import ExportOptions, export_workbook
from ccp_xlsx2iif.package import SheetFacts, ZeroPadded
from tests.conftest import NOW
from tests.iif_reader import read_iif
from tests.shops import shopify_export
from tests.workbooks import ACCOUNT_ROWS, OrderBook, headers_of, save_sheets


@pytest.mark.parametrize(
    ("number_format", "value", "shown"),
    [
        ("00000", 2134, "02134"),
        ("00000", 2134.0, "02134"),
        ("00000", 123456, "123456"),  # more digits than places: all shown
        ("00000", 0, "00000"),
        ("00000", 2134.5, 2134.5),  # not a whole number: as it is
        ("00000", -2134, -2134),
        ("00000-0000", 21340001, "02134-0001"),
        ("00000-0000", 2134, "00000-2134"),
        ("000-00-0000", 12345678, "012-34-5678"),
        ('"ZIP "00000', 501, "ZIP 00501"),
        ("00\\-000", 1234, "01-234"),
        ("#00", 7, "07"),
    ],
)
def test_a_zero_padding_format_shows_a_whole_number_as_excel_does(
    number_format: str, value: float, shown: object
) -> None:
    pieces = zero_padded_pieces(number_format)
    assert pieces is not None
    assert zero_padded(value, pieces) == shown


@pytest.mark.parametrize(
    "number_format",
    ["General", "0", "#,##0", "0.00", "00000;-00000", "[<=9999999]###-####;(###) ###-####", "@"],
)
def test_other_formats_do_not_pad(number_format: str) -> None:
    assert zero_padded_pieces(number_format) is None


def zip_book() -> OrderBook:
    """OrderBook with ZIP codes typed as numbers, and a Ship Zip column."""
    book = OrderBook()
    book.orders[0].update({"Bill Zip": 2134, "Ship Zip": 2134})
    book.orders[1].update({"Bill Zip": 501, "Ship Zip": 22201})
    for order in book.orders:
        order.update({"Ship Address 1": order["Bill Address 1"], "Ship City": "Boston"})
    return book


# Cells formatted to pad with zeros (Bill Zip and Ship Zip of order 1001, Bill Zip of 1002),
# and two that are not text fields: Order ID 1001 (matched with the Items sheet as 1001) and
# Quantity 2, which stay numbers.
FORMATS = {
    ("Orders", 2, "Bill Zip"): "00000",
    ("Orders", 2, "Ship Zip"): "00000",
    ("Orders", 3, "Bill Zip"): "00000-0000",
    ("Orders", 2, "Order ID"): "00000",
    ("Items", 2, "Quantity"): "00",
}


def save_with_openpyxl(book: OrderBook, path: Path) -> Path:
    book.save(path)
    workbook = load_workbook(path)
    for (sheet, row, header), number_format in FORMATS.items():
        rows = book.orders if sheet == "Orders" else book.items
        column = headers_of(rows).index(header) + 1
        workbook[sheet].cell(row, column).number_format = number_format
    workbook.save(path)
    return path


def save_with_xlsxwriter(book: OrderBook, path: Path) -> Path:
    workbook = xlsxwriter.Workbook(str(path), {"default_date_format": "yyyy-mm-dd"})
    formats = {text: workbook.add_format({"num_format": text}) for text in set(FORMATS.values())}
    for sheet, rows in (("Orders", book.orders), ("Items", book.items)):
        worksheet = workbook.add_worksheet(sheet)
        headers = headers_of(rows)
        worksheet.write_row(0, 0, headers)
        for row_number, row in enumerate(rows, start=2):
            for column, header in enumerate(headers):
                value: Any = row.get(header)
                number_format = FORMATS.get((sheet, row_number, header))
                if number_format is None:
                    worksheet.write(row_number - 1, column, value)
                else:
                    worksheet.write_number(row_number - 1, column, value, formats[number_format])
    accounts = workbook.add_worksheet("Accounts")
    for row_number, account_row in enumerate(ACCOUNT_ROWS):
        accounts.write_row(row_number, 0, account_row)
    workbook.close()
    return path


@pytest.mark.parametrize("save", [save_with_openpyxl, save_with_xlsxwriter])
def test_zip_codes_keep_the_zeros_their_format_shows(tmp_path: Path, save: Any) -> None:
    path = save(zip_book(), tmp_path / "orders.xlsx")

    result = export_workbook(path, ExportOptions(), NOW)

    assert result.iif_path is not None
    invoices = [t.trns for t in read_iif(result.iif_path.read_bytes()).transactions][::2]
    assert [(t["DOCNUM"], t["ADDR3"], t["SADDR3"]) for t in invoices] == [
        ("1001", "Portland, OR 02134", "Boston, 02134"),
        ("1002", "Arlington, VA 00000-0501", "Boston, 22201"),
    ]
    assert [line.quantity for line in result.orders[0].lines] == [2, 1]
    assert result.text_changes == ()


def test_the_apostrophe_before_a_zip_code_or_phone_number_of_a_csv_file_is_not_written(
    tmp_path: Path,
) -> None:
    shop = shopify_export()
    for row in shop.rows:
        if row["Name"] == "#1001":
            row.update(
                {
                    "Billing Zip": "'02134",
                    "Shipping Zip": "'02134",
                    "Billing Phone": "'+1 617 555 0100",
                    "Billing Company": "'t Hoekje",  # a name: its apostrophe is its own
                }
            )
    path = shop.save_csv(tmp_path / "orders_export_1.csv")
    accounts = save_sheets(tmp_path / "accounts.xlsx", {"Accounts": ACCOUNT_ROWS})

    result = export_workbook(path, ExportOptions(accounts=accounts), NOW)

    first = result.orders[0]
    assert (first.order_id, first.bill_zip, first.ship_zip, first.phone, first.company) == (
        "#1001",
        "02134",
        "02134",
        "+1 617 555 0100",
        "'t Hoekje",
    )
    assert result.iif_path is not None
    invoice = read_iif(result.iif_path.read_bytes()).transactions[0].trns
    assert (invoice["DOCNUM"], invoice["ADDR3"], invoice["SADDR3"]) == (
        "#1001",
        "Portland, OR 02134",
        "Portland, OR 02134",
    )
    assert result.text_changes == ()


@pytest.mark.parametrize("styles", [1, 100])
def test_the_number_cells_of_a_padding_style_are_found_in_the_sheet(styles: int) -> None:
    pieces = zero_padded_pieces("00000")
    assert pieces is not None
    padded = ZeroPadded(dict.fromkeys(range(3, 3 + styles), pieces))
    rows = (
        b'<row r="2"><c r="H2" s="3"><v>2134</v></c><c r="I2" s="3" t="n"><v>501</v></c>'
        b'<c r="J2" s="3" t="s"><v>0</v></c><c r="K2" s="2"><v>7</v></c>'
        b'<c r="AA2" s="3"/></row>'
    )
    facts = SheetFacts()
    padded.find(rows, facts)
    assert facts.padded == {(2, 8): pieces, (2, 9): pieces}
