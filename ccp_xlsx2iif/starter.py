"""The starter workbook ``ccp-xlsx2iif init`` writes: the contract's sheets, ready to fill.

Orders, Items, Accounts and Settings sheets with the contract's headers, number and date
formats, a drop-down for Status, frozen header rows and column widths; the eight roles with
example account names; and two completed example orders that export as they stand.
"""

from __future__ import annotations

import datetime as dt
from contextlib import suppress
from pathlib import Path
from typing import Any

from ccp_xlsx2iif.contract import ITEMS, ORDERS, ROLES, Kind, SheetSpec
from ccp_xlsx2iif.files import DISK_HINT, create_file, workbook_bytes
from ccp_xlsx2iif.problems import FileProblem

STARTER_NAME = "orders.xlsx"
ORDER_HEADERS = ORDERS.headers
ITEM_HEADERS = ITEMS.headers
DATE_FORMAT = "yyyy-mm-dd"
MONEY_FORMAT = "#,##0.00"
# Formats by kind of column, for the rows a user fills in.
FORMATS = {Kind.DATE: DATE_FORMAT, Kind.MONEY: MONEY_FORMAT, Kind.PRICE: MONEY_FORMAT}
FORMATTED_ROWS = 1000
STATUSES = ("Completed", "Pending", "Cancelled", "Refunded")
EXAMPLE_ACCOUNTS = {
    "Accounts Receivable": ("Accounts Receivable", "", "Accounts Receivable"),
    "Bank": ("Undeposited Funds", "", "Other Current Asset"),
    "Item Subtotal": ("Sales", "", "Income"),
    "State/Province Tax": ("Sales Tax Payable", "State Sales Tax", "Other Current Liability"),
    "Country Tax": ("Sales Tax Payable", "Country Tax", "Other Current Liability"),
    "Shipping": ("Shipping Income", "Shipping", "Income"),
    "Discount": ("Sales Discounts", "Discount", "Income"),
    "Sale": ("Sales Discounts", "Sale", "Income"),
}
EXAMPLE_ORDERS: tuple[dict[str, Any], ...] = (
    {
        "Order ID": 1001, "Order Date": dt.date(2026, 1, 5), "Status": "Completed",
        "Customer": "Ada Lovelace", "Email": "ada@example.com", "Phone": "555-0101",
        "Bill Address 1": "12 Analytical Way", "Bill City": "Portland", "Bill State": "OR",
        "Bill Zip": "97201", "Bill Country": "USA", "Subtotal": 37.5, "Discount": 0, "Sale": 0,
        "State Tax": 0, "Country Tax": 0, "Shipping": 6.95, "Total": 44.45,
        "Payment Method": "Visa", "Ship Method": "USPS Priority",
    },
    {
        "Order ID": 1002, "Order Date": dt.date(2026, 1, 6), "Status": "Completed",
        "Customer": "Grace Hopper", "Company": "Cobol Works Inc", "Email": "grace@example.com",
        "Bill Address 1": "1 Compiler Court", "Bill City": "Arlington", "Bill State": "VA",
        "Bill Zip": "22201", "Bill Country": "USA", "Subtotal": 48, "Discount": 4.8, "Sale": 0,
        "State Tax": 2.29, "Country Tax": 0, "Shipping": 9.5, "Total": 54.99,
        "Payment Method": "MasterCard", "Ship Method": "UPS Ground", "PO Number": "PO-7731",
    },
)  # fmt: skip
EXAMPLE_ITEMS = (
    (1001, "MUG-11", "Ceramic mug, 11 oz", 2, 12.5, "Y"),
    (1001, "CARD-5", "Greeting cards, pack of 5", 1, 12.5, "Y"),
    (1002, "TEE-M", "Organic T-shirt, size M", 2, 24, "Y"),
)


def write_starter(folder: Path) -> Path:
    """Write ``orders.xlsx`` in ``folder`` (made if need be); refuse if the file exists."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    path = folder / STARTER_NAME
    if path.exists():
        raise _exists(path)
    if folder.exists() and not folder.is_dir():
        raise FileProblem(f"{folder}: not a folder", hint="Give a folder: ccp-xlsx2iif init FOLDER")
    book = Workbook()
    orders = book.active
    assert orders is not None  # noqa: S101 - a new workbook always has one sheet
    orders.title = "Orders"
    orders.append(ORDER_HEADERS)
    for order in EXAMPLE_ORDERS:
        orders.append([order.get(header) for header in ORDER_HEADERS])
    _format_columns(orders, ORDERS)
    status = DataValidation(
        type="list",
        formula1='"' + ",".join(STATUSES) + '"',
        allow_blank=True,
        showErrorMessage=False,  # a shop's own statuses may be typed in too
    )
    letter = get_column_letter(ORDER_HEADERS.index("Status") + 1)
    status.add(f"{letter}2:{letter}{FORMATTED_ROWS}")
    orders.add_data_validation(status)

    items = book.create_sheet("Items")
    items.append(ITEM_HEADERS)
    for order_id, sku, description, quantity, price, taxable in EXAMPLE_ITEMS:
        items.append([order_id, sku, description, quantity, price, None, taxable])
    _format_columns(items, ITEMS)

    accounts = book.create_sheet("Accounts")
    accounts.append(("Role", "Account", "Item", "Type"))
    for role in ROLES:
        if role.required:
            accounts.append((role.name, *EXAMPLE_ACCOUNTS[role.name]))

    settings = book.create_sheet("Settings")
    settings.append(("Setting", "Value"))
    settings.append(("Status", "Completed"))
    settings.append(("Date Format", "us"))

    widths = {"Orders": 16, "Items": 18, "Accounts": 30, "Settings": 20}
    for sheet in book.worksheets:
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for column in range(1, sheet.max_column + 1):
            sheet.column_dimensions[get_column_letter(column)].width = widths[sheet.title]
    orders.column_dimensions["D"].width = 22
    orders.column_dimensions[get_column_letter(len(ORDER_HEADERS))].width = 44
    made = [parent for parent in (folder, *folder.parents) if not parent.exists()]
    try:
        content = workbook_bytes(book)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            _remove_empty(made)
            raise FileProblem(
                f"{folder}: cannot be created ({error.strerror or error})", hint=DISK_HINT
            ) from None
        create_file(path, content)
    except FileExistsError:  # made meanwhile
        raise _exists(path) from None
    except OSError as error:
        _remove_empty(made)
        raise FileProblem(
            f"{path}: cannot be written ({error.strerror or error}); nothing was written",
            hint=DISK_HINT,
        ) from None
    return path


def _exists(path: Path) -> FileProblem:
    return FileProblem(
        f"{path}: the file exists already; init never overwrites a workbook",
        hint="Give another folder: ccp-xlsx2iif init FOLDER",
    )


def _remove_empty(folders: list[Path]) -> None:
    """Remove the folders init made for a workbook it could not write, deepest first."""
    for folder in folders:
        with suppress(OSError):
            folder.rmdir()


def _format_columns(sheet: Any, spec: SheetSpec) -> None:
    """Give the date and amount columns of a sheet their number formats, rows 2 to 1000."""
    for index, column in enumerate(spec.columns, start=1):
        number_format = FORMATS.get(column.kind)
        if number_format is None:
            continue
        for (cell,) in sheet.iter_rows(
            min_row=2, max_row=FORMATTED_ROWS, min_col=index, max_col=index
        ):
            cell.number_format = number_format
