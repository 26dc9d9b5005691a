"""The scan of a sheet's XML bounds where python-calamine places every cell, however written."""

from __future__ import annotations

import re
import struct
import tempfile
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from ccp_xlsx2iif import package, writeback
from ccp_xlsx2iif.export import ExportOptions, export_workbook
from ccp_xlsx2iif.package import PLAIN_COLUMNS, PLAIN_ROWS, PackageInspector
from ccp_xlsx2iif.problems import FileProblem
from tests.conftest import BATCH, NOW
from tests.expect import failed_export
from tests.workbooks import OrderBook, replace_member, sheet_xml

MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
VALUE = b"<is><t>x</t></is>"


def with_orders_xml(folder: Path, change: Callable[[bytes], bytes]) -> Path:
    path = OrderBook().save(folder / "orders.xlsx")
    replace_member(path, "xl/worksheets/sheet1.xml", change(sheet_xml(path)))
    return path


def bounds(path: Path) -> tuple[int, int]:
    inspector = PackageInspector(path)
    try:
        facts = inspector.scan("Orders")
    finally:
        inspector.close()
    return facts.row_bound, facts.column_bound


def placed(path: Path) -> tuple[int, int]:
    """Return the last row and column python-calamine places a cell of the Orders sheet in."""
    with CalamineWorkbook.from_path(str(path)) as book:
        end = book.get_sheet_by_name("Orders").end
    assert end is not None
    return end[0] + 1, end[1] + 1


def prefixed(xml: bytes) -> bytes:
    """Write every element with the prefix ``x:`` (some libraries write worksheets so)."""
    xml = re.sub(rb"<(/?)([A-Za-z])", rb"<\1x:\2", xml)
    return xml.replace(b'xmlns="' + MAIN + b'"', b'xmlns:x="' + MAIN + b'"')


def references_last(xml: bytes) -> bytes:
    """Write each cell's reference after its other attributes."""
    return re.sub(rb'<((?:x:)?c) r="([A-Z]+[0-9]+)"([^>]*?)(/?)>', rb'<\1\3 r="\2"\4>', xml)


def rows_unnumbered(xml: bytes) -> bytes:
    """Leave out the rows' numbers (each row then follows the one before)."""
    return re.sub(rb'(<(?:x:)?row) r="[0-9]+"', rb"\1", xml)


def test_a_sheet_written_as_excel_writes_it_is_bounded_without_a_number_read(
    tmp_path: Path,
) -> None:
    path = OrderBook().save(tmp_path / "orders.xlsx")
    assert bounds(path) == (PLAIN_ROWS, PLAIN_COLUMNS)
    assert PLAIN_ROWS * PLAIN_COLUMNS < 80_000_000


def test_a_cell_beyond_the_plain_columns_has_every_reference_read(tmp_path: Path) -> None:
    cell = b'<c r="BA2" t="inlineStr">' + VALUE + b"</c></row>"
    path = with_orders_xml(tmp_path, lambda xml: xml.replace(b"</row>", cell, 2))
    assert bounds(path) == placed(path) == (3, 53)


def test_an_empty_cell_far_away_is_not_placed(tmp_path: Path) -> None:
    # A styled cell without a value, written self-closing as Excel writes it, holds nothing.
    cell = b'<c r="XFD1048576" s="1"/></row>'
    path = with_orders_xml(tmp_path, lambda xml: xml.replace(b"</row>", cell, 1))
    assert bounds(path) == (PLAIN_ROWS, PLAIN_COLUMNS)
    assert placed(path) == (3, 15)


def test_a_sheet_written_otherwise_is_measured_as_the_reader_places_its_cells(
    tmp_path: Path,
) -> None:
    def otherwise(xml: bytes) -> bytes:
        # The first row's cells lose their references: each follows the one before.
        header_end = xml.index(b"</x:row>")
        head = re.sub(rb' r="[A-Z]+1"', b"", xml[:header_end])
        return head + xml[header_end:]

    path = with_orders_xml(
        tmp_path, lambda xml: otherwise(rows_unnumbered(references_last(prefixed(xml))))
    )
    assert bounds(path) == placed(path) == (3, 15)


