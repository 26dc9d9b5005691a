"""The command line: its output, its exit codes, its help."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ccp_xlsx2iif import __version__, cli
from ccp_xlsx2iif.export import NOT_VERIFIED
from tests.conftest import NOW
from tests.workbooks import OrderBook

runner = CliRunner()


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "_now", lambda: NOW)


def run(*args: str) -> tuple[int, list[str], list[str]]:
    result = runner.invoke(cli.app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout.splitlines(), result.stderr.splitlines()


def test_version() -> None:
    assert run("--version") == (0, [f"ccp-xlsx2iif {__version__}"], [])


def test_help_shows_an_example_and_every_option() -> None:
    code, out, _ = run("--help")
    assert code == 0
    assert "  Example: ccp-xlsx2iif export orders.xlsx" in out
    code, out, _ = run("export", "--help")
    text = "\n".join(out)
    assert code == 0
    assert "Example: ccp-xlsx2iif export orders.xlsx --accounts accounts.xlsx" in text
    for option in (
        "--accounts",
        "--output",
        "-o",
        "--status",
        "--no-payments",
        "--templates",
        "--dry-run",
        "--force",
    ):
        assert option in text


def test_export_prints_a_short_summary(tmp_path: Path) -> None:
    book = OrderBook()
    book.orders.append({"Order ID": 1003, "Status": "Pending"})
    path = book.save(tmp_path / "orders.xlsx")
    assert run("export", str(path)) == (
        0,
        [
            f"Exported 2 orders, total 65.95, to {tmp_path / 'orders-20260314-093005.iif'}",
            "Marked them Exported in Orders!O.",
            'Skipped 1 order: 1 status "Pending".',
            NOT_VERIFIED,
            cli.TAX_REMINDER,
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


def test_dry_run_and_a_new_exported_column(tmp_path: Path) -> None:
    book = OrderBook()
    for row in book.orders:
        del row["Exported"], row["State Tax"]
        row["Total"] = row["Subtotal"] - row["Discount"] + row["Shipping"]
    path = book.save(tmp_path / "orders.xlsx")
    assert run("export", str(path), "--dry-run") == (
        0,
        ["Dry run: 2 orders would be exported, total 63.45; nothing was written.", NOT_VERIFIED],
        [],
    )
    assert run("export", str(path), "--no-payments")[1][1] == (
        'Marked them Exported in Orders!N (a new column "Exported").'
    )


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
    chart = Path(__file__).parent / "golden" / "chart-all-lists.iif"
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
    book = OrderBook()
    book.orders.append({"Order ID": 1003, "Status": "Pending"})
    path = book.save(tmp_path / "orders.xlsx")
    assert run("check", str(path)) == (
        0,
        [
            NOT_VERIFIED,
            cli.TAX_REMINDER,
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
    assert out[2:] == [
        "Declared 6 items, 2 customers at the top of the IIF file.",
        NOT_VERIFIED,
    ]
    assert run("export", str(path), "--tax-mode", "vat")[0] == 2
