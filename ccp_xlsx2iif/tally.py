"""Debits and credits per account, tallied from the IIF text as it is written.

These are the figures a bookkeeper ticks off against QuickBooks' reports after the import, so
they are read from the file itself (whatever the templates made of the orders), not worked out
again from the workbook. The text streams through in chunks: a line cut at a chunk's end is
kept for the next one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class AccountTotal:
    """What a batch debits and credits to one account (both as positive amounts)."""

    account: str
    debit: Decimal
    credit: Decimal


class Tally:
    """Sums the AMOUNT of every TRNS and SPL row by its ACCNT, as the IIF text goes by."""

    def __init__(self) -> None:
        self._cents: dict[str, list[int]] = {}
        self._patterns: dict[str, tuple[re.Pattern[str], bool]] = {}
        self._rest = ""

    def feed(self, chunks: Iterable[str]) -> Iterator[str]:
        """Yield ``chunks`` unchanged, taking in their rows on the way."""
        for chunk in chunks:
            text = self._rest + chunk
            cut = text.rfind("\n") + 1
            self._rest = text[cut:]
            self._take(text[:cut])
            yield chunk
        if self._rest:
            self._take(self._rest + "\n")
            self._rest = ""

    def _take(self, text: str) -> None:
        if "!" in text:
            for line in text.splitlines():
                if line.startswith(("!TRNS\t", "!SPL\t")):
                    self._learn(line.rstrip("\r").split("\t"))
        for keyword, (pattern, swapped) in self._patterns.items():
            if keyword not in text:
                continue
            for first, second in pattern.findall(text):
                account, amount = (second, first) if swapped else (first, second)
                whole, _, fraction = amount.partition(".")
                cents = int(whole + (fraction + "00")[:2]) if amount else 0
                sums = self._cents.setdefault(account, [0, 0])
                sums[cents < 0] += abs(cents)

    def _learn(self, header: list[str]) -> None:
        """Learn where ACCNT and AMOUNT stand in rows of a header's keyword."""
        keyword = header[0][1:]
        columns = header[1:]
        if "ACCNT" not in columns or "AMOUNT" not in columns:
            return
        account_at, amount_at = columns.index("ACCNT"), columns.index("AMOUNT")
        first, second = sorted((account_at, amount_at))
        field = r"([^\t\r\n]*)"
        skip = r"[^\t\r\n]*\t"
        pattern = (
            rf"^{keyword}\t(?:{skip}){{{first}}}{field}\t(?:{skip}){{{second - first - 1}}}{field}"
        )
        self._patterns[keyword] = (re.compile(pattern, re.MULTILINE), amount_at < account_at)

    def totals(self) -> list[AccountTotal]:
        """Return the debit and credit of each account, in order of account name."""
        return [
            AccountTotal(account, Decimal(debit) * _CENT, Decimal(credit) * _CENT)
            for account, (debit, credit) in sorted(self._cents.items())
        ]