def test_a_sheet_written_otherwise_exports_as_written_by_excel(tmp_path: Path) -> None:
    (tmp_path / "excel").mkdir()
    (tmp_path / "other").mkdir()
    plain = OrderBook().save(tmp_path / "excel" / "orders.xlsx")
    other = with_orders_xml(
        tmp_path / "other", lambda xml: rows_unnumbered(references_last(prefixed(xml)))
    )
    assert b"<x:row><x:c t=" in sheet_xml(other)
    export_workbook(plain, ExportOptions(), NOW)
    export_workbook(other, ExportOptions(), NOW)
    assert (tmp_path / "other" / BATCH).read_bytes() == (tmp_path / "excel" / BATCH).read_bytes()
    with CalamineWorkbook.from_path(str(other)) as book:
        rows = book.get_sheet_by_name("Orders").to_python()
    assert [row[14] for row in rows] == [
        "Exported",
        f"2026-03-14 09:30 {BATCH}",
        f"2026-03-14 09:30 {BATCH}",
    ]


def test_the_marked_copy_is_told_whether_each_cell_starts_with_its_reference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    told: list[bool] = []
    marks = writeback.ExportedColumn.marks

    def telling(column: writeback.ExportedColumn, values: dict[int, str]) -> Any:
        found = marks(column, values)
        told.append(found[0].cells_referenced)
        return found

    monkeypatch.setattr(writeback.ExportedColumn, "marks", telling)
    (tmp_path / "excel").mkdir()
    (tmp_path / "other").mkdir()
    plain = OrderBook().save(tmp_path / "excel" / "orders.xlsx")
    export_workbook(plain, ExportOptions(dry_run=True), NOW)
    export_workbook(with_orders_xml(tmp_path / "other", prefixed), ExportOptions(dry_run=True), NOW)
    assert told == [True, False]


@pytest.mark.parametrize(
    "formula",
    [b"<f>I3-J3+L3</f>", b"<f>I3-J3+L3</f><v></v>", b'<f t="shared" si="0"/>'],
)
@pytest.mark.parametrize("prefix", [False, True])
def test_a_formula_without_a_calculated_value_is_found(
    tmp_path: Path, formula: bytes, prefix: bool
) -> None:
    def uncalculated(xml: bytes) -> bytes:
        xml = xml.replace(b'<c r="M3" t="n"><v>25.95</v></c>', b'<c r="M3">' + formula + b"</c>")
        return prefixed(xml) if prefix else xml

    path = with_orders_xml(tmp_path, uncalculated)
    assert [str(problem) for problem in failed_export(path)] == [
        "Orders!M3: the formula in this cell has no calculated value (the workbook was saved "
        "by a program that does not calculate); open the workbook in Excel, save it, and run "
        "again (order 1002)"
    ]


