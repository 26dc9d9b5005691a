"""The in-place write-back: only the Exported cells change; everything else stays byte-identical."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from defusedxml import ElementTree
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from ccp_xlsx2iif.export import ExportOptions, export_workbook
from ccp_xlsx2iif.problems import ProblemsFound
from ccp_xlsx2iif.writeback import ExportedMarks, SheetEditor, write_marked_copy
from tests.conftest import NOW
from tests.grids import calamine_grid, changed_cells, openpyxl_grid
from tests.rich_workbook import build_rich_workbook
from tests.workbooks import (
    HAS_LIBREOFFICE,
    members,
    replace_member,
    saved_by_libreoffice,
    sheet_xml,
)

MARK = "2026-03-14 09:30 orders-20260314-093005.iif"


def without_column(xml: bytes, letters: str) -> bytes:
    """Remove a column's cells and the used-range hints, to compare the rest of a sheet's XML."""
    xml = re.sub(rb'<c r="' + letters.encode() + rb'\d+"[^>]*?(/>|>.*?</c>)', b"", xml)
    xml = re.sub(rb'<dimension ref="[^"]*"/>', b"", xml)
    return re.sub(rb' spans="[^"]*"', b"", xml)


@pytest.mark.parametrize("with_exported_column", [True, False])
def test_export_changes_only_the_exported_cells(tmp_path: Path, with_exported_column: bool) -> None:
    path = tmp_path / "orders.xlsx"
    build_rich_workbook(path, with_exported_column=with_exported_column)
    before_members = members(path)
    before_grids = {name: calamine_grid(path, name) for name in ("Orders", "Items", "Report")}
    before_openpyxl = openpyxl_grid(path, "Orders")

    result = export_workbook(path, ExportOptions(), NOW)

    assert [order.order_id for order in result.orders] == ["1001", "1002", "1004"]
    after_members = members(path)
    assert list(after_members) == list(before_members)
    changed = [name for name in before_members if before_members[name] != after_members[name]]
    assert changed == ["xl/worksheets/sheet1.xml"]
    assert without_column(after_members[changed[0]], "P") == without_column(
        before_members[changed[0]], "P"
    )

    expected = {"P2": MARK, "P3": MARK, "P5": MARK}
    if not with_exported_column:
        expected["P1"] = "Exported"
    assert changed_cells(before_grids["Orders"], calamine_grid(path, "Orders"), "") == expected
    assert changed_cells(before_openpyxl, openpyxl_grid(path, "Orders"), None) == expected
    for name in ("Items", "Report"):
        assert calamine_grid(path, name) == before_grids[name]
    # Formulas keep their formula and their cached value.
    formulas = load_workbook(path)["Orders"]
    assert formulas["M2"].value == "=I2-J2+K2+L2"
    assert calamine_grid(path, "Orders")[1][12] == 40.0


def test_new_header_takes_the_style_of_the_header_before_it(tmp_path: Path) -> None:
    path = tmp_path / "orders.xlsx"
    build_rich_workbook(path, with_exported_column=False)
    export_workbook(path, ExportOptions(), NOW)
    sheet = load_workbook(path)["Orders"]
    assert sheet["P1"].value == "Exported"
    assert sheet["P1"].font.b is True
    assert sheet["P1"].fill.fgColor.rgb == sheet["O1"].fill.fgColor.rgb


def test_untouched_members_keep_their_compressed_bytes(tmp_path: Path) -> None:
    path = tmp_path / "orders.xlsx"
    build_rich_workbook(path, with_exported_column=True)
    before = {info.filename: info for info in zipfile.ZipFile(path).infolist()}
    export_workbook(path, ExportOptions(), NOW)
    for info in zipfile.ZipFile(path).infolist():
        if info.filename == "xl/worksheets/sheet1.xml":
            continue
        old = before[info.filename]
        assert (info.CRC, info.compress_size, info.compress_type, info.date_time) == (
            old.CRC,
            old.compress_size,
            old.compress_type,
            old.date_time,
        )
    assert zipfile.ZipFile(path).testzip() is None


def test_xlsm_keeps_its_macros(tmp_path: Path) -> None:
    path = tmp_path / "orders.xlsm"
    vba = b"\xd0\xcf\x11\xe0 stand-in for a VBA project " * 10
    build_rich_workbook(path, with_exported_column=True, vba=vba)
    before = members(path)
    export_workbook(path, ExportOptions(), NOW)
    after = members(path)
    assert after["xl/vbaProject.bin"] == vba
    assert after["[Content_Types].xml"] == before["[Content_Types].xml"]
    assert sorted(p.name for p in tmp_path.iterdir())[1:] == ["orders.xlsm"]


def edit(xml: bytes, marks: ExportedMarks, read_size: int | None = None) -> bytes:
    """Run the sheet editor over ``xml``, reading ``read_size`` bytes at a time if given."""
    source = io.BytesIO(xml)
    out = io.BytesIO()

    def read(size: int) -> bytes:
        return source.read(read_size or size)

    SheetEditor(marks).run(read, out.write)
    result = out.getvalue()
    ElementTree.fromstring(result)  # still well-formed XML
    return result


MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def sheet(
    rows: str, head: str = '<dimension ref="A1:B3"/>', root: str = f"<worksheet {MAIN}>"
) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{root}{head}'
        f'<sheetData>{rows}</sheetData><mergeCells count="0"/></worksheet>'
    ).encode()


def test_editor_appends_a_new_cell_and_widens_the_used_range_hints() -> None:
    xml = sheet(
        '<row r="1" spans="1:2"><c r="A1" t="s" s="4"><v>0</v></c><c r="B1" s="5" t="s"><v>1</v></c></row>'
        '<row r="2" spans="1:2"><c r="A2"><v>1001</v></c><c r="B2"><v>5</v></c></row>'
        '<row r="3" spans="1:2"><c r="A3"><v>1002</v></c></row>'
    )
    marks = ExportedMarks("Orders", 3, {3: "R&D <batch>"}, header="Exported")
    assert edit(xml, marks) == sheet(
        '<row r="1" spans="1:3"><c r="A1" t="s" s="4"><v>0</v></c><c r="B1" s="5" t="s"><v>1</v></c>'
        '<c r="C1" s="5" t="inlineStr"><is><t>Exported</t></is></c></row>'
        '<row r="2" spans="1:2"><c r="A2"><v>1001</v></c><c r="B2"><v>5</v></c></row>'
        '<row r="3" spans="1:3"><c r="A3"><v>1002</v></c>'
        '<c r="C3" t="inlineStr"><is><t>R&amp;D &lt;batch&gt;</t></is></c></row>',
        head='<dimension ref="A1:C3"/>',
    )


def test_editor_replaces_an_empty_styled_cell_keeping_its_style_and_inserts_in_order() -> None:
    xml = sheet(
        '<row r="2"><c r="A2"><v>1</v></c><c r="B2" s="7"/><c r="C2"><v>3</v></c></row>'
        '<row r="3"><c r="A3"><v>1</v></c><c r="C3"><v>3</v></c></row>'
    )
    marks = ExportedMarks("Orders", 2, {2: "x", 3: "y"})
    assert edit(xml, marks) == sheet(
        '<row r="2"><c r="A2"><v>1</v></c><c r="B2" s="7" t="inlineStr"><is><t>x</t></is></c>'
        '<c r="C2"><v>3</v></c></row>'
        '<row r="3"><c r="A3"><v>1</v></c><c r="B3" t="inlineStr"><is><t>y</t></is></c>'
        '<c r="C3"><v>3</v></c></row>'
    )


def test_editor_reads_prefixed_xml_rows_and_cells_without_references() -> None:
    root = '<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    xml = (
        f"{root}<x:sheetData><x:row><x:c><x:v>1</x:v></x:c></x:row>"
        "<x:row><x:c><x:v>2</x:v></x:c><x:c/></x:row></x:sheetData></x:worksheet>"
    ).encode()
    marks = ExportedMarks("Orders", 2, {2: "done"})
    assert (
        edit(xml, marks)
        == (
            f"{root}<x:sheetData><x:row><x:c><x:v>1</x:v></x:c></x:row>"
            '<x:row><x:c><x:v>2</x:v></x:c><x:c r="B2" t="inlineStr"><x:is><x:t>done</x:t></x:is>'
            "</x:c></x:row></x:sheetData></x:worksheet>"
        ).encode()
    )


def test_editor_streams_across_any_chunk_boundary() -> None:
    rows = "".join(
        f'<row r="{n}"><c r="A{n}"><v>{n}</v></c><c r="B{n}" t="s"><v>{n}</v></c></row>'
        for n in range(1, 60)
    )
    xml = sheet(
        rows, head='<cols><col min="3" max="3" width="30" style="9" customWidth="1"/></cols>'
    )
    marks = ExportedMarks("Orders", 3, {n: f"m{n}" for n in range(2, 60, 3)})
    whole = edit(xml, marks)
    assert whole.count(b't="inlineStr"') == 20
    assert b'<c r="C5" s="9" t="inlineStr"><is><t>m5</t></is></c>' in whole
    for size in (1, 2, 3, 7, 64, 1000):
        assert edit(xml, marks, read_size=size) == whole


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ('<c r="B2"><f>A2*2</f><v>2</v></c>', "holds a formula"),
        ('<c r="B2" t="str"><f t="shared" si="0"/><v></v></c>', "holds a formula"),
        (
            '<c r="B2" vm="1" t="e"><v>#VALUE!</v></c>',
            "holds a rich value (a picture or linked data type)",
        ),
        ('<c r="B2" t="e"><v>#N/A</v></c>', "holds an error value"),
    ],
)
def test_editor_never_overwrites_formulas_rich_values_or_errors(cell: str, reason: str) -> None:
    xml = sheet(f'<row r="2"><c r="A2"><v>1</v></c>{cell}</row>')
    with pytest.raises(ProblemsFound) as raised:
        edit(xml, ExportedMarks("Orders", 2, {2: "x"}))
    assert [str(p) for p in raised.value.problems] == [
        f"Orders!B2: the Exported cell {reason}; the tool does not overwrite it. Clear the cell "
        "and run the export again"
    ]


def test_write_marked_copy_finds_the_sheet_through_the_workbook_relationships(
    tmp_path: Path,
) -> None:
    path = tmp_path / "orders.xlsx"
    build_rich_workbook(path, with_exported_column=True)
    out = io.BytesIO()
    write_marked_copy(path, out, ExportedMarks("Items", 7, {2: "x"}))
    with zipfile.ZipFile(out) as book:
        assert b'<c r="G2" t="inlineStr"><is><t>x</t></is></c>' in book.read(
            "xl/worksheets/sheet2.xml"
        )
        assert book.read("xl/worksheets/sheet1.xml") == zipfile.ZipFile(path).read(
            "xl/worksheets/sheet1.xml"
        )


def test_merged_exported_cells_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    path = tmp_path / "orders.xlsx"
    build_rich_workbook(path, with_exported_column=True, merge="O3:P3")
    before = path.read_bytes()
    with pytest.raises(ProblemsFound) as raised:
        export_workbook(path, ExportOptions(), NOW)
    assert [str(p) for p in raised.value.problems] == [
        "Orders!P3: the Exported cell is part of merged cells; unmerge them and run again"
    ]
    assert path.read_bytes() == before


@pytest.mark.skipif(not HAS_LIBREOFFICE, reason="LibreOffice is not installed")
def test_libreoffice_opens_the_marked_workbook(tmp_path: Path) -> None:
    path = tmp_path / "orders.xlsx"
    build_rich_workbook(path, with_exported_column=False)
    export_workbook(path, ExportOptions(), NOW)
    rows = saved_by_libreoffice(path, "csv", tmp_path / "csv").read_text().splitlines()
    assert rows[0].split(",")[15] == "Exported"
    assert [row.split(",")[15] for row in rows[1:5]] == [MARK, MARK, "", MARK]
    assert [row.split(",")[12] for row in rows[1:5]] == ["40", "25.95", "61.63", "12.5"]


def test_a_large_workbook_is_marked_by_a_process_beside_the_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the system forks, a large workbook's marked copy is written by a child process."""
    import ccp_xlsx2iif.opening as opening_module

    monkeypatch.setattr(opening_module, "PARALLEL_PROCESS_FROM", 0)
    path = tmp_path / "orders.xlsx"
    build_rich_workbook(path, with_exported_column=True)
    before = calamine_grid(path, "Orders")
    export_workbook(path, ExportOptions(), NOW)
    assert changed_cells(before, calamine_grid(path, "Orders"), "") == {
        "P2": MARK,
        "P3": MARK,
        "P5": MARK,
    }


