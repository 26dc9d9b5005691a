"""A corpus of malformed inputs, each with the exact first line of its message.

Every case runs the real command on a real file and proves: the exit code, the first line the
user reads, no traceback, no IIF file, and the workbook byte-identical.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner

from ccp_xlsx2iif import cli
from tests.conftest import NOW
from tests.workbooks import OrderBook, replace_member, sheet_xml

Build = Callable[[Path], tuple[Path, list[str]]]


@dataclass(frozen=True)
class Case:
    build: Build
    code: int
    first_line: str


def book(change: Callable[[OrderBook], object] | None = None, name: str = "orders.xlsx") -> Build:
    """Build an OrderBook with ``change`` applied, saved as ``name``."""

    def build(folder: Path) -> tuple[Path, list[str]]:
        order_book = OrderBook()
        if change is not None:
            change(order_book)
        return order_book.save(folder / name), []

    return build


def raw_file(name: str, content: bytes) -> Build:
    def build(folder: Path) -> tuple[Path, list[str]]:
        path = folder / name
        path.write_bytes(content)
        return path, []

    return build


def edited(
    edit: Callable[[Path], object], change: Callable[[OrderBook], object] | None = None
) -> Build:
    """Build a workbook, then edit the saved file (with openpyxl or at the XML level)."""

    def build(folder: Path) -> tuple[Path, list[str]]:
        path, args = book(change)(folder)
        edit(path)
        return path, args

    return build


def with_openpyxl(edit: Callable[[Workbook], object]) -> Callable[[Path], None]:
    def apply(path: Path) -> None:
        workbook = load_workbook(path)
        edit(workbook)
        workbook.save(path)

    return apply


def order(index: int, **values: object) -> Callable[[OrderBook], object]:
    def change(order_book: OrderBook) -> None:
        order_book.orders[index].update(values)

    return change


def item(index: int, **values: object) -> Callable[[OrderBook], object]:
    def change(order_book: OrderBook) -> None:
        order_book.items[index].update(values)

    return change


def accounts_of(order_book: OrderBook) -> list[list[object]]:
    assert order_book.accounts is not None
    return order_book.accounts


def account(row: int, column: int, value: object) -> Callable[[OrderBook], object]:
    def change(order_book: OrderBook) -> None:
        assert order_book.accounts is not None
        order_book.accounts[row][column] = value

    return change


def drop_column(sheet: str, header: str) -> Callable[[OrderBook], object]:
    def change(order_book: OrderBook) -> None:
        for row in getattr(order_book, sheet):
            row.pop(header, None)

    return change


def no_sheet(name: str) -> Callable[[OrderBook], object]:
    def change(order_book: OrderBook) -> None:
        if name == "accounts":
            order_book.accounts = None
        else:
            setattr(order_book, name, [])

    return change


def insert_rows_above_header(workbook: Workbook) -> None:
    sheet = workbook["Orders"]
    sheet.insert_rows(1, 2)
    sheet["A1"] = "Orders export of March"


def merge_header(workbook: Workbook) -> None:
    workbook["Orders"].merge_cells("B1:C1")


def set_cell(sheet: str, cell: str, value: str) -> Callable[[Workbook], None]:
    def edit(workbook: Workbook) -> None:
        workbook[sheet][cell] = value

    return edit


def formatted_number(
    sheet: str, cell: str, value: float, number_format: str
) -> Callable[[Workbook], None]:
    """Write a number in a cell of the given number format (a date, a time, a duration)."""

    def edit(workbook: Workbook) -> None:
        workbook[sheet][cell] = value
        workbook[sheet][cell].number_format = number_format

    return edit


def in_xml(sheet_number: int, old: bytes, new: bytes) -> Callable[[Path], None]:
    """Replace text in a sheet's XML, for what no library writes."""

    def edit(path: Path) -> None:
        name = f"xl/worksheets/sheet{sheet_number}.xml"
        replace_member(path, name, sheet_xml(path, sheet_number).replace(old, new))

    return edit


