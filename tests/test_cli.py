"""The command line: its output on a terminal and elsewhere, --quiet, --json, exit codes, help."""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from ccp_xlsx2iif import __version__, cli
from ccp_xlsx2iif.export import NOT_VERIFIED
from ccp_xlsx2iif.report import TAX_REMINDER
from tests.command import run
from tests.conftest import BATCH, NOW
from tests.iif_reader import read_iif
from tests.workbooks import OrderBook, company_lists

pytestmark = pytest.mark.usefixtures("cli_clock")
SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "orders.xlsx"
NEXT_STEP = (
    "Next, in QuickBooks: back up the company file (File > Back Up Company), then "
    f"File > Utilities > Import > IIF Files and open {BATCH}; QuickBooks 2019 and later ask "
    'how: choose "Import without review". Import it once: a file imported again is '
    "booked again, and QuickBooks has no undo."
)
ACCOUNT_TABLE = [
    "Totals per QuickBooks account:",
    "  Account               Debit  Credit",
    "  Accounts Receivable   65.95   65.95",
    "  Sales Discounts        4.00",
    "  Sales Tax Payable              2.50",
    "  Sales:Web Store               61.50",
    "  Shipping Income                5.95",
    "  Undeposited Funds     65.95",
    "  Total                135.90  135.90",
]


def three_orders(folder: Path) -> Path:
    """Write the two valid orders and a pending one."""
    book = OrderBook()
    book.orders.append({"Order ID": 1003, "Status": "Pending"})
    return book.save(folder / "orders.xlsx")


def test_version() -> None:
    assert run("--version") == (0, [f"ccp-xlsx2iif {__version__}"], [])


@pytest.mark.parametrize(
    ("command", "example"),
    [
        ((), "  Example: ccp-xlsx2iif init, then ccp-xlsx2iif export orders.xlsx"),
        (("export",), "Examples: ccp-xlsx2iif export orders.xlsx --dry-run;"),
        (("check",), "Example: ccp-xlsx2iif check orders.xlsx --chart accounts.iif"),
        (("init",), "Example: ccp-xlsx2iif init shop-books"),
        (("unmark",), "Examples: ccp-xlsx2iif unmark orders.xlsx --batch"),
        (("mark",), "Example: ccp-xlsx2iif mark orders.xlsx --orders 1001,1002"),
    ],
)
def test_help_shows_an_example(command: tuple[str, ...], example: str) -> None:
    code, out, _ = run(*command, "--help")
    assert code == 0
    assert example in "\n".join(out)


@pytest.mark.parametrize("command", ["export", "check", "columns", "unmark", "mark"])
def test_help_says_a_csv_export_is_read(command: str) -> None:
    code, out, _ = run(command, "--help")
    assert code == 0
    assert "(.xlsx or .xlsm), or a shop's CSV export." in " ".join(line.strip() for line in out)


def test_export_help_lists_every_option() -> None:
    code, out, _ = run("export", "--help")
    text = "\n".join(out)
    assert code == 0
    for option in (
        "--accounts",
        "--output",
        "-o",
        "--status",
        "--chart",
        "--create-accounts",
        "--declare-items",
        "--declare-customers",
        "--tax-mode",
        "--as",
        "--date-format",
        "--class",
        "--no-payments",
        "--templates",
        "--dry-run",
        "--force",
        "--quiet",
        "--json",
    ):
        assert option in text


def test_export_shows_the_orders_the_account_totals_and_the_next_step(tmp_path: Path) -> None:
    path = three_orders(tmp_path)
    assert run("export", str(path)) == (
        0,
        [
            f"Exported 2 orders, total 65.95, to {tmp_path / BATCH}",
            "Marked them Exported in Orders!O.",
            'Skipped 1 order: 1 status "Pending".',
            "",
            "Orders exported:",
            "  Order  Date        Customer      Total",
            "  1001   2026-03-02  Ada Lovelace  40.00",
            "  1002   2026-03-03  Grace Hopper  25.95",
            "  Total              2 orders      65.95",
            "",
            *ACCOUNT_TABLE,
            "",
            NOT_VERIFIED,
            TAX_REMINDER,
            NEXT_STEP,
        ],
        [],
    )
    assert run("export", str(path)) == (
        0,
        [
            "Nothing to export: no order is both completed and not yet exported.",
            'Skipped 3 orders: 2 already exported, 1 status "Pending".',
            NOT_VERIFIED,
        ],
        [],
    )


