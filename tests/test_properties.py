"""Property tests: random valid workbooks export exactly; random invalid ones never crash.

The examples are derived from a fixed seed (``derandomize``), so a run is repeatable; set
``HYPOTHESIS_PROFILE=thorough`` for many more examples.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook
from typer.testing import CliRunner

from ccp_xlsx2iif import cli
from ccp_xlsx2iif.export import ExportOptions, export_workbook
from ccp_xlsx2iif.iif import clean_text
from tests.conftest import NOW
from tests.iif_reader import read_iif
from tests.workbooks import ACCOUNT_ROWS, OrderBook

settings.register_profile(
    "default",
    derandomize=True,
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=500, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

CENTS = Decimal("0.01")
# Text from the whole Unicode range, but for what no worksheet can hold (surrogates, and the
# control characters openpyxl refuses to write); openpyxl writes text starting with "=" as a
# formula without a value, which the export rightly refuses.
TEXT = st.text(
    st.characters(
        blacklist_categories=["Cs"],
        blacklist_characters="".join(chr(c) for c in range(32) if chr(c) not in "\t\n\r"),
    ),
    max_size=12,
).filter(lambda text: not text.startswith("="))
MONEY = st.integers(min_value=0, max_value=200_000).map(lambda cents: Decimal(cents) * CENTS)


def up_to(limit: Decimal) -> st.SearchStrategy[Decimal]:
    """Amounts of money from 0.00 to ``limit``."""
    return st.integers(0, int(limit / CENTS)).map(lambda cents: Decimal(cents) * CENTS)


@st.composite
def orders(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    order_rows: list[dict[str, Any]] = []
    item_rows: list[dict[str, Any]] = []
    for number in range(draw(st.integers(1, 5))):
        order_id = 5000 + number
        subtotal = Decimal(0)
        for _ in range(draw(st.integers(1, 4))):
            quantity = draw(st.integers(1, 7))
            price = draw(MONEY)
            sku = "SKU-" + draw(TEXT)
            assume(len(clean_text(sku)) <= 31 and ":" not in sku)
            item_rows.append(
                {
                    "Order ID": order_id,
                    "SKU": sku,
                    "Description": draw(TEXT),
                    "Quantity": quantity,
                    "Unit Price": float(price),
                }
            )
            subtotal += quantity * price
        discount = draw(up_to(subtotal))
        sale = draw(up_to(subtotal - discount))
        state_tax, country_tax, shipping = draw(MONEY), draw(MONEY), draw(MONEY)
        total = subtotal - discount - sale + state_tax + country_tax + shipping
        assume(total > 0)
        customer = "C " + draw(TEXT)
        assume(len(clean_text(customer)) <= 41 and ":" not in clean_text(customer))
        street = draw(TEXT)
        assume(len(clean_text(street)) <= 41)
        order_rows.append(
            {
                "Order ID": order_id,
                "Order Date": draw(st.dates(dt.date(2000, 1, 1), dt.date(2026, 3, 14))),
                "Status": "Completed",
                "Customer": customer,
                "Bill Address 1": street,
                "Memo": draw(TEXT),
                "Subtotal": float(subtotal),
                "Discount": float(discount),
                "Sale": float(sale),
                "State Tax": float(state_tax),
                "Country Tax": float(country_tax),
                "Shipping": float(shipping),
                "Total": float(total),
                "Exported": None,
            }
        )
    return order_rows, item_rows


def grid(path: Path) -> list[list[Any]]:
    with CalamineWorkbook.from_path(str(path)) as book:
        return book.get_sheet_by_name("Orders").to_python(skip_empty_area=False)


ACCOUNTS = {row[0]: row[1] for row in ACCOUNT_ROWS[1:]}


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(orders())
def test_random_valid_workbooks_export_exactly(
    data: tuple[list[dict[str, Any]], list[dict[str, Any]]],
) -> None:
    order_rows, item_rows = data
    with tempfile.TemporaryDirectory() as folder:
        path = OrderBook(orders=order_rows, items=item_rows).save(Path(folder) / "orders.xlsx")
        before = grid(path)
        result = export_workbook(path, ExportOptions(output=Path(folder) / "out.iif"), NOW)
        iif = read_iif((Path(folder) / "out.iif").read_bytes())
        after = grid(path)

    assert len(result.orders) == len(order_rows)
    invoices = [t for t in iif.transactions if t.trns["TRNSTYPE"] == "INVOICE"]
    for transaction in iif.transactions:
        assert transaction.amount_sum() == 0
    for row, invoice in zip(order_rows, invoices, strict=True):
        lines = [r for r in item_rows if r["Order ID"] == row["Order ID"]]
        expected = {
            ACCOUNTS["Accounts Receivable"]: Decimal(str(row["Total"])),
            ACCOUNTS["Item Subtotal"]: -Decimal(str(row["Subtotal"])),
            ACCOUNTS["State/Province Tax"]: -Decimal(str(row["State Tax"])),
            ACCOUNTS["Country Tax"]: -Decimal(str(row["Country Tax"])),
            ACCOUNTS["Shipping"]: -Decimal(str(row["Shipping"])),
            ACCOUNTS["Discount"]: Decimal(str(row["Discount"])),
            ACCOUNTS["Sale"]: Decimal(str(row["Sale"])),
        }
        assert invoice.trns["DOCNUM"] == str(row["Order ID"])
        assert invoice.amounts_by_account() == {k: v for k, v in expected.items() if v}
        assert len(invoice.splits) >= len(lines)
        for field in invoice.rows:
            assert all(value == clean_text(value) for value in field.values())
    # Only the Exported cells changed.
    exported = before[0].index("Exported")
    mark = f"{NOW:%Y-%m-%d %H:%M} out.iif"
    for old, new in zip(before, after, strict=True):
        assert old[:exported] + old[exported + 1 :] == new[:exported] + new[exported + 1 :]
    assert [row[exported] for row in after[1:]] == [mark] * len(order_rows)


JUNK = st.one_of(
    TEXT,
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1)),
    st.sampled_from(["#N/A", "$1,234.50", "1.234,50", "31/02/2026", "Completed", "1001", ":x::"]),
)


@st.composite
def damaged_books(draw: st.DrawFn) -> OrderBook:
    book = OrderBook()
    sheets: list[list[dict[str, Any]]] = [book.orders, book.items]
    for _ in range(draw(st.integers(1, 8))):
        rows = draw(st.sampled_from(sheets))
        row = draw(st.sampled_from(rows))
        column = draw(st.sampled_from([*row, "Extra"]))
        row[column] = draw(JUNK)
    if draw(st.booleans()):
        assert book.accounts is not None
        book.accounts[draw(st.integers(1, 8))][draw(st.integers(0, 2))] = draw(JUNK)
    return book


@given(damaged_books())
def test_random_invalid_workbooks_never_crash(book: OrderBook) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = book.save(Path(folder) / "orders.xlsx")
        before = path.read_bytes()
        result = CliRunner().invoke(cli.app, ["export", str(path)])
        assert result.exception is None or isinstance(result.exception, SystemExit), result.output
        assert result.exit_code in (0, 1, 3), result.output
        if result.exit_code:
            assert path.read_bytes() == before
            assert sorted(p.name for p in Path(folder).iterdir()) == ["orders.xlsx"]
