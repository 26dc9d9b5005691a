"""The export pipeline end to end on real files: re-export, naming, atomicity, options."""

from __future__ import annotations

import datetime as dt
import os
import pickle
import stat
import subprocess
import sys
import typing
from decimal import Decimal
from pathlib import Path

import pytest
from jinja2 import TemplateError
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

import ccp_xlsx2iif.export as export_module
import ccp_xlsx2iif.opening as opening_module
import ccp_xlsx2iif.render as render_module
import ccp_xlsx2iif.workbook as workbook_module
from ccp_xlsx2iif import iif
from ccp_xlsx2iif.beside import FORKS, Beside
from ccp_xlsx2iif.export import ExportOptions, check_workbook, export_workbook
from ccp_xlsx2iif.problems import FileProblem, ProblemsFound, UsageProblem
from ccp_xlsx2iif.reading import Orders
from ccp_xlsx2iif.render import TEXT_FILTERS, Formatted, make_environment
from ccp_xlsx2iif.tally import AccountTotal
from ccp_xlsx2iif.writeback import write_marked_copy
from tests.conftest import BATCH, NOW
from tests.expect import failed_export, problems
from tests.iif_reader import read_iif
from tests.workbooks import OrderBook

MARK = "2026-03-14 09:30 orders-20260314-093005.iif"


def exported_column(path: Path) -> list[object]:
    with CalamineWorkbook.from_path(str(path)) as book:
        rows = book.get_sheet_by_name("Orders").to_python()
    column = rows[0].index("Exported")
    return [row[column] for row in rows[1:]]


def clear_exported(path: Path, excel_row: int) -> None:
    book = load_workbook(path)
    sheet = book["Orders"]
    column = [cell.value for cell in sheet[1]].index("Exported") + 1
    sheet.cell(excel_row, column).value = None
    book.save(path)