def test_many_orders_show_the_first_and_last_ten(tmp_path: Path) -> None:
    book = OrderBook(items=[])
    book.orders = []
    for number in range(1, 26):
        book.orders.append(
            {
                "Order ID": 2000 + number,
                "Order Date": NOW.date(),
                "Status": "Completed",
                "Customer": f"Customer {number:02}",
                "Total": number,
            }
        )
        book.items.append(
            {"Order ID": 2000 + number, "SKU": "X", "Quantity": 1, "Unit Price": number}
        )
    path = book.save(tmp_path / "orders.xlsx")
    code, out, _ = run("export", str(path), "--dry-run")
    assert code == 0
    table = out[out.index("Orders to export:") : out.index("Orders to export:") + 24]
    assert table == [
        "Orders to export:",
        "  Order  Date        Customer      Total",
        *(f"  {2000 + n}   2026-03-14  Customer {n:02}  {n:>6.2f}" for n in range(1, 11)),
        "  ... 5 more orders ...",
        *(f"  {2000 + n}   2026-03-14  Customer {n:02}  {n:>6.2f}" for n in range(16, 26)),
        "  Total              25 orders    325.00",
    ]


def test_dry_run_shows_the_summary_and_writes_nothing(tmp_path: Path) -> None:
    book = OrderBook().drop_order_columns("Exported", "State Tax")
    for row in book.orders:
        row["Total"] = row["Subtotal"] - row["Discount"] + row["Shipping"]
    path = book.save(tmp_path / "orders.xlsx")
    before = path.read_bytes()
    code, out, err = run("export", str(path), "--dry-run", "--no-payments")
    assert (code, err) == (0, [])
    assert out == [
        "Dry run: 2 orders would be exported, total 63.45; nothing was written.",
        "",
        "Orders to export:",
        "  Order  Date        Customer      Total",
        "  1001   2026-03-02  Ada Lovelace  37.50",
        "  1002   2026-03-03  Grace Hopper  25.95",
        "  Total              2 orders      63.45",
        "",
        "Totals per QuickBooks account:",
        "  Account              Debit  Credit",
        "  Accounts Receivable  63.45",
        "  Sales Discounts       4.00",
        "  Sales:Web Store              61.50",
        "  Shipping Income               5.95",
        "  Total                67.45   67.45",
        "",
        NOT_VERIFIED,
    ]
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orders.xlsx"]
    assert run("export", str(path), "--no-payments")[1][1] == (
        'Marked them Exported in Orders!N (a new column "Exported").'
    )


def test_quiet_shows_only_problems(tmp_path: Path) -> None:
    path = three_orders(tmp_path)
    assert run("export", str(path), "--quiet") == (0, [], [])
    assert (tmp_path / BATCH).exists()
    book = OrderBook()
    book.orders[0]["Total"] = "forty"
    (tmp_path / "other").mkdir()  # its orders are not those of the batch beside orders.xlsx
    bad = book.save(tmp_path / "other" / "bad.xlsx")
    assert run("export", str(bad), "-q") == (
        1,
        [],
        [
            'Orders!M2: "forty" is not an amount; write a number such as 19.99 (order 1001)',
            "1 problem found; nothing was written.",
        ],
    )


def test_json_summary(tmp_path: Path) -> None:
    path = three_orders(tmp_path)
    code, out, err = run("export", str(path), "--json")
    assert (code, err) == (0, [])
    assert json.loads("\n".join(out)) == {
        "schema": 1,
        "command": "export",
        "ok": True,
        "dry_run": False,
        "workbook": str(path),
        "iif_file": str(tmp_path / BATCH),
        "exported": {"orders": 2, "total": "65.95"},
        "orders": [
            {
                "order": "1001",
                "row": 2,
                "date": "2026-03-02",
                "customer": "Ada Lovelace",
                "total": "40.00",
            },
            {
                "order": "1002",
                "row": 3,
                "date": "2026-03-03",
                "customer": "Grace Hopper",
                "total": "25.95",
            },
        ],
        "skipped": {'status "Pending"': 1},
        "accounts": [
            {"account": "Accounts Receivable", "debit": "65.95", "credit": "65.95"},
            {"account": "Sales Discounts", "debit": "4.00", "credit": "0.00"},
            {"account": "Sales Tax Payable", "debit": "0.00", "credit": "2.50"},
            {"account": "Sales:Web Store", "debit": "0.00", "credit": "61.50"},
            {"account": "Shipping Income", "debit": "0.00", "credit": "5.95"},
            {"account": "Undeposited Funds", "debit": "65.95", "credit": "0.00"},
        ],
        "marked": {"sheet": "Orders", "column": "O", "new_column": False},
        "ledger": None,
        "declared": {"accounts": [], "items": [], "customers": []},
        "text_changes": [],
        "notes": [NOT_VERIFIED, TAX_REMINDER],
        "next_step": NEXT_STEP,
    }


