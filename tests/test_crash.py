"""Crashes, write errors and concurrency: a run finishes, or leaves a state the next run explains.

The kill test stops an export with SIGKILL, over and over: at every kind of file operation it
makes (each write, sync, rename and removal, chosen at random among them) and at random moments.
After each kill the state must be one of: the workbook unchanged and no IIF file; or every
exported order marked and its IIF file complete, under its name or, when the kill fell between
the two renames, under its temporary name. The next export must then leave every order in
exactly one IIF file and every mark naming an existing file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import io
import json
import os
import random
import re
import signal
import socket
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from python_calamine import CalamineWorkbook

import ccp_xlsx2iif.export as export_module
import ccp_xlsx2iif.files as files_module
import ccp_xlsx2iif.opening as opening_module
from ccp_xlsx2iif.export import ExportOptions, export_workbook
from ccp_xlsx2iif.files import StagedFile, batch_in_mark
from ccp_xlsx2iif.lock import export_lock, lock_path
from ccp_xlsx2iif.problems import FileProblem
from tests.conftest import BATCH, NOW
from tests.iif_reader import read_iif
from tests.workbooks import OrderBook

POSIX_ONLY = pytest.mark.skipif(sys.platform == "win32", reason="fork and SIGKILL")


def big_book(orders: int = 120) -> OrderBook:
    book = OrderBook()
    template, line = book.orders[1], book.items[2]
    for number in range(3, orders + 1):
        book.orders.append(dict(template, **{"Order ID": 1000 + number}))
        book.items.append(dict(line, **{"Order ID": 1000 + number}))
    return book


def marks(path: Path) -> list[str]:
    with CalamineWorkbook.from_path(str(path)) as book:
        rows = book.get_sheet_by_name("Orders").to_python()
    column = rows[0].index("Exported")
    return [str(row[column]) for row in rows[1:]]


class KillPoints:
    """In a forked child: count file operations by kind, and SIGKILL the process at one."""

    def __init__(self, kill_at: int) -> None:
        self.kill_at = kill_at
        self.kinds: list[str] = []
        self.pid = os.getpid()

    def point(self, kind: str) -> None:
        if os.getpid() != self.pid:
            return  # the process writing the marked workbook beside the export
        self.kinds.append(kind)
        if len(self.kinds) == self.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    def install(self) -> None:
        points = self

        class Killing:
            def __init__(self, stream: Any) -> None:
                self._stream = stream

            def write(self, data: bytes) -> int:
                points.point("write")
                return int(self._stream.write(data))

            def __getattr__(self, name: str) -> Any:
                return getattr(self._stream, name)

        original_open, original_fsync = StagedFile.open, os.fsync
        original_replace, original_unlink = Path.replace, Path.unlink

        def staged_open(staged: StagedFile) -> Any:
            points.point("create")
            return Killing(original_open(staged))

        def fsync(descriptor: int) -> None:
            points.point("sync")
            original_fsync(descriptor)

        def replace(path: Path, target: Any) -> Any:
            points.point("rename")
            return original_replace(path, target)

        def unlink(path: Path, missing_ok: bool = False) -> None:
            points.point("remove")
            original_unlink(path, missing_ok=missing_ok)

        # The child is thrown away after the export: patching its classes and os is harmless.
        setattr(StagedFile, "open", staged_open)  # noqa: B010
        setattr(os, "fsync", fsync)  # noqa: B010
        setattr(Path, "replace", replace)  # noqa: B010
        setattr(Path, "unlink", unlink)  # noqa: B010


def in_child(work: Callable[[], None]) -> int:
    """Run ``work`` in a forked child; return how it ended (a signal number, or 0)."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage is the parent's assertions
        try:
            work()
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    return os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0


def count_points(path: Path, report: Path) -> list[str]:
    def work() -> None:
        points = KillPoints(kill_at=0)
        points.install()
        export_workbook(path, ExportOptions(), NOW)
        report.write_text(json.dumps(points.kinds))

    assert in_child(work) == 0
    return list(json.loads(report.read_text()))


