"""Exported cells checked against the batch files they name: marks that left their orders."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from ccp_xlsx2iif.batches import invoice_numbers, misplaced_marks
from ccp_xlsx2iif.problems import Columns
from tests.command import run
from tests.conftest import BATCH
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


def paste_newer_export(path: Path, *, with_exported: bool) -> None:
    """Put the shop's newer export, newest first and with orders 1007-1008, over the rows.

    As a user pastes it: over the shop's columns only, or (``with_exported``) as whole rows,
    the way Excel sorts a sheet.
    """
    book = load_workbook(path)
    orders, items = book["Orders"], book["Items"]
    exported = [cell.value for cell in orders[1]].index("Exported")
    rows = [[cell.value for cell in row] for row in orders.iter_rows(min_row=2)]
    for number in (1007, 1008):
        rows.append([number, *rows[-1][1:exported], None, *rows[-1][exported + 1 :]])
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
    assert (code, out, err) == (0, [], [])
    second = "orders-20260314-093005-2.iif"
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
    marked = {"week.iif": [(2, "1001"), (3, "1002")], "gone.iif": [(4, "1003")]}
    problems = misplaced_marks(marked, columns, [tmp_path], {"1001", "1002", "1003", "1004"})
    assert [(str(p.place), p.code) for p in problems] == [
        (f"Orders!{cell}", "misplaced-mark") for cell, _ in flagged
    ]
    assert [p.message.split(",")[0] for p in problems] == [
        f"says order {order} went to week.iif" for _, order in flagged
    ]


def unnamed_note(name: str, orders: str) -> str:
    count = len(orders.split(", "))
    return (
        f"{name}, beside the workbook, already holds "
        f"{count} order{'' if count == 1 else 's'} to export now ({orders}), and no "
        "Exported cell names it. If that file was imported in QuickBooks and its transactions "
        "are still there, these orders would be booked twice: was the workbook taken from an "
        "older copy? (After unmark --batch, once the import was deleted in QuickBooks, all is "
        "well.)"
    )


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
    assert unnamed_note(BATCH, "1003, 1006") not in out  # the batch is still named
    assert run("unmark", str(path), "--batch", BATCH, "-y")[0] == 0
    code, out, _ = run("export", str(path))
    assert code == 0
    assert out[0].startswith("Exported 4 orders")
    assert unnamed_note(BATCH, "1001, 1002, 1004, 1005") in out
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
            assert [line.split(" went to")[0] for line in err[1:-1]] == [
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
        assert (code, err[:2]) == (1, [NOTE, first])
    assert path.read_bytes() == before
