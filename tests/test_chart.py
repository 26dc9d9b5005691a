"""Reading the chart of accounts in each form QuickBooks produces."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from ccp_xlsx2iif.chart import (
    Chart,
    account_type,
    parse_csv,
    parse_iif_lists,
    read_chart_file,
    strip_account_numbers,
)
from ccp_xlsx2iif.problems import FileProblem

GOLDEN = Path(__file__).resolve().parent / "golden"


def test_iif_chart_export_with_hdr_lines_quotes_cp1252_and_lf() -> None:
    chart = read_chart_file(GOLDEN / "chart-accounts-only.iif")
    assert chart.accounts == {
        "Checking": "BANK",
        "Accounts Receivable": "AR",
        "Undeposited Funds": "OCASSET",
        "Sales Tax Payable": "OCLIAB",
        "Shipping Income": "INC",
        "Sales Discounts": "INC",
        "Caf\u00e9 Supplies": "EXP",
        "Merchant Account Fees": "EXP",
    }
    assert (chart.items, chart.customers, chart.other_names) == (None, None, None)
    assert chart.source == "chart-accounts-only.iif"


def test_iif_full_list_export_gives_items_customers_and_other_names() -> None:
    chart = read_chart_file(GOLDEN / "chart-all-lists.iif")
    assert chart.type_of("Sales:Web Store") == "INC"
    assert chart.items == frozenset({"mug-11", "shipping"})
    assert chart.item_types == {"mug-11": "PART", "shipping": "OTHC"}
    assert chart.customers == frozenset({"ada lovelace"})
    assert chart.other_names == {"state comptroller": "vendor", "rosalind franklin": "employee"}
    assert chart.lists == {"VEND": frozenset({"state comptroller"})}


def test_a_list_the_export_leaves_out_is_not_known_and_an_empty_one_is() -> None:
    # Lists to IIF Files exports the lists ticked: one left out says nothing of its names.
    data = (
        b"!ACCNT\tNAME\tACCNTTYPE\r\nACCNT\tSales\tINC\r\n"
        b"!CUST\tNAME\r\nCUST\tAda Lovelace\r\n"
        b"!CLASS\tNAME\tREFNUM\r\nCLASS\tWeb\t1\r\nCLASS\tWeb:Wholesale\t2\r\n"
        b"!TERMS\tNAME\r\n"
        b"!SHIPMETH\tNAME\r\nSHIPMETH\tUPS Ground\r\n"
        b"!SALESREP\tINITIALS\tASSOCIATEDNAME\r\nSALESREP\tJD\tJane Doe\r\n"
    )
    chart = parse_iif_lists(data, "lists.iif")
    assert (chart.items, chart.customers) == (None, frozenset({"ada lovelace"}))
    assert chart.lists == {
        "CLASS": frozenset({"web", "web:wholesale"}),
        "TERMS": frozenset(),
        "SHIPMETH": frozenset({"ups ground"}),
        "SALESREP": frozenset({"jd"}),  # a sales rep is named by its initials
    }


def test_iif_values_in_double_quotes_and_crlf() -> None:
    data = b'!ACCNT\tNAME\tACCNTTYPE\tDESC\r\nACCNT\t"Income:Web Sales"\t"INC"\t"Web, mail ""and"" phone"\r\n'
    assert parse_iif_lists(data, "x.iif").accounts == {"Income:Web Sales": "INC"}


def test_a_file_without_accounts_is_not_a_chart() -> None:
    with pytest.raises(FileProblem) as raised:
        parse_iif_lists(b"!TRNS\tTRNSTYPE\r\n", "batch.iif")
    assert raised.value.message == "batch.iif: not a chart of accounts (no !ACCNT rows)"
    assert raised.value.hint.startswith("In QuickBooks: File > Utilities > Export > Lists")


def test_account_listing_saved_as_excel(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    rows: list[list[object]] = [
        ["Shop Ltd"],
        ["Account Listing"],
        [],
        [None, "Account", "Type", "Balance Total", "Description"],
        [None, "10100 \u00b7 Checking", "Bank", 1200.5, ""],
        [None, "40000 \u00b7 Sales:40100 \u00b7 Web Store", "Income", 0, "Web sales"],
        [None, "Shipping Income", "Income", 0, ""],
        [None, "Sales Tax Payable", "Other Current Liability", 0, ""],
        [None, "Undeposited Funds", "Other Current Asset", 0, ""],
        [None, "TOTAL", None, 1200.5, ""],
    ]
    for row in rows:
        sheet.append(row)
    path = tmp_path / "Account Listing.xlsx"
    book.save(path)
    assert read_chart_file(path).accounts == {
        "Checking": "BANK",
        "Sales:Web Store": "INC",
        "Shipping Income": "INC",
        "Sales Tax Payable": "OCLIAB",
        "Undeposited Funds": "OCASSET",
    }


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (
            "Account;Type;Balance\nCaf\u00e9 Sales;Income;0\nAccounts Receivable;Accounts Receivable;5\n",
            "cp1252",
        ),
        (
            "\ufeffAccount,Type\nCaf\u00e9 Sales,Income\nAccounts Receivable,Accounts Receivable\n",
            "utf-8",
        ),
        (
            '"Account"\t"Type"\r\n"Caf\u00e9 Sales"\t"Income"\r\n"Accounts Receivable"\t"AR"\r\n',
            "cp1252",
        ),
    ],
)
def test_account_listing_saved_as_csv(data: str, encoding: str) -> None:
    chart = parse_csv(data.encode(encoding), "listing.csv")
    assert chart.accounts == {"Caf\u00e9 Sales": "INC", "Accounts Receivable": "AR"}


def test_account_types_as_codes_or_as_quickbooks_shows_them() -> None:
    assert [
        account_type(text)
        for text in ("Other Current Liability", "OCLIAB", "income", "Cost of Goods Sold", "Nope")
    ] == ["OCLIAB", "OCLIAB", "INC", "COGS", None]


def test_account_numbers_are_stripped_from_each_part() -> None:
    assert strip_account_numbers("40000 \u00b7 Sales:40100 \u00b7 Web Store") == "Sales:Web Store"
    assert strip_account_numbers("Sales:Web Store") == "Sales:Web Store"


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("shipping income", "Shipping Income"),
        ("Shipping-Income", "Shipping Income"),
        ("Shiping Income", "Shipping Income"),
        ("Web Store", "Sales:Web Store"),
        ("Rent", None),
    ],
)
def test_suggestions_for_near_misses(name: str, suggestion: str | None) -> None:
    chart = Chart("c.iif", {"Shipping Income": "INC", "Sales:Web Store": "INC", "Sales": "INC"})
    assert chart.suggestion(name) == suggestion


def test_unreadable_chart_files(tmp_path: Path) -> None:
    with pytest.raises(FileProblem, match="no such file"):
        read_chart_file(tmp_path / "missing.iif")
    odd = tmp_path / "chart.pdf"
    odd.write_bytes(b"%PDF")
    with pytest.raises(FileProblem, match=r"not a chart of accounts QuickBooks writes"):
        read_chart_file(odd)
    csv_file = tmp_path / "chart.csv"
    csv_file.write_text("Name,Balance\nChecking,5\n")
    with pytest.raises(FileProblem) as raised:
        read_chart_file(csv_file)
    assert raised.value.message == (
        "chart.csv: not a chart of accounts (no header row with Account and Type)"
    )