def files_in(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def test_export_writes_the_batch_beside_the_workbook_and_marks_the_orders(tmp_path: Path) -> None:
    path = OrderBook().save(tmp_path / "orders.xlsx")
    result = export_workbook(path, ExportOptions(), NOW)
    assert result.iif_path == tmp_path / "orders-20260314-093005.iif"
    assert files_in(tmp_path) == ["orders-20260314-093005.iif", "orders.xlsx"]
    assert [o.order_id for o in result.orders] == ["1001", "1002"]
    assert str(result.total) == "65.95"
    assert result.has_tax_lines
    assert exported_column(path) == [MARK, MARK]
    iif = read_iif(result.iif_path.read_bytes())
    assert [(t.trns["TRNSTYPE"], t.trns["DOCNUM"]) for t in iif.transactions] == [
        ("INVOICE", "1001"),
        ("PAYMENT", "1001"),
        ("INVOICE", "1002"),
        ("PAYMENT", "1002"),
    ]


def test_each_charge_of_an_order_is_a_row_of_its_own_in_a_fixed_order(tmp_path: Path) -> None:
    book = OrderBook()
    book.orders[1].update(
        {"Subtotal": 24.0, "Discount": 4.0, "Sale": 1.5, "State Tax": 1.2, "Country Tax": 0.6}
    )
    book.orders[1].update({"Shipping": 5.95, "Total": 26.25})
    result = export_workbook(book.save(tmp_path / "orders.xlsx"), ExportOptions(), NOW)
    assert result.iif_path is not None
    text = result.iif_path.read_bytes().decode("ascii")
    invoice = text[text.index("TRNS\tINVOICE\t03/03/2026") :]
    invoice = invoice[: invoice.index("ENDTRNS\r\n") + len("ENDTRNS\r\n")]
    spl = "SPL\tINVOICE\t03/03/2026\t"
    assert invoice.splitlines(keepends=True)[1:] == [
        f"{spl}Sales:Web Store\t\t-24.00\t\tT-shirt\t-1\t24.00\tTEE-M\t\t\t\r\n",
        f"{spl}Shipping Income\t\t-5.95\t\tShipping\t\t\tShipping\t\t\t\r\n",
        f"{spl}Sales Tax Payable\t\t-1.20\t\tState/Province Tax\t\t\tState Tax\t\t\t\r\n",
        f"{spl}GST Payable\t\t-0.60\t\tCountry Tax\t\t\tGST\t\t\t\r\n",
        f"{spl}Sales Discounts\t\t4.00\t\tDiscount\t\t\tDiscount\t\t\t\r\n",
        f"{spl}Sales Discounts:Sale Markdowns\t\t1.50\t\tSale\t\t\tSale\t\t\t\r\n",
        "ENDTRNS\r\n",
    ]


def test_re_export_cycle(tmp_path: Path) -> None:
    book = OrderBook()
    book.orders.append(dict(book.orders[1], **{"Order ID": 1003}))
    book.items.append(dict(book.items[2], **{"Order ID": 1003}))
    path = book.save(tmp_path / "orders.xlsx")
    first = export_workbook(path, ExportOptions(), NOW)
    assert [o.order_id for o in first.orders] == ["1001", "1002", "1003"]

    later = NOW + dt.timedelta(minutes=1)
    second = export_workbook(path, ExportOptions(), later)
    assert (second.orders, second.iif_path, dict(second.skipped)) == (
        (),
        None,
        {"already exported": 3},
    )
    assert files_in(tmp_path) == ["orders-20260314-093005.iif", "orders.xlsx"]

    clear_exported(path, 3)  # order 1002
    third = export_workbook(path, ExportOptions(), later)
    assert [o.order_id for o in third.orders] == ["1002"]
    assert dict(third.skipped) == {"already exported": 2}
    assert third.iif_path == tmp_path / "orders-20260314-093105.iif"
    iif = read_iif(third.iif_path.read_bytes())
    assert {t.trns["DOCNUM"] for t in iif.transactions} == {"1002"}
    assert exported_column(path) == [MARK, "2026-03-14 09:31 orders-20260314-093105.iif", MARK]


def test_a_batch_name_in_use_is_never_reused(tmp_path: Path) -> None:
    path = OrderBook().save(tmp_path / "orders.xlsx")
    (tmp_path / "orders-20260314-093005.iif").write_bytes(b"earlier")
    result = export_workbook(path, ExportOptions(), NOW)
    assert result.iif_path == tmp_path / "orders-20260314-093005-2.iif"
    assert (tmp_path / "orders-20260314-093005.iif").read_bytes() == b"earlier"
    assert exported_column(path) == ["2026-03-14 09:30 orders-20260314-093005-2.iif"] * 2


def test_output_option_never_overwrites_without_force(tmp_path: Path) -> None:
    path = OrderBook().save(tmp_path / "orders.xlsx")
    output = tmp_path / "week11.iif"
    output.write_bytes(b"keep me")
    before = path.read_bytes()
    with pytest.raises(FileProblem) as raised:
        export_workbook(path, ExportOptions(output=output), NOW)
    assert raised.value.message == f"{output}: the file exists already"
    assert (output.read_bytes(), path.read_bytes()) == (b"keep me", before)
    export_workbook(path, ExportOptions(output=output, force=True), NOW)
    assert output.read_bytes().startswith(b"!TRNS\t")
    assert exported_column(path) == ["2026-03-14 09:30 week11.iif"] * 2


def test_output_must_be_an_iif_file(tmp_path: Path) -> None:
    path = OrderBook().save(tmp_path / "orders.xlsx")
    with pytest.raises(UsageProblem, match=r"must end in \.iif"):
        export_workbook(path, ExportOptions(output=tmp_path / "out.txt"), NOW)


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    path = OrderBook().save(tmp_path / "orders.xlsx")
    before = path.read_bytes()
    result = export_workbook(path, ExportOptions(dry_run=True), NOW)
    assert len(result.orders) == 2
    assert path.read_bytes() == before
    assert files_in(tmp_path) == ["orders.xlsx"]


def test_nothing_to_export_writes_no_file(tmp_path: Path) -> None:
    book = OrderBook()
    for row in book.orders:
        row["Status"] = "Pending"
    path = book.save(tmp_path / "orders.xlsx")
    before = path.read_bytes()
    result = export_workbook(path, ExportOptions(), NOW)
    assert (result.orders, result.iif_path) == ((), None)
    assert path.read_bytes() == before
    assert files_in(tmp_path) == ["orders.xlsx"]


def test_accounts_from_another_workbook(tmp_path: Path) -> None:
    accounts = OrderBook()
    assert accounts.accounts is not None
    accounts.accounts[2][1] = "Checking"
    accounts_path = accounts.save(tmp_path / "accounts.xlsx")
    accounts_before = accounts_path.read_bytes()
    book = OrderBook()
    book.accounts = None
    path = book.save(tmp_path / "orders.xlsx")
    result = export_workbook(path, ExportOptions(accounts=accounts_path), NOW)
    assert result.iif_path is not None
    payments = [
        t
        for t in read_iif(result.iif_path.read_bytes()).transactions
        if t.trns["TRNSTYPE"] == "PAYMENT"
    ]
    assert {t.trns["ACCNT"] for t in payments} == {"Checking"}
    assert accounts_path.read_bytes() == accounts_before


def payment_template(tmp_path: Path, text: str) -> Path:
    """Return a folder of templates holding only ``payment.iif.j2`` with ``text``."""
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "payment.iif.j2").write_text(text)
    return templates


