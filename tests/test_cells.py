import datetime as dt
from decimal import Decimal

import pytest

from ccp_xlsx2iif.cells import (
    CellValue,
    CellValueError,
    decimal_text,
    is_blank,
    parse_date,
    parse_flag,
    parse_money,
    parse_order_id,
    parse_price,
    parse_quantity,
    parse_text,
    remembered,
    says_no,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1001.0, "1001"),
        (1001, "1001"),
        ("1001", "1001"),
        ("1001.0", "1001"),
        (" A-17 ", "A-17"),
        ("001001", "001001"),
        (1001.5, "1001.5"),
    ],
)
def test_order_ids_as_numbers_or_text_are_the_same(value: object, expected: str) -> None:
    assert parse_order_id(value) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [True, dt.date(2026, 1, 1)])
def test_order_id_refuses_booleans_and_dates(value: object) -> None:
    with pytest.raises(CellValueError):
        parse_order_id(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (19.99, "19.99"),
        (20.0, "20.00"),
        (-0.05, "-0.05"),
        (-0.0, "0.00"),
        (9999999999.99, "9999999999.99"),
        (0.1 + 0.2, "0.30"),
        (5, "5.00"),
        ("19.99", "19.99"),
        (" 1234.5 ", "1234.50"),
        ("$1,234.50", "1234.50"),
        ("-$5", "-5.00"),
        ("$-5", "-5.00"),
        ("\u20ac12", "12.00"),
        (".5", "0.50"),
    ],
)
def test_money_accepts_numbers_and_plain_amount_text(value: object, expected: str) -> None:
    # In cents, an amount reads as the IIF file writes it (iif.format_amount takes it as is).
    assert str(parse_money(value)) == expected  # type: ignore[arg-type]


def test_a_remembered_parser_parses_each_value_once_and_forgets_errors() -> None:
    parsed: list[CellValue] = []

    def parse(value: CellValue) -> str:
        parsed.append(value)
        if value == "abc":
            raise CellValueError("not a number")
        return f"{type(value).__name__} {value}"

    read = remembered(parse)
    values: list[CellValue] = [19.99, 1, True, 1.0, "1", 19.99, 1, True, 1.0, "1"]
    assert [read(value) for value in values] == [
        "float 19.99",
        "int 1",
        "bool True",
        "float 1.0",
        "str 1",
        "float 19.99",
        "int 1",
        "bool True",
        "float 1.0",
        "str 1",
    ]
    for _ in range(2):
        with pytest.raises(CellValueError):
            read("abc")
    # 1, True and 1.0 are equal, but each of its own type: each was parsed once.
    assert parsed == [19.99, 1, True, 1.0, "1", "abc", "abc"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", '"abc" is not an amount; write a number such as 19.99'),
        (
            "1.234,50",
            '"1.234,50" is written with a decimal comma; write it as a plain number such as 1234.50',
        ),
        (
            "12,5",
            '"12,5" is written with a decimal comma; write it as a plain number such as 1234.50',
        ),
        (
            "1,23",
            '"1,23" is written with a decimal comma; write it as a plain number such as 1234.50',
        ),
        (True, "TRUE is not an amount; write a number"),
        (dt.date(2026, 1, 1), "2026-01-01 is not an amount; write a number such as 19.99"),
        (
            19.999,
            "19.999 has more than 2 decimals; QuickBooks takes whole cents, so round it in the "
            "workbook (for a formula: =ROUND(..., 2))",
        ),
        (float("nan"), "NaN is not an amount; write a number"),
    ],
)
def test_money_refusals_say_what_to_do(value: object, message: str) -> None:
    with pytest.raises(CellValueError) as raised:
        parse_money(value)  # type: ignore[arg-type]
    assert str(raised.value) == message


def test_quantity_must_be_more_than_zero() -> None:
    assert parse_quantity(2.0) == Decimal(2)
    assert decimal_text(parse_quantity(2.0)) == "2"
    assert parse_quantity("1.5") == Decimal("1.5")
    for value in (0, -1):
        with pytest.raises(CellValueError, match="must be more than 0"):
            parse_quantity(value)