def state_after_kill(folder: Path, original: bytes, expected: bytes) -> str:
    """Classify what a killed export left; fail on anything outside the promised states."""
    workbook = folder / "orders.xlsx"
    finals = sorted(folder.glob("orders-*.iif"))
    if workbook.read_bytes() == original:
        assert finals == [], "an IIF file exists but no order was marked"
        return "unchanged"
    batches = {batch_in_mark(mark) for mark in marks(workbook)}
    assert batches == {BATCH}, f"marks are partial or foreign: {batches}"
    if finals:
        assert [path.name for path in finals] == [BATCH]
        assert finals[0].read_bytes() == expected, "a marked batch's IIF file is incomplete"
        return "exported"
    partial = folder / f".{BATCH}.partial"
    assert partial.read_bytes() == expected, "orders marked, and no complete IIF file for them"
    return "marked, IIF under its temporary name"


def assert_recovered(folder: Path, order_ids: list[str]) -> None:
    """After the next export: every order in exactly one IIF file, every mark resolvable."""
    workbook = folder / "orders.xlsx"
    result = export_workbook(workbook, ExportOptions(), NOW + dt.timedelta(minutes=1))
    exported = [
        docnum
        for path in folder.glob("orders-*.iif")
        for docnum in read_iif(path.read_bytes()).invoice_numbers()
    ]
    assert sorted(exported) == sorted(order_ids), "an order is missing or exported twice"
    for mark in marks(workbook):
        batch = batch_in_mark(mark)
        assert batch is not None, f"mark {mark!r} names no batch"
        assert (folder / batch).exists(), f"mark {mark!r} names no file"
    leftovers = [p.name for p in folder.iterdir() if p.name.startswith(".")]
    assert leftovers == [], f"temporary files left: {leftovers}"
    assert result.marks is not None or not result.orders


@POSIX_ONLY
@pytest.mark.parametrize("writer", ["thread", "process"])
def test_killed_exports_leave_a_state_the_next_run_completes(
    tmp_path: Path,
    stress: bool,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    writer: str,
) -> None:
    """Kill exports; ``writer`` is where the marked workbook is written beside the IIF file.

    With ``process``, the IIF file is also tallied by a process of its own.
    """
    large = 0 if writer == "process" else 1 << 40
    monkeypatch.setattr(opening_module, "PARALLEL_PROCESS_FROM", large)
    monkeypatch.setattr(export_module, "TALLY_PROCESS_FROM", large)
    book = big_book()
    order_ids = [str(row["Order ID"]) for row in book.orders]
    source = book.save(tmp_path / "source.xlsx")
    original = source.read_bytes()
    reference = tmp_path / "reference"
    reference.mkdir()
    (reference / "orders.xlsx").write_bytes(original)
    kinds = count_points(reference / "orders.xlsx", tmp_path / "kinds.json")
    expected = (reference / BATCH).read_bytes()
    duration = _timed_export(tmp_path, original)

    rng = random.Random(20261125)
    by_kind: dict[str, list[int]] = {}
    for index, kind in enumerate(kinds, start=1):
        by_kind.setdefault(kind, []).append(index)
    point_trials, moment_trials = (200, 100) if stress else (30, 10)
    # Every operation other than a write is a kill point; writes fill the rest, at random.
    chosen = [index for kind, indexes in by_kind.items() if kind != "write" for index in indexes]
    writes = by_kind.get("write", [])
    chosen += [rng.choice(writes) for _ in range(max(point_trials - len(chosen), 0))]
    states: Counter[str] = Counter()
    tried: Counter[str] = Counter()
    for trial, kill_at in enumerate(chosen):
        folder = tmp_path / f"point{trial}"
        folder.mkdir()
        (folder / "orders.xlsx").write_bytes(original)

        def work(path: Path = folder / "orders.xlsx", at: int = kill_at) -> None:
            KillPoints(at).install()
            export_workbook(path, ExportOptions(), NOW)

        assert in_child(work) == signal.SIGKILL
        tried[kinds[kill_at - 1]] += 1
        states[state_after_kill(folder, original, expected)] += 1
        assert_recovered(folder, order_ids)

    for trial in range(moment_trials):
        folder = tmp_path / f"moment{trial}"
        folder.mkdir()
        (folder / "orders.xlsx").write_bytes(original)
        _kill_after(folder / "orders.xlsx", rng.uniform(0, duration * 1.2))
        states[state_after_kill(folder, original, expected)] += 1
        tried["random moment"] += 1
        assert_recovered(folder, order_ids)

    with capsys.disabled():
        print(
            f"\ncrash test (marked workbook written in a {writer}): {sum(tried.values())} kills "
            f"({', '.join(f'{n} at {kind}' for kind, n in sorted(tried.items()))}) "
            f"of an export with {len(kinds)} file operations; states found: "
            f"{', '.join(f'{n} {state}' for state, n in sorted(states.items()))}; every next "
            "run exported each order exactly once"
        )
    assert states["unchanged"]
    assert states["exported"]
    assert states["marked, IIF under its temporary name"]


