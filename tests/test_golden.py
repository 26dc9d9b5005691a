"""Golden files: workbooks beside the IIF bytes they must produce; ``--update-golden`` rewrites.

Every produced file is also read back with the test-suite IIF reader, which proves what a
byte comparison cannot explain: each transaction balances, each invoice's total and each
account's sum equal the workbook's amounts, and the format rules hold.
"""

from __future__ import annotations

import difflib
import shutil
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from python_calamine import CalamineWorkbook

from ccp_xlsx2iif.export import ExportOptions, export_workbook
from tests.conftest import NOW
from tests.iif_reader import IifFile, read_iif
from tests.workbooks import save_sheets

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "orders.xlsx"
GOLDEN = Path(__file__).resolve().parent / "golden"

QUICKBOOKS_TAX_ACCOUNTS = [
    ["Role", "Account", "Item"],
    ["Accounts Receivable", "Accounts Receivable", ""],
    ["Bank", "Undeposited Funds", ""],
    ["Item Subtotal", "Sales:Web Store", ""],
    ["State/Province Tax", "Sales Tax Payable", ""],
    ["Country Tax", "GST Payable", ""],
    ["Shipping", "Shipping Income", "Shipping"],
    ["Discount", "Sales Discounts", "Discount"],
    ["Sale", "Sales Discounts:Sale Markdowns", "Sale"],
    ["Sales Tax Item", "Sales Tax Payable", "Web Sales Tax"],
    ["Tax Agency", "State Comptroller", ""],
]


def quickbooks_tax_accounts(folder: Path) -> Path:
    """Write an accounts workbook with the rows QuickBooks' own sales tax needs."""
    return save_sheets(folder / "accounts.xlsx", {"Accounts": QUICKBOOKS_TAX_ACCOUNTS})


CASES: dict[str, tuple[Path, Path, Callable[[Path], dict[str, Any]]]] = {
    "sample": (SAMPLE, ROOT / "samples" / "orders.iif", lambda _: {}),
    "sample-no-payments": (
        SAMPLE,
        GOLDEN / "sample-no-payments.iif",
        lambda _: {"payments": False},
    ),
    "sample-create-accounts": (
        SAMPLE,
        GOLDEN / "sample-create-accounts.iif",
        lambda _: {"chart": GOLDEN / "chart-accounts-only.iif", "create_accounts": True},
    ),
    "sample-declare-lists": (
        SAMPLE,
        GOLDEN / "sample-declare-lists.iif",
        lambda _: {
            "chart": GOLDEN / "chart-all-lists.iif",
            "declare_items": True,
            "declare_customers": True,
        },
    ),
    "sample-sales-receipt": (
        SAMPLE,
        GOLDEN / "sample-sales-receipt.iif",
        lambda _: {"book_as": "sales-receipt", "date_format": "%d/%m/%Y", "class_name": "Web"},
    ),
    "sample-quickbooks-tax": (
        SAMPLE,
        GOLDEN / "sample-quickbooks-tax.iif",
        lambda folder: {
            "accounts": quickbooks_tax_accounts(folder),
            "chart": GOLDEN / "chart-all-lists.iif",
            "tax_mode": "quickbooks",
            "declare_items": True,
        },
    ),
}


def export_copy(workbook: Path, tmp_path: Path, **options: object) -> bytes:
    copy = tmp_path / workbook.name
    shutil.copyfile(workbook, copy)
    output = tmp_path / "out.iif"
    export_workbook(copy, ExportOptions(output=output, **options), NOW)  # type: ignore[arg-type]
    return output.read_bytes()


def assert_same_bytes(produced: bytes, expected_path: Path, update: bool) -> None:
    if update:
        expected_path.parent.mkdir(parents=True, exist_ok=True)
        expected_path.write_bytes(produced)
    expected = expected_path.read_bytes()
    if produced != expected:
        diff = difflib.unified_diff(
            expected.decode("ascii", "replace").splitlines(),
            produced.decode("ascii", "replace").splitlines(),
            str(expected_path),
            "produced",
            lineterm="",
        )
        pytest.fail("IIF differs from the golden file:\n" + "\n".join(diff))


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden_iif(case: str, tmp_path: Path, update_golden: bool) -> None:
    workbook, expected, options = CASES[case]
    produced = export_copy(workbook, tmp_path, **options(tmp_path))
    assert_same_bytes(produced, expected, update_golden)
    iif = read_iif(produced)
    tax_mode = options(tmp_path).get("tax_mode", "lines")
    accounts = (
        dict(row[:2] for row in QUICKBOOKS_TAX_ACCOUNTS[1:]) if tax_mode == "quickbooks" else None
    )
    book_as = options(tmp_path).get("book_as", "invoice")
    assert_matches_workbook(
        iif,
        workbook,
        payments=options(tmp_path).get("payments", True) and book_as == "invoice",
        accounts=accounts,
        book_as=book_as,
    )
    if tax_mode == "quickbooks":
        for invoice in iif.transactions:
            extras = [split["EXTRA"] for split in invoice.splits]
            if invoice.trns["TRNSTYPE"] == "INVOICE":
                assert extras.count("AUTOSTAX") == 1
                assert extras[-1] == "AUTOSTAX"


