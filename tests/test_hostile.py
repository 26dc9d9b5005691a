"""Hostile workbooks: each is refused (or read) within bounded time and memory, with a message.

Each case runs the real command in a child process limited to 2 GiB of address space and 120
seconds of CPU: a reader that tried to inflate a bomb or allocate an absurd grid would be
killed, and the test would fail.
"""

from __future__ import annotations

import re
import struct
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.ods import content, row, table, text_cell, write_ods
from tests.rich_workbook import build_rich_workbook
from tests.shops import shopify_export
from tests.workbooks import ACCOUNT_ROWS, OrderBook, replace_member, save_sheets, sheet_xml

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX resource limits")

MEMORY_LIMIT = 2 << 30
CPU_SECONDS = 120


def limited() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))


def run_limited(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ccp_xlsx2iif", *args],
        capture_output=True,
        text=True,
        timeout=CPU_SECONDS * 2,
        preexec_fn=limited,
        check=False,
    )


def with_sheet_xml(tmp_path: Path, edit: Callable[[bytes], bytes], number: int = 1) -> Path:
    path = OrderBook().save(tmp_path / "orders.xlsx")
    replace_member(path, f"xl/worksheets/sheet{number}.xml", edit(sheet_xml(path, number)))
    return path


def assert_refused(path: Path, first_line: str) -> None:
    before = path.read_bytes()
    completed = run_limited("export", str(path))
    assert (completed.returncode, completed.stderr.splitlines()[0]) == (3, first_line)
    assert "Traceback" not in completed.stderr
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


def test_a_normal_workbook_exports_within_the_limits(tmp_path: Path) -> None:
    path = OrderBook().save(tmp_path / "orders.xlsx")
    assert run_limited("export", str(path)).returncode == 0


def test_zip_bomb(tmp_path: Path) -> None:
    # 300 MB of spaces inside the sheet deflate to 300 KB: a thousand times.
    path = with_sheet_xml(
        tmp_path, lambda xml: xml.replace(b"</sheetData>", b" " * 300_000_000 + b"</sheetData>")
    )
    info = zipfile.ZipFile(path).getinfo("xl/worksheets/sheet1.xml")
    ratio = info.file_size / info.compress_size
    assert_refused(
        path,
        f"{path}: the part xl/worksheets/sheet1.xml would inflate to {info.file_size:,} bytes "
        f"({ratio:,.0f} times its size); the file is refused as a zip bomb",
    )


def lie_about_size(path: Path, member: str, declared: bytes) -> None:
    """Make a member's headers declare ``declared`` (size and checksum); its data inflates to more.

    That is a bomb that a reader trusting the headers would not see coming.
    """
    data = bytearray(path.read_bytes())
    info = zipfile.ZipFile(path).getinfo(member)
    sizes = (zlib.crc32(declared), info.compress_size, len(declared))
    struct.pack_into("<III", data, info.header_offset + 14, *sizes)  # the local header
    position = data.index(b"PK\x01\x02")  # the central directory, entry by entry
    while True:
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", data, position + 28)
        if bytes(data[position + 46 : position + 46 + name_length]) == member.encode():
            struct.pack_into("<III", data, position + 16, *sizes)
            break
        position += 46 + name_length + extra_length + comment_length
    path.write_bytes(bytes(data))


def test_a_part_that_inflates_beyond_its_declared_size(tmp_path: Path) -> None:
    path = with_sheet_xml(tmp_path, lambda xml: xml + b" " * 5_000_000)
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    lie_about_size(path, "xl/worksheets/sheet1.xml", xml[:1000])
    assert_refused(
        path,
        f"{path}: the workbook's zip structure is damaged (xl/worksheets/sheet1.xml inflates "
        "beyond its declared size)",
    )


LAUGHS = b"".join(
    [
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">',
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">',
        *(b'<!ENTITY lol%d "%s">' % (n, b"&lol%d;" % (n - 1) * 10) for n in range(3, 10)),
        b"]>",
    ]
)


def test_billion_laughs(tmp_path: Path) -> None:
    path = with_sheet_xml(tmp_path, lambda xml: LAUGHS + xml.replace(b"Ada Lovelace", b"&lol9;"))
    assert_refused(
        path,
        'the workbook\'s part of sheet "Orders" declares a document type (XML entities), which '
        "Excel never writes; the file is refused as unsafe",
    )


def test_external_entity_in_the_workbook_part(tmp_path: Path) -> None:
    path = OrderBook().save(tmp_path / "orders.xlsx")
    workbook_xml = zipfile.ZipFile(path).read("xl/workbook.xml")
    hostile = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    replace_member(
        path, "xl/workbook.xml", hostile + workbook_xml.replace(b'name="Items"', b'name="&xxe;"')
    )
    assert_refused(
        path,
        "the workbook's part xl/workbook.xml declares a document type (XML entities), which "
        "Excel never writes; the file is refused as unsafe",
    )


