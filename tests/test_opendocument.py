"""An accounts workbook saved as .ods: read as any workbook, measured before it is read."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from ccp_xlsx2iif.opendocument import MAX_CELLS, check_opendocument, measure
from ccp_xlsx2iif.problems import FileProblem
from tests.command import run
from tests.ods import LIBREOFFICE_END, content, empty_cell, row, table, text_cell, write_ods
from tests.workbooks import ACCOUNT_ROWS, OrderBook


def accounts_table() -> str:
    rows = [row(*(text_cell(str(value)) for value in cells)) for cells in ACCOUNT_ROWS]
    return table("Accounts", *rows, LIBREOFFICE_END)


def refusal(path: Path) -> FileProblem:
    with pytest.raises(FileProblem) as caught:
        check_opendocument(path)
    return caught.value


def test_an_accounts_workbook_saved_by_libreoffice_exports_as_the_xlsx_one(
    tmp_path: Path,
) -> None:
    in_xlsx = OrderBook().save(tmp_path / "orders.xlsx")
    (tmp_path / "apart").mkdir()
    without = OrderBook(accounts=None).save(tmp_path / "apart" / "orders.xlsx")
    accounts = write_ods(tmp_path / "accounts.ods", content(accounts_table()))
    check_opendocument(accounts)
    assert run("export", str(in_xlsx), "-o", str(tmp_path / "a.iif"))[0] == 0
    assert (
        run("export", str(without), "--accounts", str(accounts), "-o", str(tmp_path / "b.iif"))[0]
        == 0
    )
    assert (tmp_path / "b.iif").read_bytes() == (tmp_path / "a.iif").read_bytes()


def test_a_value_filled_down_a_million_rows_is_refused_before_it_is_read(
    tmp_path: Path,
) -> None:
    filled = table(
        "Accounts",
        row(text_cell("Role")),
        row(*(text_cell("x") for _ in range(20)), repeated=1_000_000),
    )
    path = write_ods(tmp_path / "accounts.ods", content(filled))
    assert path.stat().st_size < 2_000
    problem = refusal(path)
    assert problem.message == (
        f'{path}: its sheets span 20,000,020 cells, the sheet "Accounts" 20,000,020 of them; '
        "more than the tool reads from an OpenDocument file (10,000,000)"
    )
    assert problem.hint == (
        "A value or formula filled down whole columns (or across whole rows) makes every cell "
        "of them count: clear those cells, or keep only the sheets the tool reads in this file."
    )


def test_the_export_says_so_and_changes_nothing(tmp_path: Path) -> None:
    orders = OrderBook(accounts=None).save(tmp_path / "orders.xlsx")
    filled = table("Accounts", row(text_cell("x", repeated=16_384), repeated=1_000))
    accounts = write_ods(tmp_path / "accounts.ods", content(filled))
    before = orders.read_bytes()
    code, _, err = run("export", str(orders), "--accounts", str(accounts))
    assert (code, err[0]) == (
        3,
        f'{accounts}: its sheets span 16,384,000 cells, the sheet "Accounts" 16,384,000 of '
        "them; more than the tool reads from an OpenDocument file (10,000,000)",
    )
    assert orders.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["accounts.ods", "orders.xlsx"]


def test_every_table_counts_since_the_reader_reads_them_all(tmp_path: Path) -> None:
    half = row(text_cell("x", repeated=1_000), repeated=MAX_CELLS // 2_000 + 1)
    path = write_ods(
        tmp_path / "book.ods", content(accounts_table(), table("A", half), table("B", half))
    )
    assert refusal(path).message.startswith(
        f'{path}: its sheets span 10,002,045 cells, the sheet "B" 5,001,000 of them;'
    )


def test_a_document_type_is_refused(tmp_path: Path) -> None:
    laughs = '<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    path = write_ods(tmp_path / "book.ods", content(accounts_table(), head=laughs))
    problem = refusal(path)
    assert problem.message == (
        f"{path}: the part content.xml declares a document type, which the tool refuses"
    )
    assert problem.hint == 'Open it in LibreOffice and save it as "Excel 2007-365 (.xlsx)".'


def test_content_that_is_not_xml_is_refused(tmp_path: Path) -> None:
    path = write_ods(tmp_path / "book.ods", b"<a><b></a>")
    assert refusal(path).message == (
        f"{path}: the part content.xml is not well-formed XML (mismatched tag: line 1, column 8)"
    )


@pytest.mark.parametrize(
    ("encoding", "why"),
    [("bogus", "unknown encoding: bogus"), ("UTF-32", "multi-byte encodings are not supported")],
)
def test_content_in_an_encoding_that_cannot_be_read_is_refused(
    tmp_path: Path, encoding: str, why: str
) -> None:
    declared = content(accounts_table()).replace(
        b'encoding="UTF-8"', f'encoding="{encoding}"'.encode()
    )
    path = write_ods(tmp_path / "book.ods", declared)
    assert refusal(path).message == f"{path}: the part content.xml cannot be read as XML ({why})"


def test_a_bomb_is_refused_before_it_is_inflated(tmp_path: Path) -> None:
    padding = b" " * (40 << 20)  # 40 MiB of spaces deflate to about 40 KiB
    path = write_ods(
        tmp_path / "book.ods",
        content(accounts_table()).replace(b"<office:body>", padding + b"<office:body>"),
    )
    assert refusal(path).message.startswith(f"{path}: the part content.xml would inflate to 41,")


def test_a_file_that_is_not_a_zip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "book.ods"
    path.write_bytes(b"Role,Account\n")
    assert refusal(path).message == (
        f"{path}: not a readable OpenDocument spreadsheet (File is not a zip file)"
    )


def test_a_table_inside_a_cell_does_not_end_the_table_around_it(tmp_path: Path) -> None:
    inner = (
        '<table:table-cell office:value-type="string"><table:table table:name="in">'
        f"{row(text_cell('y'))}</table:table><text:p>x</text:p></table:table-cell>"
    )
    filled = table("Accounts", row(inner, text_cell("x", repeated=99), repeated=200_000))
    path = write_ods(tmp_path / "book.ods", content(filled))
    assert refusal(path).message.startswith(
        f'{path}: its sheets span 20,000,000 cells, the sheet "Accounts" 20,000,000 of them;'
    )


# What python-calamine makes of a table, against what is counted before it reads it: never
# less, and the same when some row has a value in column A (the count starts at column A).
cells = st.one_of(
    st.builds(text_cell, st.sampled_from(["a", "b c", ""]), st.integers(1, 4)),
    st.builds(empty_cell, st.integers(1, 5)),
    st.builds(
        lambda value, repeated: (
            f'<table:table-cell office:value-type="float" office:value="{value}"'
            + (f' table:number-columns-repeated="{repeated}"' if repeated > 1 else "")
            + "/>"
        ),
        st.integers(-5, 5),
        st.integers(1, 3),
    ),
    st.just('<table:covered-table-cell table:number-columns-repeated="2"/>'),
)
rows = st.builds(
    lambda found, repeated: row(*found, repeated=repeated),
    st.lists(cells, max_size=5),
    st.integers(1, 4),
)
tables = st.lists(rows, min_size=1, max_size=6)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tables=st.lists(tables, min_size=1, max_size=3))
def test_the_count_is_never_below_what_the_reader_makes(
    tmp_path: Path, tables: list[list[str]]
) -> None:
    names = [f"T{number}" for number in range(len(tables))]
    path = write_ods(
        tmp_path / "drawn.ods",
        content(*(table(name, *found) for name, found in zip(names, tables, strict=True))),
    )
    counted = measure(path).cells
    reader = CalamineWorkbook.from_path(str(path))
    made = 0
    from_column_a = True
    try:
        for name in names:
            sheet = reader.get_sheet_by_name(name)
            if sheet.height and sheet.width:
                assert sheet.start is not None
                assert sheet.end is not None
                (first_row, first_column), (last_row, last_column) = sheet.start, sheet.end
                made += (last_row - first_row + 1) * (last_column - first_column + 1)
                from_column_a = from_column_a and first_column == 0
    finally:
        reader.close()
    assert counted >= made
    if from_column_a:
        assert counted == made
