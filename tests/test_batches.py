"""Exported cells checked against the batch files they name: marks that left their orders."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from ccp_xlsx2iif.batches import (
    BatchFiles,
    MarkedCell,
    invoice_amounts,
    invoice_numbers,
    marked_before_placed,
    misplaced_marks,
)
from ccp_xlsx2iif.export import ExportOptions, export_workbook
from ccp_xlsx2iif.files import mark_day
from ccp_xlsx2iif.problems import Columns
from tests.command import run
from tests.conftest import BATCH, NOW
from tests.workbooks import OrderBook

pytestmark = pytest.mark.usefixtures("cli_clock")

MARK = f"2026-03-14 09:30 {BATCH}"
SHIFTED = "which holds no invoice {order}: this mark belongs to another order"
NOTE = (
    "The Exported cells no longer sit beside their orders: was the sheet sorted without its "
    "Exported column, or a newer export of the shop pasted over the rows? As they are, orders "
    "would be skipped that were never exported, and others booked twice. Undo the sort or the "
    "paste in Excel (or take the workbook from its backup) so that each mark is back beside its "
    "order; each batch file lists the invoices, by Order ID, it holds. (If an Order ID was "
    "corrected after its export, its mark is right: write a word of your own, such as "
    '"booked", over the file name in that cell.)'
)


def held_note(name: str, orders: str, rest: str, written: str | None = None) -> str:
    """Return the note that batch ``name`` already holds ``orders`` to export, then ``rest``.

    ``written``: the batch an export wrote, which the note says how to undo.
    """
    count = len(orders.split(", "))
    undo = (
        f" If so, do not import {written}: undo this export with ccp-xlsx2iif unmark orders.xlsx "
        f"--batch {written}, mark those orders (ccp-xlsx2iif mark orders.xlsx --orders "
        f"{orders.replace(', ', ',')}), and export again."
        if written
        else ""
    )
    return (
        f"{name}, beside the workbook, already holds {count} order{'s' if count > 1 else ''} to "
        f"export now ({orders}), {rest}{undo}"
    )


NAMED = (
    "though their Exported cells are blank. If you cleared them after deleting them in "
    "QuickBooks, all is well; if their marks were lost (the sheet sorted without its Exported "
    "column, or pasted over), they would be booked twice."
)
UNNAMED = (
    "and no Exported cell names it. If that file was imported in QuickBooks and its "
    "transactions are still there, these orders would be booked twice: was the workbook taken "
    "from an older copy? (After unmark --batch, once the import was deleted in QuickBooks, all "
    "is well.)"
)


def named_note(name: str, orders: str, written: str | None = None) -> str:
    return held_note(name, orders, NAMED, written)


def problem_lines(err: list[str]) -> list[str]:
    return [line for line in err if line.startswith("Orders!")]


def exported_shop(folder: Path, **sheets: list[list[Any]]) -> Path:
    """Export orders 1001-1006 of a workbook (with ``sheets`` besides); return it, marked."""
    book = OrderBook(extra_sheets=sheets)
    order, line = book.orders[1], book.items[2]
    for number in range(1003, 1007):
        book.orders.append(dict(order, **{"Order ID": number}))
        book.items.append(dict(line, **{"Order ID": number}))
    path = book.save(folder / "orders.xlsx")
    assert run("export", str(path), "-q") == (0, [], [])
    return path


def paste_newer_export(
    path: Path, *, with_exported: bool, dated: dt.datetime | None = None
) -> None:
    """Put the shop's newer export, newest first and with orders 1007-1008, over the rows.

    As a user pastes it: over the shop's columns only, or (``with_exported``) as whole rows,
    the way Excel sorts a sheet. The new orders are ``dated`` (else as the last one).
    """
    book = load_workbook(path)
    orders, items = book["Orders"], book["Items"]
    headers = [cell.value for cell in orders[1]]
    exported, order_date = headers.index("Exported"), headers.index("Order Date")
    rows = [[cell.value for cell in row] for row in orders.iter_rows(min_row=2)]
    for number in (1007, 1008):
        rows.append([number, *rows[-1][1:exported], None, *rows[-1][exported + 1 :]])
        if dated is not None:
            rows[-1][order_date] = dated
        items.append([number, *[cell.value for cell in items[items.max_row]][1:]])
    for at, row in enumerate(reversed(rows), start=2):
        for column, value in enumerate(row, start=1):
            if with_exported or column != exported + 1:
                orders.cell(at, column).value = value
    book.save(path)


def exported_cells(path: Path) -> list[Any]:
    sheet = load_workbook(path)["Orders"]
    return [row[14] for row in sheet.iter_rows(min_row=2, values_only=True)]


def test_marks_left_beside_other_orders_stop_the_export(tmp_path: Path) -> None:
    path = exported_shop(tmp_path)
    paste_newer_export(path, with_exported=False)
    before = path.read_bytes()
    for command, verdict in (
        ("check", "Not ready: 2 problems would stop an export."),
        ("export", "2 problems found; nothing was written."),
    ):
        code, out, err = run(command, str(path))
        assert code == 1
        assert out == []
        assert err == [
            named_note(BATCH, "1001, 1002"),
            NOTE,
            f"Orders!O2: says order 1008 went to {BATCH}, {SHIFTED.format(order=1008)}",
            f"Orders!O3: says order 1007 went to {BATCH}, {SHIFTED.format(order=1007)}",
            verdict,
        ]
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [BATCH, "orders.xlsx"]


def test_marks_left_beside_other_orders_are_not_cleared_by_order_or_batch(
    tmp_path: Path,
) -> None:
    path = exported_shop(tmp_path)
    paste_newer_export(path, with_exported=False)
    before = path.read_bytes()
    for choice in (["--orders", "1008,1005"], ["--batch", BATCH]):
        code, out, err = run("unmark", str(path), *choice, "-y")
        assert code == 1
        assert out == []
        assert err == [
            NOTE,
            f"Orders!O2: says order 1008 went to {BATCH}, {SHIFTED.format(order=1008)}",
            *(
                [f"Orders!O3: says order 1007 went to {BATCH}, {SHIFTED.format(order=1007)}"]
                if choice[0] == "--batch"
                else []
            ),
            "Nothing was changed.",
        ]
        assert path.read_bytes() == before
    # Every cell may still be cleared, on purpose.
    assert run("unmark", str(path), "--all", "-y")[0] == 0
    assert exported_cells(path) == [None] * 8


def test_a_sheet_sorted_whole_keeps_its_marks_beside_their_orders(tmp_path: Path) -> None:
    path = exported_shop(tmp_path)
    paste_newer_export(path, with_exported=True)
    code, out, err = run("export", str(path), "-q")
    assert (code, out, err) == (0, [], [])
    second = "orders-20260314-093005-2.iif"
    assert exported_cells(path) == [f"2026-03-14 09:30 {second}"] * 2 + [MARK] * 6
    assert invoice_numbers(tmp_path / second) == {"1007", "1008"}


def test_orders_cleared_by_hand_are_exported_again(tmp_path: Path) -> None:
    path = exported_shop(tmp_path)
    assert run("unmark", str(path), "--orders", "1002,1005", "-y")[0] == 0
    code, out, err = run("export", str(path), "-q")
    second = "orders-20260314-093005-2.iif"
    # Written already, the batch is told how to undo, should the marks have been lost.
    assert (code, out, err) == (0, [], [named_note(BATCH, "1002, 1005", second)])
    assert invoice_numbers(tmp_path / second) == {"1002", "1005"}


def test_marks_are_not_checked_without_their_batch_file(tmp_path: Path) -> None:
    path = exported_shop(tmp_path)
    paste_newer_export(path, with_exported=False)
    (tmp_path / BATCH).unlink()
    code, out, _ = run("export", str(path), "--dry-run")
    assert code == 0
    assert out[0] == "Dry run: 2 orders would be exported, total 65.95; nothing was written."
    assert (
        f"The workbook names a batch file that is no longer beside it: {BATCH}. If it was "
        "imported in QuickBooks, all is well; if not, export its orders again after: "
        f"ccp-xlsx2iif unmark orders.xlsx --batch {BATCH}"
    ) in out


IIF = (
    b"!TRNS\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tDOCNUM\r\n"
    b"!SPL\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tDOCNUM\r\n"
    b"!ENDTRNS\r\n"
    b"TRNS\tINVOICE\t03/02/2026\tAccounts Receivable\tAda\t40.00\t{first}\r\n"
    b"SPL\tINVOICE\t03/02/2026\tSales\t\t-40.00\tSPL-NUMBER\r\n"
    b"ENDTRNS\r\n"
    b"TRNS\tPAYMENT\t03/02/2026\tUndeposited Funds\tAda\t40.00\r\n"
    b"SPL\tPAYMENT\t03/02/2026\tAccounts Receivable\tAda\t-40.00\r\n"
    b"ENDTRNS\r\n"
    b"TRNS\tINVOICE\t03/03/2026\tAccounts Receivable\tGrace\t25.95\t {second} \n"
    b"ENDTRNS\n"
)


def test_the_invoice_numbers_of_a_batch(tmp_path: Path) -> None:
    batch = tmp_path / "week.iif"
    batch.write_bytes(IIF.replace(b"{first}", b"1001").replace(b"{second}", b"1002"))
    assert invoice_numbers(batch) == {"1001", "1002"}
    # With the totals their TRNS rows carry, as written.
    assert invoice_amounts(batch) == {"1001": {b"40.00"}, "1002": {b"25.95"}}
    # A line of megabytes (not IIF) is read in pieces; the rows after it are read as rows.
    long_line = b"x" * (3 << 20) + b"TRNS\tINVOICE\t\t\t\t\tNOT-A-ROW\r\n"
    text = IIF.replace(b"{first}", b"1001").replace(b"{second}", b"1002")
    row = text.index(b"TRNS\tINVOICE\t03/03/2026")
    batch.write_bytes(text[:row] + long_line + text[row:])
    assert invoice_numbers(batch) == {"1001", "1002"}
    batch.write_bytes(b"!TRNS\tTRNSTYPE\tAMOUNT\r\nTRNS\tINVOICE\t40.00\r\n")
    assert invoice_numbers(batch) == set()
    assert invoice_numbers(tmp_path / "gone.iif") == set()


@pytest.mark.parametrize(
    ("numbers", "flagged"),
    [
        ((b"1001", b"1002"), []),
        ((b"1001", b"1003"), [("O3", "1002")]),
        ((b"1003", b"1004"), [("O2", "1001"), ("O3", "1002")]),
        # Invoices numbered otherwise (templates of one's own) prove nothing.
        ((b"W-1001", b"W-1002"), []),
    ],
)
def test_marks_against_their_batch(
    tmp_path: Path, numbers: tuple[bytes, bytes], flagged: list[tuple[str, str]]
) -> None:
    (tmp_path / "week.iif").write_bytes(
        IIF.replace(b"{first}", numbers[0]).replace(b"{second}", numbers[1])
    )
    columns = Columns("Orders", {"order_id": 1, "exported": 15})
    marked = [
        MarkedCell(2, "1001", "2026-03-14 09:30 week.iif", None),
        MarkedCell(3, "1002", "2026-03-14 09:30 week.iif", None),
        MarkedCell(4, "1003", "2026-03-14 09:30 gone.iif", None),
    ]
    problems = misplaced_marks(
        marked, columns, BatchFiles([tmp_path]), {"1001", "1002", "1003", "1004"}
    )
    assert [(str(p.place), p.code) for p in problems] == [
        (f"Orders!{cell}", "misplaced-mark") for cell, _ in flagged
    ]
    assert [p.message.split(",")[0] for p in problems] == [
        f"says order {order} went to week.iif" for _, order in flagged
    ]


def unnamed_note(name: str, orders: str, written: str | None = None) -> str:
    return held_note(name, orders, UNNAMED, written)


def test_a_workbook_taken_from_an_older_copy_is_pointed_out(tmp_path: Path) -> None:
    path = OrderBook().save(tmp_path / "orders.xlsx")
    older = path.read_bytes()
    assert run("export", str(path), "-q") == (0, [], [])
    path.write_bytes(older)  # last week's marks are lost
    (tmp_path / "orders-chart.iif").write_bytes((tmp_path / BATCH).read_bytes())  # not a batch
    (tmp_path / "orders-20260101-000000.iif").mkdir()  # nor is a folder
    for command in (["check"], ["export", "--dry-run"]):
        code, out, _ = run(*command, str(path))
        assert code == 0
        assert unnamed_note(BATCH, "1001, 1002") in out


def test_orders_unmarked_by_batch_are_exported_again_with_a_note(tmp_path: Path) -> None:
    path = exported_shop(tmp_path)
    assert run("unmark", str(path), "--orders", "1006,1003", "-y")[0] == 0
    code, out, _ = run("export", str(path))
    assert code == 0
    # Cleared on purpose: as the note says.
    assert named_note(BATCH, "1003, 1006", "orders-20260314-093005-2.iif") in out
    assert run("unmark", str(path), "--batch", BATCH, "-y")[0] == 0
    code, out, _ = run("export", str(path))
    assert code == 0
    assert out[0].startswith("Exported 4 orders")
    assert unnamed_note(BATCH, "1001, 1002, 1004, 1005", "orders-20260314-093005-3.iif") in out
    code, out, _ = run("export", str(path))
    assert (code, out[0]) == (
        0,
        "Nothing to export: no order is both completed and not yet exported.",
    )
    assert not any("beside the workbook, already holds" in line for line in out)


@st.composite
def reorderings(draw: st.DrawFn) -> tuple[int, int, list[int], bool]:
    """Orders exported, orders new since, the rows' new order, and whether marks moved too."""
    exported = draw(st.integers(1, 6))
    new = draw(st.integers(0, 3))
    order = draw(st.permutations(range(exported + new)))
    return exported, new, list(order), draw(st.booleans())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reorderings())