X = b"<is><t>x</t></is>"
LONG_TAG = (
    'sheet "Orders" has a tag of more than 1,048,576 bytes, which Excel never writes; the file '
    "is refused as unsafe"
)
# A value at the last cell of Excel, written every way python-calamine reads it there.
STRAY_CELLS = {
    "as Excel writes it": b'<row r="1048576"><c r="XFD1048576" t="inlineStr">' + X + b"</c></row>",
    "in a row without a number": b'<row><c r="XFD1048576" t="inlineStr">' + X + b"</c></row>",
    "in a row of another number": b'<row r="4"><c r="XFD1048576" t="inlineStr">'
    + X
    + b"</c></row>",
    "with its attributes in another order": (
        b'<row spans="1:1" r="1048576"><c t="inlineStr" r="XFD1048576">' + X + b"</c></row>"
    ),
    "in lower case": b'<row r="1048576"><c r="xfd1048576" t="inlineStr">' + X + b"</c></row>",
    "after a quoted >": (
        b'<row r="1048576"><c ref=">" t="inlineStr" r="XFD1048576">' + X + b"</c></row>"
    ),
    "with a prefix of its own": (
        b'<y:row xmlns:y="urn:y" r="1048576"><y:c r="XFD1048576" t="inlineStr"><y:is><y:t>x'
        b"</y:t></y:is></y:c></y:row>"
    ),
    "after a cell, without a reference": (
        b'<row r="1048576"><c r="XFC1048576" t="inlineStr">'
        + X
        + b'</c><c t="inlineStr">'
        + X
        + b"</c></row>"
    ),
}


@pytest.mark.parametrize("written", sorted(STRAY_CELLS))
def test_a_stray_cell_at_the_last_cell_of_excel(tmp_path: Path, written: str) -> None:
    stray = STRAY_CELLS[written]
    path = with_sheet_xml(
        tmp_path, lambda xml: xml.replace(b"</sheetData>", stray + b"</sheetData>")
    )
    assert_refused(
        path,
        f'{path}: sheet "Orders" spans 1,048,576 rows and 16,384 columns, more than the tool '
        "reads (80,000,000 cells)",
    )


STRAY = b'<row r="1048576"><c r="XFD1048576" t="inlineStr">' + X + b"</c></row></sheetData>"
TOO_WIDE = "spans 1,048,576 rows and 16,384 columns, more than the tool reads (80,000,000 cells)"


def test_a_shops_export_on_its_first_sheet_is_scanned_before_it_is_read(tmp_path: Path) -> None:
    # Its sheet is not called Orders: it is found by its headers, and was read unscanned.
    path = shopify_export().save_xlsx(tmp_path / "orders.xlsx")
    replace_member(
        path, "xl/worksheets/sheet1.xml", sheet_xml(path, 1).replace(b"</sheetData>", STRAY)
    )
    (tmp_path / "accounts").mkdir()
    accounts = save_sheets(tmp_path / "accounts" / "accounts.xlsx", {"Accounts": ACCOUNT_ROWS})
    before = path.read_bytes()
    completed = run_limited("export", str(path), "--accounts", str(accounts))
    assert (completed.returncode, completed.stderr.splitlines()[0]) == (
        3,
        f'{path}: sheet "orders_export_1" {TOO_WIDE}',
    )
    assert path.read_bytes() == before


@pytest.mark.parametrize("command", ["export", "unmark"])
def test_a_columns_sheet_of_the_accounts_workbook_is_scanned_before_it_is_read(
    tmp_path: Path, command: str
) -> None:
    orders = OrderBook().save(tmp_path / "orders.xlsx")
    accounts = save_sheets(
        tmp_path / "accounts.xlsx",
        {"Accounts": ACCOUNT_ROWS, "Columns": [["Field", "Header"], ["Memo", "Memo"]]},
    )
    replace_member(
        accounts, "xl/worksheets/sheet2.xml", sheet_xml(accounts, 2).replace(b"</sheetData>", STRAY)
    )
    before = orders.read_bytes()
    more = ("--all", "--yes") if command == "unmark" else ()
    completed = run_limited(command, str(orders), "--accounts", str(accounts), *more)
    assert (completed.returncode, completed.stderr.splitlines()[0]) == (
        3,
        f'{accounts}: sheet "Columns" {TOO_WIDE}',
    )
    assert "Traceback" not in completed.stderr
    assert orders.read_bytes() == before


