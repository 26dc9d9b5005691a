"""An accounts workbook saved as .xls: read whole by a process of its own first.

``tests/data/accounts.xls`` was written by xlwt 1.3: the Accounts sheet of
``tests.workbooks.ACCOUNT_ROWS``, and a sheet "Notes" whose A1 holds the number 12345.678. The
tests move a cell of it by rewriting the row and column of its record.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from ccp_xlsx2iif import trial
from ccp_xlsx2iif.problems import FileProblem
from ccp_xlsx2iif.workbook import open_book
from tests.command import run
from tests.workbooks import ACCOUNT_ROWS, HAS_LIBREOFFICE, OrderBook, saved_by_libreoffice

ACCOUNTS_XLS = Path(__file__).parent / "data" / "accounts.xls"
NOTE = struct.pack("<d", 12345.678)
SALE_ITEM = struct.pack("<HHHH", 0x00FD, 10, 8, 2)  # LABELSST, 10 bytes: Accounts!C9, "Sale"
SHEETS = ("Settings", "Accounts", "Chart of Accounts")  # what an export reads of it


def moved(path: Path, record: bytes, row: int, column: int) -> Path:
    """Copy the .xls file with one cell record moved to another row and column."""
    data = bytearray(ACCOUNTS_XLS.read_bytes())
    at = data.index(record)
    struct.pack_into("<HH", data, at + 4, row, column)
    path.write_bytes(bytes(data))
    return path


def sale_item_moved_to(path: Path, row: int, column: int) -> Path:
    """Copy the .xls file with the "Sale" item of the Accounts sheet moved."""
    return moved(path, SALE_ITEM, row, column)


def note_moved_to(path: Path, row: int, column: int) -> Path:
    """Copy the .xls file with the number of the Notes sheet (no export reads it) moved."""
    data = ACCOUNTS_XLS.read_bytes()
    record = data[data.index(NOTE) - 10 : data.index(NOTE) - 2]
    assert struct.unpack_from("<HH", record) == (0x0203, 14)  # NUMBER, 14 bytes
    return moved(path, record, row, column)


def test_the_fixture_holds_the_accounts(tmp_path: Path) -> None:
    book = open_book(Path(shutil.copy(ACCOUNTS_XLS, tmp_path / "accounts.xls")), writable=False)
    try:
        rows = book.read_rows("Accounts")
    finally:
        book.close()
    assert [row[: len(expected)] for row, expected in zip(rows, ACCOUNT_ROWS, strict=True)] == (
        ACCOUNT_ROWS
    )


def test_an_accounts_workbook_saved_as_xls_exports_as_the_xlsx_one(tmp_path: Path) -> None:
    in_xlsx = OrderBook().save(tmp_path / "orders.xlsx")
    (tmp_path / "apart").mkdir()
    without = OrderBook(accounts=None).save(tmp_path / "apart" / "orders.xlsx")
    accounts = Path(shutil.copy(ACCOUNTS_XLS, tmp_path / "accounts.xls"))
    assert run("export", str(in_xlsx), "-o", str(tmp_path / "a.iif"))[0] == 0
    code, _, err = run(
        "export", str(without), "--accounts", str(accounts), "-o", str(tmp_path / "b.iif")
    )
    assert code == 0, err
    assert (tmp_path / "b.iif").read_bytes() == (tmp_path / "a.iif").read_bytes()


def test_a_cell_far_from_any_sheet_is_refused_by_the_trial(tmp_path: Path) -> None:
    # A grid of 65,001 x 65,001 cells: the reader asks for 135 GB and its process ends.
    path = sale_item_moved_to(tmp_path / "accounts.xls", 65_000, 65_000)
    with pytest.raises(FileProblem) as caught:
        trial.check_by_trial(path, SHEETS, ())
    assert caught.value.message.startswith(
        f"{path}: the file is damaged: reading it stopped the process that read it (exit code "
    )
    assert caught.value.hint == 'Open it in Excel and save it as "Excel Workbook (*.xlsx)".'


def test_a_cell_within_reach_passes_the_trial(tmp_path: Path) -> None:
    trial.check_by_trial(sale_item_moved_to(tmp_path / "accounts.xls", 300, 200), SHEETS, ())


def test_only_the_sheets_the_tool_reads_are_tried(tmp_path: Path) -> None:
    path = note_moved_to(tmp_path / "accounts.xls", 65_000, 65_000)
    trial.check_by_trial(path, SHEETS, ())  # Notes is not read: nothing to stop
    with pytest.raises(FileProblem):
        trial.check_by_trial(path, None, ())  # a chart of accounts: every sheet is read


def test_a_sheet_read_later_than_the_book_was_opened_is_tried_first(tmp_path: Path) -> None:
    # A Columns sheet, say, read only when the layout is chosen: it is tried when it is read.
    path = note_moved_to(tmp_path / "accounts.xls", 65_000, 65_000)
    book = open_book(path, writable=False, sheets=("Accounts",))
    try:
        assert len(book.read_rows("Accounts")) == len(ACCOUNT_ROWS)
        with pytest.raises(FileProblem) as caught:
            book.read_rows("Notes")
    finally:
        book.close()
    assert caught.value.message.startswith(
        f"{path}: the file is damaged: reading it stopped the process that read it"
    )


def test_a_file_the_reader_refuses_with_a_message_passes_and_says_it(tmp_path: Path) -> None:
    path = tmp_path / "accounts.xls"
    path.write_bytes(b"Role,Account\n")
    trial.check_by_trial(path, SHEETS, ())  # it came through: the reader's message is told
    with pytest.raises(FileProblem) as caught:
        open_book(path, writable=False)
    assert caught.value.message == f"{path}: not a readable Excel workbook"


def test_without_a_child_that_can_load_the_tool_the_file_is_read_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Run from the sources without an install, "python -I -m" finds no tool: no trial, and
    # no file called damaged for it.
    path = sale_item_moved_to(tmp_path / "accounts.xls", 65_000, 65_000)

    def unloadable(command: list[str], **_: object) -> subprocess.CompletedProcess[bytes]:
        return subprocess.CompletedProcess(command, 1, b"", b"ModuleNotFoundError")

    monkeypatch.setattr(subprocess, "run", unloadable)
    trial.check_by_trial(path, SHEETS, ())


def test_a_trial_that_runs_too_long_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = sale_item_moved_to(tmp_path / "accounts.xls", 300, 200)

    def endless(command: list[str], **options: object) -> None:
        raise subprocess.TimeoutExpired(command, trial.TIME_LIMIT)

    monkeypatch.setattr(subprocess, "run", endless)
    with pytest.raises(FileProblem) as caught:
        trial.check_by_trial(path, SHEETS, ())
    assert caught.value.message == (
        f"{path}: reading it took more than 300 seconds; the file is refused"
    )


@pytest.mark.slow
@pytest.mark.skipif(not HAS_LIBREOFFICE, reason="LibreOffice is not installed")
@pytest.mark.parametrize("kind", ["ods", "xls"])
def test_an_accounts_workbook_saved_by_libreoffice_exports_as_the_xlsx_one(
    tmp_path: Path, kind: str
) -> None:
    # LibreOffice writes the accounts workbook in its own way (an .ods file as it saves it,
    # an .xls file of BIFF8 records): the export is the same, byte for byte.
    source = OrderBook().save(tmp_path / "accounts.xlsx")
    accounts = saved_by_libreoffice(source, kind, tmp_path / "saved")
    (tmp_path / "apart").mkdir()
    orders = OrderBook(accounts=None).save(tmp_path / "apart" / "orders.xlsx")
    code, _, err = run(
        "export", str(orders), "--accounts", str(accounts), "-o", str(tmp_path / "b.iif")
    )
    assert code == 0, err
    assert run("export", str(source), "-o", str(tmp_path / "a.iif"))[0] == 0
    assert (tmp_path / "b.iif").read_bytes() == (tmp_path / "a.iif").read_bytes()