def test_reordered_rows_are_exported_right_or_refused(
    case: tuple[int, int, list[int], bool],
) -> None:
    """Whatever the rows' new order, no order is exported twice and none is skipped unexported.

    Marks moved with their rows (a sort of whole rows) export exactly the new orders; marks
    left in place (a paste over the other columns) are refused exactly where they now sit
    beside a new order, and otherwise export exactly the new orders too.
    """
    exported, new, order, whole_rows = case
    with tempfile.TemporaryDirectory() as folder:
        book = OrderBook()
        template, line = book.orders[1], book.items[2]
        book.orders = [dict(template, **{"Order ID": 1001 + n}) for n in range(exported)]
        book.items = [dict(line, **{"Order ID": 1001 + n}) for n in range(exported)]
        path = book.save(Path(folder) / "orders.xlsx")
        assert run("export", str(path), "-q") == (0, [], [])
        sheet_book = load_workbook(path)
        orders, items = sheet_book["Orders"], sheet_book["Items"]
        rows = [[cell.value for cell in row] for row in orders.iter_rows(min_row=2)]
        for number in range(1001 + exported, 1001 + exported + new):
            rows.append([number, *rows[0][1:14], None])
            items.append([number, *[cell.value for cell in items[2]][1:]])
        marks = [row[14] for row in rows]
        for at, source in enumerate(order):
            row = rows[source]
            for column, value in enumerate(row[:14], start=1):
                orders.cell(at + 2, column).value = value
            orders.cell(at + 2, 15).value = row[14] if whole_rows else marks[at]
        sheet_book.save(path)
        new_ids = {str(number) for number in range(1001 + exported, 1001 + exported + new)}
        misplaced = [
            (f"Orders!O{at + 2}", str(rows[source][0]))
            for at, source in enumerate(order)
            if not whole_rows and marks[at] and str(rows[source][0]) in new_ids
        ]
        code, _, err = run("export", str(path), "-q")
        if misplaced:
            assert code == 1
            assert [line.split(" went to")[0] for line in problem_lines(err)] == [
                f"{cell}: says order {order_id}" for cell, order_id in misplaced
            ]
            return
        assert (code, err) == (0, [])
        batches = sorted(Path(folder).glob("orders-*-2.iif"))
        assert (invoice_numbers(batches[0]) if batches else set()) == new_ids


