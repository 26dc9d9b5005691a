"""Shop exports convert without retyping: Shopify, WooCommerce, a Columns sheet, one sheet."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl.utils import get_column_letter

from ccp_xlsx2iif.export import ExportOptions, export_workbook
from tests.command import run
from tests.conftest import BATCH, NOW
from tests.expect import failed_export
from tests.grids import calamine_grid, changed_cells, openpyxl_grid
from tests.iif_reader import IifFile, read_iif
from tests.shops import ShopExport, shopify_export, woocommerce_export
from tests.workbooks import ACCOUNT_ROWS, OrderBook, save_sheets

pytestmark = pytest.mark.usefixtures("cli_clock")
ACCOUNTS = dict(row[:2] for row in ACCOUNT_ROWS[1:])


def accounts_file(folder: Path, *extra: tuple[str, list[list[Any]]]) -> Path:
    return save_sheets(folder / "accounts.xlsx", {"Accounts": ACCOUNT_ROWS, **dict(extra)})


def reconcile(iif: IifFile, shop: ShopExport) -> None:
    """Prove each invoice books exactly what the shop says the order was, to the cent."""
    invoices = {t.trns["DOCNUM"]: t for t in iif.transactions if t.trns["TRNSTYPE"] == "INVOICE"}
    assert sorted(invoices) == sorted(shop.expected)
    for order_id, figures in shop.expected.items():
        invoice = invoices[order_id]
        assert Decimal(invoice.trns["AMOUNT"]) == figures["total"], order_id
        assert invoice.amount_sum() == 0
        booked = invoice.amounts_by_account()
        expected = {
            ACCOUNTS["Accounts Receivable"]: figures["total"],
            ACCOUNTS["Item Subtotal"]: -figures["items"],
            ACCOUNTS["Discount"]: figures["discount"],
            ACCOUNTS["Shipping"]: -figures["shipping"],
            ACCOUNTS["State/Province Tax"]: -figures["state_tax"],
            ACCOUNTS["Country Tax"]: -figures["country_tax"],
        }
        assert booked == {account: amount for account, amount in expected.items() if amount}
    payments = [t for t in iif.transactions if t.trns["TRNSTYPE"] == "PAYMENT"]
    assert {t.trns["DOCNUM"]: Decimal(t.trns["AMOUNT"]) for t in payments} == {
        order_id: figures["total"] for order_id, figures in shop.expected.items()
    }


@pytest.mark.parametrize("shop", [shopify_export, woocommerce_export])
def test_a_shop_workbook_exports_as_it_comes_and_reconciles(tmp_path: Path, shop: Any) -> None:
    export: ShopExport = shop()
    path = export.save_xlsx(tmp_path / "orders.xlsx")
    accounts = accounts_file(tmp_path)
    result = export_workbook(path, ExportOptions(accounts=accounts), NOW)
    assert result.iif_path == tmp_path / BATCH
    reconcile(read_iif(result.iif_path.read_bytes()), export)
    skipped = sum(result.skipped.values())
    assert skipped == len(export.skipped)
    layout = (
        "Shopify orders export"
        if shop is shopify_export
        else ("WooCommerce order export (one row per item)")
    )
    assert (
        f'Read the sheet "{export.sheet}" as a {layout}, a row per item (as its headers show).'
    ) in result.notes


def test_shopify_marks_every_row_of_an_order_and_reexports_by_the_one_sheet_rule(
    tmp_path: Path,
) -> None:
    export = shopify_export()
    path = export.save_xlsx(tmp_path / "orders.xlsx")
    accounts = accounts_file(tmp_path)
    before = (calamine_grid(path, export.sheet), openpyxl_grid(path, export.sheet))
    assert run("export", str(path), "--accounts", str(accounts), "-q") == (0, [], [])
    mark = f"2026-03-14 09:30 {BATCH}"
    column = "CB"  # after Shopify's 79 columns
    marked_rows = [
        number for number, row in enumerate(export.rows, start=2) if row["Name"] in export.expected
    ]
    expected = {f"{column}1": "Exported", **{f"{column}{n}": mark for n in marked_rows}}
    assert changed_cells(before[0], calamine_grid(path, export.sheet), "") == expected
    assert changed_cells(before[1], openpyxl_grid(path, export.sheet), None) == expected
    # #1001 has two rows: both are marked; clearing one of them is a problem, not a guess.
    assert marked_rows[:2] == [2, 3]
    from openpyxl import load_workbook

    book = load_workbook(path)
    book[export.sheet][f"{column}3"] = None
    book.save(path)
    assert [str(p) for p in failed_export(path, accounts=accounts)] == [
        f"orders_export_1!{column}3: order #1001 is marked Exported in row 2 but not in row 3; "
        "mark all its rows, or clear all of them to export it again"
    ]
    book[export.sheet][f"{column}2"] = None
    book.save(path)
    again = export_workbook(path, ExportOptions(accounts=accounts), NOW)
    assert [order.order_id for order in again.orders] == ["#1001"]
    assert again.skipped["already exported"] == 2


def test_a_shopify_order_in_its_buyers_currency_is_a_problem(tmp_path: Path) -> None:
    # A shop that sells abroad in its buyers' currencies exports their orders in them.
    export = shopify_export()
    exported = [
        row for row in export.rows if row.get("Currency") and row["Name"] in export.expected
    ]
    exported[1]["Currency"] = "CAD"
    path = export.save_xlsx(tmp_path / "orders.xlsx")
    name = exported[1]["Name"]
    row = export.rows.index(exported[1]) + 2
    column = get_column_letter(export.headers.index("Currency") + 1)
    assert [str(p) for p in failed_export(path, accounts=accounts_file(tmp_path))] == [
        f"orders_export_1!{column}{row}: the order is in CAD, the other orders of the batch in "
        "USD; QuickBooks books every amount in the company's currency, so enter this order by "
        f"hand at its value in USD, then mark it with ccp-xlsx2iif mark (order {name})"
    ]


def test_a_shopify_order_refunded_in_part_is_named_to_be_entered_by_hand(tmp_path: Path) -> None:
    # Skipped for its status, as before; the money it kept is named, with the mark command.
    # The order refunded in full (#1003) kept nothing: it is not named.
    export = shopify_export()
    path = export.save_xlsx(tmp_path / "orders.xlsx")
    result = export_workbook(path, ExportOptions(accounts=accounts_file(tmp_path)), NOW)
    assert result.skipped['status "partially_refunded"'] == 1
    assert result.skipped['status "refunded"'] == 1
    row = next(n for n, r in enumerate(export.rows, start=2) if r["Name"] == "#1006")
    column = get_column_letter(export.headers.index("Refunded Amount") + 1)
    assert [note for note in result.notes if "refund" in note] == [
        f"1 order with a refund is not exported: #1006 (orders_export_1!{column}{row}: 20.00). "
        "The tool books sales, not refunds: enter it in QuickBooks by hand (the sale, then its "
        "refund), then mark it Exported so that no export books it again: ccp-xlsx2iif mark "
        'orders.xlsx --orders "#1006"'
    ]


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_a_shopify_order_cancelled_before_its_refund_is_not_exported(
    tmp_path: Path, suffix: str
) -> None:
    # Shopify keeps an order cancelled before its refund "paid": its Cancelled at date tells.
    # It is written on the order's first row only, as the order's other columns are.
    export = shopify_export()
    cancelled = "#1001"
    rows = [row for row in export.rows if row["Name"] == cancelled]
    assert len(rows) == 2
    assert rows[0]["Financial Status"] == "paid"
    rows[0]["Cancelled at"] = "2026-03-03 08:00:00 -0800"
    del export.expected[cancelled]
    name = tmp_path / f"orders_export_1{suffix}"
    path = export.save_xlsx(name) if suffix == ".xlsx" else export.save_csv(name)
    before = calamine_grid(path, export.sheet) if suffix == ".xlsx" else None
    result = export_workbook(path, ExportOptions(accounts=accounts_file(tmp_path)), NOW)
    assert result.skipped["cancelled"] == 1
    assert result.iif_path is not None
    reconcile(read_iif(result.iif_path.read_bytes()), export)
    if before is not None:  # the cancelled order's rows are not marked Exported
        column = "CB"  # after Shopify's 79 columns
        marked_rows = [
            number
            for number, row in enumerate(export.rows, start=2)
            if row["Name"] in export.expected
        ]
        assert changed_cells(before, calamine_grid(path, export.sheet), "") == {
            f"{column}1": "Exported",
            **{
                f"{column}{number}": f"2026-03-14 09:30 {result.iif_path.name}"
                for number in marked_rows
            },
        }


def test_a_columns_sheet_reads_a_shops_long_labels_as_shorter_ones(tmp_path: Path) -> None:
    # A shop's export comes anew each week: a label QuickBooks finds too long is read as a
    # shorter one once for all, any case, rather than shortened in every week's file.
    export = shopify_export()
    first = next(row for row in export.rows if row["Name"] in export.expected)
    first["Shipping Method"] = "USPS Priority Mail Express"
    path = export.save_xlsx(tmp_path / "orders.xlsx")
    column = get_column_letter(export.headers.index("Shipping Method") + 1)
    row = export.rows.index(first) + 2
    assert [str(p) for p in failed_export(path, accounts=accounts_file(tmp_path))] == [
        f'orders_export_1!{column}{row}: ship method "USPS Priority Mail Express" is 26 '
        "characters; QuickBooks allows 15, so shorten it in the workbook, or read it as a "
        'shorter one with a row of a Columns sheet (Ship Method: "USPS Priority Mail Express '
        f'-> ...") (order {first["Name"]})'
    ]
    columns = [["Field", "Header"], ["Ship Method", "usps priority mail EXPRESS -> USPS Express"]]
    (tmp_path / "mapped").mkdir()
    accounts = accounts_file(tmp_path / "mapped", ("Columns", columns))
    result = export_workbook(path, ExportOptions(accounts=accounts, dry_run=True), NOW)
    assert {order.order_id: order.ship_method for order in result.orders} == {
        name: "USPS Express" if name == first["Name"] else "Standard" for name in export.expected
    }


def test_the_rows_of_an_order_must_agree(tmp_path: Path) -> None:
    export = woocommerce_export()
    export.rows[1]["order_total"] = Decimal("99.99")  # the second row of order 2001
    export.rows[1]["billing_city"] = "Salem"
    path = export.save_xlsx(tmp_path / "orders.xlsx")
    assert [str(p) for p in failed_export(path, accounts=accounts_file(tmp_path))] == [
        "Orders!K3: Total 99.99 differs from Orders!K2 (53.04), on another row of the same "
        "order; the rows of an order must agree (order 2001)",
        'Orders!Y3: Bill City "Salem" differs from Orders!Y2 ("Portland"), on another row of '
        "the same order; the rows of an order must agree (order 2001)",
    ]


def test_woocommerce_statuses_and_a_status_mapping(tmp_path: Path) -> None:
    export = woocommerce_export()
    path = export.save_xlsx(tmp_path / "orders.xlsx")
    accounts = accounts_file(tmp_path)
    result = export_workbook(
        path,
        ExportOptions(accounts=accounts, statuses=("completed", "processing"), dry_run=True),
        NOW,
    )
    assert [order.order_id for order in result.orders] == ["2001", "2002", "2005"]
    assert result.skipped == {'status "cancelled"': 1, 'status "refunded"': 1}


def test_a_columns_sheet_reads_values_of_the_items_sheet_too(tmp_path: Path) -> None:
    # A workbook of the contract's own headers, with a Columns sheet that only renames a SKU:
    # its Items sheet is read through the mapping as its Orders sheet is.
    book = OrderBook()
    book.extra_sheets["Columns"] = [["Field", "Header"], ["SKU", "mug-11 -> MUG-11-BLUE"]]
    path = book.save(tmp_path / "orders.xlsx")
    output = tmp_path / "out.iif"
    export_workbook(path, ExportOptions(output=output), NOW)
    iif = read_iif(output.read_bytes())
    assert [s["INVITEM"] for t in iif.transactions for s in t.splits][:2] == [
        "MUG-11-BLUE",
        "CARD-5",
    ]


def test_a_field_the_columns_sheet_places_must_be_there_even_when_optional(
    tmp_path: Path,
) -> None:
    # A misspelt header left the field out of every invoice without a word: classes gone.
    book = OrderBook()
    book.orders[0]["Class"] = "Web"
    book.extra_sheets["Columns"] = [
        ["Field", "Header"],
        ["Class", "Clas"],
        ["Memo", "Payment Method + Shipp Method"],  # a part of the memo would be lost
    ]
    found = [str(p) for p in failed_export(book.save(tmp_path / "orders.xlsx"))]
    assert found == [
        'Orders: missing columns "Shipp Method" (for Memo), "Clas" (for Class) (layout of the '
        'Columns sheet); the header row must be row 1 (columns found there: "Order ID", "Order '
        'Date", "Status", "Customer", "Bill Address 1", "Bill City", "Bill State", "Bill Zip", '
        '"Subtotal", "Discount", "State Tax", "Shipping", "Total", "Payment Method", '
        '"Exported", "Class")'
    ]
    # A shop's layout names optional columns its export may lack: those may be missing.
    export = shopify_export()
    export.headers.remove("Notes")
    path = export.save_xlsx(tmp_path / "shop.xlsx")
    result = export_workbook(
        path, ExportOptions(accounts=accounts_file(tmp_path), dry_run=True), NOW
    )
    assert sorted(order.order_id for order in result.orders) == sorted(export.expected)


def test_a_columns_sheet_maps_another_shops_export(tmp_path: Path) -> None:
    """A cart export with its own headers, a status to translate and a constant class."""
    headers = [
        "Order Number", "Order Date", "Order Status", "First Name", "Last Name",
        "Product Code", "Product Name", "Qty", "Price", "Shipping Cost", "Handling",
        "Sales Tax", "Grand Total",
    ]  # fmt: skip
    rows: list[list[Any]] = [
        headers,
        ["A-1", "2026-03-09", "Shipped", "Ada", "Lovelace", "MUG-11", "Mug", 2, 12.5, 5, 1, 2, 53],
        ["A-1", "2026-03-09", "Shipped", "Ada", "Lovelace", "CARD-5", "Cards", 1, 20, 5, 1, 2, 53],
        ["A-2", "2026-03-10", "Awaiting Payment", "Alan", "Turing", "MUG-11", "Mug", 1, 12.5, 5, 0, 0, 17.5],
    ]  # fmt: skip
    path = save_sheets(tmp_path / "cart.xlsx", {"Export": rows})
    columns = [
        ["Field", "Header"],
        ["Order ID", "Order Number"],
        ["Status", "Order Status"],
        ["Status", "Shipped -> Completed"],
        ["Customer", "First Name + Last Name"],
        ["SKU", "Product Code"],
        ["Description", "Product Name"],
        ["Quantity", "Qty"],
        ["Unit Price", "Price"],
        ["Shipping", "Shipping Cost + Handling"],
        ["State Tax", "Sales Tax"],
        ["Total", "Grand Total"],
        ["Class", '"Web Store"'],
    ]
    accounts = accounts_file(tmp_path, ("Columns", columns))
    code, out, err = run("export", str(path), "--accounts", str(accounts), "--no-payments")
    assert (code, err) == (0, [])
    assert out[:3] == [
        f"Exported 1 order, total 53.00, to {tmp_path / 'cart-20260314-093005.iif'}",
        'Marked them Exported in Export!N (a new column "Exported").',
        'Skipped 1 order: 1 status "Awaiting Payment".',
    ]
    assert (
        'Read the sheet "Export" as a layout of the Columns sheet, a row per item (as the '
        "Columns sheet says)."
    ) in out
    iif = read_iif((tmp_path / "cart-20260314-093005.iif").read_bytes())
    (invoice,) = iif.transactions
    assert (invoice.trns["NAME"], invoice.trns["AMOUNT"], invoice.trns["CLASS"]) == (
        "Ada Lovelace",
        "53.00",
        "Web Store",
    )
    assert invoice.amounts_by_account() == {
        "Accounts Receivable": Decimal("53.00"),
        "Sales:Web Store": Decimal("-45.00"),
        "Shipping Income": Decimal("-6.00"),
        "Sales Tax Payable": Decimal("-2.00"),
    }


def test_bad_columns_rows_are_problems_with_their_cells(tmp_path: Path) -> None:
    export = shopify_export()
    path = export.save_xlsx(tmp_path / "orders.xlsx")
    columns = [
        ["Field", "Header"],
        ["Colour", "Lineitem name"],
        ["SKU", "Lineitem sku"],
        ["SKU", "Lineitem name"],
        ["Total", "paid -> Completed"],
        ["Unit Price", "Lineitem price / "],
        ["Layout", "bigcommerce"],
    ]
    accounts = accounts_file(tmp_path, ("Columns", columns))
    found = [str(p) for p in failed_export(path, accounts=accounts)]
    assert found[:5] == [
        '[accounts.xlsx]Columns!A2: "Colour" is not a field; the fields are '
        + ", ".join(f'"{header}"' for header in _field_headers()),
        '[accounts.xlsx]Columns!A4: "SKU" is mapped twice; keep one of its rows',
        '[accounts.xlsx]Columns!B5: only text fields read values as others ("paid -> '
        'Completed"); Total is not text',
        '[accounts.xlsx]Columns!B6: "Lineitem price /" is not a column divided by another, '
        'such as "Item Subtotal / Item Quantity"',
        '[accounts.xlsx]Columns!B7: "bigcommerce" is not a layout; the layouts are ccp, '
        "shopify, woocommerce",
    ]


def _field_headers() -> list[str]:
    from ccp_xlsx2iif.layouts import FIELDS

    return [column.header for column in FIELDS.values()]


def test_value_rows_that_say_no_one_thing_are_problems_with_their_cells(tmp_path: Path) -> None:
    book = OrderBook()
    book.extra_sheets["Columns"] = [
        ["Field", "Header"],
        ["Ship Method", "USPS Priority Mail Express ->"],
        ["Ship Method", "a -> b -> c"],
        ["Ship Method", "UPS Ground -> UPS"],
        ["Ship Method", "ups ground -> Ground"],
        ["Ship Method", "UPS GROUND -> UPS"],  # the same again: no harm
    ]
    assert [str(p) for p in failed_export(book.save(tmp_path / "orders.xlsx"))] == [
        'Columns!B2: "USPS Priority Mail Express ->" is not one value read as another; write '
        'the shop\'s value, "->" and the value to read, such as "paid -> Completed"',
        'Columns!B3: "a -> b -> c" is not one value read as another; write the shop\'s value, '
        '"->" and the value to read, such as "paid -> Completed"',
        'Columns!B5: "ups ground" is read as "UPS" on another row; keep one of them',
    ]


def test_a_columns_row_without_its_field_or_its_header_is_a_problem(tmp_path: Path) -> None:
    book = OrderBook()
    book.extra_sheets["Columns"] = [
        ["Field", "Header"],
        ["Memo", ""],
        [None, "Order Notes"],
        ["PO Number", '""'],  # an empty text on purpose: no PO number
    ]
    assert [str(p) for p in failed_export(book.save(tmp_path / "orders.xlsx"))] == [
        "Columns!B2: Header is empty; write the header of the column that holds the field, or "
        '"" to leave the field empty',
        'Columns!A3: Field is empty; write the field that "Order Notes" holds, such as Memo',
    ]


def test_the_layout_can_be_named_and_a_shop_export_without_item_columns_is_refused(
    tmp_path: Path,
) -> None:
    export = shopify_export()
    path = export.save_xlsx(tmp_path / "orders.xlsx")
    accounts = accounts_file(tmp_path)
    code, _, err = run("export", str(path), "--accounts", str(accounts), "--layout", "woocommerce")
    assert code == 1
    assert err[0].startswith(
        'orders_export_1: missing columns "order_number" (for Order ID), "date" (for Order '
        'Date), "status" (for Status), "billing_first_name + billing_last_name" (for Customer), '
        '"order_total" (for Total) (WooCommerce order export (one row per item)); the header '
        "row must be row 1"
    )


def test_columns_shows_each_fields_column(tmp_path: Path) -> None:
    export = shopify_export()
    path = export.save_xlsx(tmp_path / "orders.xlsx")
    code, out, err = run("columns", str(path))
    assert (code, err) == (0, [])
    assert out[:7] == [
        'Sheet "orders_export_1": Shopify orders export, a row per item.',
        'Fields read from the sheet "orders_export_1":',
        '  * Order ID        A "Name"',
        '  * Order Date      P "Created at"',
        '  * Status          C "Financial Status", read as: paid -> Completed',
        '  * Customer        Y "Billing Name"',
        '  * Total           L "Total"',
    ]
    assert "    Subtotal        not read" in out
    assert (
        '    Country Tax     BJ "Tax 1 Value", BL "Tax 2 Value", BN "Tax 3 Value", '
        'BP "Tax 4 Value", BR "Tax 5 Value", by their tax names: the national ones (GST, HST, '
        "VAT...)"
    ) in out
    assert '    Exported        no column "Exported" yet: the first export adds it' in out
    assert out[-1] == "Every required field has a column."
    assert out[-2].startswith("Columns not used: Paid at, Fulfillment Status, Fulfilled at, ")
    export.headers.remove("Lineitem price")
    export.save_xlsx(path)
    code, out, err = run("columns", str(path))
    assert code == 1
    assert '  * Unit Price      no column "Lineitem price"' in out
    assert err == ["Missing required fields: Unit Price."]