def test_a_formula_in_an_exported_cell_is_refused_by_the_process_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ccp_xlsx2iif.opening as opening_module

    monkeypatch.setattr(opening_module, "PARALLEL_PROCESS_FROM", 0)
    path = tmp_path / "orders.xlsx"
    build_rich_workbook(path, with_exported_column=True)
    xml = sheet_xml(path, 1)
    row_end = xml.index(b"</row>", xml.index(b'<row r="3"'))
    replace_member(
        path,
        "xl/worksheets/sheet1.xml",
        xml[:row_end] + b'<c r="P3" t="str"><f>"x"&amp;""</f><v></v></c>' + xml[row_end:],
    )
    before = path.read_bytes()
    with pytest.raises(ProblemsFound) as raised:
        export_workbook(path, ExportOptions(), NOW)
    assert [str(p) for p in raised.value.problems] == [
        "Orders!P3: the Exported cell holds a formula; the tool does not overwrite it. Clear "
        "the cell and run the export again"
    ]
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orders.xlsx"]


@st.composite
def row_regions(draw: st.DrawFn) -> tuple[str, str, dict[int, str]]:
    """Draw a prefix, a region of rows written in any of the ways the XML allows, and marks.

    Most rows are written as Excel writes them; some are not (attributes in another order, no
    row number, a self-closing row, a spaced end tag, cells without references, a cell in or
    beyond the Exported column C), so that a region takes one way or the other.
    """
    p = draw(st.sampled_from(["", "x:"]))
    rows = []
    marks = {}
    for number in range(1, draw(st.integers(1, 12)) + 1):
        written = draw(st.sampled_from([str(number), f"0{number}"]))
        excel = draw(st.integers(0, 3)) > 0  # mostly as Excel writes rows
        tag = draw(
            st.sampled_from(
                [f'r="{number}"', f'r="{number}" spans="1:2"']
                if excel
                else [
                    f'r="{written}"',
                    f'r="{written}" spans="1:2" s="4" customFormat="1"',
                    f'spans="1:2" r="{written}"',
                    "",
                ]
            )
        )
        columns = sorted(draw(st.sets(st.integers(1, 5 if not excel else 2), max_size=4)))
        cells = []
        for column in columns:
            referenced = excel or draw(st.booleans())
            reference = f' r="{"ABCDE"[column - 1]}{number}"' if referenced else ""
            body = draw(
                st.sampled_from(
                    ["<{p}v>1</{p}v>"]
                    if excel
                    else ["<{p}v>1</{p}v>", "", "<{p}f>A1</{p}f><{p}v>2</{p}v>"]
                )
            )
            style = draw(st.sampled_from(["", ' s="7"']))
            if body:
                cells.append(f"<{p}c{reference}{style}>{body.format(p=p)}</{p}c>")
            else:
                cells.append(f"<{p}c{reference}{style}/>")
        opening = f"<{p}row {tag}".rstrip()
        if not cells and not excel and draw(st.booleans()):
            rows.append(f"{opening}/>")
        else:
            end = f"</{p}row>" if excel else draw(st.sampled_from([f"</{p}row>", f"</{p}row >"]))
            rows.append(f"{opening}>{''.join(cells)}{end}")
        rows.append(draw(st.sampled_from(["", "\n"])))
        if draw(st.booleans()):
            marks[number] = draw(st.sampled_from(["x", "", "R&D"]))
    return p, "".join(rows), marks