def test_a_batch_in_the_output_folder_is_found_there(tmp_path: Path) -> None:
    out = tmp_path / "iif"
    out.mkdir()
    settings = [["Setting", "Value"], ["Output Folder", str(out)]]
    path = OrderBook(extra_sheets={"Settings": settings}).save(tmp_path / "orders.xlsx")
    older = path.read_bytes()
    assert run("export", str(path), "-q") == (0, [], [])
    assert [p.name for p in out.iterdir()] == [BATCH]
    path.write_bytes(older)
    code, out_lines, _ = run("check", str(path))
    assert code == 0
    assert unnamed_note(BATCH, "1001, 1002").replace("beside the workbook", f"in {out}") in (
        out_lines
    )


def test_marks_are_checked_against_batches_in_the_output_folder(tmp_path: Path) -> None:
    (tmp_path / "iif").mkdir()
    path = exported_shop(tmp_path, Settings=[["Setting", "Value"], ["Output Folder", "iif"]])
    assert [p.name for p in (tmp_path / "iif").iterdir()] == [BATCH]
    paste_newer_export(path, with_exported=False)
    before = path.read_bytes()
    first = f"Orders!O2: says order 1008 went to {BATCH}, {SHIFTED.format(order=1008)}"
    for command in (["check"], ["unmark", "--batch", BATCH, "-y"]):
        code, _, err = run(*command, str(path))
        assert (code, problem_lines(err)[0]) == (1, first)
        assert NOTE in err
    assert path.read_bytes() == before