def declared_encoding(member: str, encoding: bytes) -> Callable[[Path], None]:
    """Give a part of the workbook an XML declaration naming ``encoding``."""

    def edit(path: Path) -> None:
        with zipfile.ZipFile(path) as archive:
            data = archive.read(member)
        if data.startswith(b"<?xml"):
            data = data[data.index(b"?>") + 2 :]
        replace_member(path, member, b'<?xml version="1.0" encoding="' + encoding + b'"?>' + data)

    return edit


def a_zip_of(name: str, member: str, content: bytes) -> Build:
    def build(folder: Path) -> tuple[Path, list[str]]:
        path = folder / name
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr(member, content)
        return path, []

    return build


def beside(build: Build, neighbour: str, content: bytes = b"") -> Build:
    def build_with(folder: Path) -> tuple[Path, list[str]]:
        path, args = build(folder)
        (folder / neighbour.format(name=path.name)).write_bytes(content)
        return path, args

    return build_with


def lock_held_by_a_live_process(folder: Path) -> tuple[Path, list[str]]:
    path, args = book()(folder)
    holder = f'{{"pid": {os.getpid()}, "host": "{__import__("socket").gethostname()}", '
    holder += f'"started": "{NOW.isoformat()}"}}'
    (folder / ".orders.xlsx.ccp-xlsx2iif.lock").write_text(holder)
    return path, args


def read_only(folder: Path) -> tuple[Path, list[str]]:
    path, args = book()(folder)
    path.chmod(0o444)
    return path, args


def rounded_down(order_book: OrderBook) -> None:
    """3 x 3.335 = 10.005, which is 10.01 in cents; the shop rounded it down to 10.00."""
    order_book.items[2].update({"Quantity": 3, "Unit Price": 3.335})
    order_book.orders[1].update({"Subtotal": 10, "Discount": 0, "Shipping": 0, "Total": 10})


def a_folder(folder: Path) -> tuple[Path, list[str]]:
    path = folder / "orders.xlsx"
    path.mkdir()
    return path, []


def a_plain_folder(folder: Path) -> tuple[Path, list[str]]:
    path = folder / "books"
    path.mkdir()
    return path, []


def with_option(option: str, make: Callable[[Path], Path]) -> Build:
    """Build the sample workbook; export it with ``option`` naming what ``make`` leaves."""

    def build(folder: Path) -> tuple[Path, list[str]]:
        path, args = book()(folder)
        return path, [*args, option, str(make(folder))]

    return build


def made_folder(name: str) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        (folder / name).mkdir()
        return folder / name

    return make


def many_problems(order_book: OrderBook) -> None:
    template = order_book.orders[1]
    for number in range(2003, 2063):
        order_book.orders.append(dict(template, **{"Order ID": number, "Total": 1}))
        order_book.items.append(dict(order_book.items[2], **{"Order ID": number}))


TOTAL_OFF = (
    "Orders!M3: total {total} does not match subtotal 24.00 - discount 4.00 - sale 0.00 + "
    "taxes 0.00 + shipping 5.95 = 25.95 (order 1002)"
)
ROLES = (
    '"Accounts Receivable", "Bank", "Item Subtotal", "State/Province Tax", "Country Tax", '
    '"Shipping", "Discount", "Sale", "Sales Tax Item", "Tax Agency", "Chart File", '
    '"Customer Name Rule"'
)
EMPTY_PART = "has an empty part (':' at the start or end, or '::'); write it as Parent:Child"

