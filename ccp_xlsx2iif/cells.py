"""Cell values as the reader gives them, turned into typed values (or a reason why not).

A reader gives numbers as floats (``1001.0``), dates as ``date``/``datetime``, formulas as their
cached value, and text as typed. Each parser accepts what an Excel user puts in such a cell
and raises ``CellValueError`` with a message a bookkeeper can act on otherwise.

Money is ``Decimal`` from here on: a float is converted through its text to 15 significant
digits, as Excel shows it, so ``19.99`` stays ``19.99`` and a formula's 36.900000000000006
is 36.9.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ccp_xlsx2iif.contract import Kind

CellValue = int | float | str | bool | dt.date | dt.datetime | dt.time | dt.timedelta

CENT = Decimal("0.01")
# The largest amount QuickBooks Desktop takes; anything larger is a typing slip.
LARGEST = Decimal("9999999999.99")
_LARGEST_FLOAT = float(LARGEST)
# Binary floats written by formulas carry noise (0.1 + 0.2 = 0.30000000000000004): an amount
# this close to a whole cent is that cent; anything further has real extra decimals.
_FLOAT_NOISE = Decimal("0.000000001")
_FLOAT_NOISE_IN_CENTS = 1e-7
# A whole number of cents as an amount: 1999 -> Decimal("19.99"), 2000 -> Decimal("20.00").
# Multiplied by a cent, exactly, it has two decimals, in half the time scaleb(-2) takes.
_IN_CENTS = CENT.__rmul__

# The number of an amount written as text, once its sign and currency are read (spaces may
# stand around them: they are taken off first, so that no pattern has two runs of spaces
# next to each other to try every way of sharing, which took seconds for a cell of spaces).
_AMOUNT_NUMBER = re.compile(r"(?P<digits>\d{1,3}(?:,\d{3})+|\d+)?(?P<fraction>\.\d+)?")
_CURRENCY_SIGNS = ("$", "\u20ac", "\u00a3")
_EUROPEAN_AMOUNT = re.compile(
    rf"-?[{re.escape(''.join(_CURRENCY_SIGNS))}]?\s*\d{{1,3}}(?:\.\d{{3}})*,\d+"
)
# A date, optionally with a time and a time zone, as shops write them: 2026-03-14,
# 2026-03-14 10:22:01, 2026-03-14T10:22:01Z, 2026-03-14 10:22:01 -0400. The date is the
# shop's own, as written: the time zone does not move it.
_ISO_DATE = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*(?:Z|UTC|[+-]\d{2}:?\d{2}))?)?\Z"
)
_US_DATE = re.compile(
    r"(\d{1,2})/(\d{1,2})/(\d{4})(?: \d{1,2}:\d{2}(?::\d{2})?(?: ?[AaPp][Mm])?)?\Z"
)
_WHOLE_NUMBER_TEXT = re.compile(r"(\d+)\.0+\Z")
_TRUE_WORDS = frozenset({"y", "yes", "true", "1", "x"})
_FALSE_WORDS = frozenset({"n", "no", "false", "0"})


class CellValueError(ValueError):
    """A cell's value cannot be read as the kind its column holds; the text says why."""


def is_blank(value: object) -> bool:
    """Return whether a cell counts as empty: no value, or only spaces."""
    return value is None or (isinstance(value, str) and not value.strip())


def is_unmarked(value: object) -> bool:
    """Return whether an Exported cell says the order is not exported yet.

    It is empty, or FALSE: an unticked checkbox (Insert > Checkbox) is the value FALSE.
    """
    return value is False or is_blank(value)


def says_no(value: CellValue | None) -> bool:
    """Return whether a cell is empty or says no: FALSE, N, No or 0 (any case)."""
    if value is None or is_unmarked(value):
        return True
    return value is not True and parse_text(value).casefold() in _FALSE_WORDS


def shown(value: CellValue) -> str:
    """Return a cell value the way a message quotes it: text in quotes, the rest as shown."""
    if isinstance(value, str):
        return '"' + value + '"'
    return parse_text(value)


# Numbers from here on are beyond the digits a float holds exactly.
EXACT_FLOAT_LIMIT = 1e15


def _number_text(value: float) -> str:
    if abs(value) >= EXACT_FLOAT_LIMIT:  # as Excel shows it
        return repr(value)
    if value.is_integer():
        return str(int(value))
    return format(Decimal(f"{value:.15g}").normalize(), "f")  # 15 digits, as Excel shows


