import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccp_xlsx2iif import iif


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ada Lovelace", "Ada Lovelace"),
        ("  padded  ", "padded"),
        ("Jos\u00e9 M\u00fcller", "Jose Muller"),
        ("Nguy\u1ec5n Th\u1ecb Minh", "Nguyen Thi Minh"),
        ("Stra\u00dfe", "Strasse"),
        ("line one\nline two", "line one line two"),
        ("line one \r\n line two", "line one line two"),
        ("tab\tseparated", "tab separated"),
        ("one \t \n two", "one two"),
        ("Jos\u00e9   spaced", "Jose   spaced"),
        ('12" pipe', "12'' pipe"),
        ("a;b", "a,b"),
        ("\u201cquoted\u201d", "''quoted''"),
        ("I \U0001f600 it", "I  it"),
        ("bell\x07", "bell"),
    ],
)
def test_clean_text_makes_any_text_a_safe_field(text: str, expected: str) -> None:
    assert iif.clean_text(text) == expected


def test_clean_text_is_idempotent() -> None:
    text = 'Jos\u00e9 "Pepe"; M\u00fcller\n\tSr.'
    once = iif.clean_text(text)
    assert iif.clean_text(once) == once
    assert once.isascii()


def test_amounts_quantities_prices_dates() -> None:
    assert iif.format_amount(Decimal("1234.5")) == "1234.50"
    assert iif.format_amount(Decimal("-5")) == "-5.00"
    assert iif.format_amount(Decimal("-0.00")) == "0.00"
    assert iif.format_quantity(Decimal("-2")) == "-2"
    assert iif.format_quantity(Decimal("1.50")) == "1.5"
    assert iif.format_quantity(Decimal("1E+2")) == "100"
    assert iif.format_price(Decimal("5")) == "5.00"
    assert iif.format_price(Decimal("1.50000")) == "1.50"
    assert iif.format_price(Decimal("0.125")) == "0.125"
    assert iif.format_date(dt.date(2026, 3, 4)) == "03/04/2026"


@given(st.integers(-(10**12), 10**12), st.integers(-8, 2))
def test_a_price_has_two_decimals_or_as_many_as_it_needs(digits: int, exponent: int) -> None:
    price = Decimal(digits).scaleb(exponent)
    needs = max(0, -price.normalize().as_tuple().exponent)  # type: ignore[operator]
    text = iif.format_price(price)
    decimals = text.partition(".")[2]
    assert Decimal(text) == price
    assert len(decimals) == max(2, needs)
    assert "E" not in text


def test_limits() -> None:
    assert iif.too_long("x" * 41, iif.CUSTOMER_NAME) is None
    assert iif.too_long("x" * 42, iif.CUSTOMER_NAME) == (
        f'customer name "{"x" * 42}" is 42 characters; QuickBooks allows 41, so shorten it in '
        "the workbook"
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Income:Web Sales", None),
        ("A" * 31 + ":" + "B" * 31, None),
        (
            ":Income",
            "account \":Income\" has an empty part (':' at the start or end, or '::'); write it as Parent:Child",
        ),
        (
            "Income:",
            "account \"Income:\" has an empty part (':' at the start or end, or '::'); write it as Parent:Child",
        ),
        (
            "Income::Web",
            "account \"Income::Web\" has an empty part (':' at the start or end, or '::'); write it as Parent:Child",
        ),
        (
            "Income:" + "W" * 32,
            f'account "Income:{"W" * 32}" has a part "{"W" * 32}" of 32 characters; QuickBooks allows 31 for each part of a name',
        ),
    ],
)
def test_list_names(name: str, message: str | None) -> None:
    assert iif.list_name_problem(name, "account") == message


@given(st.integers(-(10**12), 10**12), st.integers(-10, 10))
def test_a_quantity_is_plain_digits_without_trailing_zeros(digits: int, exponent: int) -> None:
    quantity = Decimal(digits).scaleb(exponent)
    text = iif.format_quantity(quantity)
    assert Decimal(text) == quantity
    assert "E" not in text
    assert not text.endswith(".")
    assert "." not in text or not text.endswith("0")
