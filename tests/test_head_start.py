"""The export's workbook begins to be read as soon as the command line names it."""

from __future__ import annotations

import os
import threading
import typing
from pathlib import Path

import pytest

import ccp_xlsx2iif.opening as opening_module
from ccp_xlsx2iif import cli, launch
from ccp_xlsx2iif.beside import FORKS, Beside
from ccp_xlsx2iif.export import ExportOptions, export_workbook
from ccp_xlsx2iif.opening import HeadStart
from tests.command import program_imports, run
from tests.conftest import BATCH, NOW
from tests.iif_reader import read_iif
from tests.workbooks import OrderBook

pytestmark = pytest.mark.usefixtures("cli_clock")


class Recorder:
    """Records, in order, the steps of an export that the tests look at."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.events: list[str] = []
        self.children: list[int] = []
        open_workbook, take, options = opening_module.open_workbook, HeadStart.take, cli._options
        fork = Beside._fork

        def opening(workbook: Path, *, copied: bool) -> opening_module.Opened:
            self.events.append(f"open {workbook.name}")
            return open_workbook(workbook, copied=copied)

        def taking(head_start: HeadStart, workbook: Path, *, copied: bool) -> typing.Any:
            opened = take(head_start, workbook, copied=copied)
            self.events.append("taken" if opened is not None else "not taken")
            return opened

        def converted(context: typing.Any) -> ExportOptions:
            self.events.append("options")
            return options(context)

        def forking(beside: Beside[typing.Any, typing.Any]) -> None:
            fork(beside)
            self.events.append(f"fork: {beside._doing}")
            self.children.append(beside._pid)

        monkeypatch.setattr(opening_module, "open_workbook", opening)
        monkeypatch.setattr(HeadStart, "take", taking)
        monkeypatch.setattr(cli, "_options", converted)
        monkeypatch.setattr(Beside, "_fork", forking)

    def all_ended(self) -> bool:
        """Whether every process forked has ended and was waited for."""
        for child in self.children:
            try:
                os.waitpid(child, os.WNOHANG)
            except ChildProcessError:
                continue
            return False
        return True


@pytest.fixture
def copied_apart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Recorder, Path]:
    """Return the recorder of the export's steps, and a small workbook orders.xlsx.

    Its marked copy is written by a process of its own, forked as it is opened (where the
    system forks: elsewhere the test is skipped).
    """
    if not FORKS:
        pytest.skip("the copy is written apart where the system forks")
    monkeypatch.setattr(opening_module, "PARALLEL_PROCESS_FROM", 0)
    return Recorder(monkeypatch), OrderBook().save(tmp_path / "orders.xlsx")


# Where the head start begins: as the command line is parsed (``cli.ReadsAhead``, which the
# tests' runner calls), or as the program starts, before the commands are imported (launch.py).
BEGUN = ["by the command line", "by the program"]


@pytest.fixture(params=BEGUN)
def begun(request: pytest.FixtureRequest) -> str:
    """Where the head start of the test's export begins (``run_export``): each of ``BEGUN``."""
    return str(request.param)