@st.composite
def sheet_data(draw: st.DrawFn) -> tuple[bytes, bool]:
    """Draw the rows of a sheet written in any of the ways a reader takes.

    Return the XML and whether its cells are written otherwise than Excel writes them (a
    prefix; a cell without a reference, or with its reference elsewhere than first).
    """
    prefix = draw(st.sampled_from([b"", b"x:"]))
    otherwise = bool(prefix)
    rows = []
    for _ in range(draw(st.integers(1, 6))):
        number = draw(st.none() | st.integers(1, 40))
        cells = []
        for _ in range(draw(st.integers(0, 5))):
            kind = draw(st.sampled_from(["referenced", "last", "spaced", "unreferenced", "empty"]))
            letters = draw(st.sampled_from([b"A", b"C", b"Z", b"AZ", b"BA", b"CW", b"b", b"az"]))
            reference = b"%s%d" % (letters, draw(st.integers(1, 60)))
            if kind == "empty":
                cells.append(b'<%sc r="%s" s="1"/>' % (prefix, reference))
                continue
            value = VALUE.replace(b"<", b"<" + prefix).replace(b"<" + prefix + b"/", b"</" + prefix)
            attributes = {
                "referenced": b' r="%s" t="inlineStr"' % reference,
                "last": b' t="inlineStr" r="%s"' % reference,
                "spaced": b"\n\tr = '%s' t=\"inlineStr\"" % reference,
                "unreferenced": b' t="inlineStr"',
            }[kind]
            otherwise |= kind != "referenced"
            cells.append(b"<%sc%s>%s</%sc>" % (prefix, attributes, value, prefix))
        numbered = b"" if number is None else b' r="%d"' % number
        if not cells and draw(st.booleans()):
            rows.append(b"<%srow%s/>" % (prefix, numbered))  # an empty row, self-closing
            continue
        rows.append(b"<%srow%s>%s</%srow>" % (prefix, numbered, b"".join(cells), prefix))
    root = b'<%sworksheet xmlns%s="%s">' % (prefix, b":x" if prefix else b"", MAIN)
    xml = root + b"<%ssheetData>%s</%ssheetData></%sworksheet>" % (
        prefix,
        b"".join(rows),
        prefix,
        prefix,
    )
    return xml, otherwise


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sheet_data())
def test_the_bounds_hold_every_cell_the_reader_places(drawn: tuple[bytes, bool]) -> None:
    xml, otherwise = drawn
    with tempfile.TemporaryDirectory() as folder:
        path = with_orders_xml(Path(folder), lambda _: xml)
        inspector = PackageInspector(path)
        try:
            facts = inspector.scan("Orders")
        finally:
            inspector.close()
        row_bound, column_bound = facts.row_bound, facts.column_bound
        with CalamineWorkbook.from_path(str(path)) as book:
            end = book.get_sheet_by_name("Orders").end
    # Every cell tag starts with its reference, without a prefix: the marked copy relies on it.
    assert facts.cells_referenced == (b"<x:" not in xml and re.search(rb'<c(?! r=")', xml) is None)
    if end is None:  # no cell with a value
        return
    last_row, last_column = end[0] + 1, end[1] + 1
    assert row_bound >= last_row
    assert column_bound >= last_column
    if otherwise:  # measured tag by tag, as the reader places the cells: exactly
        assert (row_bound, column_bound) == (last_row, last_column)


# --- workbooks whose zip structure or worksheet XML is damaged: each refused with a message

SHEET = "xl/worksheets/sheet1.xml"
LOCAL_HEADER = struct.Struct("<4s2xHH4xIII")  # signature, flags, method, crc, sizes


def central_entry(data: bytes, name: str) -> int:
    """Return where the central directory's entry of member ``name`` starts."""
    start = 0
    while (start := data.find(b"PK\x01\x02", start + 1)) >= 0:
        length = struct.unpack_from("<H", data, start + 28)[0]
        if data[start + 46 : start + 46 + length] == name.encode():
            return start
    raise AssertionError(name)


def patched(path: Path, name: str, *, local: dict[int, int], central: dict[int, int]) -> None:
    """Write 4-byte numbers into a member's local header and central entry, at their offsets."""
    data = bytearray(path.read_bytes())
    header = zipfile.ZipFile(path).getinfo(name).header_offset
    for offset, value in local.items():
        struct.pack_into("<I" if offset != 8 else "<H", data, header + offset, value)
    entry = central_entry(bytes(data), name)
    for offset, value in central.items():
        struct.pack_into("<I" if offset != 10 else "<H", data, entry + offset, value)
    path.write_bytes(bytes(data))


def readers() -> set[threading.Thread]:
    """Return the threads that parse sheets in the background, one per open workbook."""
    return {thread for thread in threading.enumerate() if thread.name.startswith("sheet-reader")}


def refused(path: Path) -> str:
    before, running = path.read_bytes(), readers()
    with pytest.raises(FileProblem) as raised:
        export_workbook(path, ExportOptions(), NOW)
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]
    assert readers() == running  # the workbook was closed: its reader ended
    return raised.value.message