@settings(max_examples=300)
@given(row_regions(), st.sampled_from([None, "Exported"]))
def test_rows_written_as_excel_writes_them_are_edited_as_any_rows_are(
    drawn: tuple[str, str, dict[int, str]], header: str | None
) -> None:
    prefix, rows, values = drawn
    # Told that every cell tag starts with its reference when the sheet's scan would tell it.
    referenced = not prefix and re.search('<c(?! r=")', rows) is None
    marks = ExportedMarks("Orders", 3, values, header, cells_referenced=referenced)
    quick = SheetEditor(marks)
    reference = SheetEditor(ExportedMarks("Orders", 3, values, header))
    for editor in (quick, reference):
        editor._compile(prefix.encode())
    assert quick._edit_rows(rows.encode()) == reference._edit_any_rows(rows.encode())
    assert quick.written == reference.written
    assert quick.previous_row == reference.previous_row
    assert [str(problem) for problem in quick.problems] == [
        str(problem) for problem in reference.problems
    ]


@pytest.mark.parametrize("space", ["\n", "\t", "\r\n", "  "])
def test_a_cell_whose_reference_follows_another_space_keeps_its_place(space: str) -> None:
    # XML allows any white space before an attribute; the new cell goes before column Z.
    rows = f'<row r="2"><c r="A2"><v>1</v></c><c{space}r="Z2"><v>2</v></c></row>'
    expected = (
        '<row r="2"><c r="A2"><v>1</v></c><c r="C2" t="inlineStr"><is><t>x</t></is></c>'
        f'<c{space}r="Z2"><v>2</v></c></row>'
    )
    for edit_rows in ("_edit_rows", "_edit_any_rows"):
        editor = SheetEditor(ExportedMarks("Orders", 3, {2: "x"}))
        editor._compile(b"")
        assert getattr(editor, edit_rows)(rows.encode()).decode() == expected


