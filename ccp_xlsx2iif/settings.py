"""Settings that stick: the options a shop uses every week, kept on a Settings sheet.

A Settings sheet has two columns, ``Setting`` and ``Value``. It is read from the order
workbook and, when one is used, from the accounts workbook (the order workbook's value wins
when both give one); an option given on the command line wins over both. A setting the tool
does not know is reported with the list of those it does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ccp_xlsx2iif import iif
from ccp_xlsx2iif.cells import CellValueError, is_blank, parse_flag, parse_text
from ccp_xlsx2iif.contract import BOOK_AS, TAX_MODES, header_key
from ccp_xlsx2iif.problems import Place, Problem
from ccp_xlsx2iif.workbook import Sheets

SETTINGS_SHEET = "Settings"
LAYOUT_KEYS = ("ccp", "shopify", "woocommerce")
DATE_FORMATS = {"us": "%m/%d/%Y", "uk": "%d/%m/%Y"}


class SettingError(ValueError):
    """A setting's value cannot be used; the text says why."""


def date_pattern(text: str) -> str:
    """Return the strftime pattern of ``us``, ``uk`` or a pattern with day, month and year."""
    pattern = DATE_FORMATS.get(text.strip().casefold(), text.strip())
    if not all(part in pattern for part in ("%d", "%m")) or not (
        "%Y" in pattern or "%y" in pattern
    ):
        raise SettingError(
            f'"{text}" is not a date format; write us (MM/DD/YYYY), uk (DD/MM/YYYY) or a '
            "pattern with %d, %m and %Y, such as %d.%m.%Y"
        )
    # The date goes into an IIF field as it is written: it must be plain ASCII there (a TAB
    # would shift the row), and this system's strftime must know every directive of it.
    try:
        written = dt.date(2026, 12, 31).strftime(pattern)
    except ValueError:
        written = ""
    if not written or not iif.is_plain(written) or written != written.strip():
        raise SettingError(
            f'"{text}" is not a date format QuickBooks can read in an IIF file; write us '
            "(MM/DD/YYYY), uk (DD/MM/YYYY) or a pattern of %d, %m and %Y with plain separators, "
            "such as %d.%m.%Y"
        )
    return pattern


def _choice(choices: tuple[str, ...]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = text.strip().casefold().replace(" ", "-")
        if value not in choices:
            raise SettingError(f'"{text}" is not one of {", ".join(choices)}')
        return value

    return parse


def _flag(text: str) -> bool:
    try:
        return parse_flag(text)
    except CellValueError as error:
        raise SettingError(str(error)) from None


def _currency(text: str) -> str:
    code = text.strip().upper()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise SettingError(
            f'"{text}" is not a currency code; write the three letters of the company\'s '
            "currency, such as USD or CAD"
        )
    return code


def _statuses(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


@dataclass(frozen=True)
class Setting:
    """A setting: its name on the sheet, the export option it sets, how its value is read."""

    name: str
    option: str
    parse: Callable[[str], Any]
    is_path: bool = False


SETTINGS: tuple[Setting, ...] = (
    Setting("Accounts File", "accounts", str, is_path=True),
    Setting("Chart File", "chart", str, is_path=True),
    Setting("Output Folder", "output_folder", str, is_path=True),
    Setting("Status", "statuses", _statuses),
    Setting("Book As", "book_as", _choice(BOOK_AS)),
    Setting("Date Format", "date_format", date_pattern),
    Setting("Tax Mode", "tax_mode", _choice(TAX_MODES)),
    Setting("Class", "class_name", str),
    Setting("Currency", "currency", _currency),
    Setting("Payments", "payments", _flag),
    Setting("Create Accounts", "create_accounts", _flag),
    Setting("Declare Items", "declare_items", _flag),
    Setting("Declare Customers", "declare_customers", _flag),
    Setting("Layout", "layout", _choice(LAYOUT_KEYS)),
)
_BY_KEY = {header_key(setting.name): setting for setting in SETTINGS}


def read_settings(book: Sheets) -> tuple[dict[str, Any], list[Problem]]:
    """Read the Settings sheet of ``book`` (if any) into {option: value}.

    Paths are taken relative to the workbook's folder.
    """
    sheet = book.find_sheet(SETTINGS_SHEET)
    if sheet is None:
        return {}, []
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    rows = book.read_rows(sheet)
    valid = ", ".join(f'"{setting.name}"' for setting in SETTINGS)
    for index, row in enumerate(rows[1:], start=2):
        name = parse_text(row[0]) if row and not is_blank(row[0]) else ""
        raw = row[1] if len(row) > 1 else ""
        if not name:
            if not is_blank(raw):  # a value for no setting: a row the tool would pass over
                problems.append(
                    Problem(
                        Place(sheet, index, 1, book.label),
                        "unknown-setting",
                        f'Setting is empty; write the setting that "{parse_text(raw)}" is for; '
                        f"the settings are {valid}",
                    )
                )
            continue
        setting = _BY_KEY.get(header_key(name))
        if setting is None:
            problems.append(
                Problem(
                    Place(sheet, index, 1, book.label),
                    "unknown-setting",
                    f'"{name}" is not a setting; the settings are {valid}',
                )
            )
            continue
        if is_blank(raw):
            continue
        try:
            value = setting.parse(parse_text(raw))
        except SettingError as error:
            problems.append(Problem(Place(sheet, index, 2, book.label), "bad-setting", str(error)))
            continue
        if setting.is_path:
            path = Path(value)
            value = path if path.is_absolute() else book.path.parent / path
        values.setdefault(setting.option, value)
    return values, problems
