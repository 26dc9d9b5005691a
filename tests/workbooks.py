"""Order workbooks for tests, written as real .xlsx files with openpyxl.

``OrderBook()`` holds two valid completed orders (1001 with two items and state tax, 1002 with
a discount and shipping) and the eight accounts; a test changes what it checks, then saves.
Rows are dicts keyed by header; a sheet's columns are the headers in the order first met.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook

Rows = list[dict[str, Any]]

ACCOUNT_ROWS: list[list[Any]] = [
    ["Role", "Account", "Item", "Type", "Item Type"],
    ["Accounts Receivable", "Accounts Receivable", ""],
    ["Bank", "Undeposited Funds", ""],
    ["Item Subtotal", "Sales:Web Store", ""],
    ["State/Province Tax", "Sales Tax Payable", "State Tax"],
    ["Country Tax", "GST Payable", "GST"],
    ["Shipping", "Shipping Income", "Shipping"],
    ["Discount", "Sales Discounts", "Discount"],
    ["Sale", "Sales Discounts:Sale Markdowns", "Sale"],
]


def default_orders() -> Rows:
    return [
        {
            "Order ID": 1001,
            "Order Date": dt.date(2026, 3, 2),
            "Status": "Completed",
            "Customer": "Ada Lovelace",
            "Bill Address 1": "12 Analytical Way",
            "Bill City": "Portland",
            "Bill State": "OR",
            "Bill Zip": "97201",
            "Subtotal": 37.5,
            "Discount": 0,
            "State Tax": 2.5,
            "Shipping": 0,
            "Total": 40.0,
            "Payment Method": "Visa",
            "Exported": None,
        },
        {
            "Order ID": 1002,
            "Order Date": dt.date(2026, 3, 3),
            "Status": "Completed",
            "Customer": "Grace Hopper",
            "Bill Address 1": "1 Compiler Court",
            "Bill City": "Arlington",
            "Bill State": "VA",
            "Bill Zip": "22201",
            "Subtotal": 24.0,
            "Discount": 4.0,
            "State Tax": 0,
            "Shipping": 5.95,
            "Total": 25.95,
            "Payment Method": "PayPal",
            "Exported": None,
        },
    ]


def default_items() -> Rows:
    return [
        {
            "Order ID": 1001,
            "SKU": "MUG-11",
            "Description": "Mug",
            "Quantity": 2,
            "Unit Price": 12.5,
        },
        {
            "Order ID": 1001,
            "SKU": "CARD-5",
            "Description": "Cards",
            "Quantity": 1,
            "Unit Price": 12.5,
        },
        {
            "Order ID": 1002,
            "SKU": "TEE-M",
            "Description": "T-shirt",
            "Quantity": 1,
            "Unit Price": 24,
        },
    ]


ALL_LISTS = Path(__file__).resolve().parent / "golden" / "chart-all-lists.iif"
# The items and customers of OrderBook's invoices that chart-all-lists.iif does not list.
UNLISTED_ITEMS = ("CARD-5", "TEE-M", "State Tax", "Discount")
UNLISTED_CUSTOMERS = ("Grace Hopper",)


def company_lists(
    folder: Path, name: str = "lists.iif", *, customers: tuple[str, ...] = UNLISTED_CUSTOMERS
) -> Path:
    """Write QuickBooks' export of all lists of a company that has what ``OrderBook`` names.

    It is chart-all-lists.iif with the items it lacks, and ``customers``, added to its lists.
    """
    rows = [f"INVITEM\t{item}\r\n" for item in UNLISTED_ITEMS]
    rows += [f"CUST\t{customer}\r\n" for customer in customers]
    path = folder / name
    path.write_bytes(ALL_LISTS.read_bytes() + "".join(rows).encode("ascii"))
    return path


def headers_of(rows: Rows) -> list[str]:
    headers: list[str] = []
    for row in rows:
        for key in row:
            if key not in headers:
                headers.append(key)
    return headers


@dataclass
class OrderBook:
    """The sheets of an order workbook as Python values; ``save`` writes the .xlsx."""

    orders: Rows = field(default_factory=default_orders)
    items: Rows = field(default_factory=default_items)
    accounts: list[list[Any]] | None = field(default_factory=lambda: [r[:] for r in ACCOUNT_ROWS])
    extra_sheets: dict[str, list[list[Any]]] = field(default_factory=dict)

    def drop_order_columns(self, *headers: str) -> OrderBook:
        """Remove columns from the Orders sheet (``Exported``, for a workbook without it)."""
        for row in self.orders:
            for header in headers:
                del row[header]
        return self

    def save(self, path: Path) -> Path:
        book = Workbook()
        first = book.active
        assert first is not None
        book.remove(first)
        write_rows(book.create_sheet("Orders"), self.orders)
        write_rows(book.create_sheet("Items"), self.items)
        if self.accounts is not None:
            sheet = book.create_sheet("Accounts")
            for row in self.accounts:
                sheet.append(row)
        for name, rows in self.extra_sheets.items():
            sheet = book.create_sheet(name)
            for row in rows:
                sheet.append(row)
        book.save(path)
        return path


def save_sheets(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    """Write a workbook of sheets given as rows of values (the first row is the header)."""
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def write_rows(sheet: Any, rows: Rows) -> None:
    headers = headers_of(rows)
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(header) for header in headers])


def members(path: Path) -> dict[str, bytes]:
    """Return every zip member of a workbook, uncompressed."""
    with zipfile.ZipFile(path) as book:
        return {info.filename: book.read(info) for info in book.infolist()}


def sheet_xml(path: Path, sheet_number: int = 1) -> bytes:
    with zipfile.ZipFile(path) as book:
        return book.read(f"xl/worksheets/sheet{sheet_number}.xml")


def replace_member(path: Path, name: str, data: bytes) -> None:
    """Rewrite one zip member of a workbook (for fixtures no library writes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            out.writestr(info, data if info.filename == name else source.read(info))
    path.write_bytes(buffer.getvalue())


def saved_by_libreoffice(path: Path, kind: str, folder: Path) -> Path:
    """Open ``path`` in LibreOffice and save it as ``kind`` (ods, xls, csv...) in ``folder``.

    LibreOffice's profile is kept beside ``folder``, so that runs do not share one.
    """
    completed = subprocess.run(
        [
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{folder.parent / 'profile'}",
            "--convert-to",
            kind,
            "--outdir",
            str(folder),
            str(path),
        ],
        capture_output=True,
        timeout=180,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return folder / f"{path.stem}.{kind}"


HAS_LIBREOFFICE = shutil.which("soffice") is not None
