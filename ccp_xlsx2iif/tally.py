"""Debits and credits per account, tallied from the IIF file's bytes as they are written.

These are the figures a bookkeeper ticks off against QuickBooks' reports after the import, so
they are read from the file itself (whatever the templates made of the orders), not worked out
again from the workbook. The bytes stream through in chunks: a line cut at a chunk's end is
kept for the next one.

A large batch is tallied in a process of its own (``TallyProcess``), on another core than the
rendering: the bytes reach it through a pipe. That process runs this file as a script, so the
module imports nothing but the standard library.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import BinaryIO

_CENT = Decimal("0.01")
# The most the tally's process takes in at once: what the pipe holds, up to this.
READ_SIZE = 1 << 20
# Chunks of rendered IIF waiting for the pipe to the tally's process (each some 430 KB).
CHUNKS_QUEUED = 4
# What the tally's process writes before its sums (anything Python itself said comes first).
SUMS_FOLLOW = b"\0sums\n"
# An IIF amount, as QuickBooks reads it; an empty AMOUNT counts as 0.
_AMOUNT = re.compile(rb"-?[0-9]+(?:\.[0-9]{1,2})?")
# Amounts with two decimals, one per line.
_TWO_DECIMALS = re.compile(rb"-?[0-9]+\.[0-9]{2}(?:\n-?[0-9]+\.[0-9]{2})*")
# The exit status of the tally's process when the text is not IIF: an AMOUNT that is not an
# amount, or (rows checked) a row that does not fit its header.
_NOT_AN_AMOUNT = 3
_BAD_ROW = 4


@dataclass(frozen=True, slots=True)
class AccountTotal:
    """What a batch debits and credits to one account (both as positive amounts)."""

    account: str
    debit: Decimal
    credit: Decimal


class NotIif(ValueError):
    """The IIF text is not what QuickBooks reads as it was meant."""


class NotAnAmount(NotIif):
    """An AMOUNT field of the IIF text is not an amount (``-1234.56``)."""


class BadRow(NotIif):
    """A row of the IIF text has no header, or more fields than its header names."""


class Tally:
    """Sums the AMOUNT of every TRNS and SPL row by its ACCNT, as the IIF bytes go by.

    One regular expression per header layout finds the (account, amount) pairs of a chunk,
    and equal pairs are counted together, so that Python works once per distinct pair: most
    amounts of a batch repeat.

    With ``check_rows`` (templates of the user's own), every row is also held to its header:
    it must start with a keyword a header names and carry no more fields than that header. A
    row with one field more is read shifted by QuickBooks, without a word. And every
    transaction must balance (its TRNS and SPL amounts sum to 0.00) and end with its ENDTRNS
    row: QuickBooks refuses one that does not with a message that names neither.
    """

    def __init__(self, *, check_rows: bool = False) -> None:
        self._cents: dict[bytes, list[int]] = {}
        self._layouts: dict[bytes, tuple[int, int]] = {}
        self._patterns: list[tuple[re.Pattern[bytes], bool]] = []
        self._rest = b""
        self._widths: dict[bytes, int] | None = {} if check_rows else None
        # The transaction being read (its TRNS row, and the cents of its rows so far).
        self._open: tuple[bytes, int] | None = None

    def feed(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        """Yield ``chunks`` unchanged, taking in their rows on the way."""
        for chunk in chunks:
            data = self._rest + chunk
            cut = data.rfind(b"\n") + 1
            self._rest = data[cut:]
            self._take(data[:cut])
            yield chunk
        if self._rest:
            self._take(self._rest + b"\n")
            self._rest = b""
        if self._open is not None:
            raise BadRow(
                f'the last transaction "{_shown(self._open[0])}" has no ENDTRNS row: '
                "QuickBooks would not read it"
            )

    def _take(self, data: bytes) -> None:
        if self._widths is not None:
            self._check_rows(data, self._widths)
        elif b"!" in data:
            for line in data.splitlines():
                if line.startswith((b"!TRNS\t", b"!SPL\t")):
                    self._learn(line.rstrip(b"\r").split(b"\t"))
        pairs: Counter[tuple[bytes, bytes]] = Counter()
        # Rows are found after a line break (a literal the search skips to fast): the bytes
        # are given one before their first row.
        data = b"\n" + data
        for pattern, swapped in self._patterns:
            found = pattern.findall(data)
            pairs.update(((b, a) for a, b in found) if swapped else found)
        totals = self._cents
        for ((account, _), times), cents in zip(pairs.items(), _all_cents(pairs), strict=True):
            sums = totals.get(account)
            if sums is None:
                sums = totals[account] = [0, 0]
            sums[cents < 0] += abs(cents) * times

    def _check_rows(self, data: bytes, widths: dict[bytes, int]) -> None:
        """Hold each row of ``data`` (whole lines) to its header; learn the headers on the way."""
        for line in data.split(b"\n"):
            line = line.removesuffix(b"\r")
            if not line:
                continue
            keyword, _, _ = line.partition(b"\t")
            if keyword.startswith(b"!"):
                widths[keyword[1:]] = line.count(b"\t")
                if keyword in (b"!TRNS", b"!SPL"):
                    self._learn(line.split(b"\t"))
                continue
            width = widths.get(keyword)
            if b"\r" in line:
                raise BadRow(
                    f'the line "{_shown(line)}" holds a line break (a carriage return): '
                    "QuickBooks would read it as two lines"
                )
            if width is None:
                raise BadRow(
                    f'the line "{_shown(line)}" does not start with a keyword a header names '
                    "(!TRNS, !SPL, !ENDTRNS...): QuickBooks would not read it as meant"
                )
            fields = line.count(b"\t")
            if fields > width:
                name = keyword.decode("ascii", "replace")
                raise BadRow(
                    f'the {name} row "{_shown(line)}" has {fields} '
                    f"field{'s' if fields > 1 else ''}, more than the {width} its header !{name} "
                    "names: QuickBooks would read its fields shifted"
                )
            if keyword in (b"TRNS", b"SPL", b"ENDTRNS"):
                self._balance(keyword, line)

    def _balance(self, keyword: bytes, line: bytes) -> None:
        """Add a row to its transaction; at its ENDTRNS row, the amounts must sum to 0.00."""
        if keyword == b"ENDTRNS":
            if self._open is None:
                raise BadRow("an ENDTRNS row ends no transaction (no TRNS row before it)")
            first, cents = self._open
            self._open = None
            if cents:
                raise BadRow(
                    f'the transaction "{_shown(first)}" does not balance: its amounts sum to '
                    f"{Decimal(cents) * _CENT}, not 0.00, and QuickBooks refuses it"
                )
            return
        if keyword == b"TRNS" and self._open is not None:
            raise BadRow(
                f'the transaction "{_shown(self._open[0])}" has no ENDTRNS row before the next '
                "TRNS row: QuickBooks would not read it"
            )
        if keyword == b"SPL" and self._open is None:
            raise BadRow(
                f'the SPL row "{_shown(line)}" belongs to no transaction (no TRNS row before it)'
            )
        layout = self._layouts.get(keyword)
        cents = 0
        if layout is not None:
            fields = line.split(b"\t")
            account_at, amount_at = (1 + at for at in layout)
            account = fields[account_at] if account_at < len(fields) else b""
            cents = _cents(account, fields[amount_at] if amount_at < len(fields) else b"")
        first, so_far = self._open if self._open is not None else (line, 0)
        self._open = (first, so_far + cents)

    def _learn(self, header: list[bytes]) -> None:
        """Learn where ACCNT and AMOUNT stand in rows of a header's keyword."""
        keyword = header[0][1:]
        columns = header[1:]
        if b"ACCNT" not in columns or b"AMOUNT" not in columns:
            return
        self._layouts[keyword] = (columns.index(b"ACCNT"), columns.index(b"AMOUNT"))
        # Keywords whose rows have ACCNT and AMOUNT in the same places share one pattern.
        by_layout: dict[tuple[int, int], list[bytes]] = {}
        for name, layout in self._layouts.items():
            by_layout.setdefault(layout, []).append(name)
        self._patterns = []
        for (account_at, amount_at), keywords in by_layout.items():
            first, second = sorted((account_at, amount_at))
            field = rb"([^\t\r\n]*)"
            skip = rb"[^\t\r\n]*\t"
            names = b"|".join(map(re.escape, keywords))
            # The skipped fields are written out, not counted ({2}): a fifth faster.
            pattern = rb"\n(?:%s)\t%s%s\t%s%s" % (
                names,
                skip * first,
                field,
                skip * (second - first - 1),
                field,
            )
            self._patterns.append((re.compile(pattern), amount_at < account_at))

    def sums(self) -> dict[bytes, list[int]]:
        """Return the debit and credit cents of each account, as the rows gave them."""
        return self._cents

    def totals(self) -> list[AccountTotal]:
        """Return the debit and credit of each account, in order of account name."""
        return _totals(self._cents)


class TallyProcess:
    """A ``Tally`` in a process of its own, fed the IIF bytes through a pipe.

    A thread writes the chunks into the pipe, so that the caller goes on rendering while the
    process reads them. The process answers on one pipe: the sums when it ends well, else
    what went wrong. ``close`` stops it if it still runs; it is called whatever happens.
    """

    def __init__(self, *, check_rows: bool = False) -> None:
        self._process = subprocess.Popen(  # noqa: S603 - this file, run by this Python
            [sys.executable, "-I", __file__, *(["--check-rows"] if check_rows else [])],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self._answer: bytes | None = None
        self._chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=CHUNKS_QUEUED)
        self._broken: OSError | None = None
        self._data_ended = False  # the sender was told that no chunk follows
        self._sender = threading.Thread(target=self._send, name="tally-sender", daemon=True)
        self._sender.start()

    def _send(self) -> None:
        """Write the chunks into the pipe until ``None``; after a failed write, drop them."""
        pipe = self._process.stdin
        assert pipe is not None  # noqa: S101 - opened with a pipe
        while (chunk := self._chunks.get()) is not None:
            if self._broken is None:
                try:
                    pipe.write(chunk)
                except OSError as error:
                    self._broken = error
        with contextlib.suppress(OSError):
            pipe.close()

    def feed(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        """Yield ``chunks`` unchanged, sending each to the process."""
        for chunk in chunks:
            if self._broken is not None:  # the process stopped: say why
                self._sums()
                raise RuntimeError("the process tallying the IIF file stopped early")
            self._chunks.put(chunk)
            yield chunk
        self._no_more_data()

    def totals(self) -> list[AccountTotal]:
        """Wait for the process's sums; return the debit and credit of each account."""
        answer = self._sums()
        _, found, sums = answer.rpartition(SUMS_FOLLOW)
        if not found:
            raise _failed("gave no sums", answer)
        cents: dict[bytes, list[int]] = {}
        for line in sums.splitlines():
            account, debit, credit = line.split(b"\t")
            cents[account] = [int(debit), int(credit)]
        return _totals(cents)

    def _no_more_data(self) -> None:
        """Tell the sender that no chunk follows: it writes what is queued, then closes the pipe.

        The caller goes on (flushing the IIF file to disk) while the last chunks are written.
        """
        if not self._data_ended:
            self._data_ended = True
            self._chunks.put(None)

    def _end_of_data(self) -> None:
        """Have the sender write what is queued, close the pipe and end."""
        if self._sender.is_alive():
            self._no_more_data()
            self._sender.join()

    def _wait(self) -> bytes:
        if self._answer is None:
            self._end_of_data()
            answer = self._process.stdout
            assert answer is not None  # noqa: S101 - opened with a pipe
            with answer:
                self._answer = answer.read()
            self._process.wait()
        return self._answer

    def _sums(self) -> bytes:
        """Wait for the process to end; return its sums, or raise what it said went wrong."""
        answer = self._wait()
        if self._process.returncode == _NOT_AN_AMOUNT:
            raise NotAnAmount(answer.decode(errors="replace"))
        if self._process.returncode == _BAD_ROW:
            raise BadRow(answer.decode(errors="replace"))
        if self._process.returncode:
            raise _failed("failed", answer)
        return answer

    def close(self) -> None:
        """Stop the process if it still runs, and let go of it."""
        if self._answer is None and self._process.poll() is None:
            self._process.kill()  # a write it blocks fails: the sender ends
        self._wait()


@contextmanager
def tally_for(large: bool, *, check_rows: bool = False) -> Iterator[Tally | TallyProcess]:
    """Give a tally for a batch: for a large one, in a process of its own if one starts.

    The process runs this file with this Python: a frozen program, or a module read from a
    zip file, tallies here. ``check_rows``: see ``Tally``.
    """
    process = None
    if large and sys.executable and not getattr(sys, "frozen", False) and Path(__file__).is_file():
        with contextlib.suppress(OSError):
            process = TallyProcess(check_rows=check_rows)
    if process is None:
        yield Tally(check_rows=check_rows)
        return
    try:
        yield process
    finally:
        process.close()


def _all_cents(pairs: Iterable[tuple[bytes, bytes]]) -> Iterable[int]:
    """Read the AMOUNT of each (account, amount) pair in cents.

    Amounts written with two decimals (``-24.00``, as the shipped templates write every one)
    are read all at once: joined, proven so by one match, and read as whole numbers of cents
    without their points, each at C speed. Else each is read on its own (``_cents``).
    """
    keys = list(pairs)
    joined = b"\n".join([amount for _, amount in keys])
    if _TWO_DECIMALS.fullmatch(joined):
        return map(int, joined.replace(b".", b"").split(b"\n"))
    return [_cents(account, amount) for account, amount in keys]


def _cents(account: bytes, amount: bytes) -> int:
    """Read the AMOUNT of a row of ``account`` in cents (an empty one is 0)."""
    if not amount:
        return 0
    if not _AMOUNT.fullmatch(amount):
        raise NotAnAmount(
            f'the AMOUNT "{amount.decode(errors="replace")}" of a row of the account '
            f'"{account.decode(errors="replace")}" is not an amount such as -1234.56 '
            "(at most 2 decimals, no currency sign, no thousands separator)"
        )
    whole, _, fraction = amount.partition(b".")
    return int(whole + (fraction + b"00")[:2])


def _shown(line: bytes) -> str:
    """Show the start of a row in a message, its TABs and carriage returns visible."""
    shown = line[:60].decode("ascii", "replace") + ("..." if len(line) > 60 else "")
    return shown.replace("\t", "\\t").replace("\r", "\\r")


def _failed(what: str, answer: bytes) -> RuntimeError:
    return RuntimeError(
        f"the process tallying the IIF file {what}:\n{answer.decode(errors='replace')}"
    )


def _totals(cents: dict[bytes, list[int]]) -> list[AccountTotal]:
    return [
        AccountTotal(account.decode("ascii"), Decimal(debit) * _CENT, Decimal(credit) * _CENT)
        for account, (debit, credit) in sorted(cents.items())
    ]


def _tally_piped(source: int, out: BinaryIO, *, check_rows: bool = False) -> None:
    """Tally the IIF bytes of the pipe whose descriptor is ``source``; write the cents to ``out``.

    Each read takes what the pipe holds, without waiting for more: the last bytes of the
    batch are tallied as soon as they arrive, not once a full read's worth has come.
    """
    tally = Tally(check_rows=check_rows)
    for _ in tally.feed(iter(partial(os.read, source, READ_SIZE), b"")):
        pass
    out.write(SUMS_FOLLOW)
    for account, (debit, credit) in tally.sums().items():
        out.write(b"%s\t%d\t%d\n" % (account, debit, credit))


if __name__ == "__main__":
    try:
        _tally_piped(sys.stdin.fileno(), sys.stdout.buffer, check_rows="--check-rows" in sys.argv)
        sys.stdout.buffer.flush()
        # The sums are the whole answer: the export waits for this process's end, which
        # Python's tidying away of the interpreter would only delay.
        os._exit(0)
    except NotAnAmount as error:
        sys.stderr.write(str(error))
        sys.exit(_NOT_AN_AMOUNT)
    except BadRow as error:
        sys.stderr.write(str(error))
        sys.exit(_BAD_ROW)