def test_price_keeps_its_decimals_and_refuses_negative() -> None:
    assert parse_price(0.125) == Decimal("0.125")
    assert parse_price(0) == Decimal(0)
    with pytest.raises(CellValueError, match="is negative; put discounts in the order's Discount"):
        parse_price(-1)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # A formula's result as Excel saves it, read as Excel shows it (15 significant digits).
        (12.3 * 3, "36.9"),  # saved as 36.900000000000006
        (0.1 + 0.2, "0.3"),  # 0.30000000000000004
        (1 / 3, "0.333333333333333"),
        (2.675, "2.675"),
        (19.99, "19.99"),
        (123456789.125, "123456789.125"),
        (7, "7"),
    ],
)
def test_a_price_or_quantity_from_a_formula_is_read_as_excel_shows_it(
    value: float, expected: str
) -> None:
    assert parse_price(value) == Decimal(expected)
    assert parse_quantity(value) == Decimal(expected)
    assert str(parse_price(value)) == expected
    assert parse_text(value) == expected  # a number in a text column (a ZIP code, a SKU)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.date(2026, 3, 14), dt.date(2026, 3, 14)),
        (dt.datetime(2026, 3, 14, 23, 59), dt.date(2026, 3, 14)),
        ("2026-03-14", dt.date(2026, 3, 14)),
        ("2026-03-14 10:22:01", dt.date(2026, 3, 14)),
        ("2026-03-14T10:22", dt.date(2026, 3, 14)),
        ("03/14/2026", dt.date(2026, 3, 14)),
        ("3/4/2026", dt.date(2026, 3, 4)),
        ("3/4/2026 1:05 PM", dt.date(2026, 3, 4)),
    ],
)
def test_dates_as_cells_or_text(value: object, expected: dt.date) -> None:
    assert parse_date(value) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value", ["31/02/2026", "2026-02-30", "14/03/2026", "March 14", 46095.0, True]
)
def test_impossible_or_ambiguous_dates_are_refused(value: object) -> None:
    with pytest.raises(CellValueError, match="is not a date"):
        parse_date(value)  # type: ignore[arg-type]


def test_flags() -> None:
    assert [parse_flag(v) for v in ("Y", "yes", "TRUE", 1.0, "x", True)] == [True] * 6
    assert [parse_flag(v) for v in ("N", "no", "False", 0.0, False)] == [False] * 5
    with pytest.raises(CellValueError, match='"maybe" is not yes or no; write Y or N'):
        parse_flag("maybe")


def test_text_and_blank() -> None:
    assert parse_text(5551234567.0) == "5551234567"
    assert parse_text(2.5) == "2.5"
    assert parse_text("  Ada  ") == "Ada"
    assert parse_text(dt.date(2026, 1, 2)) == "2026-01-02"
    assert [is_blank(v) for v in (None, "", "   ", "x", 0)] == [True, True, True, False, False]


def test_numbers_too_large_for_quickbooks() -> None:
    assert parse_money(9999999999.99) == Decimal("9999999999.99")
    for parse in (parse_money, parse_quantity, parse_price):
        with pytest.raises(CellValueError) as raised:
            parse(1e26)
        assert str(raised.value) == (
            "1e+26 is too large; QuickBooks takes numbers up to 9,999,999,999.99"
        )


@pytest.mark.parametrize("value", [None, "", "  ", False, 0, 0.0, "n", "NO", " false ", "0"])
def test_a_cell_that_is_empty_or_says_no(value: CellValue | None) -> None:
    assert says_no(value)


@pytest.mark.parametrize(
    "value",
    [True, 1, 1.0, "Y", "yes", "x", "2026-03-03 08:00:00 -0800", dt.datetime(2026, 3, 3), "nope"],
)
def test_a_cell_that_does_not_say_no(value: CellValue | None) -> None:
    assert not says_no(value)
