"""The address lines of an order's IIF rows: the lines given, moved up, as exactly five."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from itertools import product
from typing import Any

import pytest

from ccp_xlsx2iif.orders import Order
from ccp_xlsx2iif.problems import Columns, Origin

# Each part of a bill-to block, and the line it makes when given.
PARTS = {
    "customer": ({"customer": "Ada Lovelace"}, "Ada Lovelace"),
    "street": ({"bill_address1": "12 Analytical Way"}, "12 Analytical Way"),
    "more street": ({"bill_address2": "Suite 4"}, "Suite 4"),
    "city": (
        {"bill_city": "Portland", "bill_state": "OR", "bill_zip": "97201"},
        "Portland, OR 97201",
    ),
    "country": ({"bill_country": "USA"}, "USA"),
}


def order(**fields: Any) -> Order:
    values: dict[str, Any] = {
        "order_id": "1001",
        "order_date": dt.date(2026, 3, 2),
        "status": "Completed",
        "customer": "",
        "total": Decimal("40.00"),
        "origin": Origin(Columns("Orders", {}), 2),
    }
    return Order(**{**values, **fields})


@pytest.mark.parametrize("given", list(product([False, True], repeat=len(PARTS))))
def test_the_bill_to_lines_are_those_given_moved_up(given: tuple[bool, ...]) -> None:
    fields: dict[str, Any] = {}
    lines: list[str] = []
    for (part, line), is_given in zip(PARTS.values(), given, strict=True):
        if is_given:
            fields.update(part)
            lines.append(line)
    assert order(**fields).bill_lines == tuple(lines + [""] * (5 - len(lines)))


@pytest.mark.parametrize(
    ("city", "state", "zip_code", "line"),
    [
        ("Portland", "OR", "97201", "Portland, OR 97201"),
        ("Portland", "OR", "", "Portland, OR"),
        ("Portland", "", "97201", "Portland, 97201"),
        ("", "OR", "97201", "OR 97201"),
        ("Portland", "", "", "Portland"),
        ("", "OR", "", "OR"),
        ("", "", "97201", "97201"),
    ],
)
def test_the_city_line_holds_the_parts_given(
    city: str, state: str, zip_code: str, line: str
) -> None:
    given = order(
        customer="Ada Lovelace",
        bill_address1="12 Analytical Way",
        bill_city=city,
        bill_state=state,
        bill_zip=zip_code,
        bill_country="USA",
        ship_address1="1 Pier Road",
        ship_city=city,
        ship_state=state,
        ship_zip=zip_code,
    )
    assert given.bill_lines == ("Ada Lovelace", "12 Analytical Way", line, "USA", "")
    assert given.ship_lines == ("Ada Lovelace", "1 Pier Road", line, "", "")


def test_the_ship_to_lines_are_blank_without_a_street_city_or_zip() -> None:
    given = order(customer="Ada Lovelace", ship_name="Charles Babbage", ship_country="UK")
    assert given.ship_lines == ("", "", "", "", "")
    shipped = given._replace(ship_zip="SW1A 1AA")
    assert shipped.ship_lines == ("Charles Babbage", "SW1A 1AA", "UK", "", "")
