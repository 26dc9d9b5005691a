"""The user's QuickBooks chart of accounts (and other lists), read from what QuickBooks exports.

Three forms are read:

* the IIF list export (File > Utilities > Export > Lists to IIF Files): ``!ACCNT`` rows with
  NAME and ACCNTTYPE, values possibly in double quotes, Windows-1252 text, CRLF or LF. A full
  export also lists items, customers, vendors, employees and other names;
* the Account Listing report saved as Excel or CSV (Reports > List > Account Listing): columns
  ``Account`` and ``Type``, types spelled as QuickBooks shows them ("Other Current Liability");
* a ``Chart of Accounts`` sheet with the same two columns, in the accounts workbook.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ccp_xlsx2iif.cells import CellValue, is_blank, parse_text
from ccp_xlsx2iif.contract import header_key
from ccp_xlsx2iif.problems import FileProblem

ACCOUNT_TYPES: Mapping[str, str] = {
    "AR": "Accounts Receivable",
    "AP": "Accounts Payable",
    "BANK": "Bank",
    "CCARD": "Credit Card",
    "COGS": "Cost of Goods Sold",
    "EQUITY": "Equity",
    "EXEXP": "Other Expense",
    "EXINC": "Other Income",
    "EXP": "Expense",
    "FIXASSET": "Fixed Asset",
    "INC": "Income",
    "LTLIAB": "Long Term Liability",
    "NONPOSTING": "Non-Posting",
    "OASSET": "Other Asset",
    "OCASSET": "Other Current Asset",
    "OCLIAB": "Other Current Liability",
}
_TYPE_BY_KEY = {header_key(name): code for code, name in ACCOUNT_TYPES.items()} | {
    header_key(code): code for code in ACCOUNT_TYPES
}
# The lists of a full IIF export whose names share QuickBooks' one name list with customers.
OTHER_NAME_LISTS: Mapping[str, str] = {
    "VEND": "vendor",
    "EMP": "employee",
    "OTHERNAME": "other name",
}
# The lists whose entries an invoice names (a sales rep by its initials).
SIMPLE_LISTS: Mapping[str, str] = {
    "CLASS": "class",
    "TERMS": "terms",
    "SHIPMETH": "ship method",
    "PAYMETH": "payment method",
    "SALESREP": "sales rep",
}
HOW_TO_EXPORT = (
    "In QuickBooks: File > Utilities > Export > Lists to IIF Files, tick Chart of Accounts "
    "(or every list), save the file, and give it with --chart FILE."
)
# "10100 · Checking": the Account Listing shows account numbers before each name part.
_ACCOUNT_NUMBER = re.compile(r"^\s*\S+\s+\u00b7\s+")
_HEADER_SEARCH_ROWS = 15


def account_type(text: str) -> str | None:
    """Return the IIF code of an account type written as a code or as QuickBooks shows it."""
    return _TYPE_BY_KEY.get(header_key(text))


def describe_type(code: str) -> str:
    """Return an account type as a user reads it: ``Other Current Liability (OCLIAB)``."""
    return f"{ACCOUNT_TYPES.get(code, code)} ({code})"


@dataclass(frozen=True)
class Chart:
    """The accounts of a QuickBooks company file, by full name, and the other lists if known.

    ``items`` (and their types, ``item_types``), ``customers`` and ``other_names`` are
    ``None`` when the source does not list them (an Account Listing, or an IIF export of the
    chart of accounts alone). ``lists``
    holds the names of the other lists an IIF file names entries of (``CLASS``, ``TERMS``,
    ``SHIPMETH``, ``PAYMETH``, ``SALESREP`` and the vendors, ``VEND``), by keyword, for those
    the export holds.
    """

    source: str
    accounts: Mapping[str, str]
    items: frozenset[str] | None = None
    item_types: Mapping[str, str] | None = None
    customers: frozenset[str] | None = None
    other_names: Mapping[str, str] | None = None
    lists: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Accounts a chart sheet names with a type that is not one (or none), as written.
    untyped: Mapping[str, str] = field(default_factory=dict)
    _by_key: dict[str, list[str]] = field(default_factory=dict, repr=False, compare=False)

    def type_of(self, name: str) -> str | None:
        """Return the type code of the account called exactly ``name``, or ``None``."""
        return self.accounts.get(name)

    def suggestion(self, name: str) -> str | None:
        """Return the chart's account the user most likely meant by ``name``, if any."""
        if not self._by_key:
            for known in self.accounts:
                self._by_key.setdefault(header_key(known), []).append(known)
        same = self._by_key.get(header_key(name))
        if same:
            return same[0]
        by_fold = {known.casefold(): known for known in self.accounts}
        close = difflib.get_close_matches(name.casefold(), list(by_fold), n=1, cutoff=0.8)
        if close:
            return by_fold[close[0]]
        last = name.rsplit(":", 1)[-1].casefold()
        endings = [known for known in self.accounts if known.rsplit(":", 1)[-1].casefold() == last]
        return endings[0] if len(endings) == 1 else None


def strip_account_numbers(name: str) -> str:
    """Remove the account numbers the Account Listing shows (``40000 · Sales:40100 · Web``)."""
    return ":".join(_ACCOUNT_NUMBER.sub("", part).strip() for part in name.split(":"))