def run_export(
    begun: str, monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[int, list[str], list[str]]:
    """Run ``ccp-xlsx2iif export ARGS``, its head start begun as ``begun`` says."""
    if begun == "by the program":
        monkeypatch.setattr(cli, "_begun", launch.begin(["export", *args]))
        assert cli._begun is not None
    return run("export", *args)


def test_the_workbook_is_opened_before_the_options_are_read_and_the_export_takes_it(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    copied_apart: tuple[Recorder, Path],
    begun: str,
) -> None:
    """Opened once: the copier forked and the sheets read before the options are converted."""
    recorder, path = copied_apart
    code, out, err = run_export(begun, monkeypatch, str(path), "--quiet")
    assert (code, out, err) == (0, [], [])
    assert recorder.events == [
        "open orders.xlsx",
        "fork: writing the marked workbook",
        "options",
        "taken",
    ]
    assert read_iif((tmp_path / BATCH).read_bytes()).invoice_numbers() == ["1001", "1002"]
    assert recorder.all_ended()


def test_a_dry_run_forks_no_copier_ahead(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    copied_apart: tuple[Recorder, Path],
    begun: str,
) -> None:
    recorder, path = copied_apart
    before = path.read_bytes()
    assert run_export(begun, monkeypatch, str(path), "--dry-run", "--quiet") == (0, [], [])
    assert recorder.events == ["open orders.xlsx", "options", "taken"]
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orders.xlsx"]


TAX_MODE_REFUSED = (
    "Error: Invalid value for '--tax-mode': Value error, 'never' is not one of 'lines', "
    "'quickbooks'."
)


@pytest.mark.parametrize(
    ("options", "refusal", "read"),
    [
        # Refused by Typer, as it converts the options: the command never runs.
        (["--tax-mode", "never"], TAX_MODE_REFUSED, []),
        # Refused by the export, before its lock.
        (["-o", "batch.txt"], "batch.txt: the output file's name must end in .iif", ["options"]),
    ],
)
def test_an_export_refused_after_the_head_start_leaves_nothing_behind(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    copied_apart: tuple[Recorder, Path],
    options: list[str],
    refusal: str,
    read: list[str],
    begun: str,
) -> None:
    """The workbook was opened and its copier forked: both are let go of, nothing is written."""
    monkeypatch.chdir(tmp_path)
    recorder, path = copied_apart
    before = path.read_bytes()
    threads = threading.active_count()
    code, out, err = run_export(begun, monkeypatch, "orders.xlsx", *options)
    assert (code, out, err[-1]) == (2, [], refusal)
    assert recorder.events == ["open orders.xlsx", "fork: writing the marked workbook", *read]
    assert recorder.all_ended()
    assert threading.active_count() == threads  # the sheets' reader ended
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orders.xlsx"]


def test_a_workbook_changed_after_its_head_start_is_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Saved again between the head start and the export's lock, the workbook is read anew."""
    recorder = Recorder(monkeypatch)
    path = OrderBook().save(tmp_path / "orders.xlsx")
    head_start = HeadStart.begin(path, copied=True)
    assert head_start is not None
    changed = OrderBook()
    changed.orders[1]["Status"] = "Pending"
    changed.save(tmp_path / "changed.xlsx")
    (tmp_path / "changed.xlsx").replace(path)
    stamp = path.stat()
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns + 1_000_000_000))
    result = export_workbook(path, ExportOptions(), NOW, head_start=head_start)
    assert [order.order_id for order in result.orders] == ["1001"]
    assert read_iif((tmp_path / BATCH).read_bytes()).invoice_numbers() == ["1001"]
    assert recorder.events == ["open orders.xlsx", "not taken", "open orders.xlsx"]


def test_what_is_not_worth_a_head_start_is_left_to_the_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A CSV file, a file that cannot be read, and a workbook larger than the bound."""
    recorder = Recorder(monkeypatch)
    csv_file = tmp_path / "orders.csv"
    csv_file.write_text("Order ID,Status\n1001,Completed\n", encoding="utf-8")
    damaged = tmp_path / "damaged.xlsx"
    damaged.write_bytes(b"PK\x03\x04 not a workbook")
    path = OrderBook().save(tmp_path / "orders.xlsx")
    assert HeadStart.begin(csv_file, copied=True) is None
    assert HeadStart.begin(tmp_path / "missing.xlsx", copied=True) is None
    assert HeadStart.begin(damaged, copied=True) is None
    monkeypatch.setattr(opening_module, "HEAD_START_UP_TO", path.stat().st_size - 1)
    assert HeadStart.begin(path, copied=True) is None
    assert recorder.events == ["open damaged.xlsx"]
    # The export says what is wrong with the damaged workbook, as it would have.
    code, out, err = run("export", str(damaged))
    assert (code, out) == (3, [])
    assert err[0] == f"{damaged}: not a readable Excel workbook"


def test_help_opens_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = Recorder(monkeypatch)
    path = OrderBook().save(tmp_path / "orders.xlsx")
    code, out, _ = run("export", str(path), "--help")
    assert (code, out[0]) == (0, "Usage: ccp-xlsx2iif export [OPTIONS] {WORKBOOK}")
    assert recorder.events == []


def test_the_program_imports_the_reader_before_typer(tmp_path: Path) -> None:
    """In a real run, python-calamine (the head start) comes before Typer (launch.py).

    It comes before the rest of the export as well (pydantic for Typer's options, the CSV
    reader, the columns' mapping, the templates' engine), which is imported while the sheets
    are parsed.
    """
    OrderBook().save(tmp_path / "orders.xlsx")
    imported = program_imports("export", "orders.xlsx", "-o", "batch.iif", "--quiet", cwd=tmp_path)
    later = (
        "typer",
        "pydantic",
        "ccp_xlsx2iif.csvfiles",
        "ccp_xlsx2iif.mapping",
        "ccp_xlsx2iif.export",
    )
    reader = imported.index("python_calamine")
    assert {name: reader < imported.index(name) for name in later} == dict.fromkeys(later, True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["batch.iif", "orders.xlsx"]
    assert read_iif((tmp_path / "batch.iif").read_bytes()).invoice_numbers() == ["1001", "1002"]