def test_a_template_override_replaces_only_its_template(tmp_path: Path) -> None:
    path = OrderBook().save(tmp_path / "orders.xlsx")
    templates = payment_template(
        tmp_path,
        "TRNS\tPAYMENT\t{{ order.order_date|date }}\t{{ accounts.bank.account }}\t"
        "{{ order.customer }}\t{{ order.total|debit }}\t{{ order.order_id }}\tCustom memo\n"
        "SPL\tPAYMENT\t{{ order.order_date|date }}\t{{ accounts.receivable.account }}\t"
        "{{ order.customer }}\t{{ order.total|credit }}\n"
        "ENDTRNS\n",
    )
    result = export_workbook(
        path, ExportOptions(templates=templates, output=tmp_path / "o.iif"), NOW
    )
    iif = read_iif((tmp_path / "o.iif").read_bytes())
    assert result.iif_path == tmp_path / "o.iif"
    assert [t.trns["MEMO"] for t in iif.transactions if t.trns["TRNSTYPE"] == "PAYMENT"] == [
        "Custom memo",
        "Custom memo",
    ]


def test_a_template_with_macros_blocks_and_loops_renders_every_row(tmp_path: Path) -> None:
    # Output inside macros and set blocks is gathered by Jinja itself; the rows an order
    # writes directly are joined line by line (render._code_generator): all come out whole.
    path = OrderBook().save(tmp_path / "orders.xlsx")
    templates = payment_template(
        tmp_path,
        "{% macro row(kind, amount) %}{{ kind }}\tPAYMENT\t{{ amount }}{% endmacro %}"
        "{% set memo %}Paid {{ order.order_id }} by {{ name }}{% endset %}"
        "{{ row('TRNS', order.total|debit) }}\t{{ memo }}\n"
        "{% for line in order.lines %}"
        "{{ row('SPL', line.amount|credit) }}\t{{ line.sku }} x {{ line.quantity|quantity }}\n"
        "{% endfor %}"
        '{{ "END" }}{{ "TRNS" }}\n',  # fields Jinja joins while it compiles
    )
    output = tmp_path / "o.iif"
    export_workbook(path, ExportOptions(templates=templates, output=output), NOW)
    rows = output.read_bytes().split(b"\r\n")
    assert [row for row in rows if b"PAYMENT" in row] == [
        b"TRNS\tPAYMENT\t40.00\tPaid 1001 by Ada Lovelace",
        b"SPL\tPAYMENT\t-25.00\tMUG-11 x 2",
        b"SPL\tPAYMENT\t-12.50\tCARD-5 x 1",
        b"TRNS\tPAYMENT\t25.95\tPaid 1002 by Grace Hopper",
        b"SPL\tPAYMENT\t-24.00\tTEE-M x 1",
    ]
    assert rows.count(b"ENDTRNS") == 4