def _header_row(rows: Sequence[Sequence[CellValue]]) -> tuple[int, int, int] | None:
    """Return (row, Account column, Type column) of the first row naming both, if any."""
    for index, row in enumerate(rows[:_HEADER_SEARCH_ROWS]):
        keys = [header_key(parse_text(cell)) for cell in row]
        if "account" in keys and "type" in keys:
            return index, keys.index("account"), keys.index("type")
    return None


def chart_from_rows(rows: Sequence[Sequence[CellValue]], source: str) -> Chart:
    """Read an Account Listing: below the first row (of the first few) with Account and Type."""
    header = _header_row(rows)
    if header is None:
        raise FileProblem(
            f"{source}: not a chart of accounts (no header row with Account and Type)",
            hint=HOW_TO_EXPORT,
        )
    index, name_at, type_at = header
    accounts: dict[str, str] = {}
    untyped: dict[str, str] = {}
    for row in rows[index + 1 :]:
        if len(row) <= name_at or is_blank(row[name_at]):
            continue
        name = strip_account_numbers(parse_text(row[name_at]))
        written = (
            parse_text(row[type_at]) if type_at < len(row) and not is_blank(row[type_at]) else ""
        )
        code = account_type(written) if written else None
        if code is not None:
            accounts[name] = code
        else:
            untyped[name] = written
    return Chart(source, accounts, untyped=untyped)


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('""', '"')
    return value


def parse_iif_lists(data: bytes, source: str) -> Chart:
    """Read QuickBooks' IIF list export: accounts, and items and names when exported too."""
    text = data.decode("cp1252", errors="replace")
    headers: dict[str, list[str]] = {}
    rows: dict[str, list[dict[str, str]]] = {}
    for line in text.splitlines():
        fields = [_unquote(value) for value in line.split("\t")]
        keyword = fields[0]
        if keyword.startswith("!"):
            headers[keyword[1:]] = fields[1:]
        elif keyword in headers:
            rows.setdefault(keyword, []).append(
                dict(zip(headers[keyword], fields[1:], strict=False))
            )
    if "ACCNT" not in headers:
        raise FileProblem(f"{source}: not a chart of accounts (no !ACCNT rows)", hint=HOW_TO_EXPORT)
    accounts = {
        row["NAME"]: row.get("ACCNTTYPE", "").strip().upper()
        for row in rows.get("ACCNT", [])
        if row.get("NAME")
    }
    full_export = any(keyword in headers for keyword in ("CUST", "INVITEM", *OTHER_NAME_LISTS))

    def names(keyword: str) -> Iterable[str]:
        key = "INITIALS" if keyword == "SALESREP" else "NAME"  # a rep is named by initials
        return (row[key].casefold() for row in rows.get(keyword, []) if row.get(key))

    def listed(keyword: str) -> frozenset[str] | None:
        # A list the export leaves out (not ticked, or empty) is not known: None.
        return frozenset(names(keyword)) if keyword in headers else None

    item_types = (
        {
            row["NAME"].casefold(): row.get("INVITEMTYPE", "").strip().upper()
            for row in rows.get("INVITEM", [])
            if row.get("NAME")
        }
        if "INVITEM" in headers
        else None
    )
    return Chart(
        source,
        accounts,
        items=frozenset(item_types) if item_types is not None else None,
        item_types=item_types,
        customers=listed("CUST"),
        other_names={
            name: kind for keyword, kind in OTHER_NAME_LISTS.items() for name in names(keyword)
        }
        if full_export
        else None,
        lists={
            keyword: known
            for keyword in (*SIMPLE_LISTS, "VEND")
            if (known := listed(keyword)) is not None
        },
    )


def _decode_csv(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def parse_csv(data: bytes, source: str) -> Chart:
    """Read an Account Listing saved as CSV (comma, semicolon or tab separated)."""
    text = _decode_csv(data)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], ",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    return chart_from_rows(rows, source)


def read_chart_file(path: Path) -> Chart:
    """Read a chart of accounts file in any of the forms QuickBooks produces."""
    from ccp_xlsx2iif.workbook import READABLE_SUFFIXES, open_book

    if path.is_dir():
        raise FileProblem(f"{path}: is a folder, not a chart of accounts", hint=HOW_TO_EXPORT)
    suffix = path.suffix.casefold()
    if suffix in READABLE_SUFFIXES:
        book = open_book(path, writable=False, label=path.name, sheets=None)
        try:
            return chart_from_rows(book.read_rows(book.sheet_names[0]), path.name)
        finally:
            book.close()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise FileProblem(f"{path}: no such file", hint=HOW_TO_EXPORT) from None
    except OSError as error:
        raise FileProblem(f"{path}: cannot be read ({error.strerror or error})") from None
    if suffix == ".csv":
        return parse_csv(data, path.name)
    if suffix in (".iif", ".txt"):
        return parse_iif_lists(data, path.name)
    raise FileProblem(
        f"{path}: not a chart of accounts QuickBooks writes (.iif, .csv, .xlsx)", hint=HOW_TO_EXPORT
    )
