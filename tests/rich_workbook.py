"""A workbook with what a bookkeeper's file really holds, written the way Excel writes it.

XlsxWriter writes formulas with their cached values, pictures, text boxes, sparklines, rich
text, tables, data bars and VBA projects, none of which openpyxl can write or keep; the
write-back must keep every one of them.
"""

from __future__ import annotations

import datetime as dt
import io
import struct
import zlib
from pathlib import Path

import xlsxwriter

ORDER_HEADERS = [
    "Order ID",
    "Order Date",
    "Status",
    "Customer",
    "Bill Address 1",
    "Bill City",
    "Bill State",
    "Bill Zip",
    "Subtotal",
    "Discount",
    "State Tax",
    "Shipping",
    "Total",
    "Payment Method",
    "Memo",
]


def tiny_png() -> bytes:
    """Return a valid 2x2 PNG picture."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00\x00\xff\x00" * 2)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def build_rich_workbook(
    path: Path, *, with_exported_column: bool, vba: bytes | None = None, merge: str = ""
) -> None:
    """Write an order workbook with everything a bookkeeper's workbook may hold.

    Formulas with cached values, styles, a comment, data validation, a chart, a picture, a
    text box, a sparkline, rich text, a data bar, a hyperlink and more sheets.
    """
    book = xlsxwriter.Workbook(str(path))
    if vba is not None:
        book.add_vba_project(io.BytesIO(vba), is_stream=True)
    bold = book.add_format({"bold": True, "bg_color": "#DDEEFF"})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    money = book.add_format({"num_format": "#,##0.00"})
    italic = book.add_format({"italic": True})

    orders = book.add_worksheet("Orders")
    headers = ORDER_HEADERS + (["Exported"] if with_exported_column else [])
    orders.write_row(0, 0, headers, bold)
    rows = [
        (
            1001,
            dt.datetime(2026, 3, 2),
            "Completed",
            "Ada Lovelace",
            "12 Analytical Way",
            "Portland",
            "OR",
            "97201",
            37.5,
            0,
            2.5,
            0,
            "Visa",
        ),
        (
            1002,
            dt.datetime(2026, 3, 3),
            "Completed",
            "Grace Hopper",
            "1 Compiler Court",
            "Arlington",
            "VA",
            "22201",
            24,
            4,
            0,
            5.95,
            "PayPal",
        ),
        (
            1003,
            dt.datetime(2026, 3, 4),
            "Pending",
            "Linus Pauling",
            "42 Helix Road",
            "Pasadena",
            "CA",
            "91101",
            50,
            0,
            3.63,
            8,
            "Visa",
        ),
        (
            1004,
            dt.datetime(2026, 3, 5),
            "Completed",
            "Marie Curie",
            "11 Rue Pierre",
            "Paris",
            "",
            "75005",
            12.5,
            0,
            0,
            0,
            "Visa",
        ),
    ]
    for index, row in enumerate(rows, start=1):
        (
            order_id,
            when,
            status,
            customer,
            street,
            city,
            state,
            zip_code,
            subtotal,
            discount,
            tax,
            shipping,
            payment,
        ) = row
        orders.write_number(index, 0, order_id)
        orders.write_datetime(index, 1, when, date)
        orders.write_row(index, 2, [status, customer, street, city, state, zip_code])
        orders.write_number(index, 8, subtotal, money)
        orders.write_number(index, 9, discount, money)
        orders.write_number(index, 10, tax, money)
        orders.write_number(index, 11, shipping, money)
        excel_row = index + 1
        total = subtotal - discount + tax + shipping
        orders.write_formula(
            index, 12, f"=I{excel_row}-J{excel_row}+K{excel_row}+L{excel_row}", money, total
        )
        orders.write_string(index, 13, payment)
    orders.write_rich_string(1, 14, "Leave at the ", italic, "back door", " please")
    orders.write_comment("D2", "Regular customer since 2019")
    orders.data_validation(
        "C2:C100", {"validate": "list", "source": ["Completed", "Pending", "Cancelled"]}
    )
    orders.conditional_format("M2:M5", {"type": "data_bar", "data_bar_2010": True})
    orders.add_sparkline("Q2", {"range": "Orders!I2:L2"})
    orders.write_url("R2", "https://example.com/orders/1001", string="Shop page")
    orders.insert_image("S2", "dot.png", {"image_data": io.BytesIO(tiny_png())})
    orders.insert_textbox("S6", "Orders of March, checked by the bookkeeper")
    if merge:
        orders.merge_range(merge, "see note")
    orders.freeze_panes(1, 0)
    orders.set_column("A:A", 10)
    orders.set_column("D:D", 22)
    orders.autofilter(0, 0, 4, len(headers) - 1)

    items = book.add_worksheet("Items")
    items.write_row(
        0, 0, ["Order ID", "SKU", "Description", "Quantity", "Unit Price", "Line Total"], bold
    )
    lines = [
        (1001, "MUG-11", "Mug", 2, 12.5),
        (1001, "CARD-5", "Cards", 1, 12.5),
        (1002, "TEE-M", "T-shirt", 1, 24),
        (1003, "BOOK-1", "Book", 2, 25),
        (1004, "MUG-11", "Mug", 1, 12.5),
    ]
    for index, (order_id, sku, description, quantity, price) in enumerate(lines, start=1):
        items.write_row(index, 0, [order_id, sku, description, quantity, price])
        items.write_formula(index, 5, f"=D{index + 1}*E{index + 1}", money, quantity * price)

    accounts = book.add_worksheet("Accounts")
    accounts.write_row(0, 0, ["Role", "Account", "Item"], bold)
    for index, account_row in enumerate(
        [
            ("Accounts Receivable", "Accounts Receivable", ""),
            ("Bank", "Undeposited Funds", ""),
            ("Item Subtotal", "Sales", ""),
            ("State/Province Tax", "Sales Tax Payable", "State Tax"),
            ("Country Tax", "Sales Tax Payable", "Country Tax"),
            ("Shipping", "Shipping Income", "Shipping"),
            ("Discount", "Discounts", "Discount"),
            ("Sale", "Discounts", "Sale"),
        ],
        start=1,
    ):
        accounts.write_row(index, 0, account_row)

    report = book.add_worksheet("Report")
    report.write_row(0, 0, ["Month", "Sales"], bold)
    report.write_row(1, 0, ["March", 124.0])
    report.write_formula(2, 1, "=SUM(Orders!M2:M5)", money, 148.33)
    chart = book.add_chart({"type": "column"})
    chart.add_series({"values": "=Report!$B$2:$B$3", "name": "Sales"})
    report.insert_chart("D2", chart)
    book.close()