def _timed_export(tmp_path: Path, original: bytes) -> float:
    folder = tmp_path / "timing"
    folder.mkdir()
    (folder / "orders.xlsx").write_bytes(original)
    start = time.perf_counter()

    def work() -> None:
        export_workbook(folder / "orders.xlsx", ExportOptions(), NOW)

    assert in_child(work) == 0
    return time.perf_counter() - start


def _kill_after(path: Path, seconds: float) -> None:
    """Start an export in a child and SIGKILL it after ``seconds`` (if it still runs)."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover
        try:
            export_workbook(path, ExportOptions(), NOW)
        finally:
            os._exit(0)
    time.sleep(seconds)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


class FullDisk(io.RawIOBase):
    """A file on a disk that fills after ``room`` bytes: what does not fit fails ENOSPC.

    It is the raw file under the tool's buffered stream, as a real full disk is: data the
    stream holds fails again when the stream is flushed or closed.
    """

    def __init__(self, raw: Any, room: int) -> None:
        super().__init__()
        self._raw = raw
        self._room = room

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if not self._room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written = int(self._raw.write(memoryview(data)[: self._room]))
        self._room -= written
        return written

    def fileno(self) -> int:
        return int(self._raw.fileno())

    def close(self) -> None:
        self._raw.close()
        super().close()


@pytest.mark.parametrize(
    ("which", "room"),
    [(".partial", 0), (".partial", 100), (".tmp.xlsx", 0), (".tmp.xlsx", 5000)],
)
@pytest.mark.parametrize("writer", ["thread", "process"])
def test_a_full_disk_leaves_everything_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, which: str, room: int, writer: str
) -> None:
    large = 0 if writer == "process" else 1 << 40
    monkeypatch.setattr(opening_module, "PARALLEL_PROCESS_FROM", large)
    monkeypatch.setattr(export_module, "TALLY_PROCESS_FROM", large)
    path = big_book(20).save(tmp_path / "orders.xlsx")
    before = path.read_bytes()
    fill_disk(monkeypatch, which, room)
    with pytest.raises(FileProblem) as raised:
        export_workbook(path, ExportOptions(), NOW)
    named = re.escape(f"{tmp_path}{os.sep}.orders") + r"[^:/\\]+" + re.escape(which)
    ending = re.escape(": cannot be written (No space left on device); nothing was changed")
    assert re.fullmatch(named + ending, raised.value.message), raised.value.message
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["orders.xlsx"]


def fill_disk(monkeypatch: pytest.MonkeyPatch, which: str, room: int) -> None:
    """Have the staged files whose name ends in ``which`` fill the disk after ``room`` bytes."""
    original_open = StagedFile.open

    def failing_open(staged: StagedFile) -> Any:
        stream = original_open(staged)
        if not staged.temporary.name.endswith(which):
            return stream
        assert isinstance(stream, io.BufferedWriter)
        full = io.BufferedWriter(FullDisk(stream.detach(), room), buffer_size=1 << 20)
        staged._stream = full  # the stream it flushes, syncs and closes
        return full

    monkeypatch.setattr(StagedFile, "open", failing_open)


def locked_for(monkeypatch: pytest.MonkeyPatch, path: Path, refusals: int) -> list[float]:
    """Have renames over ``path`` refused ``refusals`` times, as Windows refuses them.

    Return the pauses the export makes meanwhile (on a clock of its own: no time passes).
    """
    original_replace = Path.replace
    left = [refusals]

    def locked(self: Path, target: Any) -> Any:
        if Path(target) == path and left[0]:
            left[0] -= 1
            raise PermissionError(errno.EACCES, "Permission denied")
        return original_replace(self, target)

    pauses: list[float] = []
    monkeypatch.setattr(Path, "replace", locked)
    monkeypatch.setattr("ccp_xlsx2iif.files.monotonic", lambda: sum(pauses))
    monkeypatch.setattr("ccp_xlsx2iif.files.sleep", pauses.append)
    return pauses


LOCKED = (
    "cannot be replaced; it is open in another program or read-only",
    "Close the file (in Excel or LibreOffice) and run the command again.",
)


@pytest.mark.parametrize("windows", [True, False])
def test_a_workbook_locked_by_another_program_fails_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, windows: bool
) -> None:
    """On Windows, replacing a workbook Excel has open raises PermissionError."""
    monkeypatch.setattr(files_module, "WINDOWS", windows)
    path = OrderBook().save(tmp_path / "orders.xlsx")
    before = path.read_bytes()
    pauses = locked_for(monkeypatch, path, refusals=1000)
    with pytest.raises(FileProblem) as raised:
        export_workbook(path, ExportOptions(), NOW)
    assert (raised.value.message, raised.value.hint) == (f"{path}: {LOCKED[0]}", LOCKED[1])
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["orders.xlsx"]
    # Windows is given 3 seconds to let go of the file; elsewhere a refusal is final.
    assert pauses == ([0.05, 0.1, 0.2, 0.4, 0.5, 0.5, 0.5, 0.5] if windows else [])


def test_a_workbook_held_for_a_moment_on_windows_is_replaced_when_let_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A virus scanner or a sync client may hold a file just written for a moment."""
    monkeypatch.setattr(files_module, "WINDOWS", True)
    path = OrderBook().save(tmp_path / "orders.xlsx")
    pauses = locked_for(monkeypatch, path, refusals=2)
    result = export_workbook(path, ExportOptions(), NOW)
    assert [order.order_id for order in result.orders] == ["1001", "1002"]
    assert marks(path) == [f"2026-03-14 09:30 {BATCH}"] * 2
    assert sorted(p.name for p in tmp_path.iterdir()) == [BATCH, "orders.xlsx"]
    assert pauses == [0.05, 0.1]


