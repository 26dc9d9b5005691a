"""A large sheet's XML scanned in two parts at once: its last part by a process forked for it.

What the two parts find together is what one scan of the whole sheet finds: its bounds, its
error values, its formulas without a value, its numbers padded with zeros. A sheet that must be
measured another way is scanned again whole; a member damaged past the tool's own part is
refused as one scan refuses it; a process that cannot be forked, or is killed, leaves the sheet
scanned whole by the tool. The processes are those of ``beside.Beside``, which hands back what
the work returned.
"""

from __future__ import annotations

import os
import select
import signal
import tempfile
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from openpyxl import Workbook

from ccp_xlsx2iif import package
from ccp_xlsx2iif.beside import FORKS, Beside
from ccp_xlsx2iif.package import PLAIN_COLUMNS, PLAIN_ROWS, PackageInspector, SheetFacts
from ccp_xlsx2iif.problems import FileProblem
from tests.test_package import SHEET, damaged_as, patched, sheet_data, with_orders_xml
from tests.workbooks import replace_member, sheet_xml

pytestmark = pytest.mark.skipif(not FORKS, reason="the last part is scanned apart where forking")


def scanned(path: Path, share: float | None = None, sheet: str = "Orders") -> SheetFacts:
    """Scan ``sheet`` whole, or (``share``) in two parts, the tool's own that share of it."""
    with pytest.MonkeyPatch.context() as patch:
        # Regions of a few rows each, so that even a small sheet splits between rows.
        patch.setattr(package, "CHUNK_SIZE", 256)
        patch.setattr(package, "SCANNED_IN_TWO_FROM", 0)
        if share is not None:
            patch.setattr(package, "OWN_SHARE", share)
        inspector = PackageInspector(path)
        try:
            if share is not None:
                inspector.scan_beside([sheet])
                assert list(inspector._beside) == [sheet]
            facts = inspector.scan(sheet)
            assert not inspector._beside
            return facts
        finally:
            inspector.close()


SHARES = (0.0, 0.3, 0.6, 1.0)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sheet_data())
def test_the_two_parts_find_what_one_scan_finds(drawn: tuple[bytes, bool]) -> None:
    xml, _ = drawn
    with tempfile.TemporaryDirectory() as folder:
        path = with_orders_xml(Path(folder), lambda _: xml)
        whole = scanned(path)
        for share in SHARES:
            assert scanned(path, share) == whole, share