def damaged_as(path: Path, what: str) -> str:
    return f"{path}: the workbook's zip structure is damaged ({what})"


def test_a_member_whose_headers_disagree_on_its_size(tmp_path: Path) -> None:
    path = OrderBook().save(tmp_path / "orders.xlsx")
    size = zipfile.ZipFile(path).getinfo(SHEET).file_size
    patched(path, SHEET, local={22: size + 1}, central={})
    assert refused(path) == damaged_as(path, f"{SHEET} declares two different sizes")


def test_a_member_whose_checksum_is_wrong(tmp_path: Path) -> None:
    path = OrderBook().save(tmp_path / "orders.xlsx")
    crc = zipfile.ZipFile(path).getinfo(SHEET).CRC ^ 1
    patched(path, SHEET, local={14: crc}, central={16: crc})
    assert refused(path) == damaged_as(
        path, f"{SHEET} does not match its declared size or checksum"
    )


def test_a_member_compressed_as_excel_never_does(tmp_path: Path) -> None:
    path = OrderBook().save(tmp_path / "orders.xlsx")
    patched(path, SHEET, local={8: 12}, central={10: 12})  # bzip2
    assert refused(path) == damaged_as(path, f"{SHEET} uses a compression Excel does not write")


def test_a_member_without_its_local_header(tmp_path: Path) -> None:
    path = OrderBook().save(tmp_path / "orders.xlsx")
    patched(path, SHEET, local={0: 0x04034B51}, central={})  # "QK\x03\x04"
    assert refused(path) == damaged_as(path, f"no local header for {SHEET}")


def test_a_workbook_part_declared_implausibly_large(tmp_path: Path) -> None:
    path = OrderBook().save(tmp_path / "orders.xlsx")
    size = 65 << 20  # stored, as large as declared: not a bomb, but no workbook part is so large
    patched(path, "xl/workbook.xml", local={}, central={10: 0, 20: size, 24: size})
    assert refused(path) == (
        f"the workbook's part xl/workbook.xml is implausibly large ({size:,} bytes)"
    )


def test_a_workbook_of_too_many_parts(tmp_path: Path) -> None:
    path = OrderBook().save(tmp_path / "orders.xlsx")
    with zipfile.ZipFile(path, "a") as book:
        for number in range(20_000):
            book.writestr(f"customXml/item{number}.xml", b"")
    assert refused(path) == f"{path}: holds 20,011 parts; no real workbook has so many"


def test_a_document_type_in_the_styles_is_refused(tmp_path: Path) -> None:
    path = OrderBook().save(tmp_path / "orders.xlsx")
    styles = zipfile.ZipFile(path).read("xl/styles.xml")
    replace_member(path, "xl/styles.xml", b'<!DOCTYPE x [<!ENTITY a "b">]>' + styles)
    assert refused(path) == (
        "the workbook's part xl/styles.xml declares a document type (XML entities), which "
        "Excel never writes; the file is refused as unsafe"
    )


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda xml: xml.replace(MAIN, b"urn:another"), "is not a SpreadsheetML worksheet"),
        (lambda xml: b'<?xml version="1.0"?><table/>', "is not a worksheet"),
        (
            lambda xml: re.sub(rb"<sheetData>.*</sheetData>", b"", xml),
            "has no cell data the tool can find",
        ),
        (lambda xml: xml[: xml.index(b"</sheetData>")], "ends inside its cell data"),
    ],
    ids=["another namespace", "no worksheet", "no cells", "cut short"],
)
def test_a_worksheet_that_is_not_one_is_refused(
    tmp_path: Path, change: Callable[[bytes], bytes], problem: str
) -> None:
    path = with_orders_xml(tmp_path, change)
    assert refused(path) == f'sheet "Orders" {problem}'