def sheet_records(path: Path, sheet: str) -> list[dict[str, object]]:
    with CalamineWorkbook.from_path(str(path)) as book:
        rows = book.get_sheet_by_name(sheet).to_python()
    header = [str(name) for name in rows[0]]
    return [dict(zip(header, row, strict=True)) for row in rows[1:]]


def money(value: object) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def assert_matches_workbook(
    iif: IifFile,
    workbook: Path,
    *,
    payments: bool,
    accounts: dict[Any, Any] | None = None,
    book_as: str = "invoice",
) -> None:
    """Prove the IIF books exactly the workbook's exported orders, account by account.

    ``accounts`` (role -> account) replaces the workbook's Accounts sheet; with a "Sales Tax
    Item" role, both taxes are booked to its account (QuickBooks' own sales tax). A sales
    receipt (``book_as``) debits the Bank account where an invoice debits receivables.
    """
    orders = {
        str(int(row["Order ID"])): row  # type: ignore[call-overload]
        for row in sheet_records(workbook, "Orders")
        if str(row["Status"]).strip().casefold() == "completed" and not row["Exported"]
    }
    if accounts is None:
        accounts = {row["Role"]: row["Account"] for row in sheet_records(workbook, "Accounts")}
    quickbooks_tax = "Sales Tax Item" in accounts
    kind, debited = ("CASH SALE", "Bank") if book_as == "sales-receipt" else ("INVOICE", None)
    debited = debited or "Accounts Receivable"
    invoices = [t for t in iif.transactions if t.trns["TRNSTYPE"] == kind]
    assert len(invoices) + (len(invoices) if payments else 0) == len(iif.transactions)
    assert [t.trns["DOCNUM"] for t in invoices] == list(orders)
    for transaction in iif.transactions:
        assert transaction.amount_sum() == 0, transaction.trns["DOCNUM"]
    for invoice in invoices:
        order = orders[invoice.trns["DOCNUM"]]
        total = money(order["Total"])
        expected = {
            accounts[debited]: total,
            accounts["Item Subtotal"]: -money(order["Subtotal"]),
            accounts["Shipping"]: -money(order["Shipping"]),
            accounts["Discount"]: money(order["Discount"]),
            accounts["Sale"]: money(order["Sale"]),
        }
        taxes = [
            (accounts["State/Province Tax"], -money(order["State Tax"])),
            (accounts["Country Tax"], -money(order["Country Tax"])),
        ]
        if quickbooks_tax:
            taxes = [(accounts["Sales Tax Item"], taxes[0][1] + taxes[1][1])]
        summed: dict[object, Decimal] = {}
        for account, amount in [*expected.items(), *taxes]:
            summed[account] = summed.get(account, Decimal(0)) + amount
        assert invoice.amounts_by_account() == {k: v for k, v in summed.items() if v}
    payment_rows = [t for t in iif.transactions if t.trns["TRNSTYPE"] == "PAYMENT"]
    if not payments:
        assert payment_rows == []
        return
    assert [t.trns["DOCNUM"] for t in payment_rows] == list(orders)
    for payment in payment_rows:
        total = money(orders[payment.trns["DOCNUM"]]["Total"])
        assert payment.amounts_by_account() == {
            accounts["Bank"]: total,
            accounts["Accounts Receivable"]: -total,
        }


@pytest.mark.parametrize("payments", [True, False])
def test_sample_iif_books_exactly_the_workbook(tmp_path: Path, payments: bool) -> None:
    iif = read_iif(export_copy(SAMPLE, tmp_path, payments=payments))
    assert iif.headers["TRNS"][:3] == ["TRNSTYPE", "DATE", "ACCNT"]
    assert iif.headers["ENDTRNS"] == []
    assert_matches_workbook(iif, SAMPLE, payments=payments)