def test_marks_written_before_their_orders_were_placed_stop_the_export(tmp_path: Path) -> None:
    """Without the batch file, a mark beside an order placed after it is found by its day."""
    path = exported_shop(tmp_path)  # orders of March 2 and 3, marked March 14
    (tmp_path / BATCH).unlink()
    paste_newer_export(path, with_exported=False, dated=dt.datetime(2026, 3, 16))
    before = path.read_bytes()
    code, _, err = run("export", str(path))
    assert code == 1
    assert err == [
        f"The workbook names a batch file that is no longer beside it: {BATCH}. If it was "
        "imported in QuickBooks, all is well; if not, export its orders again after: "
        f"ccp-xlsx2iif unmark orders.xlsx --batch {BATCH}",
        NOTE,
        *(
            f"Orders!O{row}: says order {order} was exported or marked on 2026-03-14, before "
            "its date 2026-03-16: this mark belongs to another order"
            for row, order in ((2, 1008), (3, 1007))
        ),
        "2 problems found; nothing was written.",
    ]
    assert path.read_bytes() == before


@pytest.mark.parametrize("date_format", ["uk", "us"])
def test_dates_written_day_first_are_read_so_with_the_date_format_uk(
    tmp_path: Path, date_format: str
) -> None:
    # 05/03/2026 is 5 March for a shop that writes the day first: marked on 6 March, its
    # mark is its own. Read month first, it is 3 May, and the mark would be older than it.
    book = OrderBook()
    book.orders[0].update(
        {"Order Date": "05/03/2026", "Exported": "2026-03-06 09:00 marked by hand"}
    )
    book.orders[1]["Order Date"] = "13/03/2026"
    book.extra_sheets["Settings"] = [["Setting", "Value"], ["Date Format", date_format]]
    path = book.save(tmp_path / "orders.xlsx")
    before = path.read_bytes()
    check = run("check", str(path))
    unmark = run("unmark", str(path), "--orders", "1001", "-y")
    if date_format == "uk":
        assert check[0] == 0, check
        assert unmark[0] == 0, unmark
        return
    assert check[2][-3:] == [
        "Orders!O2: says order 1001 was exported or marked on 2026-03-06, before its date "
        "2026-05-03: this mark belongs to another order",
        'Orders!B3: "13/03/2026" is not a date; write it as YYYY-MM-DD (2026-03-14) or MM/DD/YYYY '
        "(03/14/2026), or format the cell as a date (dates written day first are read so with "
        "the Date Format uk) (order 1002)",
        "Not ready: 2 problems would stop an export.",
    ]
    assert unmark[0] == 1
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("mark", "day"),
    [
        (MARK, dt.date(2026, 3, 14)),
        ("2026-03-14 09:30 marked by hand", dt.date(2026, 3, 14)),
        ("2026-3-14 09:30 x.iif", None),
        ("2026-02-30 09:30 x.iif", None),
        ("2026-03-14 x.iif", None),
        ("done", None),
    ],
)
def test_the_day_of_a_mark(mark: str, day: dt.date | None) -> None:
    assert mark_day(mark) == day


