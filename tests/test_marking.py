"""``unmark`` and ``mark``: Exported cells cleared or written by hand, previewed, confirmed."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccp_xlsx2iif.files import batch_in_mark
from ccp_xlsx2iif.marking import parse_order_list
from ccp_xlsx2iif.problems import UsageProblem
from tests.command import run
from tests.conftest import BATCH
from tests.grids import calamine_grid, changed_cells, openpyxl_grid
from tests.workbooks import OrderBook

pytestmark = pytest.mark.usefixtures("cli_clock")
MARK = f"2026-03-14 09:30 {BATCH}"
BY_HAND = "2026-03-14 09:30 marked by hand"


def exported_book(folder: Path) -> Path:
    """Write the two valid orders and a pending one, and export them."""
    book = OrderBook()
    book.orders.append({"Order ID": 1003, "Status": "Pending"})
    path = book.save(folder / "orders.xlsx")
    assert run("export", str(path), "-q") == (0, [], [])
    return path


Grids = tuple[list[list[object]], list[list[object]]]


def changes(before: Grids, path: Path) -> dict[str, object]:
    """Return the cells that differ, as both readers see them (they must agree)."""
    by_calamine = changed_cells(before[0], calamine_grid(path, "Orders"), "")
    by_openpyxl = changed_cells(before[1], openpyxl_grid(path, "Orders"), None)
    assert {cell: value or "" for cell, value in by_openpyxl.items()} == by_calamine
    return by_calamine


def grids(path: Path) -> Grids:
    return calamine_grid(path, "Orders"), openpyxl_grid(path, "Orders")


def test_unmark_a_batch_shows_what_it_clears_and_asks_first(tmp_path: Path) -> None:
    path = exported_book(tmp_path)
    preview = [
        "About to clear 2 cells of Orders!O:",
        f'  Orders!O2  order 1001: "{MARK}"',
        f'  Orders!O3  order 1002: "{MARK}"',
    ]
    before_bytes = path.read_bytes()
    assert run("unmark", str(path), "--batch", str(tmp_path / BATCH), stdin="n\n") == (
        1,
        [*preview, "Clear 2 orders? [y/N]: n", "Nothing was changed."],
        [],
    )
    assert path.read_bytes() == before_bytes
    assert run("unmark", str(path), "--batch", BATCH, stdin="") == (
        1,
        [*preview, "Clear 2 orders? [y/N]: ", "Nothing was changed."],
        [],
    )
    assert path.read_bytes() == before_bytes
    before = grids(path)
    assert run("unmark", str(path), "--batch", BATCH, stdin="y\n") == (
        0,
        [
            *preview,
            "Clear 2 orders? [y/N]: y",
            "Cleared the Exported cells of 2 orders.",
            "The next export exports them again.",
        ],
        [],
    )
    assert changes(before, path) == {"O2": "", "O3": ""}
    # The next export exports them again, into a new batch.
    code, out, _ = run("export", str(path))
    assert (code, out[0]) == (
        0,
        f"Exported 2 orders, total 65.95, to {tmp_path / 'orders-20260314-093005-2.iif'}",
    )


def test_unmark_some_orders_without_asking(tmp_path: Path) -> None:
    path = exported_book(tmp_path)
    before = grids(path)
    assert run("unmark", str(path), "--orders", "1002,1003", "--yes") == (
        0,
        [
            "Left as they are (not marked): 1003.",
            "About to clear 1 cell of Orders!O:",
            f'  Orders!O3  order 1002: "{MARK}"',
            "Cleared the Exported cells of 1 order.",
            "The next export exports them again.",
        ],
        [],
    )
    assert changes(before, path) == {"O3": ""}
    assert run("unmark", str(path), "--orders", "1002", "-y") == (
        0,
        ["Left as they are (not marked): 1002.", "Nothing to change."],
        [],
    )
    before = grids(path)
    assert run("unmark", str(path), "--all", "--yes")[0] == 0
    assert changes(before, path) == {"O2": ""}


def test_mark_orders_entered_by_hand(tmp_path: Path) -> None:
    book = OrderBook().drop_order_columns("Exported")
    path = book.save(tmp_path / "orders.xlsx")
    before = grids(path)
    assert run("mark", str(path), "--orders", "1001-1002", stdin="y\n") == (
        0,
        [
            f'About to write "{BY_HAND}" in 2 cells of Orders!O:',
            "  Orders!O2  order 1001",
            "  Orders!O3  order 1002",
            "Mark 2 orders? [y/N]: y",
            "Marked Exported: 2 orders.",
        ],
        [],
    )
    assert changes(before, path) == {"O1": "Exported", "O2": BY_HAND, "O3": BY_HAND}
    code, out, _ = run("export", str(path))
    assert (code, out[:2]) == (
        0,
        [
            "Nothing to export: no order is both completed and not yet exported.",
            "Skipped 2 orders: 2 already exported.",
        ],
    )
    assert run("mark", str(path), "--orders", "1001", "--yes") == (
        0,
        ["Left as they are (marked Exported already): 1001.", "Nothing to change."],
        [],
    )


def test_an_unticked_checkbox_in_an_exported_cell_is_not_a_mark(tmp_path: Path) -> None:
    # A checkbox (Insert > Checkbox) holds FALSE unticked, TRUE ticked.
    book = OrderBook()
    book.orders[0]["Exported"] = False
    book.orders[1]["Exported"] = True
    book.orders.append(dict(book.orders[1], **{"Order ID": 1003, "Exported": False}))
    book.items.append(dict(book.items[2], **{"Order ID": 1003}))
    path = book.save(tmp_path / "orders.xlsx")
    before = grids(path)
    assert run("mark", str(path), "--orders", "1002-1003", "--yes") == (
        0,
        [
            "Left as they are (marked Exported already): 1002.",
            f'About to write "{BY_HAND}" in 1 cell of Orders!O:',
            "  Orders!O4  order 1003",
            "Marked Exported: 1 order.",
        ],
        [],
    )
    code, out, _ = run("export", str(path))
    assert (code, out[:3]) == (
        0,
        [
            f"Exported 1 order, total 40.00, to {tmp_path / BATCH}",
            "Marked them Exported in Orders!O.",
            "Skipped 2 orders: 2 already exported.",
        ],
    )
    assert changes(before, path) == {"O2": MARK, "O4": BY_HAND}


def test_wrong_choices_change_nothing(tmp_path: Path) -> None:
    path = exported_book(tmp_path)
    before = path.read_bytes()
    assert run("unmark", str(path)) == (
        2,
        [],
        ["say which orders: give one of --batch FILE.iif, --orders or --all"],
    )
    assert run("unmark", str(path), "--all", "--orders", "1001")[0] == 2
    assert run("mark", str(path)) == (2, [], ["say which orders: give one of --orders"])
    assert run("unmark", str(path), "--orders", "1001,1007-1009", "--yes") == (
        2,
        [],
        ['no order 1007, 1008, 1009 on the sheet "Orders"'],
    )
    assert run("unmark", str(path), "--orders", "1010-1001") == (
        2,
        [],
        ['--orders: "1010-1001" is not a range from low to high'],
    )
    assert run("unmark", str(path), "--batch", "orders-20250101-000000.iif", "--yes") == (
        2,
        [],
        [
            'no Exported cell on the sheet "Orders" names the batch orders-20250101-000000.iif '
            f"(the batches named: {BATCH})"
        ],
    )
    assert path.read_bytes() == before


def test_a_workbook_open_in_excel_is_not_changed(tmp_path: Path) -> None:
    path = exported_book(tmp_path)
    before = path.read_bytes()
    owner = tmp_path / "~$orders.xlsx"
    owner.write_bytes(b"\x05someone")
    code, _, err = run("unmark", str(path), "--all", "--yes")
    assert code == 3
    assert err[0].startswith(f"{path}: the workbook is open in Excel")
    assert path.read_bytes() == before


def test_a_missing_batch_file_is_pointed_out(tmp_path: Path) -> None:
    path = exported_book(tmp_path)
    (tmp_path / BATCH).unlink()
    code, out, _ = run("export", str(path), "--dry-run")
    assert code == 0
    assert (
        "The workbook names a batch file that is no longer beside it: "
        f"{BATCH}. If it was imported in QuickBooks, all is well; if not, export its orders "
        f"again after: ccp-xlsx2iif unmark orders.xlsx --batch {BATCH}"
    ) in out


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("1001", ["1001"]),
        ("1001, 1002 ,1005-1007", ["1001", "1002", "1005", "1006", "1007"]),
        ("A-17,B-2", ["A-17", "B-2"]),
        ("7-7,", ["7"]),
    ],
)
def test_order_lists(text: str, ids: list[str]) -> None:
    assert parse_order_list(text) == ids


@pytest.mark.parametrize("text", ["", " , ", "1-200000", "9-1"])
def test_order_lists_refused(text: str) -> None:
    with pytest.raises(UsageProblem):
        parse_order_list(text)


@pytest.mark.parametrize(
    ("mark", "batch"),
    [
        ("2026-03-14 09:30 orders-20260314-093005.iif", "orders-20260314-093005.iif"),
        ("2026-03-14 09:30\torders-20260314-093005.IIF \u00a0", "orders-20260314-093005.IIF"),
        ("orders.iif", "orders.iif"),
        ("exported by hand", None),
        (".iif", None),
        ("week.iif, again", None),
        ("", None),
        ("x" * 32_000 + " y", None),  # the last word is looked at, once
        # After the date and time the export writes, the rest is the batch: a name given
        # with -o may hold spaces. A mark written by hand is no batch.
        ("2026-03-14 09:30 Week 12.iif", "Week 12.iif"),
        ("2026-03-14 9:30  Week  12.IIF ", "Week  12.IIF"),
        ("2026-03-14 09:30 marked by hand", None),
        ("2026-03-14 09:30", None),
        # A path is no batch of the tool's: it writes the file's name alone.
        ("2026-03-14 09:30 ../orders.iif", None),
        ("2026-03-14 09:30 sub\\orders.iif", None),
        ("2026-03-14 09:30 C:orders.iif", None),
    ],
)
def test_the_batch_an_exported_cell_names(mark: str, batch: str | None) -> None:
    assert batch_in_mark(mark) == batch


def test_a_batch_named_with_spaces_is_unmarked_by_its_name(tmp_path: Path) -> None:
    path = OrderBook().save(tmp_path / "orders.xlsx")
    assert run("export", str(path), "-q", "-o", str(tmp_path / "Week 12.iif")) == (0, [], [])
    assert run("unmark", str(path), "--batch", "Week 12.iif", "--yes")[0] == 0
    assert [row[-1] for row in calamine_grid(path, "Orders")[1:]] == ["", ""]
    # Exported again, then the file moved away: the note names the whole name.
    assert run("export", str(path), "-q", "-o", str(tmp_path / "Week 12.iif"), "--force")[0] == 0
    (tmp_path / "Week 12.iif").rename(tmp_path / "imported.txt")
    code, out, _ = run("export", str(path), "--dry-run")
    assert code == 0
    assert any(
        "no longer beside it: Week 12.iif. " in line
        and line.endswith('ccp-xlsx2iif unmark orders.xlsx --batch "Week 12.iif"')
        for line in out
    )


def test_the_batch_of_a_workbook_named_with_spaces_is_unmarked_by_its_name(
    tmp_path: Path,
) -> None:
    # The batch is named after the workbook: "My Orders-20260314-093005.iif".
    path = OrderBook().save(tmp_path / "My Orders.xlsx")
    assert run("export", str(path), "-q") == (0, [], [])
    batch = "My Orders-" + BATCH.removeprefix("orders-")
    assert (tmp_path / batch).exists()
    assert run("unmark", str(path), "--batch", batch, "--yes")[0] == 0
    assert [row[-1] for row in calamine_grid(path, "Orders")[1:]] == ["", ""]