def marked_sheet(path: Path, rows: int) -> Path:
    """Save an Orders sheet whose rows hold a padded ZIP, an uncalculated formula, an error."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Orders"
    for row in range(1, rows + 1):
        sheet.cell(row, 1, 2134).number_format = "00000"
        sheet.cell(row, 2, "=1+1")
        if row % 40 == 1:
            sheet.cell(row, 3, "#N/A")
        sheet.cell(row, 4, f"order {row}")
    book.save(path)
    return path


def test_the_cells_of_both_parts_are_found(tmp_path: Path) -> None:
    path = marked_sheet(tmp_path / "orders.xlsx", 400)
    whole = scanned(path)
    assert (whole.row_bound, whole.column_bound) == (PLAIN_ROWS, PLAIN_COLUMNS)
    assert whole.errors == {(row, 3): "#N/A" for row in range(1, 401, 40)}
    assert whole.uncalculated == {(row, 2) for row in range(1, 401)}
    assert list(whole.padded) == [(row, 1) for row in range(1, 401)]
    assert scanned(path, 0.5) == whole


def test_a_cell_beyond_the_plain_range_in_the_last_part_has_the_sheet_scanned_again(
    tmp_path: Path,
) -> None:
    cell = b'<c r="BA399" t="inlineStr"><is><t>x</t></is></c></row>'
    path = marked_sheet(tmp_path / "orders.xlsx", 400)
    original = sheet_xml(path)
    row_399 = original.index(b'<row r="399"')
    changed = original[:row_399] + original[row_399:].replace(b"</row>", cell, 1)
    replace_member(path, SHEET, changed)
    whole = scanned(path)
    assert (whole.row_bound, whole.column_bound) == (400, 53)
    assert scanned(path, 0.5) == whole


def test_a_member_damaged_past_the_own_part_is_refused_as_one_scan_refuses_it(
    tmp_path: Path,
) -> None:
    path = marked_sheet(tmp_path / "orders.xlsx", 400)
    # A wrong checksum is known only once the whole member is read: by the other process.
    patched(path, SHEET, local={14: 0}, central={16: 0})
    message = damaged_as(path, f"{SHEET} does not match its declared size or checksum")
    for share in (None, 0.5):
        with pytest.raises(FileProblem) as raised:
            scanned(path, share)
        assert raised.value.message == message


def test_only_the_first_large_sheet_is_scanned_in_two(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = Workbook()
    first = book.active
    assert first is not None
    first.title = "Small"
    first["A1"] = "x"
    for name, rows in (("Orders", 400), ("Items", 600)):
        sheet = book.create_sheet(name)
        for row in range(1, rows + 1):
            sheet.cell(row, 1, f"{name} {row}")
    path = tmp_path / "orders.xlsx"
    book.save(path)
    inspector = PackageInspector(path)
    try:
        size = {
            name: inspector._book.getinfo(inspector.parts[name]).file_size
            for name in ("Small", "Orders", "Items")
        }
        assert size["Small"] < size["Orders"] < size["Items"]
        monkeypatch.setattr(package, "SCANNED_IN_TWO_FROM", size["Items"] + 1)
        inspector.scan_beside(["Small", "Orders", "Items"])
        assert not inspector._beside  # none so large: each scanned by the tool alone
        monkeypatch.setattr(package, "SCANNED_IN_TWO_FROM", size["Orders"])
        inspector.scan_beside(["Small", "Orders", "Items"])
        assert list(inspector._beside) == ["Orders"]  # the Items sheet, larger, comes after
        child = inspector._beside["Orders"]._pid
    finally:
        inspector.close()
    with pytest.raises(ChildProcessError):  # the process of a sheet not scanned was ended
        os.waitpid(child, os.WNOHANG)


def test_nothing_is_forked_beside_a_running_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = marked_sheet(tmp_path / "orders.xlsx", 10)
    monkeypatch.setattr(package, "SCANNED_IN_TWO_FROM", 0)
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    inspector = PackageInspector(path)
    try:
        inspector.scan_beside(["Orders"])
        assert not inspector._beside
    finally:
        stop.set()
        thread.join()
        inspector.close()


def test_a_sheet_is_scanned_whole_when_no_process_can_be_forked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = marked_sheet(tmp_path / "orders.xlsx", 400)
    whole = scanned(path)

    def fork() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", fork)
    monkeypatch.setattr(package, "SCANNED_IN_TWO_FROM", 0)
    inspector = PackageInspector(path)
    try:
        inspector.scan_beside(["Orders"])
        assert not inspector._beside
        assert inspector.scan("Orders") == whole
    finally:
        inspector.close()


@pytest.mark.parametrize("killed", ["before", "while scanning"])
def test_a_sheet_is_scanned_whole_when_its_process_is_killed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, killed: str
) -> None:
    path = marked_sheet(tmp_path / "orders.xlsx", 400)
    whole = scanned(path)
    # The process scans for ever, until it is killed (by the system, short of memory).
    monkeypatch.setattr(package, "_scan_rest", lambda *_: time.sleep(600))
    monkeypatch.setattr(package, "SCANNED_IN_TWO_FROM", 0)
    inspector = PackageInspector(path)
    try:
        inspector.scan_beside(["Orders"])
        child = inspector._beside["Orders"]._pid
        if killed == "before":
            os.kill(child, signal.SIGKILL)
            os.waitpid(child, 0)
            timer = None
        else:
            timer = threading.Timer(0.5, os.kill, (child, signal.SIGKILL))
            timer.start()
        assert inspector.scan("Orders") == whole
        if timer is not None:
            timer.join()
    finally:
        inspector.close()


# --- the work beside: what it returns is handed back


def twice(number: int) -> int:
    return 2 * number


@pytest.mark.parametrize("in_process", [True, False])
def test_the_work_beside_gives_back_what_it_returned(in_process: bool) -> None:
    beside = Beside(twice, in_process=in_process, doing="doubling")
    assert beside.in_process is in_process
    beside.give(21)
    assert beside.wait() == 42


def test_a_process_waits_for_its_own_argument_only() -> None:
    # Each child holds no end of the pipes of the others: a child forked after another would
    # else keep that one's argument from ending, and both would wait for ever.
    first = Beside(twice, in_process=True, doing="doubling")
    second = Beside(twice, in_process=True, doing="doubling")
    try:
        first.give(1)
        answered, _, _ = select.select([first._reader], [], [], 30)
        assert answered, "the first process is still waiting for its argument"
        assert first.wait() == 2
        second.give(2)
        assert second.wait() == 4
    finally:
        first.cancel()
        second.cancel()
