"""Write samples/orders.xlsx, the sample order workbook a new user exports first.

A dozen orders of a small web shop in March 2026: ten completed (one of them exported last
week), one pending, one cancelled; US orders with state tax, a Canadian order with GST,
discounts, a sale, and a customer whose name has accented letters. Run it from the
repository's top folder (it needs openpyxl, part of the test extra):

    python samples/build_sample.py

then regenerate the expected IIF with ``pytest tests/test_golden.py --update-golden``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

HERE = Path(__file__).resolve().parent

ORDER_HEADERS = [
    "Order ID",
    "Order Date",
    "Status",
    "Customer",
    "Company",
    "Email",
    "Phone",
    "Bill Address 1",
    "Bill Address 2",
    "Bill City",
    "Bill State",
    "Bill Zip",
    "Bill Country",
    "Ship Name",
    "Ship Address 1",
    "Ship Address 2",
    "Ship City",
    "Ship State",
    "Ship Zip",
    "Ship Country",
    "Subtotal",
    "Discount",
    "Sale",
    "State Tax",
    "Country Tax",
    "Shipping",
    "Total",
    "Payment Method",
    "Ship Method",
    "PO Number",
    "Memo",
    "Exported",
]
ITEM_HEADERS = ["Order ID", "SKU", "Description", "Quantity", "Unit Price", "Line Total", "Taxable"]

CUSTOMERS = {
    "ada": (
        "Ada Lovelace",
        "",
        "ada@example.com",
        "555-0101",
        ("12 Analytical Way", "", "Portland", "OR", "97201", "USA"),
    ),
    "grace": (
        "Grace Hopper",
        "Cobol Works Inc",
        "grace@example.com",
        "555-0102",
        ("1 Compiler Court", "Suite 200", "Arlington", "VA", "22201", "USA"),
    ),
    "jose": (
        "Jos\u00e9 M\u00fcller",
        "",
        "jose@example.com",
        "555-0103",
        ("8 Rue de la Paix", "", "Austin", "TX", "78701", "USA"),
    ),
    "linus": (
        "Linus Pauling",
        "",
        "linus@example.com",
        "555-0104",
        ("42 Helix Road", "", "Pasadena", "CA", "91101", "USA"),
    ),
    "marie": (
        "Marie Tremblay",
        "Tremblay Crafts",
        "marie@example.ca",
        "514-555-0105",
        ("300 Rue Sainte-Catherine", "", "Montreal", "QC", "H2X 1L4", "Canada"),
    ),
}

PRODUCTS = {
    "MUG-11": ("Ceramic mug, 11 oz", Decimal("12.50"), True),
    "TEE-M": ("Organic T-shirt, size M", Decimal("24.00"), True),
    "TEE-L": ("Organic T-shirt, size L", Decimal("24.00"), True),
    "CARD-5": ("Greeting cards, pack of 5", Decimal("8.75"), True),
    "BOOK-101": ("Field guide to coffee", Decimal("19.99"), False),
    "GIFT-25": ("Gift card $25", Decimal("25.00"), False),
}

# id, day, status, customer, items [(sku, qty)], discount, sale, state tax rate, GST, shipping,
# payment, ship method, PO, memo, exported
ORDERS = [
    (
        1001,
        2,
        "Completed",
        "ada",
        [("MUG-11", 2)],
        "0",
        "0",
        "0.0",
        "0",
        "6.95",
        "Visa",
        "USPS Priority",
        "",
        "",
        "2026-03-09 09:15 orders-20260309-091500.iif",
    ),
    (
        1002,
        3,
        "Completed",
        "grace",
        [("TEE-M", 3), ("TEE-L", 2)],
        "12.00",
        "0",
        "0.053",
        "0",
        "9.50",
        "MasterCard",
        "UPS Ground",
        "PO-7731",
        "Team shirts",
        "",
    ),
    (
        1003,
        4,
        "Completed",
        "jose",
        [("BOOK-101", 1), ("CARD-5", 2)],
        "0",
        "0",
        "0.0825",
        "0",
        "5.00",
        "PayPal",
        "USPS Priority",
        "",
        "Gift wrap, please.\nNo invoice in the box.",
        "",
    ),
    (
        1004,
        5,
        "Pending",
        "linus",
        [("MUG-11", 4)],
        "0",
        "0",
        "0.0725",
        "0",
        "8.00",
        "Visa",
        "UPS Ground",
        "",
        "",
        "",
    ),
    (
        1005,
        6,
        "Completed",
        "marie",
        [("TEE-M", 1), ("MUG-11", 1)],
        "0",
        "0",
        "0.0",
        "0.05",
        "14.00",
        "Visa",
        "Canada Post",
        "",
        "",
        "",
    ),
    (
        1006,
        7,
        "Completed",
        "ada",
        [("GIFT-25", 2)],
        "0",
        "0",
        "0.0",
        "0",
        "0",
        "Visa",
        "",
        "",
        "Gift cards by email",
        "",
    ),
    (
        1007,
        8,
        "Cancelled",
        "grace",
        [("CARD-5", 10)],
        "0",
        "0",
        "0.053",
        "0",
        "6.00",
        "MasterCard",
        "UPS Ground",
        "",
        "",
        "",
    ),
    (
        1008,
        9,
        "Completed",
        "linus",
        [("CARD-5", 3), ("MUG-11", 1)],
        "0",
        "5.00",
        "0.0725",
        "0",
        "6.95",
        "PayPal",
        "USPS Priority",
        "",
        "Spring sale",
        "",
    ),
    (
        1009,
        10,
        "completed",
        "jose",
        [("TEE-L", 1)],
        "2.40",
        "0",
        "0.0825",
        "0",
        "5.00",
        "Visa",
        "USPS Priority",
        "",
        "",
        "",
    ),
    (
        1010,
        11,
        "Completed",
        "grace",
        [("BOOK-101", 5)],
        "10.00",
        "0",
        "0.053",
        "0",
        "12.00",
        "MasterCard",
        "FedEx 2Day",
        "PO-7790",
        "",
        "",
    ),
    (
        1011,
        12,
        "Completed",
        "marie",
        [("CARD-5", 2)],
        "0",
        "0",
        "0.0",
        "0.05",
        "9.00",
        "PayPal",
        "Canada Post",
        "",
        "",
        "",
    ),
    (
        1012,
        13,
        "Completed",
        "ada",
        [("MUG-11", 1), ("TEE-M", 1), ("CARD-5", 1)],
        "0",
        "0",
        "0.0",
        "0",
        "6.95",
        "Visa",
        "USPS Priority",
        "",
        "",
        "",
    ),
]

ACCOUNTS = [
    ("Accounts Receivable", "Accounts Receivable", ""),
    ("Bank", "Undeposited Funds", ""),
    ("Item Subtotal", "Sales:Web Store", ""),
    ("State/Province Tax", "Sales Tax Payable", "State Tax"),
    ("Country Tax", "GST Payable", "GST"),
    ("Shipping", "Shipping Income", "Shipping"),
    ("Discount", "Sales Discounts", "Discount"),
    ("Sale", "Sales Discounts:Sale Markdowns", "Sale"),
]

CENT = Decimal("0.01")


def cents(value: Decimal) -> Decimal:
    """Round to cents, half up."""
    return value.quantize(CENT, rounding="ROUND_HALF_UP")


def build(path: Path) -> None:
    """Write the sample workbook to ``path``."""
    book = Workbook()
    orders = book.active
    assert orders is not None
    orders.title = "Orders"
    items = book.create_sheet("Items")
    accounts = book.create_sheet("Accounts")
    orders.append(ORDER_HEADERS)
    items.append(ITEM_HEADERS)
    accounts.append(["Role", "Account", "Item"])
    for order in ORDERS:
        (
            order_id,
            day,
            status,
            who,
            lines,
            discount,
            sale,
            tax_rate,
            gst,
            shipping,
            payment,
            ship_method,
            po_number,
            memo,
            exported,
        ) = order
        name, company, email, phone, address = CUSTOMERS[who]
        subtotal = Decimal("0")
        taxable = Decimal("0")
        for sku, quantity in lines:
            description, price, is_taxable = PRODUCTS[sku]
            amount = cents(price * quantity)
            subtotal += amount
            taxable += amount if is_taxable else 0
            items.append(
                [
                    order_id,
                    sku,
                    description,
                    quantity,
                    float(price),
                    None,
                    "Y" if is_taxable else "N",
                ]
            )
        state_tax = cents(taxable * Decimal(tax_rate))
        country_tax = cents((subtotal - Decimal(discount)) * Decimal(gst))
        total = (
            subtotal
            - Decimal(discount)
            - Decimal(sale)
            + state_tax
            + country_tax
            + Decimal(shipping)
        )
        orders.append(
            [
                order_id,
                dt.date(2026, 3, day),
                status,
                name,
                company,
                email,
                phone,
                address[0],
                address[1],
                address[2],
                address[3],
                address[4],
                address[5],
                "",
                address[0],
                address[1],
                address[2],
                address[3],
                address[4],
                address[5],
                float(subtotal),
                float(discount),
                float(sale),
                float(state_tax),
                float(country_tax),
                float(shipping),
                float(total),
                payment,
                ship_method,
                po_number,
                memo,
                exported or None,
            ]
        )
    for row in ACCOUNTS:
        accounts.append(list(row))
    for sheet, widths in ((orders, 14), (items, 16), (accounts, 30)):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for column in range(1, sheet.max_column + 1):
            sheet.column_dimensions[get_column_letter(column)].width = widths
    for cells in orders.iter_rows(min_row=2):
        cells[1].number_format = "yyyy-mm-dd"
        for cell in cells[20:27]:
            cell.number_format = "#,##0.00"
    orders.column_dimensions["AF"].width = 44
    for cells in items.iter_rows(min_row=2):
        cells[4].number_format = "#,##0.00"
    fixed = dt.datetime(2026, 3, 14, 12, 0, 0)
    book.properties.created = fixed
    book.properties.modified = fixed
    book.save(path)


if __name__ == "__main__":
    build(HERE / "orders.xlsx")