@pytest.mark.parametrize(
    ("template", "message"),
    [
        (
            "{{ order.total }}\n",
            "IIF template error: a Decimal value (Decimal('40.00')) reached "
            "the IIF without a filter; format it with amount, debit, credit, quantity, price, date "
            "or text",
        ),
        (
            "{{ order.no_such_field }}\n",
            "IIF template error: 'Order' object has no attribute 'no_such_field'",
        ),
        # Attributes that cannot follow a dot in Python as they are written are read alike.
        ("{{ order.class }}\n", "IIF template error: 'Order' object has no attribute 'class'"),
        (
            "{{ order.\ufb01rst }}\n",
            "IIF template error: 'Order' object has no attribute '\ufb01rst'",
        ),
        ("{{ no_such_name }}\n", "IIF template error: 'no_such_name' is undefined"),
        ("{{ order.bill_lines[7] }}\n", "IIF template error: tuple object has no element 7"),
        (
            "{{ order.order_id|length }}\n",
            "IIF template error: a int value (4) reached the IIF without a filter; format it "
            "with amount, debit, credit, quantity, price, date or text",
        ),
        ("{% for %}\n", "IIF template error: Expected an expression, got 'end of statement block'"),
        # Any error of Python's an expression raises, and a template that includes itself.
        ("{{ 1 / 0 }}\n", "IIF template error: ZeroDivisionError: division by zero"),
        (
            "{{ order.total + 'x' }}\n",
            "IIF template error: TypeError: unsupported operand type(s) for +: "
            "'decimal.Decimal' and 'str'",
        ),
        (
            "{% include 'payment.iif.j2' %}\n",
            "IIF template error: a template includes itself, directly or through another "
            "(Python's limit of nested calls was reached)",
        ),
        # The rows of templates of one's own are held to their headers.
        (
            "Paid {{ order.order_id }}\n",
            'IIF template error: the line "Paid 1001" does not start with a keyword a header '
            "names (!TRNS, !SPL, !ENDTRNS...): QuickBooks would not read it as meant",
        ),
        (
            "ENDTRNS\t{{ order.order_id }}\n",
            'IIF template error: the ENDTRNS row "ENDTRNS\\t1001" has 1 field, more than the 0 '
            "its header !ENDTRNS names: QuickBooks would read its fields shifted",
        ),
        # A transaction must balance and end: QuickBooks refuses it without naming it.
        (
            "TRNS\tPAYMENT\t{{ date }}\tBank\t\t{{ order.total|amount }}\t{{ order.order_id }}\n"
            "SPL\tPAYMENT\t{{ date }}\tAccounts Receivable\t{{ name }}\t-1.00\nENDTRNS\n",
            'IIF template error: the transaction "TRNS\\tPAYMENT\\t03/02/2026\\tBank\\t\\t40.00\\t1001" '
            "does not balance: its amounts sum to 39.00, not 0.00, and QuickBooks refuses it",
        ),
        (
            "TRNS\tPAYMENT\t{{ date }}\tBank\t\t0.00\t{{ order.order_id }}\n",
            'IIF template error: the transaction "TRNS\\tPAYMENT\\t03/02/2026\\tBank\\t\\t0.00\\t1001" '
            "has no ENDTRNS row before the next TRNS row: QuickBooks would not read it",
        ),
        (
            "TRNS\tPAYMENT\t{{ date }}\tBank\t\t${{ order.total|amount }}\n",
            'IIF template error: the AMOUNT "$40.00" of a row of the account "Bank" is not an '
            "amount such as -1234.56 (at most 2 decimals, no currency sign, no thousands "
            "separator)",
        ),
    ],
)
@pytest.mark.parametrize("tally", ["here", "process"])
def test_a_broken_template_fails_cleanly_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, template: str, message: str, tally: str
) -> None:
    monkeypatch.setattr(export_module, "TALLY_PROCESS_FROM", 0 if tally == "process" else 1 << 40)
    path = OrderBook().save(tmp_path / "orders.xlsx")
    before = path.read_bytes()
    templates = payment_template(tmp_path, template)
    with pytest.raises(FileProblem) as raised:
        export_workbook(path, ExportOptions(templates=templates), NOW)
    assert raised.value.message == message
    assert path.read_bytes() == before
    assert files_in(tmp_path) == ["orders.xlsx", "templates"]


NO_ITEMS_1002 = (
    "Orders!A3: order 1002 has no item lines on the Items sheet; add them there with this "
    "Order ID (order 1002)"
)


def test_a_template_that_does_not_compile_is_reported_before_the_orders_are_read(
    tmp_path: Path,
) -> None:
    # The orders have a problem too (an order without items), but the export stops at the
    # template: it is compiled before the orders sheet is worked through.
    book = OrderBook()
    book.items = [item for item in book.items if item["Order ID"] != 1002]
    path = book.save(tmp_path / "orders.xlsx")
    found = [str(problem) for problem in failed_export(path)]
    assert found == [NO_ITEMS_1002]
    templates = payment_template(tmp_path, "{% for %}\n")
    before = path.read_bytes()
    with pytest.raises(FileProblem) as raised:
        export_workbook(path, ExportOptions(templates=templates), NOW)
    assert raised.value.message == (
        "IIF template error: Expected an expression, got 'end of statement block'"
    )
    assert path.read_bytes() == before
    assert files_in(tmp_path) == ["orders.xlsx", "templates"]
    with pytest.raises(ProblemsFound) as checked:  # check renders nothing: the orders are read
        check_workbook(path, ExportOptions(templates=templates), NOW)
    assert [str(problem) for problem in checked.value.problems] == [NO_ITEMS_1002]