def parse_text(value: CellValue) -> str:
    """Read any cell as text, the way Excel shows a plain number (``1001.0`` -> ``1001``)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return _number_text(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


# A piece of a number format that writes a whole number with leading zeros: a digit
# placeholder, or a separator written as it is (plain, after a backslash, or in quotes).
_ZERO_PADDED_PIECE = re.compile(r'[0#]|\\.|"[^"]*"|[-\s()/]')


def zero_padded_pieces(number_format: str) -> list[str] | None:
    """Split a number format that pads whole numbers with zeros; ``None`` for any other.

    Excel's Zip Code format is ``00000``, ZIP+4 ``00000-0000``: a cell holding the number
    2134 shows ``02134``. Formats with decimals, sections or conditions are not of this kind.
    """
    pieces = _ZERO_PADDED_PIECE.findall(number_format)
    if "".join(pieces) != number_format or pieces.count("0") < 2:
        return None
    return pieces


def zero_padded(value: int | float, pieces: list[str]) -> int | float | str:
    """Write a whole number as a zero-padding format (``zero_padded_pieces``) shows it.

    Digits fill the placeholders from the right; a ``0`` left over shows 0 and a ``#`` shows
    nothing; digits beyond the placeholders go before the first. Any other number is
    returned as it is.
    """
    if value < 0 or value >= 1e15 or value != int(value):
        return value
    digits = str(int(value)) if value else ""
    shown: list[str] = []
    for piece in reversed(pieces):
        if piece in ("0", "#"):
            shown.append(digits[-1:] or ("0" if piece == "0" else ""))
            digits = digits[:-1]
        else:
            shown.append(piece[1:-1] if piece.startswith('"') else piece[-1])
    placeholders = [index for index, piece in enumerate(reversed(pieces)) if piece in ("0", "#")]
    shown[placeholders[-1]] = digits + shown[placeholders[-1]]
    return "".join(reversed(shown))


def parse_order_id(value: CellValue) -> str:
    """Read an order ID: ``1001``, ``1001.0`` and ``"1001"`` are the same order."""
    if type(value) is float and value.is_integer() and abs(value) < EXACT_FLOAT_LIMIT:
        return str(int(value))
    if isinstance(value, (bool, dt.date, dt.time, dt.timedelta)):
        raise CellValueError(f"{shown(value)} is not an order ID")
    text = parse_text(value)
    whole = _WHOLE_NUMBER_TEXT.match(text)
    return whole.group(1) if whole else text


def _decimal(value: CellValue, what: str) -> Decimal:
    number = _any_decimal(value, what)
    if abs(number) > LARGEST:
        raise CellValueError(
            f"{shown(value)} is too large; QuickBooks takes numbers up to {LARGEST:,}"
        )
    return number


def _any_decimal(value: CellValue, what: str) -> Decimal:
    if isinstance(value, bool):
        raise CellValueError(f"{shown(value)} is not {what}; write a number")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise CellValueError(f"{shown(value)} is not {what}; write a number")
        # Excel keeps 15 significant digits and shows no more: a formula's 12.3 * 3 is saved
        # as 36.900000000000006, which the workbook shows, and means, as 36.9.
        return Decimal(f"{value:.15g}")
    if isinstance(value, str):
        text = value.strip()
        negative = text.startswith("-")
        if negative:
            text = text[1:].lstrip()
        if text.startswith(_CURRENCY_SIGNS):
            text = text[1:].lstrip()
        if text.startswith("-"):
            negative, text = True, text[1:]
        match = _AMOUNT_NUMBER.fullmatch(text)
        if match and (match.group("digits") or match.group("fraction")):
            digits = (match.group("digits") or "0").replace(",", "")
            number = Decimal(digits + (match.group("fraction") or ""))
            return -number if negative else number
        if _EUROPEAN_AMOUNT.fullmatch(value.strip()):
            raise CellValueError(
                f"{shown(value)} is written with a decimal comma; "
                "write it as a plain number such as 1234.50"
            )
        raise CellValueError(f"{shown(value)} is not {what}; write a number such as 19.99")
    raise CellValueError(f"{shown(value)} is not {what}; write a number such as 19.99")


def to_cents(number: Decimal) -> Decimal:
    """Round a number to cents, half up, the way a bookkeeper rounds (2.345 -> 2.35)."""
    return number.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_money(value: CellValue) -> Decimal:
    """Read an amount of money, in cents: ``19.99``, ``"19.99"``, ``"$1,234.50"``."""
    if type(value) is float and -_LARGEST_FLOAT <= value <= _LARGEST_FLOAT:
        # The common case, a number cell of whole cents: a hundred times it is (all but) whole.
        hundredfold = round(value * 100)
        if abs(value * 100 - hundredfold) < _FLOAT_NOISE_IN_CENTS:
            return _IN_CENTS(hundredfold)
    number = _decimal(value, "an amount")
    cents = to_cents(number)
    if abs(number - cents) > _FLOAT_NOISE:
        raise CellValueError(
            f"{shown(value)} has more than 2 decimals; QuickBooks takes whole cents, "
            "so round it in the workbook (for a formula: =ROUND(..., 2))"
        )
    return cents


def parse_quantity(value: CellValue) -> Decimal:
    """Read a quantity: a number more than 0, fractions allowed (``1.5`` kg)."""
    number = _decimal(value, "a quantity")
    if number <= 0:
        raise CellValueError(
            f"quantity {shown(value)} must be more than 0; "
            "returns and refunds are not exported as orders"
        )
    return number.normalize() if number == number.to_integral_value() else number


def parse_price(value: CellValue) -> Decimal:
    """Read a unit price: a number of 0 or more, with as many decimals as it has."""
    number = _decimal(value, "a price")
    if number < 0:
        raise CellValueError(
            f"unit price {shown(value)} is negative; put discounts in the order's Discount column"
        )
    return number


def parse_date(value: CellValue, *, day_first: bool = False) -> dt.date:
    """Read a date: a real date cell, or text as ``2026-03-14`` or ``03/14/2026``.

    With ``day_first``, text with slashes is read day first (``14/03/2026``).
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            iso = _ISO_DATE.match(text)
            if iso:
                return dt.date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
            slashed = _US_DATE.match(text)
            if slashed:
                return _slashed_date(slashed, day_first=day_first)
        except ValueError:
            pass
        written = "DD/MM/YYYY (14/03/2026)" if day_first else "MM/DD/YYYY (03/14/2026)"
        other = (
            "dates written month first are read so with the Date Format us"
            if day_first
            else "dates written day first are read so with the Date Format uk"
        )
        raise CellValueError(
            f"{shown(value)} is not a date; write it as YYYY-MM-DD (2026-03-14) or "
            f"{written}, or format the cell as a date"
            + (f" ({other})" if _date_the_other_way(text, day_first) else "")
        )
    raise CellValueError(f"{shown(value)} is not a date; format the cell as a date")


