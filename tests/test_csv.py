"""CSV input: encoding and delimiter found by looking, and the ledger of exported orders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ccp_xlsx2iif.csvfiles import LEDGER_NAME, decode, delimiter_of
from ccp_xlsx2iif.export import ExportOptions, export_workbook
from ccp_xlsx2iif.files import command_argument
from ccp_xlsx2iif.problems import FileProblem
from tests.command import run
from tests.conftest import NOW
from tests.expect import failed_export
from tests.grids import calamine_grid, openpyxl_grid
from tests.iif_reader import read_iif
from tests.shops import ShopExport, shopify_export, woocommerce_export
from tests.test_layouts import accounts_file, reconcile

pytestmark = pytest.mark.usefixtures("cli_clock")
MARK = "2026-03-14 09:30 orders_export_1-20260314-093005.iif"


def new_ledger(csv_name: str, *, exported: bool = True) -> str:
    """Return the note of the first export from a folder's CSV files: it starts the ledger.

    ``exported``: said by an export that wrote its batch (else by check or a dry run).
    """
    if exported:
        batch = f"{Path(csv_name).stem}-20260314-093005.iif"
        what_then = (
            f"do not import {batch}: they would be booked twice. Delete it and the {LEDGER_NAME} "
            f"this export started, move that folder's {LEDGER_NAME} here, and export again"
        )
    else:
        what_then = f"move that folder's {LEDGER_NAME} here first, or they would be booked twice"
    return (
        f"There is no {LEDGER_NAME} beside {csv_name} yet: exporting this file starts one, "
        "which keeps the orders exported from the CSV files of this folder. If orders of this "
        f"file were exported before from a CSV file in another folder, {what_then}. Keep each "
        "week's CSV file in this folder."
    )


def first_export(shop: ShopExport, csv_file: Path) -> tuple[Path, Path]:
    """Save ``shop`` as ``csv_file`` and export it, the first export of its folder.

    Return the CSV file and the accounts workbook beside it; the export says only that it
    starts the folder's ledger.
    """
    path = shop.save_csv(csv_file)
    accounts = accounts_file(csv_file.parent)
    assert run("export", str(path), "--accounts", str(accounts), "-q") == (
        0,
        [],
        [new_ledger(path.name)],
    )
    return path, accounts


def test_a_shopify_csv_exports_and_its_orders_are_kept_in_the_ledger(tmp_path: Path) -> None:
    shop = shopify_export()
    path = shop.save_csv(tmp_path / "orders_export_1.csv")
    before = path.read_bytes()
    accounts = accounts_file(tmp_path)
    result = export_workbook(path, ExportOptions(accounts=accounts), NOW)
    assert result.iif_path == tmp_path / "orders_export_1-20260314-093005.iif"
    reconcile(read_iif(result.iif_path.read_bytes()), shop)
    assert path.read_bytes() == before
    assert (
        "Read orders_export_1.csv (utf-8, comma-separated) as a Shopify orders export, a row "
        "per item (as its headers show)."
    ) in result.notes
    ledger = tmp_path / LEDGER_NAME
    expected = [
        ["Order ID", "Order Date", "Customer", "Total", "Exported", "Source File"],
        ["#1001", dt.date(2026, 3, 2), "Ada Lovelace", 55.21, MARK, "orders_export_1.csv"],
        ["#1002", dt.date(2026, 3, 3), "Grace Hopper", 54.86, MARK, "orders_export_1.csv"],
        ["#1004", dt.date(2026, 3, 5), "Marie Tremblay", 40.24, MARK, "orders_export_1.csv"],
    ]
    assert calamine_grid(ledger, "Orders") == expected
    assert [
        [value.date() if isinstance(value, dt.datetime) else value for value in row]
        for row in openpyxl_grid(ledger, "Orders")
    ] == expected
    # Next week's export overlaps this one: only the new order is exported.
    shop.rows += [{**row, "Name": "#1007"} for row in shop.rows[:2]]  # as #1001
    week2 = shop.save_csv(tmp_path / "orders_export_2.csv")
    code, out, err = run("export", str(week2), "--accounts", str(accounts))
    assert (code, err) == (0, [])
    assert not [line for line in out if line.startswith("There is no")]  # the ledger is found
    assert out[:3] == [
        f"Exported 1 order, total 55.21, to {tmp_path / 'orders_export_2-20260314-093005.iif'}",
        f"Recorded them as exported in {ledger}.",
        'Skipped 6 orders: 3 already exported, 1 status "partially_refunded", 1 status '
        '"pending", 1 status "refunded".',
    ]
    assert [row[0] for row in calamine_grid(ledger, "Orders")] == [
        "Order ID", "#1001", "#1002", "#1004", "#1007",
    ]  # fmt: skip
    # Without its ledger, every order would go out again: the batch files hold orders it never
    # recorded, and they stop the export (a cleared ledger cell would be a note, below).
    saved = ledger.read_bytes()
    ledger.unlink()
    batch1, batch2 = "orders_export_1-20260314-093005.iif", "orders_export_2-20260314-093005.iif"
    assert run("check", str(week2), "--accounts", str(accounts)) == (
        1,
        [],
        [
            new_ledger(week2.name, exported=False),
            f"{batch1}, {batch2} beside orders_export_2.csv hold orders to export now that "
            f"{LEDGER_NAME} has never recorded: was it deleted, or replaced by an older copy? Put "
            "it back. If it is lost, or the orders were exported from a workbook beside the CSV "
            "files, mark them, so that no export books them again: ccp-xlsx2iif mark "
            'orders_export_2.csv --orders "#1001,#1002,#1004,#1007". To book them again on '
            "purpose (their import deleted in QuickBooks), move those batch files out of this "
            "folder first.",
            *(
                f"orders_export_2!A{row}: order {order_id} is in {batch}, but {LEDGER_NAME} has no "
                "row for it: it would be booked again"
                for row, order_id, batch in (
                    (2, "#1001", batch1),
                    (4, "#1002", batch1),
                    (6, "#1004", batch1),
                    (11, "#1007", batch2),
                )
            ),
            "Not ready: 4 problems would stop an export.",
        ],
    )
    # Put back, and #1007 unmarked on purpose (its import deleted), the batch is a note.
    ledger.write_bytes(saved)
    assert run("unmark", str(week2), "--orders", "#1007", "--yes")[0] == 0
    code, out, _ = run("check", str(week2), "--accounts", str(accounts))
    assert code == 0
    assert [line for line in out if " already holds " in line] == [
        f"{batch2}, beside the CSV file, already holds 1 order to export now (#1007), and the "
        f"ledger {LEDGER_NAME} does not name it. If that file was imported in QuickBooks and its "
        "transactions are still there, these orders would be booked twice: was the ledger "
        "deleted, or taken from an older copy? (After unmark --batch, once the import was "
        "deleted in QuickBooks, all is well.)"
    ]


@pytest.mark.parametrize(
    ("encoding", "delimiter", "shown"),
    [
        ("utf-8-sig", ",", "utf-8-sig, comma-separated"),
        ("cp1252", ";", "cp1252, semicolon-separated"),
        ("utf-16", "\t", "utf-16, tab-separated"),
    ],
)
def test_encodings_and_delimiters_are_found(
    tmp_path: Path, encoding: str, delimiter: str, shown: str
) -> None:
    shop = woocommerce_export()
    for row in shop.rows:
        if row["order_id"] == 2005:
            row["billing_first_name"] = "Marié"
    path = shop.save_csv(tmp_path / "orders.csv", encoding=encoding, delimiter=delimiter)
    result = export_workbook(path, ExportOptions(accounts=accounts_file(tmp_path)), NOW)
    assert result.iif_path is not None
    reconcile(read_iif(result.iif_path.read_bytes()), shop)
    assert (
        f"Read orders.csv ({shown}) as a WooCommerce order export (one row per item), a row "
        "per item (as its headers show)."
    ) in result.notes
    # The order's first row gives its customer.
    assert [(str(c.place), c.before, c.after) for c in result.text_changes] == [
        ("orders!Q7", "Marié Curie", "Marie Curie"),
    ]


def test_unmark_and_mark_work_on_the_ledger(tmp_path: Path) -> None:
    path, accounts = first_export(shopify_export(), tmp_path / "orders_export_1.csv")
    assert run("unmark", str(path), "--orders", "#1002", "--yes") == (
        0,
        [
            f"About to clear 1 cell of [{LEDGER_NAME}]Orders!E:",
            f'  [{LEDGER_NAME}]Orders!E3  order #1002: "{MARK}"',
            "Cleared the Exported cells of 1 order.",
            "The next export exports them again.",
        ],
        [],
    )
    assert run("mark", str(path), "--orders", "#1005", "--yes") == (
        0,
        [
            f'About to write "2026-03-14 09:30 marked by hand" in 1 cell of [{LEDGER_NAME}]'
            "Orders!E:",
            f"  [{LEDGER_NAME}]Orders, a new row  order #1005",
            "Marked Exported: 1 order.",
        ],
        [],
    )
    result = export_workbook(
        path, ExportOptions(accounts=accounts, statuses=("paid", "pending")), NOW
    )
    assert [order.order_id for order in result.orders] == ["#1002"]
    assert run("mark", str(path), "--orders", "#9999", "--yes") == (
        2,
        [],
        ["no order #9999 in orders_export_1.csv"],
    )
    # Many unknown orders are counted past the tenth, as on a workbook's sheet.
    assert run("mark", str(path), "--orders", "2001-2012,#1002", "--yes") == (
        2,
        [],
        [
            "no order 2001, 2002, 2003, 2004, 2005, 2006, 2007, 2008, 2009, 2010 and 2 more "
            "in orders_export_1.csv"
        ],
    )


def test_unmark_before_any_export_says_so(tmp_path: Path) -> None:
    path = shopify_export().save_csv(tmp_path / "orders.csv")
    assert run("unmark", str(path), "--all", "--yes") == (
        2,
        [],
        [f"{tmp_path}: no order of a CSV file of this folder was exported yet (there is no "
         f"{LEDGER_NAME})"],
    )  # fmt: skip


def test_a_row_with_a_stray_delimiter_is_a_problem(tmp_path: Path) -> None:
    shop = woocommerce_export()
    text = shop.csv_text().replace("Ceramic mug", "Ceramic mug, blue", 1)
    path = tmp_path / "orders.csv"
    path.write_text(text, encoding="utf-8")
    before = path.read_bytes()
    found = failed_export(path, accounts=accounts_file(tmp_path))
    assert [str(problem) for problem in found] == [
        "orders!BE2: the row has 57 fields but the header 56: a field holds the delimiter (a "
        "comma) without quotes, so its values are in the wrong columns; export the file again "
        "from the shop"
    ]
    assert path.read_bytes() == before
    assert not (tmp_path / LEDGER_NAME).exists()


def test_a_ledger_open_in_excel_stops_the_export(tmp_path: Path) -> None:
    path, accounts = first_export(shopify_export(), tmp_path / "orders.csv")
    ledger = tmp_path / LEDGER_NAME
    before = ledger.read_bytes()
    (tmp_path / f"~${LEDGER_NAME}").write_bytes(b"\x05someone")
    code, _, err = run("export", str(path), "--accounts", str(accounts))
    assert code == 3
    assert err[0] == (f"{ledger}: the workbook is open in Excel (~${LEDGER_NAME} is beside it)")
    assert ledger.read_bytes() == before


@pytest.mark.parametrize(
    ("data", "text", "encoding"),
    [
        ("Name,Total\r\nJosé,1\r\n".encode(), "Name,Total\r\nJosé,1\r\n", "utf-8"),
        ("Name;Total\r\nJosé;1\r\n".encode("cp1252"), "Name;Total\r\nJosé;1\r\n", "cp1252"),
        (b"\xef\xbb\xbfName\r\n", "Name\r\n", "utf-8-sig"),
        ("Name\tTotal\r\n".encode("utf-16"), "Name\tTotal\r\n", "utf-16"),
    ],
)
def test_decoding(data: bytes, text: str, encoding: str) -> None:
    assert decode(data, Path("x.csv")) == (text, encoding)


def test_undecodable_text_is_refused() -> None:
    with pytest.raises(FileProblem) as raised:
        decode(b"Name\r\n\x81\x8d\r\n", Path("x.csv"))
    assert raised.value.message == (
        "x.csv: the file's text is not in an encoding the tool knows (UTF-8, UTF-16, Windows-1252)"
    )


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("a,b,c\n1,2,3\n", ","),
        ("a;b;c\n1,5;2;3\n", ";"),
        ("a\tb\tc\n1\t2\t3\n", "\t"),
        ("a|b|c\n1|2|3\n", "|"),
        ("single\n1\n", ","),
    ],
)
def test_delimiters(text: str, delimiter: str) -> None:
    assert delimiter_of(text) == delimiter


def test_totals_reconcile_with_the_shop(tmp_path: Path) -> None:
    shop = woocommerce_export()
    path = shop.save_csv(tmp_path / "orders.csv")
    result = export_workbook(path, ExportOptions(accounts=accounts_file(tmp_path)), NOW)
    assert result.total == sum((f["total"] for f in shop.expected.values()), Decimal(0))


def test_columns_reads_a_csv_file(tmp_path: Path) -> None:
    path = woocommerce_export().save_csv(tmp_path / "orders.csv", delimiter=";")
    code, out, err = run("columns", str(path))
    assert (code, err) == (0, [])
    assert out[:4] == [
        'Sheet "orders": WooCommerce order export (one row per item), a row per item.',
        'Fields read from the sheet "orders":',
        '  * Order ID        B "order_number"',
        '  * Order Date      C "date"',
    ]
    assert '  * Customer        Q "billing_first_name" + R "billing_last_name"' in out
    assert '  * Unit Price      AR "item_subtotal" / AQ "item_quantity"' in out


def test_a_ledger_reached_through_a_link_is_kept_where_it_is(tmp_path: Path) -> None:
    # A folder's ledger may be a link to one kept elsewhere (a synced folder): the ledger it
    # leads to is the one written, and the link stays.
    (tmp_path / "synced").mkdir()
    real = tmp_path / "synced" / LEDGER_NAME
    accounts = accounts_file(tmp_path)
    first = shopify_export().save_csv(tmp_path / "synced" / "orders_export_1.csv")
    export_workbook(first, ExportOptions(accounts=accounts), NOW)  # makes the real ledger
    link = tmp_path / LEDGER_NAME
    try:
        link.symlink_to(real)
    except OSError:
        pytest.skip("symbolic links cannot be made here")
    shop = shopify_export()
    shop.rows += [{**row, "Name": "#1007"} for row in shop.rows[:2]]
    again = shop.save_csv(tmp_path / "orders_export_2.csv")
    result = export_workbook(again, ExportOptions(accounts=accounts), NOW)
    assert [order.order_id for order in result.orders] == ["#1007"]
    assert link.is_symlink()
    assert [row[0] for row in calamine_grid(real, "Orders")] == [
        "Order ID",
        "#1001",
        "#1002",
        "#1004",
        "#1007",
    ]


@pytest.mark.parametrize(
    ("make", "message", "hint"),
    [
        (
            lambda path: path.write_bytes(b" \r\n"),
            "the file is empty",
            "Export the orders from the shop again.",
        ),
        (
            lambda path: path.mkdir(),
            "a folder, not a file",
            "Give the CSV file the shop exported, or the workbook saved from it.",
        ),
        (
            lambda path: path.write_bytes(b'Name,Note\r\n#1001,"' + b"x" * 200_000 + b'"\r\n'),
            "not a readable CSV file (field larger than field limit (131072))",
            "Export the orders from the shop again, or open the file in Excel and save it as "
            '"CSV UTF-8".',
        ),
    ],
    ids=["empty", "folder", "field too long"],
)
def test_a_csv_file_that_cannot_be_read_says_what_to_do(
    tmp_path: Path, make: Any, message: str, hint: str
) -> None:
    path = tmp_path / "orders_export.csv"
    make(path)
    code, out, err = run("export", str(path), "--accounts", str(accounts_file(tmp_path)))
    assert (code, out, err) == (3, [], [f"{path}: {message}", hint])


def test_the_ledger_marks_of_a_csv_file_are_not_held_to_the_days_of_its_orders(
    tmp_path: Path,
) -> None:
    # The ledger finds each order's mark by its Order ID: no sort or paste can move it, so a
    # mark dated before the order (a computer's clock set wrong) is still the order's own.
    shop = shopify_export()
    for row in shop.rows:
        row["Created at"] = "2026-03-20 10:00:00 -0800"
    path, accounts = first_export(shop, tmp_path / "orders_export_1.csv")
    code, out, err = run("check", str(path), "--accounts", str(accounts))
    assert (code, err) == (0, [])
    assert out[-1] == (
        "Nothing to export: no order is both completed and not yet exported; skipped 6 orders: "
        '3 already exported, 1 status "partially_refunded", 1 status "pending", 1 status '
        '"refunded".'
    )


def test_a_woocommerce_order_refunded_in_part_waits_to_be_entered_by_hand(
    tmp_path: Path,
) -> None:
    # WooCommerce leaves an order refunded in part "completed": booked whole, its sale would
    # count the money given back. It is skipped, named with the command that marks it.
    shop = woocommerce_export()
    for row in shop.rows:
        if row["order_number"] == 2005:  # every row of an order carries its columns
            row["refunded_total"] = Decimal("24.00")
    del shop.expected["2005"]
    path = shop.save_csv(tmp_path / "orders.csv")
    accounts = accounts_file(tmp_path)
    result = export_workbook(path, ExportOptions(accounts=accounts), NOW)
    reconcile(read_iif(result.iif_path.read_bytes()), shop)  # type: ignore[union-attr]
    assert result.skipped == {
        "with a refund": 1,
        'status "cancelled"': 1,
        'status "processing"': 1,
        'status "refunded"': 1,
    }
    assert [note for note in result.notes if "refund" in note] == [
        "1 order with a refund is not exported: 2005 (orders!L7: 24.00). The tool books "
        "sales, not refunds: enter it in QuickBooks by hand (the sale, then its refund), then "
        "mark it Exported so that no export books it again: ccp-xlsx2iif mark orders.csv "
        "--orders 2005"
    ]
    assert run("mark", str(path), "--orders", "2005", "--yes")[0] == 0
    again = export_workbook(path, ExportOptions(accounts=accounts, dry_run=True), NOW)
    assert again.orders == ()
    assert again.skipped["already exported"] == 2
    assert not [note for note in again.notes if "refund" in note]


def test_a_workbook_saved_from_exported_csv_files_is_not_booked_twice(tmp_path: Path) -> None:
    # Last week's CSV file was exported (its orders kept in the ledger); this week the shop's
    # export is saved as a workbook in Excel, under a name of its own: its Exported cells are
    # blank and its batch files would be named otherwise. The ledger beside it tells.
    shop = shopify_export()
    _, accounts = first_export(shop, tmp_path / "orders_export_1.csv")
    workbook = shop.save_xlsx(tmp_path / "march orders.xlsx")
    before = workbook.read_bytes()
    assert run("export", str(workbook), "--accounts", str(accounts), "-q") == (
        1,
        [],
        [
            f"{LEDGER_NAME}, beside march orders.xlsx, keeps the orders exported from the shop's "
            "CSV files. If this workbook holds orders of those files (one saved as a workbook in "
            "Excel), they are booked already: mark them here, so that no export books them "
            'again: ccp-xlsx2iif mark "march orders.xlsx" --orders "#1001,#1002,#1004". If they '
            "are other orders under the same Order IDs, export this workbook from another "
            f"folder. To book them again on purpose, clear their Exported cells in {LEDGER_NAME} "
            "first.",
            *(
                f"orders_export_1!A{row}: order {order_id} was exported from a CSV file: "
                f'{LEDGER_NAME} has "{MARK}" for it, though its Exported cell here is blank'
                for row, order_id in ((2, "#1001"), (4, "#1002"), (6, "#1004"))
            ),
            "3 problems found; nothing was written.",
        ],
    )
    assert workbook.read_bytes() == before
    # Marked as the note says, they are skipped: nothing is exported, nothing said.
    assert run("mark", str(workbook), "--orders", "#1001,#1002,#1004", "--yes")[0] == 0
    code, out, err = run("export", str(workbook), "--accounts", str(accounts))
    assert (code, err) == (0, [])
    assert out[0] == "Nothing to export: no order is both completed and not yet exported."
    # Another shop's orders under the same numbers have totals of their own: they export.
    other = shopify_export()
    for row in other.rows:
        if row.get("Total"):
            row["Shipping"] += 1
            row["Total"] += 1
    result = export_workbook(
        other.save_xlsx(tmp_path / "other shop.xlsx"),
        ExportOptions(accounts=accounts, dry_run=True),
        NOW,
    )
    assert [order.order_id for order in result.orders] == ["#1001", "#1002", "#1004"]


@pytest.mark.parametrize(
    ("text", "typed"),
    [
        ("orders.xlsx", "orders.xlsx"),
        ("1001,1002,1005-1010", "1001,1002,1005-1010"),
        (r"C:\Users\Ana\orders.xlsx", r"C:\Users\Ana\orders.xlsx"),
        ("march orders.xlsx", '"march orders.xlsx"'),
        ("#1001,#1002", '"#1001,#1002"'),  # a "#" that starts a word starts a comment
        ("A&B orders.xlsx", '"A&B orders.xlsx"'),
    ],
)
def test_a_suggested_command_is_typed_as_shells_read_it(text: str, typed: str) -> None:
    assert command_argument(text) == typed


def test_a_csv_file_without_accounts_says_how_to_make_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = shopify_export().save_csv(tmp_path / "orders_export_1.csv")
    assert run("export", str(path)) == (
        2,
        [],
        [
            f"{path}: a CSV file has no Accounts sheet; give the workbook that has it with "
            "--accounts FILE",
            "To make one, run ccp-xlsx2iif init: it writes orders.xlsx, whose Accounts sheet "
            "takes your QuickBooks account names (its example orders are not read when it is "
            "given with --accounts). Then run: ccp-xlsx2iif export orders_export_1.csv "
            "--accounts orders.xlsx",
        ],
    )
    # What the hint says works as it says, in the CSV file's folder.
    monkeypatch.chdir(tmp_path)
    assert run("init")[0] == 0
    code, out, _ = run("export", "orders_export_1.csv", "--accounts", "orders.xlsx", "-q")
    assert (code, out) == (0, [])
    assert [order_id for order_id, *_ in calamine_grid(tmp_path / LEDGER_NAME, "Orders")] == [
        "Order ID", "#1001", "#1002", "#1004",
    ]  # fmt: skip


def test_shopify_orders_are_named_with_or_without_their_hash(tmp_path: Path) -> None:
    # Shopify writes #1005 and shows the order as 1005; a "#" must be quoted in a shell.
    path = shopify_export().save_csv(tmp_path / "orders_export_1.csv")
    assert run("mark", str(path), "--orders", "1005-1006", "--yes") == (
        0,
        [
            f'About to write "2026-03-14 09:30 marked by hand" in 2 cells of [{LEDGER_NAME}]'
            "Orders!E:",
            f"  [{LEDGER_NAME}]Orders, a new row  order #1005",
            f"  [{LEDGER_NAME}]Orders, a new row  order #1006",
            "Marked Exported: 2 orders.",
        ],
        [],
    )
    workbook = shopify_export().save_xlsx(tmp_path / "orders.xlsx")
    code, out, _ = run("mark", str(workbook), "--orders", "1004", "--yes")
    assert (code, out[-1]) == (0, "Marked Exported: 1 order.")
    assert run("mark", str(workbook), "--orders", "1007", "--yes") == (
        2,
        [],
        ['no order 1007 on the sheet "orders_export_1"'],
    )


def test_orders_exported_from_a_workbook_are_not_booked_again_from_a_csv_file(
    tmp_path: Path,
) -> None:
    # The reverse of a CSV file saved as a workbook: the workbook was exported first, and the
    # shop's CSV file of the same orders is exported next. The ledger never recorded them.
    shop = shopify_export()
    accounts = accounts_file(tmp_path)
    workbook = shop.save_xlsx(tmp_path / "march.xlsx")
    assert run("export", str(workbook), "--accounts", str(accounts), "-q") == (0, [], [])
    csv_file = shop.save_csv(tmp_path / "orders_export_1.csv")
    code, _, err = run("export", str(csv_file), "--accounts", str(accounts), "-q")
    assert code == 1
    assert [line.split(": ", 1)[0] for line in err if line.startswith("orders_export_1!")] == [
        "orders_export_1!A2",
        "orders_export_1!A4",
        "orders_export_1!A6",
    ]
    assert not (tmp_path / LEDGER_NAME).exists()
    # Marked as the note says, they are in the ledger: nothing is exported again.
    assert run("mark", str(csv_file), "--orders", "1001,1002,1004", "--yes")[0] == 0
    code, out, _ = run("export", str(csv_file), "--accounts", str(accounts))
    assert (code, out[0]) == (
        0,
        "Nothing to export: no order is both completed and not yet exported.",
    )
