"""The debits and credits per account, read from the IIF text however it is cut into chunks."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest

import ccp_xlsx2iif.tally as tally_module
from ccp_xlsx2iif.tally import (
    READ_SIZE,
    AccountTotal,
    BadRow,
    NotAnAmount,
    Tally,
    TallyProcess,
    tally_for,
)

POSIX_ONLY = pytest.mark.skipif(sys.platform == "win32", reason="a shell script stands for Python")

IIF = (
    b"!ACCNT\tNAME\tACCNTTYPE\r\n"
    b"ACCNT\tSales\tINC\r\n"
    b"!TRNS\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tDOCNUM\r\n"
    b"!SPL\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\r\n"
    b"!ENDTRNS\r\n"
    b"TRNS\tINVOICE\t03/02/2026\tAccounts Receivable\tAda\t40.00\t1001\r\n"
    b"SPL\tINVOICE\t03/02/2026\tSales\t\t-37.50\r\n"
    b"SPL\tINVOICE\t03/02/2026\tSales Tax Payable\t\t-2.5\r\n"
    b"ENDTRNS\r\n"
    b"TRNS\tPAYMENT\t03/02/2026\tUndeposited Funds\tAda\t40.00\t1001\r\n"
    b"SPL\tPAYMENT\t03/02/2026\tAccounts Receivable\tAda\t-40.00\r\n"
    b"ENDTRNS\r\n"
    b"TRNS\tINVOICE\t03/03/2026\tAccounts Receivable\tGrace\t25.95\t1002\r\n"
    b"SPL\tINVOICE\t03/03/2026\tSales\t\t-24.00\r\n"
    b"SPL\tINVOICE\t03/03/2026\tSales Discounts\t\t4\r\n"
    b"SPL\tINVOICE\t03/03/2026\tShipping Income\t\t-5.95\r\n"
    b"SPL\tINVOICE\t03/03/2026\tSales\t\t0.00\r\n"
    b"ENDTRNS\r\n"
)
EXPECTED = [
    AccountTotal("Accounts Receivable", Decimal("65.95"), Decimal("40.00")),
    AccountTotal("Sales", Decimal("0.00"), Decimal("61.50")),
    AccountTotal("Sales Discounts", Decimal("4.00"), Decimal("0.00")),
    AccountTotal("Sales Tax Payable", Decimal("0.00"), Decimal("2.50")),
    AccountTotal("Shipping Income", Decimal("0.00"), Decimal("5.95")),
    AccountTotal("Undeposited Funds", Decimal("40.00"), Decimal("0.00")),
]


@pytest.mark.parametrize("size", [1, 2, 7, 64, len(IIF)])
def test_totals_do_not_depend_on_where_the_text_is_cut(size: int) -> None:
    tally = Tally()
    assert b"".join(tally.feed(cut(IIF, size))) == IIF
    assert tally.totals() == EXPECTED


def test_columns_are_taken_from_each_header() -> None:
    tally = Tally()
    text = (
        b"!TRNS\tTRNSTYPE\tAMOUNT\tDATE\tACCNT\r\n!SPL\tTRNSTYPE\tACCNT\tAMOUNT\r\n"
        b"TRNS\tCASH SALE\t12.34\t03/02/2026\tBank\r\nSPL\tCASH SALE\tIncome\t-12.34\r\n"
    )
    list(tally.feed([text]))
    assert tally.totals() == [
        AccountTotal("Bank", Decimal("12.34"), Decimal("0.00")),
        AccountTotal("Income", Decimal("0.00"), Decimal("12.34")),
    ]


def cut(data: bytes, size: int) -> list[bytes]:
    return [data[start : start + size] for start in range(0, len(data), size)]


def test_a_large_batch_is_tallied_by_a_process_of_its_own() -> None:
    with tally_for(large=False) as small:
        assert isinstance(small, Tally)
    with tally_for(large=True) as tally:
        assert isinstance(tally, TallyProcess)
        assert b"".join(tally.feed(cut(IIF, 7))) == IIF
        assert tally.totals() == EXPECTED


@pytest.mark.parametrize("where", ["frozen", "zip"])
def test_a_program_that_cannot_run_this_file_tallies_here(
    monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    if where == "frozen":
        monkeypatch.setattr(sys, "frozen", True, raising=False)
    else:
        monkeypatch.setattr(tally_module, "__file__", "/tool.pyz/ccp_xlsx2iif/tally.py")
    with tally_for(large=True) as tally:
        assert isinstance(tally, Tally)
        assert b"".join(tally.feed([IIF])) == IIF
        assert tally.totals() == EXPECTED


def python_wrapped(folder: Path, script: str) -> str:
    """Return an executable that runs ``script`` (a shell script; "$@" are its arguments)."""
    wrapper = folder / "python"
    wrapper.write_text(f"#!/bin/sh\n{script}\n")
    wrapper.chmod(0o755)
    return str(wrapper)


@POSIX_ONLY
def test_what_python_itself_says_before_the_sums_is_no_sum(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = f'echo "Python: a warning" >&2\nexec "{sys.executable}" "$@"'
    monkeypatch.setattr(sys, "executable", python_wrapped(tmp_path, script))
    assert tallied([IIF], large=True) == EXPECTED


@POSIX_ONLY
@pytest.mark.parametrize(
    ("script", "message"),
    [
        (
            'cat > /dev/null\necho "Python: no such file"',
            "the process tallying the IIF file gave no sums:\nPython: no such file\n",
        ),
        (
            'cat > /dev/null\necho "Traceback: MemoryError"\nexit 1',
            "the process tallying the IIF file failed:\nTraceback: MemoryError\n",
        ),
    ],
)
def test_a_process_that_gives_no_sums_fails_the_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str, message: str
) -> None:
    monkeypatch.setattr(sys, "executable", python_wrapped(tmp_path, script))
    with pytest.raises(RuntimeError) as raised:
        tallied([IIF], large=True)
    assert str(raised.value) == message


def test_the_process_takes_more_than_a_pipe_holds() -> None:
    # 2.6 MB: more than a pipe buffers and more than the process reads at once.
    times = 5_000
    data = IIF + IIF[IIF.index(b"TRNS\tINVOICE") :] * (times - 1)
    totals = tallied(cut(data, 65_536), large=True)
    assert len(data) > 2 * READ_SIZE
    assert totals == [
        AccountTotal(total.account, total.debit * times, total.credit * times) for total in EXPECTED
    ]


BAD_AMOUNT = IIF.replace(b"Sales Discounts\t\t4", b"Sales Discounts\t\t4,00")
NOT_A_NUMBER = (
    'the AMOUNT "4,00" of a row of the account "Sales Discounts" is not an amount such as '
    "-1234.56 (at most 2 decimals, no currency sign, no thousands separator)"
)


@pytest.mark.parametrize("amount", [b"4,00", b"4.005", b"$4", b"1e3", b" 4", b"4.", b"--4"])
def test_only_amounts_as_quickbooks_reads_them_are_tallied(amount: bytes) -> None:
    with pytest.raises(NotAnAmount) as raised:
        tallied(
            [IIF.replace(b"Sales Discounts\t\t4", b"Sales Discounts\t\t" + amount)], large=False
        )
    assert str(raised.value) == NOT_A_NUMBER.replace("4,00", amount.decode())


# Every amount written with two decimals, as the shipped templates write them.
TWO_DECIMALS = IIF.replace(b"\t-2.5\r\n", b"\t-2.50\r\n").replace(
    b"Sales Discounts\t\t4\r\n", b"Sales Discounts\t\t4.00\r\n"
)


def test_amounts_all_written_with_two_decimals_are_tallied_alike() -> None:
    assert tallied([TWO_DECIMALS], large=False) == EXPECTED


@pytest.mark.parametrize("amount", [b"+4.00", b"1_4.00", b"4.00 ", b" 4.00", b"-4.000"])
def test_among_amounts_with_two_decimals_one_that_is_no_amount_is_named(amount: bytes) -> None:
    # int() would read the first four as numbers, were they not refused first.
    with pytest.raises(NotAnAmount) as raised:
        tallied(
            [TWO_DECIMALS.replace(b"Discounts\t\t4.00", b"Discounts\t\t" + amount)], large=False
        )
    assert str(raised.value) == NOT_A_NUMBER.replace("4,00", amount.decode())


@pytest.mark.parametrize("amount", [b"4", b"4.0"])
def test_among_amounts_with_two_decimals_one_with_fewer_is_read(amount: bytes) -> None:
    text = TWO_DECIMALS.replace(b"Discounts\t\t4.00", b"Discounts\t\t" + amount)
    assert tallied([text], large=False) == EXPECTED


def tallied(chunks: Iterable[bytes], *, large: bool) -> list[AccountTotal]:
    with tally_for(large) as tally:
        for _ in tally.feed(chunks):
            pass
        return tally.totals()


@pytest.mark.parametrize("large", [False, True])
def test_an_amount_that_is_not_a_number_is_named(large: bool) -> None:
    with pytest.raises(NotAnAmount) as raised:
        tallied([BAD_AMOUNT], large=large)
    assert str(raised.value) == NOT_A_NUMBER


def test_the_process_stopping_early_is_reported_while_the_batch_is_written() -> None:
    # The process stops at the first rows it reads (what the pipe holds, not a full read's
    # worth); the writes after it fail, and say why.
    rows = IIF[IIF.index(b"TRNS\tINVOICE") :]
    data = BAD_AMOUNT + rows * 20_000
    taken: list[int] = []

    def chunks() -> Iterator[bytes]:
        for chunk in cut(data, 65_536):
            taken.append(len(chunk))
            yield chunk

    with pytest.raises(NotAnAmount) as raised:
        tallied(chunks(), large=True)
    assert str(raised.value) == NOT_A_NUMBER
    assert sum(taken) < READ_SIZE < len(data)


@pytest.mark.skipif(sys.platform == "win32", reason="a process is paused with SIGSTOP")
def test_the_feed_ends_before_the_process_has_taken_the_last_chunks() -> None:
    # The process is paused: the chunks, each more than a pipe holds, wait for it in the
    # queue and the pipe. The feed ends all the same (the caller flushes the IIF file to
    # disk meanwhile); the sums come once the process has taken every chunk.
    times = 1_500
    data = IIF + IIF[IIF.index(b"TRNS\tINVOICE") :] * (times - 1)
    chunks = cut(data, 256 * 1024)
    assert len(chunks) == 3  # one being written, two queued, and room for the end
    with tally_for(large=True) as tally:
        assert isinstance(tally, TallyProcess)
        process = tally._process
        os.kill(process.pid, signal.SIGSTOP)
        fed: list[bytes] = []
        feeding = threading.Thread(target=lambda: fed.extend(tally.feed(chunks)))
        try:
            feeding.start()
            feeding.join(timeout=10)
            ended = not feeding.is_alive()
        finally:
            os.kill(process.pid, signal.SIGCONT)
            feeding.join()
        assert ended
        assert fed == chunks
        assert tally.totals() == [
            AccountTotal(total.account, total.debit * times, total.credit * times)
            for total in EXPECTED
        ]


def test_a_batch_given_up_stops_the_process() -> None:
    with tally_for(large=True) as tally:
        assert isinstance(tally, TallyProcess)
        next(tally.feed(cut(IIF, 7)))
        process = tally._process
        assert process.poll() is None
    assert process.returncode == -signal.SIGKILL if sys.platform != "win32" else 1


def checked(chunks: Iterable[bytes], *, large: bool) -> list[AccountTotal]:
    with tally_for(large, check_rows=True) as tally:
        for _ in tally.feed(chunks):
            pass
        return tally.totals()


@pytest.mark.parametrize("large", [False, True])
@pytest.mark.parametrize("size", [1, 7, len(IIF)])
def test_rows_that_fit_their_headers_are_tallied_as_before(large: bool, size: int) -> None:
    assert checked(cut(IIF, size), large=large) == EXPECTED


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            b"Shipping Income\t\t-5.95\r\n",
            b"Shipping Income\t\t-5.95\tEXTRA\r\n",
            'the SPL row "SPL\\tINVOICE\\t03/03/2026\\tShipping Income\\t\\t-5.95\\tEXTRA" has 6 '
            "fields, more than the 5 its header !SPL names: QuickBooks would read its fields "
            "shifted",
        ),
        (
            b"ACCNT\tSales\tINC\r\n",
            b"ACCNT\tSales\tINC\tEXTRA\r\n",
            'the ACCNT row "ACCNT\\tSales\\tINC\\tEXTRA" has 3 fields, more than the 2 its '
            "header !ACCNT names: QuickBooks would read its fields shifted",
        ),
        (
            b"\tAda\t40.00\t1001\r\n",
            b"\tAda\t40.00\t1001\r\nGift wrap\r\n",
            'the line "Gift wrap" does not start with a keyword a header names (!TRNS, !SPL, '
            "!ENDTRNS...): QuickBooks would not read it as meant",
        ),
        (
            b"Sales Tax Payable\t\t-2.5\r\n",
            b"Sales Tax\rPayable\t\t-2.5\r\n",
            'the line "SPL\\tINVOICE\\t03/02/2026\\tSales Tax\\rPayable\\t\\t-2.5" holds a line '
            "break (a carriage return): QuickBooks would read it as two lines",
        ),
        (
            b"Sales Tax Payable\t\t-2.5\r\n",
            b"Sales Tax Payable\t\t-2.05\r\n",
            'the transaction "TRNS\\tINVOICE\\t03/02/2026\\tAccounts Receivable\\tAda\\t40.00\\t1001" '
            "does not balance: its amounts sum to 0.45, not 0.00, and QuickBooks refuses it",
        ),
        (
            b"-2.5\r\nENDTRNS\r\n",
            b"-2.5\r\n",
            'the transaction "TRNS\\tINVOICE\\t03/02/2026\\tAccounts Receivable\\tAda\\t40.00\\t1001" '
            "has no ENDTRNS row before the next TRNS row: QuickBooks would not read it",
        ),
        (
            b"\t\t0.00\r\nENDTRNS\r\n",
            b"\t\t0.00\r\n",
            'the last transaction "TRNS\\tINVOICE\\t03/03/2026\\tAccounts Receivable\\tGrace\\t25.95\\t1002" '
            "has no ENDTRNS row: QuickBooks would not read it",
        ),
        (
            b"ENDTRNS\r\nTRNS\tPAYMENT",
            b"ENDTRNS\r\nSPL\tPAYMENT\t03/02/2026\tSales\t\t1.00\r\nTRNS\tPAYMENT",
            'the SPL row "SPL\\tPAYMENT\\t03/02/2026\\tSales\\t\\t1.00" belongs to no '
            "transaction (no TRNS row before it)",
        ),
        (
            b"-40.00\r\nENDTRNS\r\n",
            b"-40.00\r\nENDTRNS\r\nENDTRNS\r\n",
            "an ENDTRNS row ends no transaction (no TRNS row before it)",
        ),
    ],
    ids=[
        "more fields",
        "list row",
        "no keyword",
        "carriage return",
        "unbalanced",
        "no end",
        "no end at the end",
        "no start",
        "end twice",
    ],
)
@pytest.mark.parametrize("large", [False, True])
def test_rows_that_do_not_fit_their_headers_are_refused(
    large: bool, old: bytes, new: bytes, message: str
) -> None:
    text = IIF.replace(old, new, 1)
    assert text != IIF
    with pytest.raises(BadRow) as raised:
        checked(cut(text, 5), large=large)
    assert str(raised.value) == message
    assert tallied([text], large=large)  # without the check, the rows are read shifted