def test_a_row_longer_than_any_real_one_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The XML of a row is gathered until the next row starts: a row is bounded (64 MB, here
    # 1 MB), so that a sheet without row starts is not gathered into one buffer.
    monkeypatch.setattr(package, "MAX_ROW", 1 << 20)
    text = b'<c r="A4" t="inlineStr"><is><t>' + b"x" * (3 << 20) + b"</t></is></c>"
    long_row = b'<row r="4">' + text + b"</row></sheetData>"
    path = with_orders_xml(tmp_path, lambda xml: xml.replace(b"</sheetData>", long_row))
    assert refused(path) == (
        'sheet "Orders" has a row of more than 1,048,576 bytes; the file is refused as unsafe'
    )


# Where the sheets are: Excel follows the package's relationships, python-calamine reads fixed
# part names and attributes as written. A workbook where they part ways is refused, for the
# tool would scan (and mark) one part while python-calamine reads another.

RELATIONSHIPS = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"
WORKSHEET_TYPE = RELATIONSHIPS + b"/worksheet"


def with_member(folder: Path, name: str, change: Callable[[bytes], bytes]) -> Path:
    path = OrderBook().save(folder / "orders.xlsx")
    with zipfile.ZipFile(path) as book:
        data = book.read(name)
    replace_member(path, name, change(data))
    return path


def another_part(path: Path) -> None:
    """Add a worksheet part that no sheet of Excel's names (it could hold anything)."""
    with zipfile.ZipFile(path, "a") as book:
        book.writestr("xl/worksheets/hostile.xml", part_xml("xl/worksheets/hostile.xml"))


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        # The relationships' namespace is misspelt: Excel finds no part, the reader one by "r:id".
        (
            lambda xml: xml.replace(
                b'xmlns:r="' + RELATIONSHIPS, b'xmlns:r="' + RELATIONSHIPS + b"x"
            ),
            'its sheet "Orders" is the part xl/worksheets/sheet1.xml for one reader and no part '
            "for another",
        ),
        # Two ids: Excel takes the relationships' one, the reader the last written.
        (
            lambda xml: xml.replace(b'r:id="rId1"', b'r:id="rId1" x:id="rId9"').replace(
                b"<workbook ", b'<workbook xmlns:x="urn:x" '
            ),
            'its sheet "Orders" is the part xl/worksheets/hostile.xml for one reader and the '
            "part xl/worksheets/sheet1.xml for another",
        ),
        # Two sheets of one name: the reader gives the first, a dictionary keeps the last.
        (
            lambda xml: xml.replace(
                b"<sheets>", b'<sheets><sheet name="Orders" sheetId="9" r:id="rId9"/>'
            ),
            'its sheet "Orders" is the part xl/worksheets/hostile.xml for one reader and the '
            "part xl/worksheets/sheet1.xml for another",
        ),
    ],
    ids=["misspelt namespace", "two ids", "two sheets of one name"],
)
def test_a_sheet_found_in_two_places_is_refused(
    tmp_path: Path, change: Callable[[bytes], bytes], problem: str
) -> None:
    path = with_member(tmp_path, "xl/workbook.xml", change)
    with zipfile.ZipFile(path) as book:
        rels = book.read("xl/_rels/workbook.xml.rels")
    replace_member(
        path,
        "xl/_rels/workbook.xml.rels",
        rels.replace(
            b"</Relationships>",
            b'<Relationship Id="rId9" Type="' + WORKSHEET_TYPE + b'" '
            b'Target="/xl/worksheets/hostile.xml"/></Relationships>',
        ),
    )
    another_part(path)
    assert refused(path) == f"{path}: the workbook is damaged: {problem}"


def test_a_sheet_whose_part_is_missing_is_refused(tmp_path: Path) -> None:
    path = with_member(
        tmp_path,
        "xl/_rels/workbook.xml.rels",
        lambda xml: xml.replace(b"/xl/worksheets/sheet2.xml", b"/xl/worksheets/gone.xml"),
    )
    assert refused(path) == (
        f'{path}: the workbook is damaged: the part xl/worksheets/gone.xml of its sheet "Items" '
        "is missing"
    )