def test_temporary_files_that_cannot_be_removed_are_left_for_the_next_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On Windows another program may hold a file just written: the run still says what failed."""
    path = OrderBook().save(tmp_path / "orders.xlsx")
    before = path.read_bytes()
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "payment.iif.j2").write_text("{{ order.no_such_field }}\n")
    original_unlink = Path.unlink

    def held(self: Path, missing_ok: bool = False) -> None:
        if self.name.endswith((".partial", ".tmp.xlsx")):
            raise PermissionError(errno.EACCES, "Permission denied")
        original_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", held)
    with pytest.raises(FileProblem) as raised:
        export_workbook(path, ExportOptions(templates=templates), NOW)
    assert raised.value.message == (
        "IIF template error: 'Order' object has no attribute 'no_such_field'"
    )
    assert path.read_bytes() == before
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left[0] == f".{BATCH}.partial"
    assert re.fullmatch(r"\.orders\.[0-9a-f]{8}\.tmp\.xlsx", left[1])
    assert left[2:] == ["orders.xlsx", "templates"]
    monkeypatch.undo()
    result = export_workbook(path, ExportOptions(), NOW)
    assert [order.order_id for order in result.orders] == ["1001", "1002"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [BATCH, "orders.xlsx", "templates"]


def test_an_interrupted_exports_iif_file_that_cannot_be_put_in_place_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = OrderBook().save(tmp_path / "orders.xlsx")
    export_workbook(path, ExportOptions(), NOW)
    (tmp_path / BATCH).rename(tmp_path / f".{BATCH}.partial")
    before = path.read_bytes()
    locked_for(monkeypatch, tmp_path / BATCH, refusals=1)
    with pytest.raises(FileProblem) as raised:
        export_workbook(path, ExportOptions(), NOW + dt.timedelta(minutes=1))
    assert (raised.value.message, raised.value.hint) == (
        f"{tmp_path / BATCH}: the complete IIF file of an interrupted export, .{BATCH}.partial, "
        "cannot be put in place (Permission denied)",
        f"Rename {tmp_path / f'.{BATCH}.partial'} to {BATCH} (close any program that has it "
        "open), and run the command again.",
    )
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [f".{BATCH}.partial", "orders.xlsx"]


def test_an_iif_file_that_cannot_be_moved_is_put_in_place_by_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = OrderBook().save(tmp_path / "orders.xlsx")
    original_replace = Path.replace

    def iif_locked(self: Path, target: Any) -> Any:
        if str(target).endswith(".iif"):
            raise PermissionError(errno.EACCES, "Permission denied")
        return original_replace(self, target)

    monkeypatch.setattr(Path, "replace", iif_locked)
    with pytest.raises(FileProblem) as raised:
        export_workbook(path, ExportOptions(), NOW)
    assert raised.value.message == (
        f"{tmp_path / BATCH}: the orders were marked Exported, but the finished IIF file could "
        f"not be moved into place; it is complete under the name .{BATCH}.partial"
    )
    assert (tmp_path / f".{BATCH}.partial").exists()
    monkeypatch.undo()
    result = export_workbook(path, ExportOptions(), NOW + dt.timedelta(minutes=1))
    assert result.orders == ()
    assert result.notes[0] == (
        "An earlier export was interrupted after marking its orders; its complete IIF file is "
        f"now in place: import {tmp_path / BATCH} in QuickBooks if you have not yet."
    )
    assert read_iif((tmp_path / BATCH).read_bytes()).invoice_numbers() == ["1001", "1002"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [BATCH, "orders.xlsx"]


def test_a_dry_run_says_what_the_next_export_will_complete(tmp_path: Path) -> None:
    path = OrderBook().save(tmp_path / "orders.xlsx")
    export_workbook(path, ExportOptions(), NOW)
    (tmp_path / BATCH).rename(tmp_path / f".{BATCH}.partial")
    result = export_workbook(path, ExportOptions(dry_run=True), NOW)
    assert result.notes[0] == (
        "An earlier export was interrupted after marking its orders; its complete IIF file is "
        f".{BATCH}.partial; the next export puts it in place as {BATCH}."
    )
    assert not (tmp_path / BATCH).exists()


@contextlib.contextmanager
def held_lock(path: Path, holder: dict[str, Any] | None) -> Iterator[Path]:
    lock = lock_path(path)
    lock.write_text(json.dumps(holder) if holder is not None else "")
    yield lock


def test_two_exports_at_once_only_one_proceeds(tmp_path: Path) -> None:
    path = OrderBook().save(tmp_path / "orders.xlsx")
    with export_lock(path, NOW):
        with pytest.raises(FileProblem) as raised:
            export_workbook(path, ExportOptions(), NOW)
        assert raised.value.message == (
            f"{path}: another export of this workbook is running (process {os.getpid()} on "
            f"{socket.gethostname()}, since 2026-03-14 09:30)"
        )
        assert (
            raised.value.hint
            == f"Wait for it to finish. If no export is running, delete {lock_path(path)}."
        )
    assert not lock_path(path).exists()
    export_workbook(path, ExportOptions(), NOW)
    assert not lock_path(path).exists()


def _dead_pid() -> int:
    pid = os.fork() if sys.platform != "win32" else 0
    if pid == 0:  # pragma: no cover
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


@pytest.mark.parametrize(
    ("holder", "age"),
    [
        ("dead process", dt.timedelta(minutes=1)),
        ("live process, six hours old", dt.timedelta(hours=7)),
        ("unreadable, two minutes old", dt.timedelta(minutes=2)),
    ],
)
def test_a_stale_lock_is_taken_over(tmp_path: Path, holder: str, age: dt.timedelta) -> None:
    if holder == "dead process" and sys.platform == "win32":
        pytest.skip("fork")
    path = OrderBook().save(tmp_path / "orders.xlsx")
    started = NOW - age
    content = None
    if holder != "unreadable, two minutes old":
        pid = _dead_pid() if holder == "dead process" else os.getpid()
        content = {"pid": pid, "host": socket.gethostname(), "started": started.isoformat()}
    with held_lock(path, content) as lock:
        os.utime(lock, (started.timestamp(), started.timestamp()))
        result = export_workbook(path, ExportOptions(), NOW)
    assert result.notes[0] == (f"A stale lock of an interrupted export ({lock.name}) was removed.")
    assert not lock.exists()


def test_a_fresh_unreadable_lock_is_respected(tmp_path: Path) -> None:
    path = OrderBook().save(tmp_path / "orders.xlsx")
    with held_lock(path, None), pytest.raises(FileProblem, match="another export"):
        export_workbook(path, ExportOptions(), NOW)


@pytest.mark.parametrize(
    ("holder", "stale"),
    [
        # Damaged or edited by hand: what it names is taken where it makes sense, and the
        # file's own time stands in for a start that cannot be read.
        ({"pid": 7, "host": "elsewhere"}, False),
        ({"pid": 7, "host": "elsewhere"}, True),
        ({"pid": "x", "host": 5, "started": "bogus"}, True),
        ({"pid": 10**21, "host": "here", "started": None}, True),
        ({"pid": 7, "host": "elsewhere", "started": "2026-03-14T09:00:00+05:00"}, True),
        ({"pid": 7, "host": "elsewhere", "started": "2026-03-14T09:00:00+05:00"}, False),
    ],
)
def test_a_lock_that_is_damaged_is_judged_by_its_file_time(
    tmp_path: Path, holder: dict[str, Any], stale: bool
) -> None:
    path = OrderBook().save(tmp_path / "orders.xlsx")
    if holder.get("host") == "here":
        holder = {**holder, "host": socket.gethostname()}
    modified = NOW - (dt.timedelta(hours=7) if stale else dt.timedelta(minutes=5))
    with held_lock(path, holder) as lock:
        os.utime(lock, (modified.timestamp(), modified.timestamp()))
        if stale:
            result = export_workbook(path, ExportOptions(), NOW)
            assert result.notes[0] == (
                f"A stale lock of an interrupted export ({lock.name}) was removed."
            )
            assert not lock.exists()
        else:
            with pytest.raises(FileProblem, match="another export of this workbook is running"):
                export_workbook(path, ExportOptions(), NOW)
            assert lock.exists()


def test_an_exported_cell_naming_a_path_moves_no_file_elsewhere(tmp_path: Path) -> None:
    # After an interrupted export, the batch an Exported cell names is put in place from its
    # temporary file. A cell that names a path must not make the tool rename a file elsewhere.
    book = OrderBook()
    book.orders[0]["Exported"] = "2026-03-14 09:30 ../evil.iif"
    (tmp_path / "shop").mkdir()
    path = book.save(tmp_path / "shop" / "orders.xlsx")
    elsewhere = tmp_path / ".evil.iif.partial"
    elsewhere.write_text("not the tool's")
    result = export_workbook(path, ExportOptions(), NOW)
    assert [order.order_id for order in result.orders] == ["1002"]
    assert elsewhere.read_text() == "not the tool's"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".evil.iif.partial", "shop"]


def linked(tmp_path: Path) -> tuple[Path, Path]:
    """Save a workbook in a folder of its own and link to it; return (link, file)."""
    (tmp_path / "synced").mkdir()
    real = OrderBook().save(tmp_path / "synced" / "orders.xlsx")
    link = tmp_path / "orders.xlsx"
    try:
        link.symlink_to(real)
    except OSError:  # Windows without the right to make links
        pytest.skip("symbolic links cannot be made here")
    return link, real


def test_a_workbook_reached_through_a_link_is_marked_where_it_is(tmp_path: Path) -> None:
    # The marked copy replaces the workbook: it must replace the file the link leads to, not
    # the link, else that file stays unmarked and its orders are exported again from there.
    link, real = linked(tmp_path)
    result = export_workbook(link, ExportOptions(), NOW)
    assert link.is_symlink()
    assert link.resolve() == real.resolve()
    assert marks(real) == [f"2026-03-14 09:30 {BATCH}"] * 2
    assert result.iif_path == real.parent / BATCH
    assert sorted(p.name for p in real.parent.iterdir()) == [BATCH, "orders.xlsx"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orders.xlsx", "synced"]
    again = export_workbook(link, ExportOptions(), NOW)
    assert again.orders == ()


def test_a_workbook_reached_through_a_link_is_refused_while_excel_has_it_open(
    tmp_path: Path,
) -> None:
    link, real = linked(tmp_path)
    (real.parent / "~$orders.xlsx").write_bytes(b"")
    with pytest.raises(FileProblem) as raised:
        export_workbook(link, ExportOptions(), NOW)
    assert raised.value.message == (
        f"{real.resolve()}: the workbook is open in Excel (~$orders.xlsx is beside it)"
    )
    assert link.is_symlink()


def test_orders_marked_by_hand_through_a_link_are_marked_where_they_are(tmp_path: Path) -> None:
    from ccp_xlsx2iif.marking import apply_marking, plan_marking

    link, real = linked(tmp_path)
    apply_marking(plan_marking(link, clear=False, now=NOW, orders=["1001"]), NOW)
    assert link.is_symlink()
    assert marks(real) == ["2026-03-14 09:30 marked by hand", ""]