ACCOUNT_TOTALS = (
    AccountTotal("Accounts Receivable", Decimal("65.95"), Decimal("65.95")),
    AccountTotal("Sales Discounts", Decimal("4.00"), Decimal("0.00")),
    AccountTotal("Sales Tax Payable", Decimal("0.00"), Decimal("2.50")),
    AccountTotal("Sales:Web Store", Decimal("0.00"), Decimal("61.50")),
    AccountTotal("Shipping Income", Decimal("0.00"), Decimal("5.95")),
    AccountTotal("Undeposited Funds", Decimal("65.95"), Decimal("0.00")),
)


@pytest.mark.parametrize("dry_run", [False, True])
@pytest.mark.parametrize("tally", ["here", "process"])
def test_the_account_totals_are_tallied_from_the_iif_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tally: str, dry_run: bool
) -> None:
    monkeypatch.setattr(export_module, "TALLY_PROCESS_FROM", 0 if tally == "process" else 1 << 40)
    path = OrderBook().save(tmp_path / "orders.xlsx")
    result = export_workbook(path, ExportOptions(dry_run=dry_run), NOW)
    assert result.account_totals == ACCOUNT_TOTALS
    assert files_in(tmp_path) == (["orders.xlsx"] if dry_run else [BATCH, "orders.xlsx"])


def test_the_filters_written_without_finalize_give_text() -> None:
    # What a filter of TEXT_FILTERS gives is written as it is: each must give text.
    environment = make_environment()
    for name in TEXT_FILTERS:
        text_filter = environment.filters[name]
        mapping = getattr(text_filter, "__self__", None)
        if isinstance(mapping, Formatted):  # the filter looks up what its function gives
            text_filter = mapping.format_value
        assert typing.get_type_hints(text_filter)["return"] is str, name


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("A\t{{ text }}\t{{ number|amount }}\n", "A\tx\t1.50\r\n"),
        # None is an empty field; text of a class of its own (Markup) is text.
        ("A\t{{ nothing }}\t{{ text }}\t{{ text|e }}\n", "A\t\tx\tx\r\n"),
        ("{{ text|e }}", "x"),
        # A field alone is tested on its own, as it is written.
        ("{{ text }}", "x"),
        ("{{ nothing }}", ""),
    ],
)
def test_the_fields_of_a_row_are_written_as_finalize_gives_them(source: str, expected: str) -> None:
    template = make_environment().from_string(source)
    assert template.render(text="x", number=Decimal("1.5"), nothing=None) == expected


NO_FILTER = (
    "a Decimal value (Decimal('1.5')) reached the IIF without a filter; format it with amount, "
    "debit, credit, quantity, price, date or text"
)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("A\t{{ number }}\t{{ text }}\n", NO_FILTER),
        ("A\t{{ text }}\t{{ number }}\n", NO_FILTER),
        ("{{ number }}", NO_FILTER),
        ("A\t{{ no_such_name }}\t{{ text }}\n", "'no_such_name' is undefined"),
        ("A\t{{ nothing }}\t{{ no_such_name }}\n", "'no_such_name' is undefined"),
    ],
)
def test_a_row_with_a_field_that_is_not_text_fails(source: str, message: str) -> None:
    template = make_environment().from_string(source)
    with pytest.raises(TemplateError) as raised:
        template.render(text="x", number=Decimal("1.5"), nothing=None)
    assert str(raised.value) == message