CASES: dict[str, Case] = {
    # Files that are not workbooks.
    "not-a-zip": Case(
        raw_file("orders.xlsx", b"Order ID,Total\n1001,5\n"),
        3,
        "{workbook}: not a readable Excel workbook",
    ),
    "zip-not-a-workbook": Case(
        a_zip_of("orders.xlsx", "readme.txt", b"hello"), 3, "the workbook has no part _rels/.rels"
    ),
    "unknown-encoding": Case(
        edited(declared_encoding("xl/workbook.xml", b"bogus")),
        3,
        "the workbook's part xl/workbook.xml cannot be read as XML (unknown encoding: bogus)",
    ),
    "encoding-the-xml-parser-lacks": Case(
        edited(declared_encoding("xl/_rels/workbook.xml.rels", b"UTF-32")),
        3,
        "the workbook's part xl/_rels/workbook.xml.rels cannot be read as XML (multi-byte "
        "encodings are not supported)",
    ),
    "encrypted": Case(
        raw_file("orders.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)),
        3,
        "{workbook}: the workbook is protected by a password (or is an old .xls file)",
    ),
    "xls": Case(
        raw_file("orders.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"),
        3,
        "{workbook}: a .xls file; the tool reads Excel workbooks (.xlsx, .xlsm)",
    ),
    "ods": Case(
        raw_file("orders.ods", b"PK\x03\x04"),
        3,
        "{workbook}: a .ods file; the tool reads Excel workbooks (.xlsx, .xlsm)",
    ),
    "csv-without-accounts": Case(
        raw_file("orders.csv", b"Order ID,Total\n"),
        2,
        "{workbook}: a CSV file has no Accounts sheet; give the workbook that has it with "
        "--accounts FILE",
    ),
    "empty-file": Case(raw_file("orders.xlsx", b""), 3, "{workbook}: the file is empty"),
    "directory": Case(
        a_folder,
        3,
        "{workbook}: is a folder, not a workbook",
    ),
    "directory-without-suffix": Case(
        a_plain_folder,
        3,
        "{workbook}: is a folder, not a workbook",
    ),
    "chart-is-a-folder": Case(
        with_option("--chart", made_folder("accounts.iif")),
        3,
        "{folder}{sep}accounts.iif: is a folder, not a chart of accounts",
    ),
    "output-is-a-folder": Case(
        with_option("-o", made_folder("week")),
        2,
        "{folder}{sep}week: is a folder; -o names the IIF file to write",
    ),
    "output-is-a-folder-named-iif": Case(
        with_option("-o", made_folder("week.iif")),
        2,
        "{folder}{sep}week.iif: is a folder; -o names the IIF file to write",
    ),
    "templates-is-a-file": Case(
        with_option("--templates", lambda folder: folder / "orders.xlsx"),
        3,
        "{folder}{sep}orders.xlsx: not a folder",
    ),
    "templates-missing": Case(
        with_option("--templates", lambda folder: folder / "templates"),
        3,
        "{folder}{sep}templates: no such folder of templates",
    ),
    "missing-file": Case(
        lambda folder: (folder / "orders.xlsx", []), 3, "{workbook}: no such file"
    ),
    "damaged-zip": Case(
        edited(lambda p: p.write_bytes(p.read_bytes()[:-200])),
        3,
        "{workbook}: not a readable Excel workbook",
    ),
    # Sheets and headers.
    "no-orders-sheet": Case(
        edited(with_openpyxl(lambda w: w.remove(w["Orders"]))),
        1,
        'orders.xlsx: there is no sheet "Orders" (sheets found: "Items", "Accounts")',
    ),
    "empty-orders-sheet": Case(
        book(lambda b: setattr(b, "orders", [])),
        1,
        'Orders: missing columns "Order ID", "Order Date", "Status", '
        '"Customer", "Total"; the header row must be row 1 (columns found '
        "there: none)",
    ),
    "no-items-sheet": Case(
        edited(with_openpyxl(lambda w: w.remove(w["Items"]))),
        1,
        'orders.xlsx: there is no sheet "Items" (sheets found: "Orders", "Accounts")',
    ),
    "no-accounts-sheet": Case(
        book(no_sheet("accounts")),
        1,
        'orders.xlsx: there is no sheet "Accounts" (sheets found: "Orders", "Items")',
    ),
    "missing-columns": Case(
        book(drop_column("items", "Unit Price")),
        1,
        'Items: missing column "Unit Price"; the header row must be row 1 '
        '(columns found there: "Order ID", "SKU", "Description", "Quantity")',
    ),
    "header-in-row-3": Case(
        edited(with_openpyxl(insert_rows_above_header)),
        1,
        "Orders row 3: the headers are in row 3, but the header row must be "
        "row 1; delete the rows above it",
    ),
    "duplicate-headers": Case(
        book(lambda b: [r.update({"Order_ID": r["Order ID"]}) for r in b.items]),
        1,
        'Items!F1: a second "Order ID" column (the first is Items!A1); '
        "rename or remove one of them",
    ),
    # Merging B1:C1 empties C1, the Status header: that comes first, the merge right after.
    "merged-header": Case(
        edited(with_openpyxl(merge_header)),
        1,
        'Orders: missing column "Status"; the header row must be row 1 (columns '
        'found there: "Order ID", "Order Date", "Customer", "Bill Address 1", '
        '"Bill City", "Bill State", "Bill Zip", "Subtotal", "Discount", "State '
        'Tax", "Shipping", "Total", "Payment Method", "Exported")',
    ),
    # Values.
    "text-in-amount": Case(
        book(order(0, Shipping="free")),
        1,
        'Orders!L2: "free" is not an amount; write a number such as 19.99 (order 1001)',
    ),
    "european-amount": Case(
        book(order(1, Total="1.234,50")),
        1,
        'Orders!M3: "1.234,50" is written with a decimal comma; write it as a '
        "plain number such as 1234.50 (order 1002)",
    ),
    "negative-quantity": Case(
        book(item(2, Quantity=-1)),
        1,
        "Items!D4: quantity -1 must be more than 0; returns and refunds "
        "are not exported as orders (order 1002)",
    ),
    "zero-quantity": Case(
        book(item(2, Quantity=0)),
        1,
        "Items!D4: quantity 0 must be more than 0; returns and refunds are not "
        "exported as orders (order 1002)",
    ),
    "three-decimals": Case(
        book(order(1, Total=25.955)),
        1,
        "Orders!M3: 25.955 has more than 2 decimals; QuickBooks takes whole "
        "cents, so round it in the workbook (for a formula: =ROUND(..., 2)) "
        "(order 1002)",
    ),
    "error-na": Case(
        edited(with_openpyxl(set_cell("Orders", "M3", "#N/A"))),
        1,
        "Orders!M3: the cell shows the error #N/A; correct its formula or value (order 1002)",
    ),
    "error-ref": Case(
        edited(with_openpyxl(set_cell("Items", "E2", "#REF!"))),
        1,
        "Items!E2: the cell shows the error #REF!; correct its formula or value (order 1001)",
    ),
    # python-calamine makes a date, a time or a duration of a cell formatted as one, and stops
    # on a number none can be: it panics on a date before any calendar, and a duration beyond
    # Python's timedelta overflows. The sheet cannot be read; the message names the row.
    "date-before-any-calendar": Case(
        edited(with_openpyxl(formatted_number("Orders", "B3", -1e12, "yyyy-mm-dd"))),
        3,
        '{workbook}: the sheet "Orders" cannot be read: in row 3, a cell formatted as a date '
        "or time holds a number that no date or time can be",
    ),
    "duration-beyond-timedelta": Case(
        edited(with_openpyxl(formatted_number("Items", "D4", 2e9, "[h]:mm:ss"))),
        3,
        '{workbook}: the sheet "Items" cannot be read: in row 4, a cell formatted as a date '
        "or time holds a number that no date or time can be",
    ),
    # Excel writes a merged range from its top left corner; the corners of any other order
    # name the same cells.
    "merged-range-written-backwards": Case(
        edited(
            in_xml(
                1,
                b"</sheetData>",
                b'</sheetData><mergeCells count="1"><mergeCell ref="P9:O2"/></mergeCells>',
            )
        ),
        1,
        "Orders!O2: the Exported cell is part of merged cells; unmerge them and run again",
    ),
    "impossible-date": Case(
        book(order(0, **{"Order Date": "31/02/2026"})),
        1,
        'Orders!B2: "31/02/2026" is not a date; write it as YYYY-MM-DD '
        "(2026-03-14) or MM/DD/YYYY (03/14/2026), or format the cell as a "
        "date (order 1001)",
    ),
    "date-before-1990": Case(
        book(order(0, **{"Order Date": dt.date(1989, 12, 31)})),
        1,
        "Orders!B2: order date 1989-12-31 is not plausible; QuickBooks "
        "dates run from 1990 to a year from today (order 1001)",
    ),
    "date-years-ahead": Case(
        book(order(0, **{"Order Date": "2029-03-14"})),
        1,
        "Orders!B2: order date 2029-03-14 is not plausible; QuickBooks "
        "dates run from 1990 to a year from today (order 1001)",
    ),
    "uncalculated-formula": Case(
        edited(with_openpyxl(set_cell("Orders", "M3", "=I3-J3+L3"))),
        1,
        "Orders!M3: the formula in this cell has no calculated value "
        "(the workbook was saved by a program that does not calculate); "
        "open the workbook in Excel, save it, and run again (order 1002)",
    ),
    "boolean-for-number": Case(
        book(order(1, Shipping=True)),
        1,
        "Orders!L3: TRUE is not an amount; write a number (order 1002)",
    ),
    "long-text": Case(
        book(order(1, Customer="G" * 5000)),
        1,
        f'Orders!D3: customer name "{"G" * 57}..." is 5000 characters; QuickBooks '
        "allows 41, so shorten it in the workbook (order 1002)",
    ),
    # Excel writes a control character in a cell as _x0001_; openpyxl cannot write one at all.
    "control-characters": Case(
        edited(in_xml(3, b"CTRL", b"_x0001_"), account(3, 1, "Sales:WebCTRLStore")),
        1,
        'Accounts!B4: account "Sales:Web\x01Store" has characters an IIF '
        "file cannot carry; use the same name with plain letters (A-Z, "
        "0-9) here and in QuickBooks",
    ),
    "emoji-only-customer": Case(
        book(order(1, Customer="\U0001f381\U0001f381")),
        1,
        'Orders!D3: customer name "\U0001f381\U0001f381" has nothing '
        "QuickBooks can take once made plain ASCII; write it in Latin "
        "letters (order 1002)",
    ),
    "order-id-with-tab": Case(
        book(order(1, **{"Order ID": "10\t02"})),
        1,
        'Orders!A3: Order ID "10\t02" has characters an IIF file cannot '
        "carry; use letters, digits and dashes",
    ),
    # Structure.
    "duplicate-order-ids": Case(
        book(order(1, **{"Order ID": 1001})),
        1,
        "Orders!A3: order 1001 is also on Orders!A2; each order must "
        "have one row on the Orders sheet",
    ),
    "conflicting-rows": Case(
        book(lambda b: b.orders.append(dict(b.orders[1], Total=30))),
        1,
        "Orders!A4: order 1002 is also on Orders!A3; each order must have "
        "one row on the Orders sheet",
    ),
    "item-of-unknown-order": Case(
        book(lambda b: b.items.append(dict(b.items[0], **{"Order ID": 999}))),
        1,
        "Items!A5: order 999 is not on the Orders sheet; fix the Order ID or delete this item row",
    ),
    "order-without-items": Case(
        book(lambda b: b.items.pop()),
        1,
        "Orders!A3: order 1002 has no item lines on the Items sheet; add "
        "them there with this Order ID (order 1002)",
    ),
    "total-off-by-a-cent": Case(book(order(1, Total=25.96)), 1, TOTAL_OFF.format(total="25.96")),
    "total-off-by-rounding": Case(
        book(rounded_down),
        1,
        "Orders!I3: subtotal 10.00 does not match the sum of its 1 item line, 10.01 (order 1002)",
    ),
    "total-off-by-a-lot": Case(book(order(1, Total=2595)), 1, TOTAL_OFF.format(total="2595.00")),
    "more-than-50-problems": Case(
        book(many_problems),
        1,
        TOTAL_OFF.format(total="1.00").replace("M3", "M4").replace("order 1002", "order 2003"),
    ),
    # Accounts.
    "role-missing": Case(
        book(lambda b: accounts_of(b).pop(2)),
        1,
        'Accounts: role "Bank" is missing; add a row with Role "Bank" and its '
        "QuickBooks account in the Accounts sheet",
    ),
    "role-twice": Case(
        book(lambda b: accounts_of(b).append(["bank", "Checking"])),
        1,
        'Accounts!A10: role "Bank" is also on Accounts!A3; keep one row per role',
    ),
    "role-blank-account": Case(book(account(2, 1, None)), 1, "Accounts!B3: Account is empty"),
    "unknown-role": Case(
        book(lambda b: accounts_of(b).append(["Tips", "Tips Income"])),
        1,
        f'Accounts!A10: "Tips" is not a role; the roles are {ROLES}',
    ),
    "account-colon-at-start": Case(
        book(account(3, 1, ":Sales")), 1, f'Accounts!B4: account ":Sales" {EMPTY_PART}'
    ),
    "account-colon-at-end": Case(
        book(account(3, 1, "Sales:")), 1, f'Accounts!B4: account "Sales:" {EMPTY_PART}'
    ),
    "account-double-colon": Case(
        book(account(3, 1, "Sales::Web")), 1, f'Accounts!B4: account "Sales::Web" {EMPTY_PART}'
    ),
    # The workbook is in use.
    "open-in-excel": Case(
        beside(book(), "~${name}"),
        3,
        "{workbook}: the workbook is open in Excel (~$orders.xlsx is beside it)",
    ),
    "open-in-libreoffice": Case(
        beside(book(), ".~lock.{name}#"),
        3,
        "{workbook}: the workbook is open in LibreOffice (.~lock.orders.xlsx# is beside it)",
    ),
    "read-only-workbook": Case(
        read_only, 3, "{workbook}: the workbook is read-only, so it cannot be marked"
    ),
    "another-export-running": Case(
        lock_held_by_a_live_process,
        3,
        "{workbook}: another export of this workbook is running "
        "(process {pid} on {host}, since 2026-03-14 09:30)",
    ),
    "output-exists": Case(
        beside(lambda f: (book()(f)[0], ["-o", str(f / "week.iif")]), "week.iif", b"old"),
        3,
        "{folder}{sep}week.iif: the file exists already",
    ),
}


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "_now", lambda: NOW)