@pytest.mark.parametrize(("days", "flagged"), [(-30, False), (0, False), (1, False), (2, True)])
def test_an_order_placed_the_day_after_its_mark_is_not_flagged(days: int, flagged: bool) -> None:
    # The shop's day and the computer's may be a time zone apart.
    marked = dt.date(2026, 3, 14)
    placed = marked + dt.timedelta(days=days)
    problem = marked_before_placed(Columns("Orders", {"exported": 15}), 2, "1001", marked, placed)
    assert (problem is not None) == flagged


def test_a_mark_found_out_twice_is_told_once(tmp_path: Path) -> None:
    path = exported_shop(tmp_path)
    paste_newer_export(path, with_exported=False, dated=dt.datetime(2026, 3, 16))
    code, _, err = run("check", str(path))
    assert code == 1
    assert problem_lines(err) + err[-1:] == [
        f"Orders!O{row}: says order {order} was exported or marked on 2026-03-14, before its "
        "date 2026-03-16: this mark belongs to another order"
        for row, order in ((2, 1008), (3, 1007))
    ] + ["Not ready: 2 problems would stop an export."]


def test_marks_written_before_their_orders_were_placed_are_not_cleared(tmp_path: Path) -> None:
    path = exported_shop(tmp_path)
    (tmp_path / BATCH).unlink()
    paste_newer_export(path, with_exported=False, dated=dt.datetime(2026, 3, 16))
    before = path.read_bytes()
    code, _, err = run("unmark", str(path), "--orders", "1008,1005", "-y")
    assert (code, err) == (
        1,
        [
            NOTE,
            "Orders!O2: says order 1008 was exported or marked on 2026-03-14, before its date "
            "2026-03-16: this mark belongs to another order",
            "Nothing was changed.",
        ],
    )
    assert path.read_bytes() == before