def test_json_problems_and_errors(tmp_path: Path) -> None:
    book = OrderBook()
    book.orders[0]["Total"] = "forty"
    path = book.save(tmp_path / "orders.xlsx")
    code, out, err = run("export", str(path), "--json")
    assert (code, err) == (1, [])
    assert json.loads("\n".join(out)) == {
        "schema": 1,
        "command": "export",
        "ok": False,
        "exit_code": 1,
        "message": "1 problem found; nothing was written.",
        "hint": None,
        "notes": [],
        "problems": [
            {
                "cell": "Orders!M2",
                "sheet": "Orders",
                "row": 2,
                "column": "M",
                "kind": "bad-value",
                "message": '"forty" is not an amount; write a number such as 19.99 (order 1001)',
            }
        ],
    }
    missing = tmp_path / "nowhere.xlsx"
    code, out, err = run("check", str(missing), "--json")
    assert (code, err) == (3, [])
    assert json.loads("\n".join(out)) == {
        "schema": 1,
        "command": "check",
        "ok": False,
        "exit_code": 3,
        "message": f"{missing}: no such file",
        "hint": "Check the folder and the file name.",
        "problems": [],
    }


def test_check_json_is_a_summary_without_a_file(tmp_path: Path) -> None:
    path = three_orders(tmp_path)
    code, out, _ = run("check", str(path), "--json")
    document = json.loads("\n".join(out))
    assert code == 0
    assert (document["command"], document["dry_run"], document["iif_file"]) == ("check", True, None)
    assert [order["order"] for order in document["orders"]] == ["1001", "1002"]
    assert document["accounts"] == []
    assert run("check", str(path), "--quiet") == (0, [], [])


def test_on_a_terminal_the_summary_is_tables_in_colour(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "_is_terminal", lambda: True)
    monkeypatch.setenv("COLUMNS", "100")
    path = three_orders(tmp_path)
    code, out, err = run("export", str(path), "--dry-run")
    text = "\n".join(out)
    assert (code, err) == (0, [])
    assert "\x1b[1;32mDry run: 2 orders would be exported" in text
    no_codes = [_strip_ansi(line) for line in out]
    assert "│ 1001  │ 2026-03-02 │ Ada Lovelace │ 40.00 │" in no_codes
    assert "│ Accounts Receivable │  65.95 │  65.95 │" in no_codes
    assert "│ Total               │ 135.90 │ 135.90 │" in no_codes