def snapshot(folder: Path) -> dict[str, bytes | None]:
    return {path.name: path.read_bytes() if path.is_file() else None for path in folder.iterdir()}


@pytest.mark.parametrize("name", sorted(CASES))
def test_malformed_input(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    workbook, args = case.build(tmp_path)
    before = snapshot(tmp_path)
    result = CliRunner().invoke(cli.app, ["export", str(workbook), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.exit_code == case.code, result.output
    expected = case.first_line.format(
        workbook=workbook,
        folder=tmp_path,
        sep=os.sep,
        pid=os.getpid(),
        host=__import__("socket").gethostname(),
    )
    assert result.stderr.splitlines()[0] == expected
    assert snapshot(tmp_path) == before


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40


def test_a_workbook_without_read_permission(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, _ = book()(tmp_path)
    before = path.read_bytes()
    if sys.platform == "win32" or os.geteuid() == 0:
        # The superuser reads any file: take the permission away where the tool opens it.
        original_open = Path.open

        def denied(self: Path, *args: Any, **kwargs: Any) -> Any:
            if self == path:
                raise PermissionError(13, "Permission denied", str(path))
            return original_open(self, *args, **kwargs)

        monkeypatch.setattr(Path, "open", denied)
    else:
        path.chmod(0)
    try:
        result = CliRunner().invoke(cli.app, ["export", str(path)])
    finally:
        monkeypatch.undo()
        path.chmod(0o644)
    assert (result.exit_code, result.stderr.splitlines()) == (
        3,
        [
            f"{path}: permission denied",
            "Check that you may read the file, and close it in any program that holds it "
            "(Excel, a sync client).",
        ],
    )
    assert path.read_bytes() == before