def test_a_mark_moved_onto_an_order_its_batch_holds_is_pointed_out(tmp_path: Path) -> None:
    """A mark moved beside another order of its own batch cannot be told from a right one.

    Order 1001 was cleared to be exported again; the rows were then pasted over in the other
    order: 1001 now sits beside 1002's mark, and 1002 beside the blank cell. Both orders are in
    the batch, so no mark is wrong by it; the note names 1002, which would go out again.
    """
    path = OrderBook().save(tmp_path / "orders.xlsx")
    assert run("export", str(path), "-q") == (0, [], [])
    assert run("unmark", str(path), "--orders", "1001", "-y")[0] == 0
    book = load_workbook(path)
    rows = [[cell.value for cell in row] for row in book["Orders"].iter_rows(min_row=2)]
    for at, row in enumerate(reversed(rows), start=2):
        for column, value in enumerate(row[:14], start=1):
            book["Orders"].cell(at, column).value = value
    book.save(path)
    code, out, _ = run("export", str(path), "--dry-run")
    assert code == 0
    assert out[0] == "Dry run: 1 order would be exported, total 25.95; nothing was written."
    assert named_note(BATCH, "1002") in out


def test_orders_dated_after_tomorrow_are_pointed_out(tmp_path: Path) -> None:
    """A computer's clock set back would write marks older than their orders."""
    book = OrderBook()
    book.orders.append(dict(book.orders[1], **{"Order ID": 1003, "Order Date": NOW}))
    book.items.append(dict(book.items[2], **{"Order ID": 1003}))
    book.orders[0]["Order Date"] = dt.datetime(2026, 3, 15)  # tomorrow: a time zone apart
    book.orders[1]["Order Date"] = dt.datetime(2026, 3, 16)  # NOW is March 14
    path = book.save(tmp_path / "orders.xlsx")
    code, out, _ = run("export", str(path))
    assert code == 0
    assert (
        "1 order to export (1002) is dated after tomorrow by this computer's clock (today is "
        "2026-03-14). If the clock is wrong, set it right before the next export: each "
        "Exported cell carries the day it was written, and a mark older than its order is taken "
        "for one that left its order."
    ) in out
    code, _, err = run("check", str(path))
    assert (code, problem_lines(err)) == (
        1,
        [
            "Orders!O3: says order 1002 was exported or marked on 2026-03-14, before its date "
            "2026-03-16: this mark belongs to another order"
        ],
    )