def _strip_ansi(line: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", line)


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_a_real_terminal_gets_tables_and_a_pipe_gets_plain_text(tmp_path: Path) -> None:
    import pty
    import subprocess

    path = three_orders(tmp_path)
    command = [sys.executable, "-m", "ccp_xlsx2iif", "export", str(path), "--dry-run"]
    environment = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100"}
    environment.pop("NO_COLOR", None)
    leader, follower = pty.openpty()
    process = subprocess.Popen(command, stdout=follower, stderr=follower, env=environment)
    os.close(follower)
    received = b""
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:
            break
        if not data:
            break
        received += data
    os.close(leader)
    assert process.wait(timeout=60) == 0
    shown = received.decode()
    assert "\x1b[" in shown
    assert "┃ Order ┃ Date       ┃ Customer" in _strip_ansi(shown)
    piped = subprocess.run(command, capture_output=True, text=True, env=environment, check=True)
    assert "\x1b[" not in piped.stdout
    assert "  Order  Date        Customer      Total" in piped.stdout.splitlines()


@pytest.mark.parametrize("as_json", [False, True])
def test_output_in_a_code_page_without_a_character_still_shows_the_summary(
    tmp_path: Path, as_json: bool
) -> None:
    """On Windows, output redirected to a file is written in the system's code page."""
    import subprocess

    book = OrderBook()
    book.orders[0]["Customer"] = "\u5317\u4eac Trading Zo\u00eb"
    path = book.save(tmp_path / "orders.xlsx")
    command = [sys.executable, "-m", "ccp_xlsx2iif", "export", str(path), "--dry-run"]
    environment = {**os.environ, "PYTHONIOENCODING": "cp1252"}
    shown = subprocess.run(
        [*command, *(["--json"] if as_json else [])], capture_output=True, env=environment
    )
    assert shown.returncode == 0, shown.stderr
    if as_json:  # exact, in escapes
        changes = json.loads(shown.stdout.decode("ascii"))["text_changes"]
        assert (changes[0]["before"], changes[0]["after"]) == (
            "\u5317\u4eac Trading Zo\u00eb",
            "BeiJing Trading Zoe",
        )
    else:  # what the code page lacks is a question mark
        assert '  Orders!D2: "?? Trading Zo\u00eb" -> "BeiJing Trading Zoe"' in (
            shown.stdout.decode("cp1252").splitlines()
        )


def test_the_progress_bar_appears_only_after_a_second(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    console = Console(file=stream, force_terminal=True, width=80)
    quick = cli.TerminalProgress(console)
    quick.stage("Reading orders.xlsx")
    quick.close()
    assert (quick.started, stream.getvalue()) == (False, "")

    monkeypatch.setattr(cli, "PROGRESS_AFTER", 0.05)
    slow = cli.TerminalProgress(console)
    slow.stage("Writing 2 orders", 4)
    slow.advance(2)
    deadline = time.monotonic() + 10
    while not slow.started and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    slow.close()
    assert slow.started
    assert "Writing 2 orders" in stream.getvalue()
    assert " 50%" in stream.getvalue()


def test_an_export_reports_its_stages_to_the_progress_bar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stages: list[tuple[str, Any]] = []

    class Recorder:
        def __init__(self, console: Console) -> None:
            self.done = 0

        def stage(self, label: str, total: int | None = None) -> None:
            stages.append((label, total))

        def advance(self, steps: int) -> None:
            self.done += steps
            stages.append(("advance", self.done))

        def close(self) -> None:
            stages.append(("closed", None))

    monkeypatch.setattr(cli, "_progress_on_terminal", lambda: True)
    monkeypatch.setattr(cli, "TerminalProgress", Recorder)
    (tmp_path / "quiet").mkdir()
    assert run("export", str(three_orders(tmp_path / "quiet")), "-q") == (0, [], [])
    assert stages == []  # --quiet shows no bar
    path = three_orders(tmp_path)
    assert run("export", str(path))[0] == 0
    assert stages == [
        ("Reading orders.xlsx", None),
        ("Checking 2 orders", None),
        ("Writing 2 orders", 4),
        ("advance", 4),
        ("Marking the orders Exported in the workbook", None),
        ("closed", None),
    ]
    stages.clear()
    assert run("check", str(path))[0] == 0
    assert stages == [("Reading orders.xlsx", None), ("Checking 0 orders", None), ("closed", None)]


def test_data_problems_exit_1_with_one_line_each_then_the_count(tmp_path: Path) -> None:
    book = OrderBook()
    book.orders[0]["Total"] = "forty"
    book.orders[1]["Total"] = 26
    path = book.save(tmp_path / "orders.xlsx")
    assert run("export", str(path)) == (
        1,
        [],
        [
            'Orders!M2: "forty" is not an amount; write a number such as 19.99 (order 1001)',
            "Orders!M3: total 26.00 does not match subtotal 24.00 - discount 4.00 - sale 0.00 + "
            "taxes 0.00 + shipping 5.95 = 25.95 (order 1002)",
            "2 problems found; nothing was written.",
        ],
    )


def test_file_problems_exit_3_with_a_hint(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.xlsx"
    assert run("export", str(missing)) == (
        3,
        [],
        [f"{missing}: no such file", "Check the folder and the file name."],
    )
    old = tmp_path / "orders.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    assert run("export", str(old)) == (
        3,
        [],
        [
            f"{old}: a .xls file; the tool reads Excel workbooks (.xlsx, .xlsm)",
            'Open it in Excel and use File > Save As > "Excel Workbook (*.xlsx)".',
        ],
    )


def test_wrong_usage_exits_2(tmp_path: Path) -> None:
    assert run("export")[0] == 2
    assert run("export", "a.xlsx", "--no-such-option")[0] == 2
    path = OrderBook().save(tmp_path / "orders.xlsx")
    assert run("export", str(path), "-o", str(tmp_path / "out.csv")) == (
        2,
        [],
        [f"{tmp_path / 'out.csv'}: the output file's name must end in .iif"],
    )
    assert run("export", str(path), "--date-format", "%Y") == (
        2,
        [],
        [
            '--date-format: "%Y" is not a date format; write us (MM/DD/YYYY), uk (DD/MM/YYYY) '
            "or a pattern with %d, %m and %Y, such as %d.%m.%Y"
        ],
    )
    # The date goes into the IIF as written: a TAB (or a letter the system cannot write)
    # would shift the row.
    for pattern in ("%m\t%d\t%Y", "%d. %m. %Y \u0433.", '%m"%d"%Y'):
        assert run("export", str(path), "--date-format", pattern) == (
            2,
            [],
            [
                f'--date-format: "{pattern}" is not a date format QuickBooks can read in an IIF '
                "file; write us (MM/DD/YYYY), uk (DD/MM/YYYY) or a pattern of %d, %m and %Y with "
                "plain separators, such as %d.%m.%Y"
            ],
        )
    assert run("export", str(path), "--as", "receipt")[0] == 2
    assert run("export", str(path), "--class", "A:" + "x" * 40) == (
        2,
        [],
        ["--class: " + _class_problem("A:" + "x" * 40)],
    )
    # A class is a list name: a TAB in it would shift the row, a changed letter name another.
    for name in ("A\tB", "\u00dcn\u00ef", 'Web "B2C"'):
        assert run("export", str(path), "--class", name) == (
            2,
            [],
            [
                f'--class: class "{name}" has characters an IIF file cannot carry; use the same '
                "name with plain letters (A-Z, 0-9) here and in QuickBooks"
            ],
        )
    assert run("export", str(path), "--tax-mode", "vat")[0] == 2


def _class_problem(name: str) -> str:
    from ccp_xlsx2iif import iif

    message = iif.list_name_problem(name, "class")
    assert message
    return message


def test_status_option_repeats(tmp_path: Path) -> None:
    book = OrderBook()
    book.orders[1]["Status"] = "Shipped"
    path = book.save(tmp_path / "orders.xlsx")
    code, out, _ = run(
        "export", str(path), "--dry-run", "--status", "completed", "--status", "Shipped"
    )
    assert (code, out[0]) == (
        0,
        "Dry run: 2 orders would be exported, total 65.95; nothing was written.",
    )


def test_check_prints_every_problem_and_a_verdict(tmp_path: Path) -> None:
    book = OrderBook()
    book.orders[0]["Total"] = "forty"
    assert book.accounts is not None
    book.accounts[6][1] = "Shiping Income"
    path = book.save(tmp_path / "orders.xlsx")
    before = path.read_bytes()
    chart = company_lists(tmp_path)
    assert run("check", str(path), "--chart", str(chart)) == (
        1,
        [],
        [
            'Orders!M2: "forty" is not an amount; write a number such as 19.99 (order 1001)',
            'Accounts!B7: "Shiping Income" is not in the chart of accounts; did you mean '
            '"Shipping Income"?',
            "Not ready: 2 problems would stop an export.",
        ],
    )
    assert path.read_bytes() == before


def test_check_says_when_the_workbook_is_ready(tmp_path: Path) -> None:
    path = three_orders(tmp_path)
    assert run("check", str(path)) == (
        0,
        [
            NOT_VERIFIED,
            TAX_REMINDER,
            'Ready to export: 2 orders, total 65.95; skipped 1 order: 1 status "Pending".',
        ],
        [],
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orders.xlsx"]


def test_export_with_lists_and_quickbooks_tax(tmp_path: Path) -> None:
    book = OrderBook()
    assert book.accounts is not None
    book.accounts += [["Sales Tax Item", "Sales Tax Payable", "Tax"], ["Tax Agency", "State"]]
    path = book.save(tmp_path / "orders.xlsx")
    code, out, err = run(
        "export", str(path), "--tax-mode", "quickbooks", "--declare-items", "--declare-customers"
    )
    assert (code, err) == (0, [])
    assert out[-3:] == [
        "Declared 6 items, 2 customers at the top of the IIF file.",
        NOT_VERIFIED,
        NEXT_STEP,
    ]


def test_file_options_reach_the_export(tmp_path: Path) -> None:
    accounts = OrderBook()
    assert accounts.accounts is not None
    accounts.accounts[2][1] = "Checking"
    accounts_path = accounts.save(tmp_path / "accounts.xlsx")
    book = OrderBook()
    book.accounts = None
    path = book.save(tmp_path / "orders.xlsx")
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "payment.iif.j2").write_text(
        "TRNS\tPAYMENT\t{{ date }}\t{{ accounts.bank.account }}\t{{ name }}\t"
        "{{ order.total|debit }}\t{{ order.order_id }}\tBy the shop's own template\n"
        "SPL\tPAYMENT\t{{ date }}\t{{ accounts.receivable.account }}\t{{ name }}\t"
        "{{ order.total|credit }}\n"
        "ENDTRNS\n"
    )
    output = tmp_path / "week 11.iif"
    output.write_bytes(b"last week")
    options = ("--accounts", str(accounts_path), "-o", str(output), "--templates", str(templates))
    assert run("export", str(path), *options) == (
        3,
        [],
        [
            f"{output}: the file exists already",
            "Choose another name, or add --force to replace it.",
        ],
    )
    assert run("export", str(path), *options, "--force", "--quiet") == (0, [], [])
    payments = [
        (t.trns["ACCNT"], t.trns["MEMO"])
        for t in read_iif(output.read_bytes()).transactions
        if t.trns["TRNSTYPE"] == "PAYMENT"
    ]
    assert payments == [("Checking", "By the shop's own template")] * 2


def test_check_takes_the_options_of_export(tmp_path: Path) -> None:
    shutil.copyfile(SAMPLE, tmp_path / "orders.xlsx")
    chart = Path(__file__).parent / "golden" / "chart-accounts-only.iif"
    code, out, err = run(
        "check",
        str(tmp_path / "orders.xlsx"),
        "--chart",
        str(chart),
        "--create-accounts",
        "--declare-items",
        "--declare-customers",
        "--status",
        "Completed",
        "--status",
        "Pending",
        "--tax-mode",
        "lines",
    )
    assert (code, err) == (0, [])
    assert (
        out[0] == "Would declare 4 new accounts, 11 items, 5 customers at the top of the IIF file."
    )
    assert out[-1] == (
        "Ready to export: 10 orders, total 585.37; skipped 2 orders: 1 already exported, "
        '1 status "Cancelled".'
    )


def test_the_command_line_ends_with_its_whole_output_and_status(tmp_path: Path) -> None:
    """The process ends at once after a command, with its output whole and its exit code.

    The output is flushed past a pipe's 64 KB; an export ends with 0, one refused for a file
    with 3 (README, Exit codes).
    """
    import subprocess

    book = OrderBook()
    template, line = book.orders[1], book.items[2]
    for number in range(3, 1001):
        book.orders.append(dict(template, **{"Order ID": 1000 + number}))
        book.items.append(dict(line, **{"Order ID": 1000 + number}))
    path = book.save(tmp_path / "orders.xlsx")
    output = tmp_path / "orders.iif"
    command = [sys.executable, "-m", "ccp_xlsx2iif", "export", str(path), "-o", str(output)]
    done = subprocess.run([*command, "--json"], capture_output=True, text=True)
    assert (done.returncode, done.stderr) == (0, "")
    assert len(done.stdout) > 1 << 16
    summary = json.loads(done.stdout)
    assert len(summary["orders"]) == 1000
    assert len(read_iif(output.read_bytes()).transactions) == 2000  # each with its payment
    again = subprocess.run(command, capture_output=True, text=True)
    assert (again.returncode, again.stdout) == (3, "")
    assert again.stderr.splitlines() == [
        f"{output}: the file exists already",
        "Choose another name, or add --force to replace it.",
    ]