# What python-calamine reads for each sheet, against where the tool says it reads it. Each
# part holds its own name in A1, so the reader's choice shows.
PARTS = (
    "xl/worksheets/sheet1.xml",
    "xl/worksheets/sheet2.xml",
    "xl/worksheets/sheet%31.xml",
    "xl/xl/worksheets/sheet1.xml",
    "other/sheet.xml",
)
TARGETS = (
    "worksheets/sheet1.xml",
    "/xl/worksheets/sheet1.xml",
    "xl/worksheets/sheet1.xml",
    "./worksheets/sheet2.xml",
    "../xl/worksheets/sheet2.xml",
    "worksheets/sheet&#50;.xml",
    "worksheets/sheet%31.xml",
    "/other/sheet.xml",
    "worksheets/none.xml",
)
ID_ATTRIBUTES = ("r:id", "relationships:id", "x:id", "id")


def part_xml(name: str) -> bytes:
    return (
        b'<?xml version="1.0"?><worksheet xmlns="' + MAIN + b'"><sheetData><row r="1">'
        b'<c r="A1" t="inlineStr"><is><t>' + name.encode() + b"</t></is></c></row>"
        b"</sheetData></worksheet>"
    )


@st.composite
def packages(draw: st.DrawFn) -> dict[str, bytes]:
    relationships = draw(
        st.lists(
            st.tuples(st.sampled_from(["rId1", "rId2", "rId3"]), st.sampled_from(TARGETS)),
            min_size=1,
            max_size=4,
        )
    )
    sheets = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["Orders", "Items", "Ord&#101;rs"]),
                st.lists(
                    st.tuples(
                        st.sampled_from(ID_ATTRIBUTES), st.sampled_from(["rId1", "rId2", "rId3"])
                    ),
                    min_size=1,
                    max_size=2,
                    unique_by=lambda pair: pair[0],
                ),
                st.booleans(),
            ),
            min_size=1,
            max_size=3,
        )
    )
    rels = b"".join(
        b'<Relationship Id="%s" Type="%s" Target="%s"/>'
        % (identifier.encode(), WORKSHEET_TYPE, target.encode())
        for identifier, target in relationships
    )
    sheet_tags = b"".join(
        (b"<x:sheet" if prefixed else b"<sheet")
        + b' name="%s"' % name.encode()
        + b"".join(b' %s="%s"' % (key.encode(), value.encode()) for key, value in ids)
        + b"/>"
        for name, ids, prefixed in sheets
    )
    return {
        "[Content_Types].xml": (
            b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            b'content-types"><Default Extension="rels" ContentType="application/vnd.'
            b'openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            b'ContentType="application/xml"/></Types>'
        ),
        "_rels/.rels": (
            b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            b'package/2006/relationships"><Relationship Id="rId1" Type="'
            + RELATIONSHIPS
            + b'/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            b'<?xml version="1.0"?><workbook xmlns="'
            + MAIN
            + b'" xmlns:r="'
            + RELATIONSHIPS
            + b'" xmlns:relationships="'
            + RELATIONSHIPS
            + b'" xmlns:x="urn:x"><sheets>'
            + sheet_tags
            + b"</sheets></workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            b'package/2006/relationships">' + rels + b"</Relationships>"
        ),
        **{name: part_xml(name) for name in PARTS},
    }


@settings(max_examples=300, deadline=None)
@given(packages())
def test_the_part_scanned_for_a_sheet_is_the_part_the_reader_reads(
    members: dict[str, bytes],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "drawn.xlsx"
        with zipfile.ZipFile(path, "w") as book:
            for name, data in members.items():
                book.writestr(name, data)
        with zipfile.ZipFile(path) as book:
            predicted = package.reader_sheet_parts(book)
        try:
            reader = CalamineWorkbook.from_path(str(path))
        except Exception:  # the reader refuses the workbook: nothing to compare
            return
        try:
            for sheet in dict.fromkeys(reader.sheet_names):
                try:
                    read = reader.get_sheet_by_name(sheet).to_python()[0][0]
                except Exception:  # the reader finds no such part
                    assert predicted.get(sheet) not in PARTS
                    continue
                assert predicted[sheet] == read
        finally:
            reader.close()
