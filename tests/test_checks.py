"""Every check of the export, each with its exact cell and message, on real .xlsx files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ccp_xlsx2iif.export import ExportOptions, export_workbook
from ccp_xlsx2iif.problems import ProblemsFound
from tests.conftest import NOW
from tests.expect import codes, failed_export, problems
from tests.workbooks import OrderBook


def test_missing_sheet_lists_the_sheets_found(tmp_path: Path) -> None:
    book = OrderBook()
    book.accounts = None
    book.extra_sheets = {"Notes": [["x"]]}
    assert problems(book, tmp_path) == [
        'orders.xlsx: there is no sheet "Accounts" (sheets found: "Orders", "Items", "Notes")'
    ]


def test_sheet_names_match_in_any_case(tmp_path: Path) -> None:
    book = OrderBook()
    book.accounts = None
    book.extra_sheets = {" accounts ": [r[:] for r in OrderBook().accounts or []]}
    path = book.save(tmp_path / "orders.xlsx")
    result = export_workbook(path, ExportOptions(dry_run=True), NOW)
    assert [order.order_id for order in result.orders] == ["1001", "1002"]


def test_missing_columns_list_the_columns_found(tmp_path: Path) -> None:
    book = OrderBook()
    for row in book.orders:
        del row["Total"], row["Status"]
    assert problems(book, tmp_path) == [
        'Orders: missing columns "Status", "Total"; the header row must be row 1 (columns '
        'found there: "Order ID", "Order Date", "Customer", "Bill Address 1", "Bill City", '
        '"Bill State", "Bill Zip", "Subtotal", "Discount", "State Tax", "Shipping", '
        '"Payment Method", "Exported")'
    ]


def test_headers_match_ignoring_case_spaces_underscores_and_punctuation(tmp_path: Path) -> None:
    book = OrderBook()
    renames = {"Order ID": "order_id", "Order Date": "ORDER-DATE", "Unit Price": "UnitPrice"}
    book.orders = [{renames.get(k, k): v for k, v in row.items()} for row in book.orders]
    book.items = [{renames.get(k, k): v for k, v in row.items()} for row in book.items]
    for row in book.orders:
        row["Notes nobody reads"] = "ignored"
    path = book.save(tmp_path / "orders.xlsx")
    result = export_workbook(path, ExportOptions(dry_run=True), NOW)
    assert [order.order_id for order in result.orders] == ["1001", "1002"]


def test_duplicate_header(tmp_path: Path) -> None:
    book = OrderBook()
    for row in book.orders:
        row["TOTAL "] = row["Total"]
    assert problems(book, tmp_path) == [
        'Orders!P1: a second "Total" column (the first is Orders!M1); rename or remove one of them'
    ]


def test_required_cells_must_be_filled_and_readable(tmp_path: Path) -> None:
    book = OrderBook()
    book.orders[0]["Total"] = "abc"
    book.orders[0]["Order Date"] = "31/02/2026"
    book.orders[1]["Customer"] = "  "
    book.items[2]["Quantity"] = None
    book.items[2]["Unit Price"] = "ten"
    assert problems(book, tmp_path) == [
        'Orders!B2: "31/02/2026" is not a date; write it as YYYY-MM-DD (2026-03-14) or '
        "MM/DD/YYYY (03/14/2026), or format the cell as a date (order 1001)",
        'Orders!M2: "abc" is not an amount; write a number such as 19.99 (order 1001)',
        "Orders!D3: Customer is empty (order 1002)",
        "Items!D4: Quantity is empty (order 1002)",
        'Items!E4: "ten" is not a price; write a number such as 19.99 (order 1002)',
    ]


def test_an_unreadable_item_line_is_reported_once_not_again_as_wrong_sums(tmp_path: Path) -> None:
    book = OrderBook()
    book.items[2]["Quantity"] = 0
    book.orders[1]["Total"] = 26
    assert problems(book, tmp_path) == [
        "Items!D4: quantity 0 must be more than 0; returns and refunds are not exported as "
        "orders (order 1002)",
    ]


def test_order_ids_must_be_unique_among_orders_to_export(tmp_path: Path) -> None:
    book = OrderBook()
    book.orders[1]["Order ID"] = "1001"
    assert problems(book, tmp_path) == [
        "Orders!A3: order 1001 is also on Orders!A2; each order must have one row on the "
        "Orders sheet",
        "Items!A4: order 1002 is not on the Orders sheet; fix the Order ID or delete this item row",
    ]


def test_items_must_belong_to_an_order_and_orders_must_have_items(tmp_path: Path) -> None:
    book = OrderBook()
    book.items[2]["Order ID"] = 1003
    book.items.append({"Order ID": None, "SKU": "X", "Quantity": 1, "Unit Price": 1})
    assert problems(book, tmp_path) == [
        "Orders!A3: order 1002 has no item lines on the Items sheet; add them there with this "
        "Order ID (order 1002)",
        "Items!A4: order 1003 is not on the Orders sheet; fix the Order ID or delete this item row",
        "Items!A5: Order ID is empty",
    ]


def test_item_lines_must_add_up_to_the_subtotal(tmp_path: Path) -> None:
    book = OrderBook()
    book.orders[0]["Subtotal"] = 37.0
    book.orders[0]["Total"] = 39.5
    assert problems(book, tmp_path) == [
        "Orders!I2: subtotal 37.00 does not match the sum of its 2 item lines, 37.50 (order 1001)"
    ]


def test_line_total_must_match_quantity_times_price(tmp_path: Path) -> None:
    book = OrderBook()
    book.items[0]["Line Total"] = 24.0
    assert problems(book, tmp_path) == [
        "Items!F2: line total 24.00 does not match quantity 2 x unit price 12.50 = 25.00; put "
        "line discounts in the order's Discount column (order 1001)"
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            # The order's sums agree with the line's total: only the line tells it is wrong.
            {"Line Total": 24.0},
            "Items!F2: line total 24.00 does not match quantity 2 x unit price 12.50 = 25.00; "
            "put line discounts in the order's Discount column (order 1001)",
        ),
        (
            {"Description": "D" * 4096},
            f'Items!C2: memo "{"D" * 57}..." is 4096 characters; QuickBooks allows 4095, so '
            "shorten it in the workbook (order 1001)",
        ),
        (
            {"SKU": "MUG::11"},
            "Items!B2: SKU \"MUG::11\" has an empty part (':' at the start or end, or '::'); "
            "write it as Parent:Child; QuickBooks uses the SKU as the item name (order 1001)",
        ),
        (
            {"SKU": "S" * 32},
            f'Items!B2: SKU "{"S" * 32}" has a part "{"S" * 32}" of 32 characters; QuickBooks '
            "allows 31 for each part of a name; QuickBooks uses the SKU as the item name "
            "(order 1001)",
        ),
    ],
)
def test_one_wrong_line_among_lines_that_all_have_their_total_is_found(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    # Lines that all have a Line Total are first looked at a field at a time (checks._lines_plain).
    book = OrderBook()
    for item in book.items:
        item["Line Total"] = item["Quantity"] * item["Unit Price"]
    book.items[0].update(change)
    if "Line Total" in change:
        book.orders[0].update({"Subtotal": 36.5, "Total": 39.0})
    assert problems(book, tmp_path) == [message]


def test_total_must_match_its_parts_to_the_cent(tmp_path: Path) -> None:
    book = OrderBook()
    book.orders[1]["Total"] = 25.96
    assert problems(book, tmp_path) == [
        "Orders!M3: total 25.96 does not match subtotal 24.00 - discount 4.00 - sale 0.00 + "
        "taxes 0.00 + shipping 5.95 = 25.95 (order 1002)"
    ]


def test_a_total_with_the_taxes_included_in_the_prices_is_told_as_such(tmp_path: Path) -> None:
    # A shop whose prices include tax (VAT, GST) writes them in the subtotal and in Taxes.
    book = OrderBook()
    book.orders[0]["Total"] = 37.5
    assert problems(book, tmp_path) == [
        "Orders!M2: total 37.50 does not match subtotal 37.50 - discount 0.00 - sale 0.00 + "
        "taxes 2.50 + shipping 0.00 = 40.00; it would match with the taxes included in the "
        "prices, which the tool does not take (it books prices before tax, as QuickBooks' "
        "sales tax does): enter such orders in QuickBooks by hand, then mark them with "
        "ccp-xlsx2iif mark (order 1001)"
    ]


def test_an_order_in_another_currency_than_the_others_is_a_problem(tmp_path: Path) -> None:
    # QuickBooks books every amount in the company's currency: 25.95 EUR is not 25.95 USD.
    book = OrderBook()
    book.orders.append(dict(book.orders[0], **{"Order ID": 1003}))
    book.items += [dict(item, **{"Order ID": 1003}) for item in book.items[:2]]
    for order, currency in zip(book.orders, ["usd", "EUR", "USD"], strict=True):
        order["Currency"] = currency
    book.orders.append(dict(book.orders[1], **{"Order ID": 1004, "Currency": None}))
    book.items.append(dict(book.items[2], **{"Order ID": 1004}))
    assert problems(book, tmp_path) == [
        "Orders!P3: the order is in EUR, the other orders of the batch in USD; QuickBooks books "
        "every amount in the company's currency, so enter this order by hand at its value in "
        "USD, then mark it with ccp-xlsx2iif mark (order 1002)"
    ]
    # With the company's currency on the Settings sheet, a batch all in another is refused.
    book.orders[1]["Currency"] = "USD"
    book.extra_sheets["Settings"] = [["Setting", "Value"], ["Currency", "cad"]]
    assert codes(book, tmp_path / "cad") == [
        ("Orders!P2", "other-currency"),
        ("Orders!P3", "other-currency"),
        ("Orders!P4", "other-currency"),
    ]
    book.extra_sheets["Settings"] = [["Setting", "Value"], ["Currency", "US Dollar"]]
    assert problems(book, tmp_path / "bad") == [
        'Settings!B2: "US Dollar" is not a currency code; write the three letters of the '
        "company's currency, such as USD or CAD"
    ]


def test_total_without_subtotal_column_uses_the_item_lines(tmp_path: Path) -> None:
    book = OrderBook()
    for row in book.orders:
        del row["Subtotal"]
    book.orders[0]["Total"] = 105
    assert problems(book, tmp_path) == [
        "Orders!L2: total 105.00 does not match subtotal 37.50 - discount 0.00 - sale 0.00 + "
        "taxes 2.50 + shipping 0.00 = 40.00 (order 1001)"
    ]


def test_amounts_must_not_be_negative_and_total_more_than_zero(tmp_path: Path) -> None:
    book = OrderBook()
    book.orders[1]["Discount"] = -4.0
    book.orders[1]["Total"] = 33.95
    assert problems(book, tmp_path) == [
        "Orders!J3: Discount -4.00 is negative; write it as a positive number (discounts and "
        "sales reduce the total by themselves) (order 1002)"
    ]
    book = OrderBook()
    book.items[2]["Unit Price"] = 0
    book.orders[1].update({"Subtotal": 0, "Discount": 0, "Shipping": 0, "Total": 0})
    assert problems(book, tmp_path / "zero") == [
        "Orders!M3: total 0.00 is not more than 0; QuickBooks refuses invoices of 0.00 or less, "
        "so give this order another status to skip it, or mark it with ccp-xlsx2iif mark to "
        "leave it out (order 1002)"
    ]


def test_implausible_dates(tmp_path: Path) -> None:
    book = OrderBook()
    book.orders[0]["Order Date"] = "1989-12-31"
    book.orders[1]["Order Date"] = "2027-03-16"  # today + 367 days
    assert codes(book, tmp_path) == [
        ("Orders!B2", "implausible-date"),
        ("Orders!B3", "implausible-date"),
    ]


def test_values_over_quickbooks_limits_are_reported_not_cut(tmp_path: Path) -> None:
    book = OrderBook()
    book.orders[0]["Customer"] = "C" * 42
    book.orders[0]["Order ID"] = "A23456789012"
    book.items[0]["Order ID"] = book.items[1]["Order ID"] = "A23456789012"
    book.orders[1]["Bill Address 1"] = "B" * 42
    book.orders[1]["PO Number"] = "P" * 26
    book.orders[1]["Ship Method"] = "Overnight Express"
    book.items[2]["SKU"] = "S" * 32
    assert problems(book, tmp_path) == [
        'Orders!A2: invoice number "A23456789012" is 12 characters; QuickBooks allows 11, so '
        "shorten it in the workbook (order A23456789012)",
        f'Orders!D2: customer name "{"C" * 42}" is 42 characters; QuickBooks allows 41, so '
        "shorten it in the workbook (order A23456789012)",
        f'Orders!E3: address line "{"B" * 42}" is 42 characters; QuickBooks allows 41, so '
        "shorten it in the workbook (order 1002)",
        f'Orders!P3: PO number "{"P" * 26}" is 26 characters; QuickBooks allows 25, so shorten '
        "it in the workbook (order 1002)",
        'Orders!Q3: ship method "Overnight Express" is 17 characters; QuickBooks allows 15, so '
        "shorten it in the workbook, or read it as a shorter one with a row of a Columns sheet "
        '(Ship Method: "Overnight Express -> ...") (order 1002)',
        f'Items!B4: SKU "{"S" * 32}" has a part "{"S" * 32}" of 32 characters; QuickBooks '
        "allows 31 for each part of a name; QuickBooks uses the SKU as the item name (order 1002)",
    ]


@pytest.mark.parametrize(
    ("header", "value", "found"),
    [
        ("Customer", "C" * 42, ("Orders!D3", "too-long")),
        ("Bill Address 1", "B" * 42, ("Orders!E3", "too-long")),
        ("Bill City", "A" * 32, ("Orders!F3", "too-long")),  # "A...A, VA 22201": 42
        ("Payment Method", "P" * 32, ("Orders!N3", "too-long")),
        ("Bill Address 2", "B" * 42, ("Orders!P3", "too-long")),
        ("Bill Country", "U" * 42, ("Orders!P3", "too-long")),
        ("Ship Address 1", "S" * 42, ("Orders!P3", "too-long")),
        ("PO Number", "P" * 26, ("Orders!P3", "too-long")),
        ("Memo", "M" * 4096, ("Orders!P3", "too-long")),
        ("Ship Method", "S" * 16, ("Orders!P3", "too-long")),
        ("Terms", "T" * 32, ("Orders!P3", "too-long")),
        ("Rep", "R" * 6, ("Orders!P3", "too-long")),
        ("Class", "Web::Shop", ("Orders!P3", "bad-name")),
    ],
)
def test_one_text_over_its_limit_in_a_batch_is_found(
    tmp_path: Path, header: str, value: str, found: tuple[str, str]
) -> None:
    # The texts of a batch are first measured a field at a time (checks._texts_fit).
    book = OrderBook()
    book.orders[1][header] = value
    assert codes(book, tmp_path) == [found]
    book.orders[1][header] = value[:-1] if header != "Class" else "Web:Shop"
    (tmp_path / "fits").mkdir()
    path = book.save(tmp_path / "fits" / "orders.xlsx")
    assert len(export_workbook(path, ExportOptions(dry_run=True), NOW).orders) == 2


def test_length_is_measured_after_cleaning(tmp_path: Path) -> None:
    book = OrderBook()
    book.orders[0]["Customer"] = "Ada\n" + "L" * 37  # 41 once the line break is a space
    path = book.save(tmp_path / "orders.xlsx")
    result = export_workbook(path, ExportOptions(dry_run=True), NOW)
    assert len(result.orders) == 2


def test_only_orders_to_export_are_checked(tmp_path: Path) -> None:
    book = OrderBook()
    book.orders.append({"Order ID": 1003, "Status": "Pending", "Total": "garbage"})
    book.orders.append({"Order ID": 1004, "Status": "Completed", "Total": "?", "Exported": "x"})
    book.orders.append({"Order ID": None, "Status": "Cancelled"})
    book.items.append({"Order ID": 1003, "SKU": "X", "Quantity": -5, "Unit Price": "?"})
    path = book.save(tmp_path / "orders.xlsx")
    result = export_workbook(path, ExportOptions(dry_run=True), NOW)
    assert [order.order_id for order in result.orders] == ["1001", "1002"]
    assert dict(result.skipped) == {
        'status "Pending"': 1,
        "already exported": 1,
        'status "Cancelled"': 1,
    }


def test_an_order_with_a_refund_is_skipped_and_named_with_its_cell(tmp_path: Path) -> None:
    # The tool books sales, not refunds: booked whole, the sale would count money given back.
    book = OrderBook()
    for order, refunded in zip(book.orders, [0, "12.50"], strict=True):
        order["Refunded"] = refunded
    book.orders.append(dict(book.orders[0], **{"Order ID": 1003, "Refunded": 40}))
    book.orders.append(dict(book.orders[0], **{"Order ID": 1004, "Status": "Pending"}))
    book.items += [dict(book.items[0], **{"Order ID": n}) for n in (1003, 1004)]
    path = book.save(tmp_path / "orders.xlsx")
    result = export_workbook(path, ExportOptions(dry_run=True), NOW)
    assert [order.order_id for order in result.orders] == ["1001"]
    assert dict(result.skipped) == {"with a refund": 2, 'status "Pending"': 1}
    assert [note for note in result.notes if "refund" in note] == [
        "2 orders with a refund are not exported: 1002 (Orders!P3: 12.50), 1003 (Orders!P4: "
        "40.00). The tool books sales, not refunds: enter each in QuickBooks by hand (the sale, "
        "then its refund), then mark them Exported so that no export books them again: "
        "ccp-xlsx2iif mark orders.xlsx --orders 1002,1003"
    ]


def test_a_refunded_cell_that_cannot_be_read_is_a_problem_of_an_order_to_export(
    tmp_path: Path,
) -> None:
    book = OrderBook()
    book.orders[0]["Refunded"] = "some"
    book.orders[1]["Refunded"] = "#N/A"
    book.orders.append(dict(book.orders[0], **{"Order ID": 1003, "Status": "Cancelled"}))
    assert problems(book, tmp_path) == [
        'Orders!P2: "some" is not an amount; write a number such as 19.99; whether the order '
        "was refunded cannot be told (order 1001)",
        "Orders!P3: the cell shows the error #N/A; correct its formula or value; whether the "
        "order was refunded cannot be told (order 1002)",
    ]


def test_a_cancelled_order_is_skipped_whatever_its_status(tmp_path: Path) -> None:
    # A date, Y or a ticked checkbox cancels; blank, FALSE (unticked) and No (a column of Yes
    # and No) do not. An order skipped for its status is counted by its status.
    book = OrderBook()
    book.orders[0]["Cancelled"] = "2026-03-05 09:00:00 -0800"
    book.orders[1]["Cancelled"] = False
    more = [
        (1003, True, "Completed"),
        (1004, dt.datetime(2026, 3, 6), "Pending"),
        (1005, "", "Completed"),
        (1006, "No", "Completed"),
        (1007, "Y", "Completed"),
    ]
    lines = [item for item in book.items if item["Order ID"] == book.orders[0]["Order ID"]]
    for order_id, cancelled, status in more:
        book.orders.append(
            dict(book.orders[0], **{"Order ID": order_id, "Cancelled": cancelled, "Status": status})
        )
        book.items += [dict(item, **{"Order ID": order_id}) for item in lines]
    path = book.save(tmp_path / "orders.xlsx")
    result = export_workbook(path, ExportOptions(dry_run=True), NOW)
    assert [order.order_id for order in result.orders] == ["1002", "1005", "1006"]
    assert dict(result.skipped) == {"cancelled": 3, 'status "Pending"': 1}


def test_a_cancelled_cell_that_cannot_be_read_is_a_problem_of_an_order_to_export(
    tmp_path: Path,
) -> None:
    book = OrderBook()
    book.orders[1]["Cancelled"] = "#N/A"
    book.orders.append(
        dict(book.orders[0], **{"Order ID": 1003, "Status": "Pending", "Cancelled": "#DIV/0!"})
    )
    assert problems(book, tmp_path) == [
        "Orders!P3: the cell shows the error #N/A; correct its formula or value; whether the "
        "order was cancelled cannot be told (order 1002)",
    ]


def test_an_order_whose_status_cannot_be_read_is_one_problem_not_its_items_too(
    tmp_path: Path,
) -> None:
    book = OrderBook()
    book.orders[1]["Status"] = "#N/A"
    assert problems(book, tmp_path) == [
        "Orders!C3: the cell shows the error #N/A; correct its formula or value"
    ]


def test_status_is_trimmed_any_case_and_other_statuses_can_be_named(tmp_path: Path) -> None:
    book = OrderBook()
    book.orders[0]["Status"] = "  completed "
    book.orders[1]["Status"] = "Shipped"
    path = book.save(tmp_path / "orders.xlsx")
    result = export_workbook(path, ExportOptions(dry_run=True), NOW)
    assert [order.order_id for order in result.orders] == ["1001"]
    assert dict(result.skipped) == {'status "Shipped"': 1}
    options = ExportOptions(dry_run=True, statuses=("Completed", "shipped"))
    result = export_workbook(path, options, NOW)
    assert [order.order_id for order in result.orders] == ["1001", "1002"]


def test_accounts_roles_must_all_be_there_once_with_an_account(tmp_path: Path) -> None:
    book = OrderBook()
    assert book.accounts is not None
    book.accounts[2][1] = ""  # Bank without account
    book.accounts[7][0] = "Discounts"  # unknown role: Discount is missing
    book.accounts.append(["shipping", "Freight Income", ""])  # duplicate role
    book.accounts[3][1] = "Sales::Web"
    book.accounts[4][1] = "Ventes Qu\u00e9bec"
    assert problems(book, tmp_path) == [
        'Accounts: role "Discount" is missing; add a row with Role "Discount" and its '
        "QuickBooks account in the Accounts sheet",
        "Accounts!B3: Account is empty",
        "Accounts!B4: account \"Sales::Web\" has an empty part (':' at the start or end, or "
        "'::'); write it as Parent:Child",
        'Accounts!B5: account "Ventes Qu\u00e9bec" has characters an IIF file cannot carry; use '
        "the same name with plain letters (A-Z, 0-9) here and in QuickBooks",
        'Accounts!A8: "Discounts" is not a role; the roles are "Accounts Receivable", "Bank", '
        '"Item Subtotal", "State/Province Tax", "Country Tax", "Shipping", "Discount", "Sale", '
        '"Sales Tax Item", "Tax Agency", "Chart File", "Customer Name Rule"',
        'Accounts!A10: role "Shipping" is also on Accounts!A7; keep one row per role',
    ]


def test_accounts_from_another_workbook_are_named_with_their_file(tmp_path: Path) -> None:
    accounts = OrderBook()
    assert accounts.accounts is not None
    accounts.accounts[1][1] = " "
    accounts_path = accounts.save(tmp_path / "accounts.xlsx")
    book = OrderBook()
    book.accounts = None
    path = book.save(tmp_path / "orders.xlsx")
    with pytest.raises(ProblemsFound) as raised:
        export_workbook(path, ExportOptions(accounts=accounts_path), NOW)
    assert [str(p) for p in raised.value.problems] == [
        "[accounts.xlsx]Accounts!B2: Account is empty"
    ]


def test_every_problem_is_reported_in_one_run_sorted_by_sheet_and_row(tmp_path: Path) -> None:
    book = OrderBook()
    assert book.accounts is not None
    book.accounts[8][1] = ""
    book.items[0]["Quantity"] = 0
    book.orders[1]["Total"] = 1
    book.orders[0]["Customer"] = None
    assert codes(book, tmp_path) == [
        ("Orders!D2", "empty-cell"),
        ("Orders!M3", "total-mismatch"),
        ("Items!D2", "bad-value"),
        ("Accounts!B9", "empty-cell"),
    ]


def test_without_exported_column_a_new_one_follows_the_last_header(tmp_path: Path) -> None:
    book = OrderBook().drop_order_columns("Exported")
    book.orders.append({"Order ID": 1003, "Status": "Pending", "Unlabelled": "x"})
    path = book.save(tmp_path / "orders.xlsx")
    result = export_workbook(path, ExportOptions(dry_run=True), NOW)
    assert result.marks is not None
    # Columns A-N are the contract's, O is "Unlabelled": the new column is P.
    assert (result.marks.column, result.marks.header) == (16, "Exported")


def test_new_exported_column_refused_when_the_next_column_holds_data(tmp_path: Path) -> None:
    book = OrderBook().drop_order_columns("Exported")
    path = book.save(tmp_path / "orders.xlsx")
    from openpyxl import load_workbook

    workbook = load_workbook(path)
    workbook["Orders"]["O3"] = "stray note"
    workbook.save(path)
    assert [str(p) for p in failed_export(path)] == [
        "Orders!O3: the sheet has no Exported column and the next free column, O, is not empty "
        'here; add the header "Exported" to the column to use'
    ]
