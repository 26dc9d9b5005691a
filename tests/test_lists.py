"""Accounts proven against the chart of accounts, lists declared on purpose, QuickBooks' tax.

Accounts, items and customers are declared only when asked, each with its type.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ccp_xlsx2iif.export import ExportOptions, export_workbook
from ccp_xlsx2iif.problems import UsageProblem
from tests.conftest import NOW
from tests.expect import problems
from tests.iif_reader import read_iif
from tests.workbooks import ALL_LISTS, OrderBook, company_lists

GOLDEN = Path(__file__).resolve().parent / "golden"
ACCOUNTS_ONLY = GOLDEN / "chart-accounts-only.iif"


def chart_book() -> OrderBook:
    """Orders whose accounts all exist in chart-all-lists.iif."""
    book = OrderBook()
    assert book.accounts is not None
    book.accounts[2][1] = "Undeposited Funds"
    return book


def exported(book: OrderBook, tmp_path: Path, **options: Any) -> bytes:
    path = book.save(tmp_path / "orders.xlsx")
    result = export_workbook(path, ExportOptions(output=tmp_path / "out.iif", **options), NOW)
    assert result.iif_path is not None
    return result.iif_path.read_bytes()


def test_accounts_that_match_the_chart_pass_and_the_summary_says_so(tmp_path: Path) -> None:
    path = chart_book().save(tmp_path / "orders.xlsx")
    result = export_workbook(path, ExportOptions(chart=company_lists(tmp_path), dry_run=True), NOW)
    assert result.notes == ("Account and item names were checked against lists.iif.",)
    options = ExportOptions(chart=ACCOUNTS_ONLY, create_accounts=True, dry_run=True)
    result = export_workbook(path, options, NOW)
    assert result.notes == (
        "Account names were checked against chart-accounts-only.iif.",
        "Item names were not checked: the chart lists no items. To check them, give "
        "QuickBooks' export of every list with --chart (File > Utilities > Export > Lists to IIF "
        "Files), or declare the items with --declare-items.",
    )


def test_items_the_company_lacks_are_problems_where_their_names_are_read(tmp_path: Path) -> None:
    # QuickBooks would create them on import, with a type and account it chooses; the export
    # of all lists says which items the company has (names that differ in case are one).
    book = chart_book()
    book.items[0]["SKU"] = "mug-11"  # MUG-11 to QuickBooks
    lacks = (
        ", and QuickBooks would create it with a type and account of its own choosing; create "
        "it in QuickBooks and export the lists again, or add --declare-items"
    )
    assert problems(book, tmp_path, chart=ALL_LISTS) == [
        f'Items!B3: item "CARD-5" is not in the item list of chart-all-lists.iif{lacks}',
        f'Items!B4: item "TEE-M" is not in the item list of chart-all-lists.iif{lacks}',
        f'Accounts!C5: item "State Tax" is not in the item list of chart-all-lists.iif{lacks}',
        f'Accounts!C8: item "Discount" is not in the item list of chart-all-lists.iif{lacks}',
    ]  # and the workbook is unchanged, nothing written (problems() proves it)
    # One item for every product line: it is read from the Accounts sheet.
    assert book.accounts is not None
    book.accounts[3][2] = "Web Sale"
    assert problems(book, tmp_path / "one item", chart=ALL_LISTS)[:1] == [
        f'Accounts!C4: item "Web Sale" is not in the item list of chart-all-lists.iif{lacks}'
    ]


def test_near_misses_are_errors_with_a_suggestion(tmp_path: Path) -> None:
    book = chart_book()
    assert book.accounts is not None
    book.accounts[6][1] = "Shiping Income"
    book.accounts[1][1] = "accounts receivable"
    book.accounts[3][1] = "Web Store"
    book.accounts[7][1] = "Advertising"
    assert problems(book, tmp_path, chart=company_lists(tmp_path)) == [
        'Accounts!B2: "accounts receivable" is not in the chart of accounts; did you mean '
        '"Accounts Receivable"?',
        'Accounts!B4: "Web Store" is not in the chart of accounts; did you mean "Sales:Web Store"?',
        'Accounts!B7: "Shiping Income" is not in the chart of accounts; did you mean '
        '"Shipping Income"?',
        'Accounts!B8: "Advertising" is not in the chart of accounts; create it in QuickBooks and '
        "export the chart again, or add --create-accounts",
    ]


def test_account_types_must_fit_their_roles(tmp_path: Path) -> None:
    book = chart_book()
    assert book.accounts is not None
    book.accounts[2][1] = "Sales Tax Payable"  # Bank
    book.accounts[3][1] = "Undeposited Funds"  # Item Subtotal
    book.accounts[7][1] = "Merchant Account Fees"  # Discount: an expense fits
    book.accounts[1] = ["Accounts Receivable", "Accounts Receivable", "", "Bank"]
    assert problems(book, tmp_path, chart=company_lists(tmp_path)) == [
        'Accounts!D2: the Type is Bank (BANK), but QuickBooks has "Accounts Receivable" as '
        "Accounts Receivable (AR)",
        'Accounts!B3: account "Sales Tax Payable" is Other Current Liability (OCLIAB); the role '
        '"Bank" needs Bank (BANK) or Other Current Asset (OCASSET)',
        'Accounts!B4: account "Undeposited Funds" is Other Current Asset (OCASSET); the role '
        '"Item Subtotal" needs Income (INC) or Other Income (EXINC)',
    ]


def test_without_a_chart_the_export_says_once_that_names_were_not_checked(tmp_path: Path) -> None:
    path = OrderBook().save(tmp_path / "orders.xlsx")
    result = export_workbook(path, ExportOptions(dry_run=True), NOW)
    assert len(result.notes) == 1
    assert result.notes[0].startswith("Account and item names were not checked against QuickBooks")


def test_the_accounts_sheet_can_name_the_chart_file(tmp_path: Path) -> None:
    book = chart_book()
    assert book.accounts is not None
    book.accounts.append(["Chart File", "lists/chart.iif"])
    (tmp_path / "lists").mkdir()
    company_lists(tmp_path / "lists", "chart.iif")
    path = book.save(tmp_path / "orders.xlsx")
    result = export_workbook(path, ExportOptions(dry_run=True), NOW)
    assert result.notes == ("Account and item names were checked against chart.iif.",)


def test_a_chart_of_accounts_sheet_in_the_accounts_workbook(tmp_path: Path) -> None:
    book = OrderBook()
    book.extra_sheets["Chart of Accounts"] = [
        ["Account", "Type"],
        ["Accounts Receivable", "Accounts Receivable"],
        ["Undeposited Funds", "Other Current Asset"],
        ["Sales", "Income"],
        ["Sales:Web Store", "Income"],
        ["Sales Tax Payable", "Other Current Liability"],
        ["GST Payable", "Other Current Liability"],
        ["Shipping Income", "Income"],
        ["Sales Discounts", "Income"],
    ]
    assert problems(book, tmp_path) == [
        'Accounts!B9: "Sales Discounts:Sale Markdowns" is not in the chart of accounts; create '
        "it in QuickBooks and export the chart again, or add --create-accounts"
    ]


def test_an_account_of_the_chart_sheet_without_a_type_it_can_read_is_told_as_such(
    tmp_path: Path,
) -> None:
    # It was passed over, and the account then said to be missing from the chart.
    book = chart_book()
    chart = [["Account", "Type"], *(line.split("|") for line in CHART_ROWS)]
    chart[4][1] = "Incme"  # Sales:Web Store
    chart[6][1] = ""  # GST Payable
    book.extra_sheets["Chart of Accounts"] = chart
    types = (
        "one of Accounts Receivable, Accounts Payable, Bank, Credit Card, Cost of Goods Sold, "
        "Equity, Other Expense, Other Income, Expense, Fixed Asset, Income, Long Term Liability, "
        "Non-Posting, Other Asset, Other Current Asset, Other Current Liability"
    )
    assert problems(book, tmp_path) == [
        'Accounts!B4: "Sales:Web Store" is in sheet "Chart of Accounts" with the type "Incme", '
        f"which is not an account type; write its type there, {types}",
        'Accounts!B6: "GST Payable" is in sheet "Chart of Accounts" with no type; write its type '
        f"there, {types}",
    ]


CHART_ROWS = (
    "Accounts Receivable|Accounts Receivable",
    "Undeposited Funds|Other Current Asset",
    "Sales|Income",
    "Sales:Web Store|Income",
    "Sales Tax Payable|Other Current Liability",
    "GST Payable|Other Current Liability",
    "Shipping Income|Income",
    "Sales Discounts|Income",
    "Sales Discounts:Sale Markdowns|Income",
)


def test_create_accounts_needs_the_chart(tmp_path: Path) -> None:
    path = OrderBook().save(tmp_path / "orders.xlsx")
    with pytest.raises(UsageProblem, match="--create-accounts needs the chart of accounts"):
        export_workbook(path, ExportOptions(create_accounts=True), NOW)


def test_create_accounts_declares_missing_accounts_parents_first(tmp_path: Path) -> None:
    book = OrderBook()
    assert book.accounts is not None
    book.accounts[2][1] = "Undeposited Funds"
    book.accounts[5] = ["Country Tax", "Taxes:GST", "GST", "Other Current Liability"]
    iif = read_iif(exported(book, tmp_path, chart=ACCOUNTS_ONLY, create_accounts=True))
    assert iif.lists["ACCNT"] == [
        {"NAME": "Sales", "ACCNTTYPE": "INC"},
        {"NAME": "Sales:Web Store", "ACCNTTYPE": "INC"},
        {"NAME": "Taxes", "ACCNTTYPE": "OCLIAB"},
        {"NAME": "Taxes:GST", "ACCNTTYPE": "OCLIAB"},
        {"NAME": "Sales Discounts:Sale Markdowns", "ACCNTTYPE": "INC"},
    ]
    assert iif.headers["ACCNT"] == ["NAME", "ACCNTTYPE"]


def test_create_accounts_still_refuses_near_misses_and_types_that_do_not_fit(
    tmp_path: Path,
) -> None:
    book = OrderBook()
    assert book.accounts is not None
    book.accounts[2][1] = "undeposited funds"
    book.accounts[6] = ["Shipping", "Shipping Incme", "Shipping"]
    book.accounts[7] = ["Discount", "Sales Discount", "Discount", "Income"]
    book.accounts[3] = ["Item Subtotal", "Sales Discounts:Web", "", "Expense"]
    assert problems(book, tmp_path, chart=ACCOUNTS_ONLY, create_accounts=True) == [
        'Accounts!B3: "undeposited funds" is not in the chart of accounts; did you mean '
        '"Undeposited Funds"?',
        'Accounts!B4: account "Sales Discounts:Web" is Expense (EXP); the role "Item Subtotal" '
        "needs Income (INC) or Other Income (EXINC)",
        'Accounts!B4: account "Sales Discounts:Web" would be created as Expense (EXP), but '
        '"Sales Discounts" is Income (INC); QuickBooks gives an account and its sub-accounts one '
        "type",
        'Accounts!B7: "Shipping Incme" is not in the chart of accounts; did you mean "Shipping '
        'Income"? To create it as a new account, give its Type',
    ]


def with_lists(folder: Path, lists: str) -> Path:
    """Return company_lists with more lists (IIF rows, a tab between fields) at its end."""
    path = company_lists(folder)
    path.write_bytes(path.read_bytes() + lists.replace("\n", "\r\n").encode("ascii"))
    return path


def test_classes_and_terms_the_company_lacks_are_problems_new_labels_a_note(
    tmp_path: Path,
) -> None:
    book = chart_book()
    book.orders[0].update({"Class": "web", "Terms": "Net 30", "Ship Method": "UPS Ground"})
    book.orders[1].update({"Terms": "Net 03", "Ship Method": "Pigeon", "Rep": "RF"})
    book.orders[0]["Rep"] = "jd"
    lists = with_lists(
        tmp_path,
        "!CLASS\tNAME\nCLASS\tWeb\n!TERMS\tNAME\nTERMS\tNet 30\n"
        "!SHIPMETH\tNAME\nSHIPMETH\tUPS Ground\n!PAYMETH\tNAME\nPAYMETH\tVisa\n"
        "!SALESREP\tINITIALS\tASSOCIATEDNAME\nSALESREP\tJD\tJane Doe\n",
    )
    assert problems(book, tmp_path, chart=lists, class_name="Retail") == [
        'class "Retail" (the class of orders without one, from --class or the Settings sheet) '
        "is not on the class list of lists.iif, and QuickBooks would add it there on import; "
        "add it in QuickBooks and export the lists again, or write the class as QuickBooks has "
        "it",
        'Orders!Q3: terms "Net 03" is not on the terms list of lists.iif, and QuickBooks would '
        "add it there on import; add it in QuickBooks and export the lists again, or write the "
        "terms as QuickBooks has it",
        'Orders!S3: sales rep "RF" is not on the sales rep list of lists.iif; add it in '
        "QuickBooks and export the lists again, or write the sales rep as QuickBooks has it",
    ]
    book.orders[1].update({"Terms": "NET 30", "Rep": "JD"})
    path = book.save(tmp_path / "orders.xlsx")
    result = export_workbook(path, ExportOptions(chart=lists, dry_run=True), NOW)
    assert result.notes[1:] == (
        'QuickBooks will add to its lists what lists.iif does not have: ship method "Pigeon" '
        '(Orders!R3), payment method "PayPal" (Orders!N3). If one is misspelt, correct it in '
        "the workbook first.",
    )
    # Without payments, an invoice names no payment method.
    result = export_workbook(path, ExportOptions(chart=lists, dry_run=True, payments=False), NOW)
    assert result.notes[1:] == (
        'QuickBooks will add to its lists what lists.iif does not have: ship method "Pigeon" '
        "(Orders!R3). If one is misspelt, correct it in the workbook first.",
    )
    # Lists the export leaves out are not checked.
    result = export_workbook(path, ExportOptions(chart=company_lists(tmp_path), dry_run=True), NOW)
    assert result.notes == ("Account and item names were checked against lists.iif.",)


def test_customers_quickbooks_lacks_are_named_in_a_note(tmp_path: Path) -> None:
    # QuickBooks creates them from their names alone: the note says which, and how to give
    # them their addresses. A customer QuickBooks has under another spelling is named too.
    book = chart_book()
    book.orders += [
        dict(book.orders[1], **{"Order ID": 1000 + n, "Customer": f"Buyer {n}"})
        for n in range(3, 15)
    ]
    book.items += [dict(book.items[2], **{"Order ID": 1000 + n}) for n in range(3, 15)]
    book.orders[1]["Customer"] = "Ada  Lovelace"
    path = book.save(tmp_path / "orders.xlsx")
    lists = company_lists(tmp_path, customers=())
    result = export_workbook(path, ExportOptions(chart=lists, dry_run=True), NOW)
    assert result.notes[1:] == (
        "13 customers of the batch are not in lists.iif: Ada  Lovelace, Buyer 3, Buyer 4, "
        "Buyer 5, Buyer 6, Buyer 7, Buyer 8, Buyer 9, Buyer 10, Buyer 11 and 3 more. QuickBooks "
        "creates each from its name alone (a customer it has under another spelling becomes a "
        "second one); add --declare-customers to create them with their addresses, email and "
        "phone.",
    )
    # Declared, they are created with their addresses: no note.
    options = ExportOptions(chart=lists, dry_run=True, declare_customers=True)
    assert export_workbook(path, options, NOW).notes == (
        "Account and item names were checked against lists.iif.",
    )


def test_quickbooks_tax_owed_to_a_vendor_quickbooks_lacks_is_a_problem(tmp_path: Path) -> None:
    book = quickbooks_tax_book()
    assert book.accounts is not None
    book.accounts[-1][1] = "State Comptroler"
    lists = company_lists(tmp_path)
    assert problems(book, tmp_path, chart=lists, tax_mode="quickbooks", declare_items=True) == [
        'Accounts!B11: tax agency "State Comptroler" is not a vendor in lists.iif; the sales '
        "tax is owed to it, so write the name of the vendor your sales tax item names, as "
        "QuickBooks has it"
    ]
    book.accounts[-1][1] = "state comptroller"  # QuickBooks' names ignore case
    (tmp_path / "ok").mkdir()
    iif = read_iif(
        exported(book, tmp_path / "ok", chart=lists, tax_mode="quickbooks", declare_items=True)
    )
    assert {s["NAME"] for t in iif.transactions for s in t.splits if s["EXTRA"] == "AUTOSTAX"} == {
        "state comptroller"
    }


@pytest.mark.parametrize(
    ("item_type", "refused"), [("OTHC", True), ("COMPTAX", False), ("STAX", False)]
)
def test_the_sales_tax_item_must_be_one_in_quickbooks(
    tmp_path: Path, item_type: str, refused: bool
) -> None:
    # The AUTOSTAX line names a sales tax item (or group); an item of another type QuickBooks
    # has under that name does not do.
    lists = with_lists(
        tmp_path, f"!INVITEM\tNAME\tINVITEMTYPE\nINVITEM\tor sales tax\t{item_type}\n"
    )
    options = ExportOptions(chart=lists, tax_mode="quickbooks", dry_run=True)
    if not refused:
        path = quickbooks_tax_book().save(tmp_path / "orders.xlsx")
        assert [order.order_id for order in export_workbook(path, options, NOW).orders] == [
            "1001",
            "1002",
        ]
        return
    assert problems(quickbooks_tax_book(), tmp_path, chart=lists, tax_mode="quickbooks") == [
        'Accounts!C10: item "OR Sales Tax" is of the type OTHC in lists.iif; the sales tax '
        "line needs a sales tax item (COMPTAX) or a sales tax group (STAX): name one in Item"
    ]


def test_declare_items_with_their_types_and_accounts(tmp_path: Path) -> None:
    book = chart_book()
    assert book.accounts is not None
    book.accounts[3] = ["Item Subtotal", "Sales:Web Store", "", "", "Service"]
    book.items[1]["SKU"] = "MUG-11"  # known to QuickBooks: not declared
    book.items[2]["Taxable"] = "N"
    iif = read_iif(exported(book, tmp_path, chart=ALL_LISTS, declare_items=True))
    assert [
        (i["NAME"], i["INVITEMTYPE"], i["ACCNT"], i["TAXABLE"]) for i in iif.lists["INVITEM"]
    ] == [
        ("TEE-M", "SERV", "Sales:Web Store", "N"),
        ("Discount", "DISC", "Sales Discounts", ""),
        ("State Tax", "OTHC", "Sales Tax Payable", ""),
    ]


def test_skus_that_are_one_quickbooks_item_are_reported_not_merged(tmp_path: Path) -> None:
    book = OrderBook()
    book.items[2]["SKU"] = "mug-11"
    assert problems(book, tmp_path, declare_items=True) == [
        'Items!B4: item "mug-11" (Items!B4) is the same QuickBooks item as "MUG-11" '
        "(Items!B2); QuickBooks item names ignore case, so make them differ"
    ]


def test_declare_customers_with_addresses_and_contacts(tmp_path: Path) -> None:
    book = chart_book()
    book.orders[1].update({"Email": "grace@example.com", "Phone": "555-0102", "Company": "Navy"})
    book.orders.append(dict(book.orders[1], **{"Order ID": 1003}))
    book.items.append(dict(book.items[2], **{"Order ID": 1003}))
    lists = company_lists(tmp_path, customers=())
    iif = read_iif(exported(book, tmp_path, chart=lists, declare_customers=True))
    assert iif.lists["CUST"] == [
        {
            "NAME": "Grace Hopper",
            "BADDR1": "Grace Hopper",
            "BADDR2": "1 Compiler Court",
            "BADDR3": "Arlington, VA 22201",
            "BADDR4": "",
            "BADDR5": "",
            "SADDR1": "",
            "SADDR2": "",
            "SADDR3": "",
            "SADDR4": "",
            "SADDR5": "",
            "PHONE1": "555-0102",
            "EMAIL": "grace@example.com",
            "COMPANYNAME": "Navy",
        }
    ]


def test_two_customers_sharing_one_name_are_reported_with_the_way_out(tmp_path: Path) -> None:
    book = OrderBook()
    book.orders[0].update({"Customer": "Grace Hopper", "Email": "g1@example.com"})
    book.orders[1]["Email"] = "g2@example.com"
    assert problems(book, tmp_path, declare_customers=True) == [
        'Orders!D3: customer "Grace Hopper" (g2@example.com) has the name of another '
        'customer, Orders!D2 (g1@example.com); QuickBooks would make them one. Add a "Customer '
        'Name Rule" row on the Accounts sheet, such as {customer} ({email}) or {company}'
    ]


def test_a_customer_name_rule_names_customers_in_quickbooks(tmp_path: Path) -> None:
    book = OrderBook()
    assert book.accounts is not None
    book.accounts.append(["Customer Name Rule", "{customer} ({order_id})"])
    iif = read_iif(exported(book, tmp_path))
    assert [t.trns["NAME"] for t in iif.transactions] == [
        "Ada Lovelace (1001)",
        "Ada Lovelace (1001)",
        "Grace Hopper (1002)",
        "Grace Hopper (1002)",
    ]


def test_a_name_the_rule_makes_too_long_is_reported(tmp_path: Path) -> None:
    # Each customer's name fits QuickBooks' 41 characters; the name the rule makes does not.
    book = OrderBook()
    assert book.accounts is not None
    book.orders[1]["Customer"] = "G" * 35
    book.accounts.append(["Customer Name Rule", "{customer} ({order_id})"])
    assert problems(book, tmp_path) == [
        f'Orders!D3: customer name "{"G" * 35} (1002)" is 42 characters; QuickBooks allows 41, '
        "so shorten it in the workbook (order 1002)"
    ]


def test_a_rule_with_unknown_fields_is_reported(tmp_path: Path) -> None:
    book = OrderBook()
    assert book.accounts is not None
    book.accounts.append(["Customer Name Rule", "{name} {zip}"])
    assert problems(book, tmp_path) == [
        "Accounts!B10: the rule uses {name}, {zip}; the fields are {customer}, {company}, "
        "{email}, {phone}, {order_id}, {bill_city}, {bill_state}, {bill_zip}, {bill_country}; "
        "for example {customer} ({order_id}) or {company}"
    ]


@pytest.mark.parametrize(
    ("rule", "shown"),
    [
        ("{customer:>999999999}", "customer"),  # a gigabyte of spaces for every order
        ("{order_id} {customer!r}", "customer"),
        ("{customer:{order_id}}", "customer"),
    ],
)
def test_a_rule_that_formats_a_field_is_reported(tmp_path: Path, rule: str, shown: str) -> None:
    book = OrderBook()
    assert book.accounts is not None
    book.accounts.append(["Customer Name Rule", rule])
    assert problems(book, tmp_path) == [
        f"Accounts!B10: the rule {rule!r} formats a field ({{{shown}:...}}); write each field "
        "alone in its braces; for example {customer} ({order_id}) or {company}"
    ]


def test_a_colon_in_a_customer_name_is_reported_unless_a_rule_names_jobs(tmp_path: Path) -> None:
    # QuickBooks reads "Re:Design Studio" as the job "Design Studio" of a customer "Re".
    book = OrderBook()
    book.orders[0]["Customer"] = "Re:Design Studio"
    book.orders.append(dict(book.orders[1], **{"Order ID": 1003, "Customer": "Re:Design Studio"}))
    book.items.append(dict(book.items[2], **{"Order ID": 1003}))  # one problem for both
    assert problems(book, tmp_path) == [
        'Orders!D2: customer "Re:Design Studio" has a ":", which QuickBooks reads as '
        'Customer:Job: the order would go to a job "Design Studio" of a customer "Re"; write the '
        'name without ":" (order 1001)'
    ]
    assert book.accounts is not None
    book.orders[0]["Company"] = "Re:Design"
    book.accounts.append(["Customer Name Rule", "{company}:{customer}"])
    assert problems(book, tmp_path / "jobs") == [
        'Orders!D3: customer ":Grace Hopper" has an empty part before or after a ":" '
        "(Customer:Job); fill the fields the Customer Name Rule names, or change the rule "
        "(order 1002)",
        'Orders!D4: customer ":Re:Design Studio" has an empty part before or after a ":" '
        "(Customer:Job); fill the fields the Customer Name Rule names, or change the rule "
        "(order 1003)",
    ]
    book.orders[1]["Company"] = book.orders[2]["Company"] = "Navy"
    iif = read_iif(exported(book, tmp_path / "jobs"))
    assert [t.trns["NAME"] for t in iif.transactions][:2] == [
        "Re:Design:Re:Design Studio",
        "Re:Design:Re:Design Studio",
    ]


def test_a_customer_named_like_a_vendor_or_employee_is_reported(tmp_path: Path) -> None:
    book = chart_book()
    book.orders[1]["Customer"] = "Rosalind Franklin"
    assert problems(book, tmp_path, chart=company_lists(tmp_path)) == [
        'Orders!D3: customer "Rosalind Franklin" is the name of a employee in QuickBooks, which '
        'keeps one list of names for customers, vendors and employees; add a "Customer Name '
        'Rule" row on the Accounts sheet to name customers differently (order 1002)'
    ]


def quickbooks_tax_book() -> OrderBook:
    book = chart_book()
    assert book.accounts is not None
    book.accounts += [
        ["Sales Tax Item", "Sales Tax Payable", "OR Sales Tax"],
        ["Tax Agency", "State Comptroller"],
    ]
    return book


def test_quickbooks_tax_mode_writes_one_autostax_line_last(tmp_path: Path) -> None:
    iif = read_iif(exported(quickbooks_tax_book(), tmp_path, tax_mode="quickbooks"))
    invoices = [t for t in iif.transactions if t.trns["TRNSTYPE"] == "INVOICE"]
    for invoice in invoices:
        assert invoice.amount_sum() == 0
        autostax = [split for split in invoice.splits if split["EXTRA"] == "AUTOSTAX"]
        assert autostax == [invoice.splits[-1]]
    assert [
        (s["ACCNT"], s["NAME"], s["AMOUNT"], s["PRICE"], s["INVITEM"])
        for invoice in invoices
        for s in invoice.splits[-1:]
    ] == [
        ("Sales Tax Payable", "State Comptroller", "-2.50", "", "OR Sales Tax"),
        ("Sales Tax Payable", "State Comptroller", "0.00", "", "OR Sales Tax"),
    ]
    assert not any(s["ACCNT"] == "GST Payable" for t in invoices for s in t.splits)


def test_quickbooks_tax_mode_needs_its_rows_and_a_tax_agency_of_its_own(tmp_path: Path) -> None:
    assert problems(chart_book(), tmp_path, tax_mode="quickbooks") == [
        'Accounts: --tax-mode quickbooks needs a "Sales Tax Item" row: the sales tax liability '
        "account in Account and the QuickBooks sales tax item in Item",
        'Accounts: --tax-mode quickbooks needs a "Tax Agency" row: the tax agency\'s vendor name '
        "in Account",
    ]
    book = quickbooks_tax_book()
    assert book.accounts is not None
    book.accounts[-1][1] = "grace hopper"
    assert problems(book, tmp_path / "agency", tax_mode="quickbooks") == [
        'Accounts!B11: tax agency "grace hopper" is also the name of a customer; QuickBooks keeps '
        "one list of names, so the tax agency needs a name of its own"
    ]
