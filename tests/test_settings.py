"""Settings that stick, and the ways to book an order: --as, --date-format, --class...

The Settings sheet gives the weekly options; the Class, Terms and Rep columns are carried into
the IIF file.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from ccp_xlsx2iif.export import ExportOptions, export_workbook
from tests.command import run
from tests.conftest import BATCH, NOW
from tests.expect import problems
from tests.iif_reader import IifFile, read_iif
from tests.workbooks import ACCOUNT_ROWS, OrderBook, company_lists, save_sheets

pytestmark = pytest.mark.usefixtures("cli_clock")


def with_settings(*rows: tuple[str, Any]) -> OrderBook:
    book = OrderBook()
    book.extra_sheets["Settings"] = [["Setting", "Value"], *map(list, rows)]
    return book


def written(path: Path) -> IifFile:
    return read_iif(path.read_bytes())


def transactions(iif: IifFile, *fields: str) -> list[tuple[str, ...]]:
    return [tuple(t.trns[name] for name in fields) for t in iif.transactions]


def test_the_weekly_command_takes_its_options_from_the_settings_sheet(tmp_path: Path) -> None:
    (tmp_path / "batches").mkdir()
    book = with_settings(
        ("Book As", "Sales Receipt"),
        ("Date Format", "uk"),
        ("Class", "Web Shop"),
        ("Status", "Completed, Shipped"),
        ("Output Folder", "batches"),
        ("Tax Mode", "lines"),
    )
    book.orders[1]["Status"] = "Shipped"
    path = book.save(tmp_path / "orders.xlsx")
    code, out, err = run("export", str(path))
    assert (code, err, out[0]) == (
        0,
        [],
        f"Exported 2 orders, total 65.95, to {tmp_path / 'batches' / BATCH}",
    )
    iif = written(tmp_path / "batches" / BATCH)
    assert transactions(iif, "TRNSTYPE", "DATE", "ACCNT", "DOCNUM", "CLASS") == [
        ("CASH SALE", "02/03/2026", "Undeposited Funds", "1001", "Web Shop"),
        ("CASH SALE", "03/03/2026", "Undeposited Funds", "1002", "Web Shop"),
    ]
    assert {split["CLASS"] for t in iif.transactions for split in t.splits} == {"Web Shop"}


def test_command_line_options_win_over_the_settings_even_when_they_name_the_default(
    tmp_path: Path,
) -> None:
    book = with_settings(("Book As", "sales-receipt"), ("Date Format", "%d.%m.%Y"))
    path = book.save(tmp_path / "orders.xlsx")
    assert run("export", str(path), "--as", "invoice", "-q") == (0, [], [])
    iif = written(tmp_path / BATCH)
    assert transactions(iif, "TRNSTYPE", "DATE") == [
        ("INVOICE", "02.03.2026"),
        ("PAYMENT", "02.03.2026"),
        ("INVOICE", "03.03.2026"),
        ("PAYMENT", "03.03.2026"),
    ]


def test_settings_of_the_accounts_workbook_and_which_one_wins(tmp_path: Path) -> None:
    save_sheets(
        tmp_path / "accounts.xlsx",
        {
            "Accounts": ACCOUNT_ROWS,
            "Settings": [["Setting", "Value"], ["Date Format", "uk"], ["Payments", "no"]],
        },
    )
    book = with_settings(("Date Format", "us"), ("Accounts File", "accounts.xlsx"))
    book.accounts = None
    path = book.save(tmp_path / "orders.xlsx")
    assert run("export", str(path), "-q") == (0, [], [])
    iif = written(tmp_path / BATCH)
    # The order workbook's date format wins; the accounts workbook leaves out the payments.
    assert transactions(iif, "TRNSTYPE", "DATE") == [
        ("INVOICE", "03/02/2026"),
        ("INVOICE", "03/03/2026"),
    ]


def test_unknown_settings_and_bad_values_are_problems(tmp_path: Path) -> None:
    book = with_settings(
        ("Colour", "blue"),
        ("Date Format", "%Y-%m"),
        ("Book As", "bill"),
        ("Payments", "perhaps"),
        ("", "USD"),  # the setting's name left out: the row would be passed over
    )
    assert problems(book, tmp_path) == [
        'Settings!A2: "Colour" is not a setting; the settings are "Accounts File", '
        '"Chart File", "Output Folder", "Status", "Book As", "Date Format", "Tax Mode", '
        '"Class", "Currency", "Payments", "Create Accounts", "Declare Items", "Declare Customers", '
        '"Layout"',
        'Settings!B3: "%Y-%m" is not a date format; write us (MM/DD/YYYY), uk (DD/MM/YYYY) or '
        "a pattern with %d, %m and %Y, such as %d.%m.%Y",
        'Settings!B4: "bill" is not one of invoice, sales-receipt',
        'Settings!B5: "perhaps" is not yes or no; write Y or N',
        'Settings!A6: Setting is empty; write the setting that "USD" is for; the settings are '
        '"Accounts File", "Chart File", "Output Folder", "Status", "Book As", "Date Format", '
        '"Tax Mode", "Class", "Currency", "Payments", "Create Accounts", "Declare Items", '
        '"Declare Customers", "Layout"',
    ]


def test_class_terms_and_rep_columns_are_carried_into_the_iif(tmp_path: Path) -> None:
    book = OrderBook()
    book.orders[0].update({"Class": "Wholesale", "Terms": "Net 30", "Rep": "JD"})
    path = book.save(tmp_path / "orders.xlsx")
    result = export_workbook(path, ExportOptions(class_name="Retail", payments=False), NOW)
    assert result.iif_path is not None
    iif = written(result.iif_path)
    assert transactions(iif, "DOCNUM", "CLASS", "TERMS", "REP") == [
        ("1001", "Wholesale", "Net 30", "JD"),
        ("1002", "Retail", "", ""),
    ]
    assert [[split["CLASS"] for split in t.splits] for t in iif.transactions] == [
        ["Wholesale"] * 3,
        ["Retail"] * 3,
    ]
    text = result.iif_path.read_bytes().decode("ascii")
    assert "\tWholesale\tNet 30\tJD\r\n" in text


def test_terms_and_rep_longer_than_quickbooks_takes(tmp_path: Path) -> None:
    book = OrderBook()
    book.orders[0].update({"Terms": "Net 30 but only on Tuesdays, please", "Rep": "JDOE12"})
    assert problems(book, tmp_path) == [
        'Orders!P2: terms "Net 30 but only on Tuesdays, please" is 35 characters; QuickBooks '
        "allows 31, so shorten it in the workbook, or read it as a shorter one with a row of a "
        'Columns sheet (Terms: "Net 30 but only on Tuesdays, please -> ...") (order 1001)',
        'Orders!Q2: sales rep "JDOE12" is 6 characters; QuickBooks allows 5, so shorten it in the '
        "workbook, or read it as a shorter one with a row of a Columns sheet (Rep: "
        '"JDOE12 -> ...") (order 1001)',
    ]


def test_a_chart_file_setting_is_read_beside_the_workbook(tmp_path: Path) -> None:
    company_lists(tmp_path)
    path = with_settings(("Chart File", "lists.iif")).save(tmp_path / "orders.xlsx")
    code, out, _ = run("check", str(path))
    assert (code, out[0]) == (0, "Account and item names were checked against lists.iif.")


@pytest.mark.skipif(sys.platform == "win32", reason="the POSIX limit on a name's length")
@pytest.mark.parametrize("command", ["export", "check"])
def test_an_output_folder_whose_name_the_system_refuses_is_a_file_problem(
    tmp_path: Path, command: str
) -> None:
    # A name of 300 letters: the system refuses to look for it (ENAMETOOLONG), which the
    # tool says as any other problem with a file, not as a traceback.
    name = "x" * 300
    path = with_settings(("Output Folder", name)).save(tmp_path / "orders.xlsx")
    before = path.read_bytes()
    code, _, err = run(command, str(path))
    assert (code, err) == (
        3,
        [
            f"{tmp_path / name}: File name too long",
            "Check the file's name and folder, and that it may be read and written.",
        ],
    )
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orders.xlsx"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda folder: None, "the output folder does not exist"),
        (
            lambda folder: folder.write_text(""),
            "is a file, not a folder; give the folder to write to",
        ),
    ],
    ids=["missing", "a file"],
)
def test_an_output_folder_that_is_not_one_is_refused(
    tmp_path: Path, make: Any, message: str
) -> None:
    make(tmp_path / "batches")
    path = with_settings(("Output Folder", "batches")).save(tmp_path / "orders.xlsx")
    code, _, err = run("export", str(path))
    assert (code, err) == (
        2,
        [
            f"{tmp_path / 'batches'}: {message}",
            "Create the folder, or correct the Output Folder on the Settings sheet.",
        ],
    )