def parse_flag(value: CellValue) -> bool:
    """Read a yes/no cell: Y, Yes, TRUE, 1, x or N, No, FALSE, 0."""
    if isinstance(value, bool):
        return value
    word = parse_text(value).casefold()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise CellValueError(f"{shown(value)} is not yes or no; write Y or N")


def parse_raw(value: CellValue) -> CellValue:
    """Keep a cell's value as the reader gave it."""
    return value


_NOT_REMEMBERED = object()


def remembered(parse: Callable[[CellValue], Any]) -> Callable[[CellValue], Any]:
    """Return ``parse`` remembering what it gave for each number, date or text.

    Prices, quantities, dates and shipping amounts repeat thousands of times in a large
    workbook: each is parsed once, and the rows share one value. Errors are not remembered.
    """
    memory: dict[object, Any] = {}
    numbers: dict[float, Any] = {}

    def parse_remembered(value: CellValue) -> Any:
        # A float is its own key; other values are keyed with their type (1 == True). A value
        # not remembered is looked up with get: a KeyError raised and caught for each of the
        # thousands of amounts seen once (order totals) costs more than parsing them.
        if value.__class__ is float:
            result = numbers.get(value, _NOT_REMEMBERED)
            if result is _NOT_REMEMBERED:
                result = numbers[value] = parse(value)
                if len(numbers) > 100_000:
                    numbers.clear()
            return result
        key = (value.__class__, value)
        result = memory.get(key, _NOT_REMEMBERED)
        if result is _NOT_REMEMBERED:
            result = memory[key] = parse(value)
            if len(memory) > 100_000:
                memory.clear()
        return result

    parse_remembered.__doc__ = parse.__doc__
    return parse_remembered


PARSERS: dict[Kind, Callable[[CellValue], Any]] = {
    Kind.TEXT: parse_text,
    Kind.ORDER_ID: remembered(parse_order_id),
    Kind.DATE: remembered(parse_date),
    Kind.MONEY: remembered(parse_money),
    Kind.QUANTITY: remembered(parse_quantity),
    Kind.PRICE: remembered(parse_price),
    Kind.FLAG: remembered(parse_flag),
    Kind.RAW: parse_raw,
}


def _slashed_date(slashed: re.Match[str], *, day_first: bool) -> dt.date:
    """Return the date of text with slashes, day or month first; ``ValueError``: none."""
    first, second = int(slashed.group(1)), int(slashed.group(2))
    month, day = (second, first) if day_first else (first, second)
    return dt.date(int(slashed.group(3)), month, day)


def _date_the_other_way(text: str, day_first: bool) -> bool:
    """Whether text with slashes is a date read in the other order (``14/03/2026``)."""
    slashed = _US_DATE.match(text)
    if slashed is None:
        return False
    try:
        _slashed_date(slashed, day_first=not day_first)
    except ValueError:
        return False
    return True


def _parse_day_first_date(value: CellValue) -> dt.date:
    """Read a date, text with slashes day first (``14/03/2026``)."""
    return parse_date(value, day_first=True)


# The date parser by whether text dates are written day first (the Date Format setting says).
DATE_PARSERS: dict[bool, Callable[[CellValue], Any]] = {
    False: PARSERS[Kind.DATE],
    True: remembered(_parse_day_first_date),
}


def decimal_text(number: Decimal) -> str:
    """Return a Decimal as plain digits without exponent or trailing zeros (``2``, ``1.5``)."""
    text = str(number)  # as format(number, "f") writes it, but for an exponent
    if "E" in text:
        text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"