def test_the_filters_give_each_value_what_their_functions_give(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Each filter keeps the text of the values it formatted: equal values written otherwise
    # (1.5 and 1.50) must be written alike, and a zero's sign as it is.
    monkeypatch.setattr(render_module, "FORMATTED_KEPT", 3)  # forgets all past 3 values
    numbers = [Decimal(text) for text in ("1.5", "1.50", "-0", "0", "0.00", "-0.00", "1E+2")]
    numbers += [Decimal("100"), Decimal("0.125"), Decimal("0.1250"), Decimal("-19.99")]
    dates = [dt.date(2026, 3, 14), dt.date(2026, 3, 15), dt.date(2026, 3, 14)]
    flags = [True, False, None, True]
    functions: dict[str, typing.Callable[[typing.Any], str]] = {
        "amount": iif.format_amount,
        "debit": iif.format_amount,
        "credit": lambda value: iif.format_amount(-value),
        "quantity": iif.format_quantity,
        "credit_quantity": lambda value: iif.format_quantity(-value),
        "price": iif.format_price,
        "date": iif.format_date,
        "yes_no": {True: "Y", False: "N", None: ""}.__getitem__,
    }
    environment = make_environment()
    for name, function in functions.items():
        values = dates if name == "date" else flags if name == "yes_no" else numbers
        for value in [*values, *reversed(values), *values]:
            assert environment.filters[name](value) == function(value), (name, value)
    assert [environment.filters["quantity"](value) for value in numbers[:4]] == [
        "1.5",
        "1.5",
        "-0",
        "0",
    ]
    # Eight values that are not zero were formatted by amount: it keeps three at most.
    assert 0 < len(environment.filters["amount"].__self__) <= 3


def test_a_workbook_saved_during_the_export_is_not_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = OrderBook().save(tmp_path / "orders.xlsx")

    def write_while_the_user_saves(*args: object, **kwargs: object) -> None:
        path.write_bytes(path.read_bytes())  # same content, new modification time
        os.utime(path, ns=(1, 1))
        write_marked_copy(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(export_module, "write_marked_copy", write_while_the_user_saves)
    before = path.read_bytes()
    with pytest.raises(FileProblem) as raised:
        export_workbook(path, ExportOptions(), NOW)
    assert raised.value.message == (
        f"{path}: the workbook changed while the export ran (was it saved in Excel?)"
    )
    assert path.read_bytes() == before
    assert files_in(tmp_path) == ["orders.xlsx"]


def test_a_write_error_leaves_everything_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = OrderBook().save(tmp_path / "orders.xlsx")
    before = path.read_bytes()

    def disk_full(*args: object, **kwargs: object) -> None:
        raise FileProblem("disk full")

    monkeypatch.setattr(export_module, "write_marked_copy", disk_full)
    with pytest.raises(FileProblem):
        export_workbook(path, ExportOptions(), NOW)
    assert path.read_bytes() == before
    assert files_in(tmp_path) == ["orders.xlsx"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_the_workbook_keeps_its_permissions(tmp_path: Path) -> None:
    path = OrderBook().save(tmp_path / "orders.xlsx")
    path.chmod(0o640)
    export_workbook(path, ExportOptions(), NOW)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "orders.xls",
            b"\xd0\xcf\x11\xe0",
            "a .xls file; the tool reads Excel workbooks (.xlsx, .xlsm)",
        ),
        ("orders.ods", b"PK", "a .ods file; the tool reads Excel workbooks (.xlsx, .xlsm)"),
        ("orders.csv", b"PK\x03\x04\x00\x00", "not a CSV file (it holds binary data)"),
        ("orders.xlsx", b"not a zip", "not a readable Excel workbook"),
    ],
)
def test_files_that_are_not_workbooks_get_a_clear_message(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(FileProblem) as raised:
        export_workbook(path, ExportOptions(), NOW)
    assert raised.value.message == f"{path}: {message}"
    assert path.read_bytes() == content


def test_the_lines_of_an_order_may_stand_apart_on_the_items_sheet(tmp_path: Path) -> None:
    book = OrderBook()
    mug, cards, tee = book.items
    book.items = [mug, tee, cards, {**mug, "SKU": "MUG-12", "Quantity": 1, "Unit Price": 0}]
    path = book.save(tmp_path / "orders.xlsx")
    result = export_workbook(path, ExportOptions(), NOW)
    assert [[line.sku for line in order.lines] for order in result.orders] == [
        ["MUG-11", "CARD-5", "MUG-12"],
        ["TEE-M"],
    ]
    assert [[line.origin.row for line in order.lines] for order in result.orders] == [
        [2, 4, 5],
        [3],
    ]


def test_prices_and_quantities_from_formulas_are_written_as_excel_shows_them(
    tmp_path: Path,
) -> None:
    # As Excel saves =12.3*3 and =0.1+0.2: 36.900000000000006 and 0.30000000000000004.
    book = OrderBook()
    book.items[0].update({"Quantity": 1, "Unit Price": 12.3 * 3})
    book.items[1].update({"Quantity": 0.1 + 0.2, "Unit Price": 10})
    book.orders[0].update({"Subtotal": 39.9, "Total": 42.4})
    path = book.save(tmp_path / "orders.xlsx")
    result = export_workbook(path, ExportOptions(), NOW)
    assert result.iif_path is not None
    spl = [
        (row["QNTY"], row["PRICE"], row["AMOUNT"])
        for transaction in read_iif(result.iif_path.read_bytes()).transactions
        if transaction.trns["DOCNUM"] == "1001"
        for row in transaction.splits
        if row["INVITEM"] in ("MUG-11", "CARD-5")
    ]
    assert spl == [("-1", "36.90", "-36.90"), ("-0.3", "10.00", "-3.00")]


def test_the_same_unreadable_value_is_reported_in_every_cell(tmp_path: Path) -> None:
    # Equal cells of a column are read once; an unreadable one is still named cell by cell.
    book = OrderBook()
    for item in book.items:
        item["Quantity"] = "two"
    assert problems(book, tmp_path / "orders.xlsx") == [
        'Items!D2: "two" is not a quantity; write a number such as 19.99 (order 1001)',
        'Items!D3: "two" is not a quantity; write a number such as 19.99 (order 1001)',
        'Items!D4: "two" is not a quantity; write a number such as 19.99 (order 1002)',
    ]


def test_items_continue_on_numbered_sheets(tmp_path: Path) -> None:
    """A list longer than a sheet's last row goes on in "Items 2", "Items (3)"..."""
    book = OrderBook()
    header = ["Order ID", "SKU", "Description", "Quantity", "Unit Price"]
    book.items = book.items[:1]  # 1001's first line stays on Items
    book.extra_sheets = {
        "Items 2": [header, [1001, "CARD-5", "Cards", 1, 12.5]],
        "Archive": [["Order ID", "SKU"], [1002, "SOMETHING-ELSE"]],
        "items (3)": [header, [1002, "TEE-M", "T-shirt", 1, 24]],
        "Items 5": [header, [1002, "NOT-READ", "after a gap", 1, 1]],
    }
    path = book.save(tmp_path / "orders.xlsx")
    result = export_workbook(path, ExportOptions(), NOW)
    assert [[line.sku for line in order.lines] for order in result.orders] == [
        ["MUG-11", "CARD-5"],
        ["TEE-M"],
    ]
    book.extra_sheets["Items 2"].append([1009, "X", "", 1, 1])
    book.extra_sheets["items (3)"][0] = header[:3]
    assert problems(book, tmp_path / "again") == [
        "Orders!A3: order 1002 has no item lines on the Items sheet; add them there with this "
        "Order ID (order 1002)",
        "'Items 2'!A3: order 1009 is not on the Orders sheet; fix the Order ID or delete this "
        "item row",
        """'items (3)': missing columns "Quantity", "Unit Price"; the header row must be row 1 """
        '(columns found there: "Order ID", "SKU", "Description")',
    ]


@pytest.mark.skipif(not FORKS, reason="the copy is written apart where the system forks")
@pytest.mark.parametrize(
    ("sheet", "row", "header", "value", "found"),
    [
        # Found by the checks.
        (
            "orders",
            1,
            "Total",
            99,
            "Orders!M3: total 99.00 does not match subtotal 24.00 - discount 4.00 - sale 0.00 + "
            "taxes 0.00 + shipping 5.95 = 25.95 (order 1002)",
        ),
        # Found while the item lines are read.
        (
            "items",
            2,
            "Quantity",
            "two",
            'Items!D4: "two" is not a quantity; write a number such as 19.99 (order 1002)',
        ),
    ],
)
def test_a_copy_started_before_the_checks_is_discarded_when_they_find_a_problem(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    sheet: str,
    row: int,
    header: str,
    value: object,
    found: str,
) -> None:
    # A large workbook's marked copy is written by its process while the item lines are read
    # and the orders checked.
    monkeypatch.setattr(opening_module, "PARALLEL_PROCESS_FROM", 0)
    started: list[str] = []
    start = opening_module.MarkedCopy.give

    def counted(copy: opening_module.MarkedCopy, target: opening_module.MarkTarget) -> None:
        started.append(target.path.name)
        start(copy, target)

    monkeypatch.setattr(opening_module.MarkedCopy, "give", counted)
    book = OrderBook()
    getattr(book, sheet)[row][header] = value
    path = book.save(tmp_path / "orders.xlsx")
    assert [str(problem) for problem in failed_export(path)] == [found]
    assert started == ["orders.xlsx"]


def test_text_that_repeats_is_held_once_by_the_orders_and_lines(tmp_path: Path) -> None:
    """An order's ID on its lines, a SKU on many lines: one string each, however many cells."""
    book = OrderBook()
    # MUG-11 again, given with order 1002 (its sums stay as they are).
    book.items.append(dict(book.items[0], **{"Order ID": 1002, "Quantity": 1, "Unit Price": 0}))
    path = book.save(tmp_path / "orders.xlsx")
    orders = check_workbook(path, ExportOptions(), NOW).orders
    pairs = [(order, line) for order in orders for line in order.lines]
    assert [(order.order_id, line.sku) for order, line in pairs] == [
        ("1001", "MUG-11"),
        ("1001", "CARD-5"),
        ("1002", "TEE-M"),
        ("1002", "MUG-11"),
    ]
    assert all(line.order_id is order.order_id for order, line in pairs)
    assert pairs[0][1].sku is pairs[3][1].sku
    assert pairs[0][1].description is pairs[3][1].description


@pytest.mark.skipif(not FORKS, reason="the copy is written apart where the system forks")
def test_the_process_writing_a_large_copy_is_forked_before_the_workbook_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The copy's process is forked before the workbook is read, and given its marks later.

    Forked once the orders are read, it would share them: each page of them the export
    touches next would be copied, the memory of the two processes growing by half again.
    """
    monkeypatch.setattr(opening_module, "PARALLEL_PROCESS_FROM", 0)
    events: list[str] = []
    children: list[int] = []
    fork, give, open_book = Beside._fork, Beside.give, workbook_module.open_book
    read_lines = Orders.attach_lines

    def forking(beside: Beside[typing.Any, typing.Any]) -> None:
        events.append("fork")
        fork(beside)
        children.append(beside._pid)

    def giving(beside: Beside[typing.Any, typing.Any], argument: typing.Any) -> None:
        events.append("give")
        give(beside, argument)

    def opening(*args: typing.Any, **kwargs: typing.Any) -> typing.Any:
        events.append("open")
        return open_book(*args, **kwargs)

    def reading_lines(orders: Orders) -> None:
        events.append("lines")
        read_lines(orders)

    monkeypatch.setattr(Beside, "_fork", forking)
    monkeypatch.setattr(Beside, "give", giving)
    monkeypatch.setattr(opening_module, "open_book", opening)
    monkeypatch.setattr(Orders, "attach_lines", reading_lines)
    path = OrderBook().save(tmp_path / "orders.xlsx")
    assert len(export_workbook(path, ExportOptions(), NOW).orders) == 2
    # Given its marks once the orders are chosen, it writes while their lines are read.
    assert events == ["fork", "open", "give", "lines"]
    # Run again, with nothing left to export: the process forked is given nothing, and ended.
    events.clear()
    before = path.read_bytes()
    assert export_workbook(path, ExportOptions(), NOW).orders == ()
    assert events == ["fork", "open", "lines"]
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [BATCH, "orders.xlsx"]
    for child in children:
        with pytest.raises(ChildProcessError):  # it ended and was waited for
            os.waitpid(child, os.WNOHANG)


def _modules_imported(code: str, given: bytes = b"") -> list[str]:
    """Return the tool's modules a fresh Python imports to run ``code`` (reading ``given``)."""
    listed = "print(*sorted(name for name in sys.modules if name.startswith('ccp_xlsx2iif')))"
    ran = subprocess.run(
        [sys.executable, "-c", f"import sys, pickle\n{code}\n{listed}"],
        input=given,
        capture_output=True,
        check=True,
    )
    return ran.stdout.decode().split()


@pytest.mark.skipif(not FORKS, reason="the copy is written apart where the system forks")
def test_the_process_writing_the_copy_imports_the_writer_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the copy's process is given names the writer by its module, not by the export's.

    Unpickled, a function of export.py would import the whole export (its checks, its
    templates' code) in the process, while the export's own process needs the other core.
    """
    monkeypatch.setattr(opening_module, "PARALLEL_PROCESS_FROM", 0)
    given: list[bytes] = []
    give = Beside.give

    def giving(beside: Beside[typing.Any, typing.Any], argument: typing.Any) -> None:
        given.append(pickle.dumps(argument))
        give(beside, argument)

    monkeypatch.setattr(Beside, "give", giving)
    path = OrderBook().save(tmp_path / "orders.xlsx")
    assert len(export_workbook(path, ExportOptions(), NOW).orders) == 2
    assert len(given) == 1
    unpickled = _modules_imported("pickle.loads(sys.stdin.buffer.read())", given[0])
    assert "ccp_xlsx2iif.writeback" in unpickled
    assert unpickled == _modules_imported("import ccp_xlsx2iif.writeback")