def test_cells_without_references_that_reach_far_right(tmp_path: Path) -> None:
    # 20,000 cells in one row, each placed after the one before: with 5,000 rows, 100 million.
    wide = b"<row>" + (b'<c t="inlineStr">' + X + b"</c>") * 20_000 + b"</row>"
    deep = b'<row r="5000"><c r="A5000" t="inlineStr">' + X + b"</c></row>"
    path = with_sheet_xml(
        tmp_path, lambda xml: xml.replace(b"</sheetData>", wide + deep + b"</sheetData>")
    )
    assert_refused(
        path,
        f'{path}: sheet "Orders" spans 5,000 rows and 20,000 columns, more than the tool '
        "reads (80,000,000 cells)",
    )


@pytest.mark.parametrize("prefix", [b"", b"x:"])
def test_a_tag_that_never_ends_is_refused(tmp_path: Path, prefix: bytes) -> None:
    # A tag is carried from one region of rows to the next while it has not ended: here, one
    # holding what looks like rows, for 3 MB. Each byte is looked at a bounded number of times.
    def endless(xml: bytes) -> bytes:
        main = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
        if prefix:
            xml = re.sub(rb"<(/?)([A-Za-z])", rb"<\1x:\2", xml)
            xml = xml.replace(b'xmlns="' + main + b'"', b'xmlns:x="' + main + b'"')
        rows = b"<" + prefix + b"row "
        tag = rows + b'r="3"><' + prefix + b'c r="XFD3" note="' + rows * 500_000
        end = b"</" + prefix + b"sheetData>"
        return xml.replace(end, tag + b'">1</' + prefix + b"c></" + prefix + b"row>" + end)

    path = with_sheet_xml(tmp_path, endless)
    assert_refused(path, LONG_TAG)


@pytest.mark.parametrize("related", [True, False], ids=["related", "by its usual name"])
def test_shared_strings_that_claim_billions_are_refused(tmp_path: Path, related: bool) -> None:
    # python-calamine sets aside room for as many strings as the root claims, before reading.
    path = tmp_path / "orders.xlsx"
    build_rich_workbook(path, with_exported_column=True)
    with zipfile.ZipFile(path) as book:
        strings = book.read("xl/sharedStrings.xml")
        size = len(strings)
        relationships = book.read("xl/_rels/workbook.xml.rels")
    claim = re.sub(rb'uniqueCount="\d+"', b'uniqueCount="4000000000"', strings, count=1)
    replace_member(path, "xl/sharedStrings.xml", claim)
    if not related:
        unrelated = re.sub(rb"<Relationship [^>]*sharedStrings[^>]*/>", b"", relationships)
        replace_member(path, "xl/_rels/workbook.xml.rels", unrelated)
    size += len(claim) - len(strings)
    assert_refused(
        path,
        "the workbook's part xl/sharedStrings.xml declares 4,000,000,000 shared strings, more "
        f"than its {size:,} bytes can hold; the file is refused as damaged or unsafe",
    )


NEVER_CLOSED = {
    "error values": b'<c r="A3" t="e">x' * 100_000,
    "formulas": b'<c r="A3" ' * 100_000 + b"<f>1</f></c>",
}


@pytest.mark.parametrize("what", sorted(NEVER_CLOSED))
def test_cells_that_never_close_are_scanned_in_bounded_time(tmp_path: Path, what: str) -> None:
    # The scan looks for error values and formulas without a value cell by cell, each within a
    # window up to the next: cells that never close cost no more than the region itself.
    cells = b'<row r="3">' + NEVER_CLOSED[what] + b"</row>"
    path = with_sheet_xml(
        tmp_path, lambda xml: xml.replace(b"</sheetData>", cells + b"</sheetData>")
    )
    completed = run_limited("export", str(path))
    assert completed.returncode == 3, completed.stderr  # killed by the limits: negative
    assert completed.stderr.startswith(f'{path}: the sheet "Orders" cannot be read (')
    assert "Traceback" not in completed.stderr


@pytest.mark.parametrize(
    "change",
    [
        lambda xml: b"<worksheet " * 1_400_000 + xml,
        lambda xml: xml.replace(b"<sheetData>", b"<sheetData " * 1_400_000 + b"<sheetData>"),
    ],
    ids=["the worksheet's", "the cell data's"],
)
def test_a_head_tag_that_never_ends_is_refused(
    tmp_path: Path, change: Callable[[bytes], bytes]
) -> None:
    # 15 MB of starts of a tag without its end: looked through once, not once per start.
    path = with_sheet_xml(tmp_path, change)
    assert_refused(path, LONG_TAG)


def test_a_document_type_cut_by_the_edge_of_a_chunk_is_found(tmp_path: Path) -> None:
    # The XML is inflated a megabyte at a time; "<!DOCTYPE" begins 4 bytes before the edge.
    def cut(xml: bytes) -> bytes:
        padding = b"<!--" + b" " * ((1 << 20) - 4 - 7) + b"-->"
        return padding + b"<!DOCTYPE worksheet>" + xml

    path = with_sheet_xml(tmp_path, cut)
    assert_refused(
        path,
        'the workbook\'s part of sheet "Orders" declares a document type (XML entities), which '
        "Excel never writes; the file is refused as unsafe",
    )


