"""A small, strict reader of IIF files, for tests: it proves the file's shape, then parses it.

It refuses what QuickBooks would misread: non-ASCII bytes, a line not ended by CRLF, a data
row before its header, a data row with more fields than its header, a transaction that is not
TRNS, SPL..., ENDTRNS.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass
class Transaction:
    """One TRNS row and its SPL rows, each as {column: value}."""

    trns: dict[str, str]
    splits: list[dict[str, str]] = field(default_factory=list)

    @property
    def rows(self) -> list[dict[str, str]]:
        return [self.trns, *self.splits]

    def amount_sum(self) -> Decimal:
        return sum((Decimal(row["AMOUNT"]) for row in self.rows), Decimal("0"))

    def amounts_by_account(self) -> dict[str, Decimal]:
        """Return the sum of the amounts of each account, leaving out sums of 0."""
        sums: dict[str, Decimal] = defaultdict(Decimal)
        for row in self.rows:
            sums[row["ACCNT"]] += Decimal(row["AMOUNT"])
        return {account: amount for account, amount in sums.items() if amount}


@dataclass
class IifFile:
    """The parsed file: list rows by keyword, transactions in order, and the headers."""

    headers: dict[str, list[str]]
    lists: dict[str, list[dict[str, str]]]
    transactions: list[Transaction]

    def invoice_numbers(self) -> list[str]:
        """Return the DOCNUM of each invoice, in order (the Order IDs of an export's batch)."""
        return [t.trns["DOCNUM"] for t in self.transactions if t.trns["TRNSTYPE"] == "INVOICE"]


def read_iif(data: bytes) -> IifFile:
    """Parse IIF bytes, asserting the format rules on the way."""
    assert data.isascii(), "the IIF file holds non-ASCII bytes"
    assert data.endswith(b"\r\n"), "the IIF file does not end with CRLF"
    lines = data[:-2].split(b"\r\n")
    for number, line in enumerate(lines, start=1):
        assert b"\r" not in line, f"line {number} has a bare CR"
        assert b"\n" not in line, f"line {number} has a bare LF"
    headers: dict[str, list[str]] = {}
    lists: dict[str, list[dict[str, str]]] = defaultdict(list)
    transactions: list[Transaction] = []
    current: Transaction | None = None
    for number, raw in enumerate(lines, start=1):
        fields = raw.decode("ascii").split("\t")
        keyword = fields[0]
        if keyword.startswith("!"):
            headers[keyword[1:]] = fields[1:]
            continue
        assert keyword in headers, f"line {number}: {keyword} row before its !{keyword} header"
        columns = headers[keyword]
        values = fields[1:]
        assert len(values) <= len(columns), (
            f"line {number}: {len(values)} fields but !{keyword} declares {len(columns)}"
        )
        row = dict(zip(columns, values + [""] * (len(columns) - len(values)), strict=True))
        if keyword == "TRNS":
            assert current is None, f"line {number}: TRNS inside a transaction"
            current = Transaction(row)
        elif keyword == "SPL":
            assert current is not None, f"line {number}: SPL outside a transaction"
            current.splits.append(row)
        elif keyword == "ENDTRNS":
            assert current is not None, f"line {number}: ENDTRNS outside a transaction"
            assert current.splits, f"line {number}: a transaction without SPL rows"
            transactions.append(current)
            current = None
        else:
            assert current is None, f"line {number}: {keyword} row inside a transaction"
            lists[keyword].append(row)
    assert current is None, "the file ends inside a transaction"
    return IifFile(headers, dict(lists), transactions)
