"""``ccp-xlsx2iif init``: a starter workbook that exports as it stands, and is never overwritten."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from ccp_xlsx2iif import cli
from ccp_xlsx2iif.contract import ITEMS, ORDERS, ROLES
from tests.command import runner
from tests.grids import calamine_grid
from tests.iif_reader import read_iif

pytestmark = pytest.mark.usefixtures("cli_clock")


def test_init_writes_a_workbook_with_the_contract_sheets(tmp_path: Path) -> None:
    result = runner.invoke(cli.app, ["init", str(tmp_path)])
    path = tmp_path / "orders.xlsx"
    assert (result.exit_code, result.stdout.splitlines()) == (
        0,
        [
            f"Wrote {path}",
            "Replace the two example orders with yours (or paste your shop's export over them), "
            "put your QuickBooks account names on the Accounts sheet, then run: "
            f"ccp-xlsx2iif check {path}",
        ],
    )
    book = load_workbook(path)
    assert book.sheetnames == ["Orders", "Items", "Accounts", "Settings"]
    orders, items, accounts = book["Orders"], book["Items"], book["Accounts"]
    assert [cell.value for cell in orders[1]] == [column.header for column in ORDERS.columns]
    assert [cell.value for cell in items[1]] == [column.header for column in ITEMS.columns]
    assert [row[0] for row in accounts.iter_rows(min_row=2, values_only=True)] == [
        role.name for role in ROLES if role.required
    ]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert sheet[1][0].font.b
        assert sheet.column_dimensions["A"].width > 10
    (validation,) = orders.data_validations.dataValidation
    assert (validation.type, validation.formula1, str(validation.sqref)) == (
        "list",
        '"Completed,Pending,Cancelled,Refunded"',
        "C2:C1000",
    )
    headers = [cell.value for cell in orders[1]]
    assert orders.cell(500, headers.index("Order Date") + 1).number_format == "yyyy-mm-dd"
    assert orders.cell(500, headers.index("Total") + 1).number_format == "#,##0.00"
    assert items.cell(2, 5).number_format == "#,##0.00"
    # A second reader sees the same example orders.
    grid = calamine_grid(path, "Orders")
    assert [(row[0], row[1], row[2], row[4]) for row in grid[1:3]] == [
        (1001, dt.date(2026, 1, 5), "Completed", 44.45),
        (1002, dt.date(2026, 1, 6), "Completed", 54.99),
    ]


def test_the_starter_workbook_checks_and_exports_as_it_stands(tmp_path: Path) -> None:
    assert runner.invoke(cli.app, ["init", str(tmp_path)]).exit_code == 0
    path = tmp_path / "orders.xlsx"
    checked = runner.invoke(cli.app, ["check", str(path)])
    assert (checked.exit_code, checked.stdout.splitlines()[-1]) == (
        0,
        "Ready to export: 2 orders, total 99.44.",
    )
    exported = runner.invoke(cli.app, ["export", str(path)])
    assert exported.exit_code == 0, exported.output
    iif = read_iif((tmp_path / "orders-20260314-093005.iif").read_bytes())
    assert [(t.trns["TRNSTYPE"], t.trns["DOCNUM"], t.trns["AMOUNT"]) for t in iif.transactions] == [
        ("INVOICE", "1001", "44.45"),
        ("PAYMENT", "1001", "44.45"),
        ("INVOICE", "1002", "54.99"),
        ("PAYMENT", "1002", "54.99"),
    ]
    assert all(t.amount_sum() == Decimal(0) for t in iif.transactions)


def test_init_never_overwrites(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(cli.app, ["init"]).exit_code == 0  # the current folder by default
    path = tmp_path / "orders.xlsx"
    before = path.read_bytes()
    again = runner.invoke(cli.app, ["init"])
    assert (again.exit_code, again.stderr.splitlines()) == (
        3,
        [
            "orders.xlsx: the file exists already; init never overwrites a workbook",
            "Give another folder: ccp-xlsx2iif init FOLDER",
        ],
    )
    assert path.read_bytes() == before
    made = runner.invoke(cli.app, ["init", str(tmp_path / "new" / "books")])
    assert made.exit_code == 0
    assert (tmp_path / "new" / "books" / "orders.xlsx").is_file()
    not_a_folder = runner.invoke(cli.app, ["init", str(path)])
    assert (not_a_folder.exit_code, not_a_folder.stderr.splitlines()) == (
        3,
        [f"{path}: not a folder", "Give a folder: ccp-xlsx2iif init FOLDER"],
    )