def test_long_runs_of_spaces_in_text_to_transliterate_are_read_within_the_limits(
    tmp_path: Path,
) -> None:
    # Nearly Excel's longest text, a letter to transliterate and 32,000 spaces, in 300 cells:
    # each is cleaned in one pass (a pattern that tried every space took 6 s a cell).
    book = OrderBook()
    book.orders[0]["Customer"] = "Jos\u00e9" + " " * 32_000 + "\tLovelace"
    book.items = [dict(item) for item in book.items * 100]
    for number, item in enumerate(book.items):  # each one of its own: none is read twice
        item["Description"] = f"Caf\u00e9{' ' * 32_000}mug {number}"
    path = book.save(tmp_path / "orders.xlsx")
    completed = run_limited("export", str(path))
    assert completed.returncode == 1, completed.stderr
    assert "Traceback" not in completed.stderr


def test_an_amount_of_spaces_is_read_within_the_limits(tmp_path: Path) -> None:
    # An amount's spaces are taken off before its number is read: a pattern with runs of
    # spaces side by side tried every way of sharing them (10 s for 400 spaces).
    book = OrderBook()
    book.orders[0]["Total"] = " " * 30_000 + "x"
    path = book.save(tmp_path / "orders.xlsx")
    completed = run_limited("export", str(path))
    assert completed.returncode == 1, completed.stderr
    assert completed.stderr.splitlines()[0].startswith("Orders!M2: ")
    assert "Traceback" not in completed.stderr


def test_a_million_empty_styled_rows_are_read_within_the_limits(tmp_path: Path) -> None:
    rows = b"".join(
        b'<row r="%d" s="1" customFormat="1"><c r="A%d" s="1"/></row>' % (n, n)
        for n in range(10, 1_000_010)
    )
    path = with_sheet_xml(
        tmp_path, lambda xml: xml.replace(b"</sheetData>", rows + b"</sheetData>")
    )
    completed = run_limited("export", str(path))
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines()[0].startswith("Exported 2 orders, total 65.95, to ")


def test_an_accounts_workbook_that_fills_a_hundred_million_cells_is_refused(
    tmp_path: Path,
) -> None:
    # 99 million cells of "x" in 1 KB: python-calamine would make them all when it opens the
    # file (it refuses only beyond 100 million), some 12 GB.
    orders = OrderBook(accounts=None).save(tmp_path / "orders.xlsx")
    filled = table("Accounts", row(text_cell("x", repeated=11_000), repeated=9_000))
    accounts = write_ods(tmp_path / "accounts.ods", content(filled))
    assert accounts.stat().st_size < 1_000
    before = orders.read_bytes()
    completed = run_limited("export", str(orders), "--accounts", str(accounts))
    assert (completed.returncode, completed.stderr.splitlines()[0]) == (
        3,
        f'{accounts}: its sheets span 99,000,000 cells, the sheet "Accounts" 99,000,000 of '
        "them; more than the tool reads from an OpenDocument file (10,000,000)",
    )
    assert orders.read_bytes() == before


def test_an_xls_accounts_workbook_with_a_cell_far_away_is_refused(tmp_path: Path) -> None:
    # Nothing bounds a cell's row and column in an .xls file: at column 65,000 the reader asks
    # for 135 GB, and the process reading it ends. That process is a trial of its own.
    from tests.test_trial import sale_item_moved_to

    orders = OrderBook(accounts=None).save(tmp_path / "orders.xlsx")
    accounts = sale_item_moved_to(tmp_path / "accounts.xls", 65_000, 65_000)
    before = orders.read_bytes()
    completed = run_limited("export", str(orders), "--accounts", str(accounts))
    assert completed.returncode == 3, completed.stderr
    assert completed.stderr.splitlines()[0].startswith(
        f"{accounts}: the file is damaged: reading it stopped the process that read it"
    )
    assert orders.read_bytes() == before


def test_tags_in_a_comment_of_the_workbook_part_are_read_once(tmp_path: Path) -> None:
    # Where python-calamine finds the sheets is read from the tags as written; a comment of
    # 200,000 tags that never end must not be read from each of them to its end.
    path = OrderBook().save(tmp_path / "orders.xlsx")
    with zipfile.ZipFile(path) as book:
        workbook = book.read("xl/workbook.xml")
    comment = b'<!--<sheet "' + b"<sheet " * 200_000 + b'" -->'
    replace_member(path, "xl/workbook.xml", workbook.replace(b"<sheets>", comment + b"<sheets>"))
    completed = run_limited("export", str(path))
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines()[0].startswith("Exported 2 orders, total 65.95, to ")
