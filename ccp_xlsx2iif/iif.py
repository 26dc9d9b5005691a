"""The IIF field rules: how text, amounts, dates and quantities must look, and length limits.

IIF has no escaping: a TAB, CR or LF inside a value shifts or splits the row; ``"`` and ``;``
confuse some importers; the 2019+ importer turns accented letters into ``?``. ``clean_text``
makes any text safe: letters are transliterated to ASCII (``José Müller`` -> ``Jose Muller``),
line breaks and tabs become one space, ``"`` becomes ``''`` and ``;`` becomes ``,``, and the
ends are trimmed. Checks use the same function to measure a value against its limit, so the
length QuickBooks sees is the length that is checked.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from ccp_xlsx2iif.cells import decimal_text

US_DATE_FORMAT = "%m/%d/%Y"

_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
# A run of spaces and control characters (a line break, a TAB), matched once each: with a
# control character in it, the run becomes one space.
_SPACES_AND_CONTROLS = re.compile(r"[ \x00-\x1f\x7f]+")
# anyascii spells emoji as their names between colons (":grinning:"); such names are dropped.
_EMOJI_NAME = re.compile(r":[a-z0-9_+-]+:\Z")


@lru_cache(maxsize=4096)
def _transliterate_char(char: str) -> str:
    from anyascii import anyascii

    ascii_text = anyascii(char)
    return "" if _EMOJI_NAME.match(ascii_text) else ascii_text


def _transliterate(match: re.Match[str]) -> str:
    return "".join(_transliterate_char(char) for char in match.group(0))


def is_plain(value: str) -> bool:
    """Whether text stands in an IIF field as it is, spaces aside.

    Nearly all text is printable ASCII without ``"`` or ``;`` already: four C-speed checks
    say so, for one cell or for a whole column joined.
    """
    return value.isascii() and value.isprintable() and '"' not in value and ";" not in value


def clean_text(value: str) -> str:
    """Return text as it can stand in an IIF field: ASCII, one line, no TAB, ``"`` or ``;``."""
    if is_plain(value):
        return value.strip()
    text = _NON_ASCII.sub(_transliterate, value)
    if not text.isprintable():  # ASCII by now: it holds a control character
        text = _SPACES_AND_CONTROLS.sub(_one_space, text)
    return text.replace('"', "''").replace(";", ",").strip()


def _one_space(run: re.Match[str]) -> str:
    spaces = run.group(0)
    return " " if spaces.strip(" ") else spaces


@dataclass(frozen=True, slots=True)
class Limit:
    """The longest value QuickBooks Desktop takes in one kind of field."""

    what: str
    length: int


CUSTOMER_NAME = Limit("customer name", 41)
DOCNUM = Limit("invoice number", 11)
ADDRESS_LINE = Limit("address line", 41)
PO_NUMBER = Limit("PO number", 25)
NAME_SEGMENT = Limit("name part", 31)
MEMO = Limit("memo", 4095)
PAYMENT_METHOD = Limit("payment method", 31)
SHIP_METHOD = Limit("ship method", 15)
TERMS = Limit("terms", 31)
REP = Limit("sales rep", 5)


def too_long(text: str, limit: Limit) -> str | None:
    """Return a message when cleaned ``text`` is longer than ``limit``, else ``None``."""
    if len(text) <= limit.length:
        return None
    return (
        f"{limit.what} {_quote(text)} is {len(text)} characters; QuickBooks allows "
        f"{limit.length}, so shorten it in the workbook"
    )


def list_name_problem(name: str, what: str) -> str | None:
    """Check an account or item name (``Parent:Child``): no empty part, parts of 31 at most."""
    parts = name.split(":")
    if any(not part.strip() for part in parts):
        return (
            f"{what} {_quote(name)} has an empty part (':' at the start or end, or '::'); "
            "write it as Parent:Child"
        )
    for part in parts:
        if len(part) > NAME_SEGMENT.length:
            return (
                f"{what} {_quote(name)} has a part {_quote(part)} of {len(part)} characters; "
                f"QuickBooks allows {NAME_SEGMENT.length} for each part of a name"
            )
    return None


def uncarried_name_problem(name: str, what: str) -> str | None:
    """Refuse a list name that cleaning would change: changed, it would name another entry."""
    if clean_text(name) == name:
        return None
    return (
        f"{what} {_quote(name)} has characters an IIF file cannot carry; use the same name "
        "with plain letters (A-Z, 0-9) here and in QuickBooks"
    )


def _quote(text: str) -> str:
    shown = text if len(text) <= 60 else text[:57] + "..."
    return f'"{shown}"'


def _in_cents(number: Decimal) -> str | None:
    """Return a number written in cents as it reads (``19.99``); ``None`` for any other."""
    text = str(number)
    if len(text) > 3 and text[-3] == "." and "E" not in text:
        return text
    return None


def format_amount(amount: Decimal) -> str:
    """Write an amount of money: ``1234.56``, ``-5.00``; never ``-0.00``."""
    if not amount:
        return "0.00"
    # An amount in cents already reads as it must; anything else goes the long way.
    return _in_cents(amount) or f"{amount:.2f}"


def format_quantity(quantity: Decimal) -> str:
    """Write a quantity without exponent or trailing zeros: ``2``, ``-1.5``."""
    return decimal_text(quantity)


def format_price(price: Decimal) -> str:
    """Write a unit price with at least 2 decimals: ``5.00``, ``0.125``."""
    in_cents = _in_cents(price)  # most prices, which read as they must
    if in_cents is not None:
        return in_cents
    exponent = price.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -2:
        return f"{price:.2f}"
    return decimal_text(price)


def day_first(pattern: str) -> bool:
    """Whether a date pattern writes the day before the month (``%d/%m/%Y``)."""
    return 0 <= pattern.find("%d") < pattern.find("%m")


@lru_cache(maxsize=8192)
def format_date(date: dt.date, pattern: str = US_DATE_FORMAT) -> str:
    """Write a date in the pattern QuickBooks reads (``MM/DD/YYYY`` for US editions)."""
    return date.strftime(pattern)