def test_rows_written_as_excel_writes_them_are_split_not_searched(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = (
        "".join(
            f'<row r="{n}" spans="1:2"><c r="A{n}"><v>{n}</v></c><c r="B{n}"><v>1</v></c></row>'
            for n in range(2, 6)
        )
        + '<row r="006"><c r="A6"><v>6</v></c></row>'
    )
    editor = SheetEditor(ExportedMarks("Orders", 3, {3: "x", 5: "y", 6: "z"}))
    editor._compile(b"")
    monkeypatch.setattr(editor, "_edit_any_rows", None)  # would fail if called
    assert editor._edit_rows(rows.encode()).decode() == (
        '<row r="2" spans="1:2"><c r="A2"><v>2</v></c><c r="B2"><v>1</v></c></row>'
        '<row r="3" spans="1:3"><c r="A3"><v>3</v></c><c r="B3"><v>1</v></c>'
        '<c r="C3" t="inlineStr"><is><t>x</t></is></c></row>'
        '<row r="4" spans="1:2"><c r="A4"><v>4</v></c><c r="B4"><v>1</v></c></row>'
        '<row r="5" spans="1:3"><c r="A5"><v>5</v></c><c r="B5"><v>1</v></c>'
        '<c r="C5" t="inlineStr"><is><t>y</t></is></c></row>'
        '<row r="006"><c r="A6"><v>6</v></c><c r="C6" t="inlineStr"><is><t>z</t></is></c></row>'
    )
    assert editor.written == {3, 5, 6}
    assert editor.previous_row == 6