def test_orders_that_may_be_booked_twice_are_told_even_with_quiet(tmp_path: Path) -> None:
    path = OrderBook().save(tmp_path / "orders.xlsx")
    older = path.read_bytes()
    assert run("export", str(path), "-q") == (0, [], [])
    path.write_bytes(older)  # last week's marks are lost
    second = "orders-20260314-093005-2.iif"
    assert run("export", str(path), "-q") == (
        0,
        [],
        [unnamed_note(BATCH, "1001, 1002", second)],
    )
    assert invoice_numbers(tmp_path / second) == {"1001", "1002"}
    # Undone as the note says: the orders are marked, the second batch left unimported.
    assert run("unmark", str(path), "--batch", second, "-y")[0] == 0
    assert run("mark", str(path), "--orders", "1001,1002", "-y")[0] == 0
    code, out, _ = run("export", str(path), "--dry-run")
    assert (code, out[0]) == (
        0,
        "Nothing to export: no order is both completed and not yet exported.",
    )


def test_a_newer_download_of_the_shops_orders_does_not_book_them_again(tmp_path: Path) -> None:
    # Each week's download is a workbook of its own, its Exported cells blank: the batch file
    # of last week's, named after it, holds the orders the two share.
    week10 = OrderBook().save(tmp_path / "orders week 10.xlsx")
    assert run("export", str(week10), "-q") == (0, [], [])
    batch = "orders week 10-20260314-093005.iif"
    book = OrderBook()
    book.orders.append(dict(book.orders[0], **{"Order ID": 1003}))
    book.items += [dict(item, **{"Order ID": 1003}) for item in book.items[:2]]
    week11 = book.save(tmp_path / "orders week 11.xlsx")
    before = week11.read_bytes()
    assert run("export", str(week11), "-q") == (
        1,
        [],
        [
            f"{batch} beside orders week 11.xlsx is the batch file of another workbook (named "
            "after it) and holds orders to export now. If this workbook holds orders of that one "
            "(the shop's orders downloaded again, or saved under another name), they are booked "
            "already: mark them here, so that no export books them again: ccp-xlsx2iif mark "
            '"orders week 11.xlsx" --orders 1001,1002. If they are other orders under the same '
            "Order IDs (another shop's), keep each shop's workbook in a folder of its own. To "
            "book them again on purpose (their import deleted in QuickBooks), move that batch "
            "file out of this folder first.",
            *(
                f"Orders!A{row}: order {order_id} is in {batch}, the batch file of another "
                "workbook, though its Exported cell here is blank"
                for row, order_id in ((2, 1001), (3, 1002))
            ),
            "2 problems found; nothing was written.",
        ],
    )
    assert week11.read_bytes() == before
    # Marked as the note says, only the new order is exported.
    assert run("mark", str(week11), "--orders", "1001,1002", "--yes")[0] == 0
    result = export_workbook(week11, ExportOptions(), NOW)
    assert [order.order_id for order in result.orders] == ["1003"]
    # Another shop's orders under the same numbers have totals of their own: they export.
    other = OrderBook()
    for order in other.orders:
        order["Shipping"] += 1
        order["Total"] += 1
    result = export_workbook(other.save(tmp_path / "other shop.xlsx"), ExportOptions(), NOW)
    assert [order.order_id for order in result.orders] == ["1001", "1002"]
