"""Debits and credits per account, tallied from the IIF text as it is written.

These are the figures a bookkeeper ticks off against QuickBooks' reports after the import, so
they are read from the file itself (whatever the templates made of the orders), not worked out
again from the workbook. The text streams through in chunks: a line cut at a chunk's end is
kept for the next one.
"""

from __future__ import annotations

import re
from collections import Counter
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
    """Sums the AMOUNT of every TRNS and SPL row by its ACCNT, as the IIF text goes by.

    One regular expression per header layout finds the (account, amount) pairs of a chunk,
    and equal pairs are counted together, so that Python works once per distinct pair: most
    amounts of a batch repeat.
    """

    def __init__(self) -> None:
        self._cents: dict[str, list[int]] = {}
        self._layouts: dict[str, tuple[int, int]] = {}
        self._patterns: list[tuple[re.Pattern[str], bool]] = []
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
        pairs: Counter[tuple[str, str]] = Counter()
        # Rows are found after a line break (a literal the search skips to fast): the text
        # is given one before its first row.
        text = "\n" + text
        for pattern, swapped in self._patterns:
            found = pattern.findall(text)
            pairs.update(((b, a) for a, b in found) if swapped else found)
        for (account, amount), times in pairs.items():
            whole, _, fraction = amount.partition(".")
            cents = int(whole + (fraction + "00")[:2]) if amount else 0
            sums = self._cents.setdefault(account, [0, 0])
            sums[cents < 0] += abs(cents) * times

    def _learn(self, header: list[str]) -> None:
        """Learn where ACCNT and AMOUNT stand in rows of a header's keyword."""
        keyword = header[0][1:]
        columns = header[1:]
        if "ACCNT" not in columns or "AMOUNT" not in columns:
            return
        self._layouts[keyword] = (columns.index("ACCNT"), columns.index("AMOUNT"))
        # Keywords whose rows have ACCNT and AMOUNT in the same places share one pattern.
        by_layout: dict[tuple[int, int], list[str]] = {}
        for name, layout in self._layouts.items():
            by_layout.setdefault(layout, []).append(name)
        self._patterns = []
        for (account_at, amount_at), keywords in by_layout.items():
            first, second = sorted((account_at, amount_at))
            field = r"([^\t\r\n]*)"
            skip = r"[^\t\r\n]*\t"
            names = "|".join(map(re.escape, keywords))
            # The skipped fields are written out, not counted ({2}): a fifth faster.
            pattern = rf"\n(?:{names})\t{skip * first}{field}\t{skip * (second - first - 1)}{field}"
            self._patterns.append((re.compile(pattern), amount_at < account_at))

    def totals(self) -> list[AccountTotal]:
        """Return the debit and credit of each account, in order of account name."""
        return [
            AccountTotal(account, Decimal(debit) * _CENT, Decimal(credit) * _CENT)
            for account, (debit, credit) in sorted(self._cents.items())
        ]
