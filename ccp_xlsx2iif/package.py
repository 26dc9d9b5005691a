"""The .xlsx package, a zip of XML parts written by anyone: finding parts, reading them safely.

Nothing in a workbook is trusted before it is read. ``PackageInspector`` runs before any other
reader touches the file (and each sheet is scanned before it is read) and refuses, with a clear
message, what would make a reader run out of time or memory or read what it should not:

* a zip bomb: a part that inflates far beyond any real workbook, or beyond what its header
  declares (each part read is inflated here with a hard limit);
* XML with a document type declaration (entity expansion such as "billion laughs", external
  entities): Excel never writes one;
* a sheet whose cells span an absurd range (a stray cell at ``XFD1048576`` makes a reader try
  to allocate the whole grid).

It also reports, for the sheets it scans, what a value reader cannot tell: cells holding an
error value (``#N/A``) and formulas saved without a calculated value.
"""

from __future__ import annotations

import contextlib
import html
import posixpath
import re
import struct
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TypeAlias

from ccp_xlsx2iif.beside import FORKS, Beside, Stopped
from ccp_xlsx2iif.cells import zero_padded_pieces
from ccp_xlsx2iif.problems import FileProblem

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

MAIN_NAMESPACES = (
    b"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    b"http://purl.oclc.org/ooxml/spreadsheetml/main",
)
_RELATIONSHIP_NAMESPACES = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://purl.oclc.org/ooxml/officeDocument/relationships",
)
_PACKAGE_RELATIONSHIPS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_OFFICE_DOCUMENT = "/officeDocument"

CHUNK_SIZE = 1 << 20
MAX_MEMBERS = 20_000
# The largest part of a real workbook: a million orders make a sheet of well under 2 GiB.
MAX_PART_SIZE = 4 << 30
# XML compresses 5 to 30 times; a part of more than 16 MiB that inflates 200 times is a bomb.
MAX_RATIO = 200
RATIO_FLOOR = 16 << 20
# The parts read whole (workbook.xml and relationships) are small in any real workbook.
MAX_SMALL_PART = 64 << 20
# The worksheet XML before <sheetData> (views, column widths) is small in any real workbook.
MAX_SHEET_HEAD = 64 << 20
# One row of a sheet's XML: 16,384 cells of a few kilobytes at most in any real workbook.
MAX_ROW = 64 << 20
# The cells a reader allocates for a sheet: rows x columns of its used range.
MAX_CELLS = 80_000_000
# A sheet whose XML declares at least this many bytes (some 8,000 orders) is scanned in two
# parts at once where the system forks (``PackageInspector.scan_beside``).
SCANNED_IN_TWO_FROM = 8 << 20
# The share of such a sheet's XML the tool scans itself; the process beside it, which inflates
# the tool's part too before it reaches its own, scans the rest.
OWN_SHARE = 0.55
SAVE_AGAIN = "Open the workbook in Excel and save it again, or export it from the shop again."
_CFB_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

_LOCAL_HEADER = struct.Struct("<4s2xHH4xIII HH")
_LOCAL_HEADER_SIGNATURE = b"PK\x03\x04"
_DATA_DESCRIPTOR_FLAG = 0x08

# The start of the root element; where its tag ends is found by _tag_end.
_ROOT = re.compile(rb"<(?:([A-Za-z_][\w.-]{0,255}):)?worksheet(?=[\s/>])")
# A pattern is looked for again in a buffer grown by a chunk from this far before where the
# last look ended, so that one the chunk's edge cut is found.
_OVERLAP = 512
_NAMESPACE_DECLARATION = re.compile(rb"""xmlns(?::([\w.-]+))?\s*=\s*["']([^"']*)["']""")
_DOCUMENT_TYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
# Where python-calamine places a cell: at its reference (``r="B7"``, letters of either case
# then digits), else after the cell before it in its row, the row being the one its ``r``
# names, else the one after the row before. It reads any element whose local name is ``c`` or
# ``row``, with any prefix; a self-closing cell has no value, and is placed but not kept.
#
# Excel writes every cell ``<c r="B7"``. Such a cell in columns A to AZ and rows up to
# PLAIN_ROWS (past Excel's last row) reaches at most PLAIN_ROWS x 52 cells, well within
# MAX_CELLS: a sheet of such cells only is known safe without a number read. Any other start
# of an element named ``c...`` is looked at on its own.
PLAIN_ROWS = 1_049_999
PLAIN_COLUMNS = 52
_UNPLAIN_CELL = re.compile(rb'<c(?! r="A?[A-Z](?:\d{1,6}|10[0-4]\d{4})")')
_CELL_REFERENCE_FIRST = re.compile(rb'<c r="([A-Za-z]+)(\d+)"')
# An element ``c`` or ``row`` with a prefix, which a worksheet without prefixes never has.
_PREFIXED_CELL_OR_ROW = re.compile(rb":(?:c|row)[\s/>]")
# The start of any tag of an element ``c`` or ``row``, with any prefix, for the exact way;
# where the tag ends is found by _tag_end, which skips quoted values.
_CELL_OR_ROW_TAG = re.compile(rb"<(/?)(?:[\w.-]+:)?(row|c)(?=[\s/>])")
_TAG_END_OR_QUOTE = re.compile(rb"""[>"']""")
_R_ATTRIBUTE = re.compile(rb"""(?:^|\s)r\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_REFERENCE = re.compile(rb"([A-Za-z]*)([0-9]+)")
# The longest start tag the slow way carries from one region into the next.
MAX_TAG = 1 << 20
_SHARED_STRINGS_ROOT = re.compile(rb"<(?:[\w.-]{1,255}:)?sst(?=[\s/>])")
_UNIQUE_COUNT = re.compile(rb"""\suniqueCount\s*=\s*["']\s*(\d+)""")
# The fewest bytes a shared string takes (``<si/>``).
SHARED_STRING = 5
_ERROR_CELL = re.compile(
    rb"""<(?:\w+:)?c\b([^>]*?\st\s*=\s*["']e["'][^>]*)>(?:(?!</(?:\w+:)?c>).)*?"""
    rb"""<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>""",
    re.DOTALL,
)
_FORMULA_CELL = re.compile(
    rb"""<(?:\w+:)?c\b([^>]*)>\s*<(?:\w+:)?f\b[^>]*?(?:/>|>[^<]*</(?:\w+:)?f>)\s*"""
    rb"""(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>"""
)
# What a formula without a calculated value looks like, where the scan looks for the cell with
# _FORMULA_CELL: a formula element right before the cell's end, or an empty value.
_UNCALCULATED_HINT = re.compile(
    rb"""</(?:\w+:)?f>\s*</|/>\s*</(?:\w+:)?c>|<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</"""
)
# A cell of an error value, where the scan looks for the cell with _ERROR_CELL.
_ERROR_TYPE = re.compile(rb"""t=["']e["']""")
_CELL_REFERENCE = re.compile(rb"""\sr\s*=\s*["']([A-Za-z]{1,3})(\d+)["']""")
_TEXT_TYPE = re.compile(rb"""\st\s*=\s*["'](?:str|s|inlineStr)["']""")


def column_number(letters: bytes) -> int:
    """Return the 1-based column number of Excel column letters (``b"AA"`` -> 27)."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number


def damaged(path: Path, error: Exception) -> FileProblem:
    """Return the problem of a workbook whose zip structure cannot be read."""
    return FileProblem(
        f"{path}: the workbook's zip structure is damaged ({error})",
        hint="Open it in Excel; if Excel repairs it, save the repaired workbook and run again.",
    )


def seek_data(raw: BinaryIO, info: zipfile.ZipInfo) -> None:
    """Move ``raw`` to the first compressed byte of a member, checking its local header.

    A local header must declare the sizes the central directory declares (unless the sizes
    follow the data), so that no reader is told two different stories.
    """
    raw.seek(info.header_offset)
    header = raw.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size:
        raise zipfile.BadZipFile(f"{info.filename} is cut short")
    signature, flags, _, _, local_compressed, local_size, name_length, extra_length = (
        _LOCAL_HEADER.unpack(header)
    )
    if signature != _LOCAL_HEADER_SIGNATURE:
        raise zipfile.BadZipFile(f"no local header for {info.filename}")
    known_sizes = not flags & _DATA_DESCRIPTOR_FLAG and local_size != 0xFFFFFFFF
    if known_sizes and (local_size, local_compressed) != (info.file_size, info.compress_size):
        raise zipfile.BadZipFile(f"{info.filename} declares two different sizes")
    raw.seek(info.header_offset + _LOCAL_HEADER.size + name_length + extra_length)


def read_part(raw: BinaryIO, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """Inflate one member from the raw zip file, never beyond the size its header declares.

    The compressed stream must end exactly at the declared size: a stream that goes on is
    refused, whatever other readers would do with it.
    """
    seek_data(raw, info)
    if info.compress_type == zipfile.ZIP_STORED:
        inflater = None
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    else:
        raise zipfile.BadZipFile(f"{info.filename} uses a compression Excel does not write")
    remaining_input = info.compress_size
    remaining_output = info.file_size
    crc = 0
    while remaining_input and not (inflater is not None and inflater.eof):
        compressed = raw.read(min(remaining_input, CHUNK_SIZE))
        if not compressed:
            raise zipfile.BadZipFile(f"{info.filename} is cut short")
        remaining_input -= len(compressed)
        while compressed:
            if inflater is None:
                chunk, compressed = compressed, b""
            else:
                # Never more than one byte past the declared size: enough to prove a lie.
                chunk = inflater.decompress(compressed, min(CHUNK_SIZE, remaining_output + 1))
                compressed = b"" if inflater.eof else inflater.unconsumed_tail
            remaining_output -= len(chunk)
            if remaining_output < 0:
                raise zipfile.BadZipFile(f"{info.filename} inflates beyond its declared size")
            crc = zlib.crc32(chunk, crc)
            if chunk:
                yield chunk
    if remaining_output or (inflater is not None and not inflater.eof) or crc != info.CRC:
        raise zipfile.BadZipFile(f"{info.filename} does not match its declared size or checksum")


def check_members(
    path: Path, members: list[zipfile.ZipInfo], hint: str = "Export the orders from the shop again."
) -> None:
    """Refuse a zip of absurdly many parts, or a part that would inflate as a bomb does."""
    if len(members) > MAX_MEMBERS:
        raise FileProblem(f"{path}: holds {len(members):,} parts; no real workbook has so many")
    for info in members:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > MAX_PART_SIZE or (info.file_size > RATIO_FLOOR and ratio > MAX_RATIO):
            raise FileProblem(
                f"{path}: the part {info.filename} would inflate to {info.file_size:,} bytes "
                f"({ratio:,.0f} times its size); the file is refused as a zip bomb",
                hint=hint,
            )


def _relationships(book: zipfile.ZipFile, rels_name: str) -> dict[str, tuple[str, str]]:
    """Return a relationships part as {Id: (Target, Type)}."""
    root = _parse_small(book, rels_name)
    return {
        element.get("Id", ""): (element.get("Target", ""), element.get("Type", ""))
        for element in root.iter(f"{_PACKAGE_RELATIONSHIPS}Relationship")
    }


def _relationships_part(part: str) -> str:
    """Return the name of the part that holds a part's relationships (``_rels/x.xml.rels``)."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _parse_small(book: zipfile.ZipFile, name: str) -> Element:
    from defusedxml import DefusedXmlException, ElementTree

    try:
        info = book.getinfo(name)
    except KeyError:
        raise FileProblem(f"the workbook has no part {name}") from None
    data = _read_small(book, info)
    try:
        return ElementTree.fromstring(data)
    except DefusedXmlException:
        raise _document_type_refused(name) from None
    except ElementTree.ParseError as error:
        raise FileProblem(f"the workbook's part {name} is not well-formed XML ({error})") from None
    except (LookupError, ValueError) as error:  # the encoding it declares cannot be read
        raise FileProblem(f"the workbook's part {name} cannot be read as XML ({error})") from None


def _read_small(book: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """Read a part every workbook keeps small (the workbook part, relationships)."""
    if info.file_size > MAX_SMALL_PART:
        raise FileProblem(
            f"the workbook's part {info.filename} is implausibly large ({info.file_size:,} bytes)"
        )
    return book.read(info)


def _long_tag(where: str) -> FileProblem:
    return FileProblem(
        f"{where} has a tag of more than {MAX_TAG:,} bytes, which Excel never writes; the file "
        "is refused as unsafe",
        hint=SAVE_AGAIN,
    )


def _document_type_refused(name: str) -> FileProblem:
    return FileProblem(
        f"the workbook's part {name} declares a document type (XML entities), which Excel "
        "never writes; the file is refused as unsafe",
        hint=SAVE_AGAIN,
    )


def _resolve(base_part: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base_part), target))


def workbook_part(book: zipfile.ZipFile) -> str:
    """Return the name of the workbook part (``xl/workbook.xml`` in files Excel writes)."""
    for target, kind in _relationships(book, "_rels/.rels").values():
        if kind.endswith(_OFFICE_DOCUMENT):
            return _resolve("", target)
    return "xl/workbook.xml"


def match_sheet(names: Iterable[str], wanted: str) -> str | None:
    """Return the name among ``names`` of the sheet called ``wanted`` (any case, trimmed)."""
    names = list(names)
    if wanted in names:
        return wanted
    key = wanted.strip().casefold()
    return next((name for name in names if name.strip().casefold() == key), None)


def continuation_sheets(names: Iterable[str], wanted: str) -> list[str]:
    """Return the sheets that continue the sheet ``wanted`` past Excel's last row, in order.

    A sheet holds at most 1,048,576 rows; a longer list goes on in sheets named after the
    first with 2, 3, ... (``Items 2``, ``Items (3)``, ``Items4``): numbered from 2, without
    gaps.
    """
    by_key = {"".join(ch for ch in name.casefold() if ch.isalnum()): name for name in names}
    stem = "".join(ch for ch in wanted.casefold() if ch.isalnum())
    found = []
    number = 2
    while (name := by_key.get(f"{stem}{number}")) is not None:
        found.append(name)
        number += 1
    return found


def sheet_parts(book: zipfile.ZipFile) -> dict[str, str]:
    """Return {sheet name: zip member name} for the sheets of the workbook, in order."""
    part = workbook_part(book)
    relationships = _relationships(book, _relationships_part(part))
    parts: dict[str, str] = {}
    for element in _parse_small(book, part).iter():
        if element.tag.rsplit("}", 1)[-1] != "sheet":
            continue
        for namespace in _RELATIONSHIP_NAMESPACES:
            relationship = element.get(f"{{{namespace}}}id")
            if relationship and relationship in relationships:
                parts[element.get("name", "")] = _resolve(part, relationships[relationship][0])
    return parts


# Where python-calamine reads a workbook's sheets from, whatever the package says: these two
# parts, by these names. It matches the elements by their local names, the attributes Id,
# Target and name as written and a sheet's relationship by any attribute called id (any
# prefix, the last one written), takes a target as written (no entity, no "..", no
# percent-encoding is resolved) below xl/ unless it starts with "/", and gives the first
# sheet of a name.
READER_WORKBOOK = "xl/workbook.xml"
READER_RELATIONSHIPS = "xl/_rels/workbook.xml.rels"
_ELEMENT = re.compile(rb"<(?:[\w.-]+:)?(Relationship|sheet)(?=[\s/>])")
_ATTRIBUTE = re.compile(rb"""([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _written_tags(book: zipfile.ZipFile, name: str, element: bytes) -> list[list[tuple[str, str]]]:
    """Return the attributes, as written, of each ``element`` tag of a small part (if any)."""
    info = book.NameToInfo.get(name)
    if info is None:
        return []
    text = _read_small(book, info)
    tags = []
    position = 0
    # Each tag is read to its end, and the next one looked for from there: a tag that never
    # ends stops the reading, and no byte is looked at twice.
    while (found := _ELEMENT.search(text, position)) is not None:
        end = _tag_end(text, found.end())
        if end is None:
            break
        position = end + 1
        if found.group(1) == element:
            tags.append(
                [
                    (key.decode("utf-8", "replace"), (double or single).decode("utf-8", "replace"))
                    for key, double, single in _ATTRIBUTE.findall(text, found.end(), end)
                ]
            )
    return tags


def reader_sheet_parts(book: zipfile.ZipFile) -> dict[str, str]:
    """Return {sheet name: zip member name} as python-calamine finds them (see above)."""
    targets = {}
    for attributes in _written_tags(book, READER_RELATIONSHIPS, b"Relationship"):
        found = dict(attributes)
        targets[found.get("Id", "")] = found.get("Target", "")
    parts: dict[str, str] = {}
    for attributes in _written_tags(book, READER_WORKBOOK, b"sheet"):
        ids = [value for key, value in attributes if key.rsplit(":", 1)[-1] == "id"]
        target = targets.get(ids[-1]) if ids else None
        if target is None:
            continue  # the reader refuses the workbook: no relationship
        name = html.unescape(dict(attributes).get("name", ""))
        parts.setdefault(name, target[1:] if target.startswith("/") else f"xl/{target}")
    return parts


def check_sheet_parts(path: Path, book: zipfile.ZipFile) -> dict[str, str]:
    """Return {sheet name: zip member name}, where Excel and python-calamine agree.

    Excel finds a sheet through the package's relationships; python-calamine by fixed part
    names and attributes as written. A workbook where the two would read (or mark) different
    parts for a sheet is refused: the tool would scan one part and read another.
    """
    parts = sheet_parts(book)
    for sheet, part in reader_sheet_parts(book).items():
        if parts.get(sheet) != part:
            found = parts.get(sheet)
            raise FileProblem(
                f'{path}: the workbook is damaged: its sheet "{sheet}" is the part {part} for '
                f"one reader and {f'the part {found}' if found else 'no part'} for another",
                hint=SAVE_AGAIN,
            )
    return parts


def find_sheet_part(book: zipfile.ZipFile, sheet: str) -> str:
    """Return the zip member name of the worksheet called ``sheet``."""
    part = sheet_parts(book).get(sheet)
    if part is None:
        raise FileProblem(f'the workbook has no worksheet part for sheet "{sheet}"')
    return part


class SheetXml:
    """A worksheet's XML read as a stream of regions.

    The regions are its head up to ``<sheetData>``, regions of whole rows, and its tail.
    Namespace prefixes (``<x:row>``) are handled.
    """

    def __init__(self, sheet: str, read: Callable[[int], bytes]) -> None:
        self.sheet = sheet
        self._read = read
        self.prefix = b""

    def _more(self, buffer: bytes, limit: int, problem: str) -> bytes:
        chunk = self._read(CHUNK_SIZE)
        if not chunk or len(buffer) > limit:
            raise FileProblem(f'sheet "{self.sheet}" {problem}')
        return buffer + chunk

    def regions(self) -> Iterator[tuple[str, bytes]]:
        """Yield ("head", bytes), ("rows", bytes) for each region of whole rows, ("tail", bytes)."""
        buffer = self._more(b"", MAX_SHEET_HEAD, "is not a worksheet")
        buffer, root, root_end = self._whole_tag(
            buffer, _ROOT, 0, "is not a worksheet", prolog=True
        )
        self.prefix = self._main_prefix(root.group(1) or b"", buffer[root.end() : root_end])
        data_start = re.compile(rb"<" + re.escape(self.prefix) + rb"sheetData(?=[\s/>])")
        buffer, _, start_end = self._whole_tag(
            buffer, data_start, root_end, "has no cell data the tool can find"
        )
        yield "head", buffer[: start_end + 1]
        pending = buffer[start_end + 1 :]
        empty = buffer[start_end - 1] == _SLASH  # <sheetData/>, which has no rows at all
        end_tag = b"</" + self.prefix + b"sheetData"
        data_end = re.compile(re.escape(end_tag) + rb"\s*>")
        row_tag = b"<" + self.prefix + b"row"
        if not empty:
            looked = 0  # each chunk is looked through once, for the end and for a row's start
            while True:
                since = max(0, looked - _OVERLAP)
                # The tag is looked for first at C speed: the pattern would try every "</".
                if pending.find(end_tag, since) >= 0:
                    end = data_end.search(pending, since)
                    if end is not None:
                        break
                last_row = pending.rfind(row_tag, since)
                if last_row > 0:
                    yield "rows", pending[:last_row]
                    pending = pending[last_row:]
                elif len(pending) > MAX_ROW:
                    raise FileProblem(
                        f'sheet "{self.sheet}" has a row of more than {MAX_ROW:,} bytes; the '
                        "file is refused as unsafe",
                        hint=SAVE_AGAIN,
                    )
                looked = len(pending)
                pending = self._more(pending, MAX_PART_SIZE, "ends inside its cell data")
            yield "rows", pending[: end.start()]
            pending = pending[end.start() :]
        yield "tail", pending
        while chunk := self._read(CHUNK_SIZE):
            yield "tail", chunk

    def _whole_tag(
        self,
        buffer: bytes,
        start: re.Pattern[bytes],
        looked: int,
        problem: str,
        *,
        prolog: bool = False,
    ) -> tuple[bytes, re.Match[bytes], int]:
        """Read on until the buffer holds a whole tag ``start`` begins, after ``looked``.

        Return the buffer, the tag's start and where it ends. Each chunk is looked through
        once; in the ``prolog`` (before the root), a document type is refused.
        """
        while True:
            since = max(0, looked - _OVERLAP)
            if prolog and _DOCUMENT_TYPE.search(buffer, since, MAX_SHEET_HEAD):
                raise _document_type_refused(f'of sheet "{self.sheet}"')
            tag = start.search(buffer, since)
            end = self._tag_end(buffer, tag) if tag is not None else None
            if tag is not None and end is not None:
                return buffer, tag, end
            looked = tag.start() + _OVERLAP if tag is not None else len(buffer)
            buffer = self._more(buffer, MAX_SHEET_HEAD, problem)

    def _tag_end(self, buffer: bytes, tag: re.Match[bytes]) -> int | None:
        """Return where a tag the buffer holds the start of ends; ``None``: not in it yet."""
        end = _tag_end(buffer, tag.end())
        if end is None and len(buffer) - tag.start() > MAX_TAG:
            raise _long_tag(f'sheet "{self.sheet}"')
        return end

    def _main_prefix(self, prefix: bytes, attributes: bytes) -> bytes:
        for declared, namespace in _NAMESPACE_DECLARATION.findall(attributes):
            if declared == prefix and namespace in MAIN_NAMESPACES:
                return prefix + b":" if prefix else b""
        raise FileProblem(f'sheet "{self.sheet}" is not a SpreadsheetML worksheet')


@dataclass
class SheetFacts:
    """What the scan of a sheet found: its extent, error cells, uncalculated formulas, totals.

    ``row_bound`` and ``column_bound`` are at least the last row and column a reader places a
    cell in (for a sheet of cells as Excel writes them, within PLAIN_ROWS and PLAIN_COLUMNS:
    those). Cells are (row, column), both 1-based. The cells of the total rows of its tables
    (``table_totals``) are neither read nor reported.
    """

    row_bound: int = 0
    column_bound: int = 0
    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    uncalculated: set[tuple[int, int]] = field(default_factory=set)
    # The total rows of the sheet's Excel tables: (row, first column, last column).
    totals: list[tuple[int, int, int]] = field(default_factory=list)
    # The number cells whose format pads them with zeros: the pieces of their format.
    padded: dict[tuple[int, int], list[str]] = field(default_factory=dict)
    # Whether every cell tag of the sheet's rows starts with the cell's reference, without a
    # prefix (``<c r="B2"``), as Excel writes them: what a scan other than TAGS proves.
    cells_referenced: bool = False

    def in_totals(self, cell: tuple[int, int]) -> bool:
        """Whether a cell is in the total row of a table."""
        row, column = cell
        return any(row == at and first <= column <= last for at, first, last in self.totals)

    def take_in(self, other: SheetFacts) -> None:
        """Add what the scan of another part of the sheet found (before ``totals`` are set)."""
        self.row_bound = max(self.row_bound, other.row_bound)
        self.column_bound = max(self.column_bound, other.column_bound)
        self.errors.update(other.errors)
        self.uncalculated |= other.uncalculated
        self.padded.update(other.padded)
        self.cells_referenced = self.cells_referenced and other.cells_referenced

    def leave_out_totals(self) -> None:
        """Forget what was found in the cells of total rows, which are not read."""
        if self.totals:
            self.errors = {
                cell: error for cell, error in self.errors.items() if not self.in_totals(cell)
            }
            self.uncalculated = {cell for cell in self.uncalculated if not self.in_totals(cell)}
            self.padded = {
                cell: pieces for cell, pieces in self.padded.items() if not self.in_totals(cell)
            }


class _MeasureAgain(Exception):
    """The sheet is not as Excel writes it: it is scanned again from its start, ``exactly``."""

    def __init__(self, exactly: str) -> None:
        super().__init__(exactly)
        self.exactly = exactly


# How a sheet's extent is measured: from the cells Excel would not write only (PLAIN); from
# every cell's reference (REFERENCES, once a cell lies beyond the plain range); tag by tag, as
# python-calamine reads them (TAGS, for a sheet not written as Excel writes it).
PLAIN, REFERENCES, TAGS = "plain", "references", "tags"


class SheetScanner:
    """Scans regions of whole rows of one sheet, with patterns for its namespace prefix.

    Patterns that start with a literal (``<c``) are searched at C speed. A sheet whose cells
    are written otherwise (without a reference, attributes in another order, a prefix) is
    measured tag by tag, the slow way, so that nothing escapes the bounds.
    """

    def __init__(self, sheet: str, prefix: bytes, facts: SheetFacts, way: str = PLAIN) -> None:
        self.sheet = sheet
        self.facts = facts
        self.way = TAGS if prefix else way
        self.row_index = self.column_index = 0  # where the next cell without a reference goes
        self.carried = b""  # the start of a tag the region before ended inside
        # A regular expression finds the formula tag faster than ``in`` does: "<" is in every tag.
        self.formula_tag = re.compile(re.escape(b"<" + prefix + b"f") + rb"[\s/>]")
        self.cell_tag = b"<" + prefix + b"c"
        self.uncalculated_hints = (
            b"</" + prefix + b"f></" + prefix + b"c>",
            b"/></" + prefix + b"c>",
            b"<" + prefix + b"v/>",
            b"<" + prefix + b"v />",
            b"<" + prefix + b"v></" + prefix + b"v>",
        )

    def scan(self, rows: bytes) -> None:
        """Take in one region of whole rows."""
        if self.way == TAGS:
            self._measure_tags(rows)
        else:
            self._measure(rows)
        if _ERROR_TYPE.search(rows):
            self._find_errors(rows)
        if self.formula_tag.search(rows) and any(hint in rows for hint in self.uncalculated_hints):
            self._find_uncalculated(rows)

    # Each cell below is matched within a window that ends at the next cell looked at: a cell
    # that never ends costs its window only, and the windows of a region add up to it.

    def _find_errors(self, rows: bytes) -> None:
        """Note the cells of an error value, each found from its ``t="e"``."""
        hits = [hit.start() for hit in _ERROR_TYPE.finditer(rows)]
        for index, at in enumerate(hits):
            start = rows.rfind(b"<", hits[index - 1] if index else 0, at)
            end = hits[index + 1] if index + 1 < len(hits) else len(rows)
            found = _ERROR_CELL.match(rows, start, end) if start >= 0 else None
            if found is not None and (cell := _cell(found.group(1))):
                self.facts.errors[cell] = found.group(2).decode("utf-8", "replace")

    def _find_uncalculated(self, rows: bytes) -> None:
        """Note the formulas without a value, each found from what gives it away."""
        hints = list(_UNCALCULATED_HINT.finditer(rows))
        low = 0
        for index, hint in enumerate(hints):
            start = rows.rfind(self.cell_tag, low, hint.start())
            low = hint.end()
            end = hints[index + 1].end() if index + 1 < len(hints) else len(rows)
            found = _FORMULA_CELL.match(rows, start, end) if start >= 0 else None
            if found is None or _TEXT_TYPE.search(found.group(1)):
                continue
            if cell := _cell(found.group(1)):
                self.facts.uncalculated.add(cell)

    def _measure(self, rows: bytes) -> None:
        """Measure a region whose cells all carry their reference first (else: TAGS)."""
        if _PREFIXED_CELL_OR_ROW.search(rows):
            raise _MeasureAgain(TAGS)
        facts = self.facts
        end = 0
        for unplain in _UNPLAIN_CELL.finditer(rows):
            if unplain.start() < end:
                continue  # within the tag before (a quoted value): not a tag
            cell = _CELL_REFERENCE_FIRST.match(rows, unplain.start())
            tag_end = _tag_end(rows, cell.end()) if cell is not None else None
            if cell is None or tag_end is None:
                raise _MeasureAgain(TAGS)
            end = tag_end
            row, column = int(cell.group(2)), column_number(cell.group(1))
            if rows[end - 1] == _SLASH or (row <= PLAIN_ROWS and column <= PLAIN_COLUMNS):
                continue  # no value (never kept), or within the plain range
            if self.way == PLAIN:
                raise _MeasureAgain(REFERENCES)
        if self.way == PLAIN:
            facts.row_bound, facts.column_bound = PLAIN_ROWS, PLAIN_COLUMNS
            return
        for letters, digits in _CELL_REFERENCE_FIRST.findall(rows):
            facts.row_bound = max(facts.row_bound, int(digits))
            facts.column_bound = max(facts.column_bound, column_number(letters))

    def _measure_tags(self, rows: bytes) -> None:
        """Place every cell of a region as python-calamine does, tag by tag."""
        text = self.carried + rows
        self.carried = b""
        facts = self.facts
        position = 0
        while (tag := _CELL_OR_ROW_TAG.search(text, position)) is not None:
            end = _tag_end(text, tag.end())
            if end is None:  # the tag goes on in the next region
                self.carried = text[tag.start() :]
                if len(self.carried) > MAX_TAG:
                    raise _long_tag(f'sheet "{self.sheet}"')
                return
            position = end + 1
            closing, name = tag.groups()
            attributes = text[tag.end() : end]
            if closing:
                if name == b"row":
                    self.row_index += 1
                    self.column_index = 0
                continue
            # A self-closing element is read as its start and its end: a cell without a value,
            # which the reader places (the next one follows it) but does not keep.
            kept = not attributes.endswith(b"/")
            reference = _reference(attributes)
            if name == b"row":
                if reference is not None:
                    self.row_index = reference[0] - 1
                if not kept:
                    self.row_index += 1
                    self.column_index = 0
                continue
            if reference is None:
                row, column = self.row_index + 1, self.column_index + 1
            elif reference[1] == 0:
                continue  # a reference without a column: the reader refuses the sheet
            else:
                row, column = reference
            self.column_index = column
            if kept:
                facts.row_bound = max(facts.row_bound, row)
                facts.column_bound = max(facts.column_bound, column)


_SLASH = ord("/")
_END = ord(">")


def _tag_end(text: bytes | bytearray, position: int) -> int | None:
    """Return where the tag going on at ``position`` ends (its ``>``), past quoted values.

    ``None`` when it does not end in ``text``. Each byte is looked at once: no input makes it
    slow (a regular expression for the same would backtrack on a tag that never ends).
    """
    while (mark := _TAG_END_OR_QUOTE.search(text, position)) is not None:
        at = mark.start()
        if text[at] == _END:
            return at
        closing = text.find(text[at : at + 1], at + 1)
        if closing < 0:
            return None
        position = closing + 1
    return None


def _reference(attributes: bytes) -> tuple[int, int] | None:
    """Return the (row, column) an ``r`` attribute names; column 0 when it names none."""
    attribute = _R_ATTRIBUTE.search(attributes)
    if attribute is None:
        return None
    reference = _REFERENCE.fullmatch(attribute.group(1) or attribute.group(2) or b"")
    if reference is None or int(reference.group(2)) == 0:
        return None  # not a reference the reader takes: it refuses the sheet
    return int(reference.group(2)), column_number(reference.group(1))


def _cell(attributes: bytes) -> tuple[int, int] | None:
    reference = _CELL_REFERENCE.search(attributes)
    if reference is None:
        return None
    return int(reference.group(2)), column_number(reference.group(1))


class PackageInspector:
    """Refuses a hostile or damaged workbook, then scans its sheets one at a time.

    Opening checks the package (no bomb, no document type in the parts every reader reads);
    ``scan`` then reads one sheet's XML with a hard limit and returns what it found. The
    sheets are scanned one by one so that a reader may take each as soon as it is scanned.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._raw = path.open("rb")
        try:
            if self._raw.read(len(_CFB_SIGNATURE)) == _CFB_SIGNATURE:
                raise FileProblem(
                    f"{path}: the workbook is protected by a password (or is an old .xls file)",
                    hint="Open it in Excel, remove the password (File > Info > Protect "
                    'Workbook), and save it as "Excel Workbook (*.xlsx)".',
                )
            self._padded: ZeroPadded | None = None  # read once a sheet is scanned (_zero_padded)
            # The processes forked to scan the last part of a large sheet, by sheet.
            self._beside: dict[str, Beside[int, _Rest]] = {}
            with self._translated():
                self._book = zipfile.ZipFile(self._raw)
                self._check_package()
        except BaseException:
            self._raw.close()
            raise

    @contextlib.contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except zipfile.BadZipFile as error:
            if not zipfile.is_zipfile(self.path):
                raise FileProblem(
                    f"{self.path}: not a readable Excel workbook",
                    hint='Open it in Excel and use File > Save As > "Excel Workbook (*.xlsx)".',
                ) from None
            raise damaged(self.path, error) from None

    def _check_package(self) -> None:
        check_members(self.path, self._book.infolist())
        self.parts = check_sheet_parts(self.path, self._book)
        for name in sorted(_parts_read_with_the_sheets(self._book)):
            if name in self._book.NameToInfo:
                _check_prolog(self._raw, self._book.getinfo(name))

    def scan_beside(self, sheets: Iterable[str]) -> None:
        """Fork a process to scan the last part of the first large sheet of ``sheets`` (Linux).

        It waits until ``scan`` tells it where the tool's own part ends; the two parts are
        then scanned at once, on two cores. Only that sheet waits for its scan with a core
        idle: the sheets after it are scanned while it is parsed, on the other core. The
        process is forked before any thread of the tool runs (a process forked beside a
        thread may inherit a lock it holds), while the tool is small; with threads running
        already, nothing is forked.
        """
        if not FORKS or threading.active_count() > 1:
            return
        for sheet in sheets:
            part = self.parts.get(sheet)
            info = self._book.NameToInfo.get(part) if part is not None else None
            if info is None or info.file_size < SCANNED_IN_TWO_FROM:
                continue
            rest = partial(_scan_rest, self._raw.fileno(), sheet, info, self._zero_padded())
            with contextlib.suppress(OSError):  # no process to be had: scanned in one part
                self._beside[sheet] = Beside(
                    rest, in_process=True, doing=f'scanning the sheet "{sheet}"'
                )
            return

    def scan(self, sheet: str) -> SheetFacts:
        """Scan the sheet called exactly ``sheet``; refuse it if its extent is absurd."""
        part = self.parts.get(sheet)
        if part is None or part not in self._book.NameToInfo:
            missing = f"the part {part} of its sheet" if part else "no part for its sheet"
            raise FileProblem(
                f'{self.path}: the workbook is damaged: {missing} "{sheet}" is missing'
                if part
                else f'{self.path}: the workbook is damaged: it has {missing} "{sheet}"',
                hint=SAVE_AGAIN,
            )
        info, beside = self._book.getinfo(part), self._beside.pop(sheet, None)
        padded = self._zero_padded()
        with self._translated():
            facts = _scan_sheet(self.path, sheet, self._raw, info, padded, beside)
        facts.totals = table_totals(self._book, part)
        facts.leave_out_totals()
        return facts

    def _zero_padded(self) -> ZeroPadded:
        """Return the styles that pad numbers with zeros, read once."""
        if self._padded is None:
            self._padded = zero_padded_styles(self._book)
        return self._padded

    def close(self) -> None:
        """Release the file, and end the processes of sheets not scanned."""
        for beside in self._beside.values():
            beside.cancel()
        self._beside.clear()
        self._book.close()
        self._raw.close()


def table_totals(book: zipfile.ZipFile, sheet_part: str) -> list[tuple[int, int, int]]:
    """Return the cells of the total rows of a sheet's Excel tables.

    A table (Insert > Table) may end with a total row (Table Design > Total Row), whose
    cells label, sum or count the columns above it: not a row of data. Each is returned as
    (row, first column, last column) of the table. A table part that cannot be read is passed
    over, as Excel drops such a table when it repairs the file: its rows are then read as
    any rows.
    """
    rels = _relationships_part(sheet_part)
    if rels not in book.NameToInfo:
        return []
    totals: list[tuple[int, int, int]] = []
    try:
        relationships = _relationships(book, rels)
    except FileProblem:
        return []
    for target, kind in relationships.values():
        if not kind.endswith(_TABLE) or len(totals) == MAX_TOTAL_ROWS:
            continue
        try:
            table = _parse_small(book, _resolve(sheet_part, target))
        except FileProblem:
            continue
        corners = _RANGE.fullmatch(table.get("ref", "").replace("$", ""))
        count = table.get("totalsRowCount", "0")
        if corners is None or not count.isdigit() or int(count) == 0:
            continue
        first_row, last_row = int(corners.group(2)), int(corners.group(4))
        if last_row > first_row:  # Excel writes one total row at most: the table's last
            first_column = column_number(corners.group(1).encode())
            last_column = column_number(corners.group(3).encode())
            totals.append(
                (last_row, min(first_column, last_column), max(first_column, last_column))
            )
    return totals


_TABLE = "/table"
# The total rows taken from one sheet's tables: a real sheet has a few tables at most.
MAX_TOTAL_ROWS = 100
_RANGE = re.compile(r"([A-Za-z]{1,3})(\d{1,7}):([A-Za-z]{1,3})(\d{1,7})")


def _parts_read_with_the_sheets(book: zipfile.ZipFile) -> set[str]:
    """Return the parts a reader of sheet values also reads.

    They are the package and workbook parts, the shared strings and the styles.
    """
    part = workbook_part(book)
    rels = _relationships_part(part)
    parts = {"[Content_Types].xml", "_rels/.rels", part, rels}
    for target, kind in _relationships(book, rels).values():
        if kind.endswith(("/sharedStrings", "/styles")):
            parts.add(_resolve(part, target))
    # A reader may also take these by their usual names, whatever the relationships say.
    usual = {"xl/sharedstrings.xml", "xl/styles.xml"}
    parts.update(name for name in book.NameToInfo if name.replace("\\", "/").casefold() in usual)
    return parts


def _check_prolog(raw: BinaryIO, info: zipfile.ZipInfo) -> None:
    """Inflate a part with its hard limit, refusing a document type in its prolog.

    The shared strings' root says how many strings follow, and python-calamine sets aside
    room for that many before it reads one: a count no part of this size can hold is refused.
    """
    head = bytearray()
    root_seen = False
    for chunk in read_part(raw, info):
        if len(head) >= MAX_SHEET_HEAD:
            continue  # inflated to the end all the same: its size and checksum are checked
        since = max(0, len(head) - _OVERLAP)
        head += chunk
        if _DOCUMENT_TYPE.search(head, since):
            raise _document_type_refused(info.filename)
        root = None if root_seen else _SHARED_STRINGS_ROOT.search(head, max(0, since - MAX_TAG))
        end = _tag_end(head, root.end()) if root is not None else None
        if root is not None and end is None and len(head) - root.start() > MAX_TAG:
            raise _long_tag(f"the workbook's part {info.filename}")
        if root is not None and end is not None:
            root_seen = True
            count = _UNIQUE_COUNT.search(head, root.end(), end)
            if count is not None and int(count.group(1)) > info.file_size // SHARED_STRING:
                raise FileProblem(
                    f"the workbook's part {info.filename} declares {int(count.group(1)):,} "
                    f"shared strings, more than its {info.file_size:,} bytes can hold; the "
                    "file is refused as damaged or unsafe",
                    hint=SAVE_AGAIN,
                )


def _scan_sheet(
    path: Path,
    sheet: str,
    raw: BinaryIO,
    info: zipfile.ZipInfo,
    padded: ZeroPadded | None = None,
    beside: Beside[int, _Rest] | None = None,
) -> SheetFacts:
    """Scan a sheet, in two parts at once when a process ``beside`` is there to scan the last.

    The two parts are scanned the plain way only: a sheet that must be measured another way
    (``_MeasureAgain``) is scanned again whole, by the tool alone, as it would be anyway.
    """
    way = PLAIN
    facts = None
    if beside is not None:
        facts, way = _scan_in_two(sheet, raw, info, padded, beside)
    while facts is None:
        try:
            facts = _scan_once(sheet, raw, info, way, padded)
        except _MeasureAgain as again:
            way = again.exactly
    if facts.row_bound * facts.column_bound > MAX_CELLS:
        raise FileProblem(
            f'{path}: sheet "{sheet}" spans {facts.row_bound:,} rows and '
            f"{facts.column_bound:,} columns, more than the tool reads ({MAX_CELLS:,} cells)",
            hint="Delete the empty rows and columns below and right of the data (a stray value "
            "far away makes the used range huge), save, and run again.",
        )
    return facts


def _scan_once(
    sheet: str,
    raw: BinaryIO,
    info: zipfile.ZipInfo,
    way: str,
    padded: ZeroPadded | None,
    *,
    start: int = 0,
    end: int | None = None,
) -> SheetFacts:
    """Scan the regions of rows that begin at ``start`` or after, and before ``end``.

    The sheet is read from its start (its head says its prefix) to its end, or only up to
    ``end``: the regions are where its XML splits at a row, the same in any process.
    """
    chunks = read_part(raw, info)

    def read(_: int) -> bytes:
        return next(chunks, b"")

    xml = SheetXml(sheet, read)
    facts = SheetFacts()
    scanner = SheetScanner(sheet, b"", facts, way)
    offset = 0  # where the region begins in the sheet's XML
    for kind, region in xml.regions():
        at, offset = offset, offset + len(region)
        if kind == "head":
            scanner = SheetScanner(sheet, xml.prefix, facts, way)
            if scanner.way == TAGS and (start or end is not None):
                # Measured tag by tag, a cell may be placed by the cells before it: such a
                # sheet is scanned whole, in one part.
                raise _MeasureAgain(TAGS)
        elif kind == "rows" and at >= start:
            if end is not None and at >= end:
                break  # the rest is another process's
            scanner.scan(region)
            if padded is not None and not xml.prefix:
                padded.find(region, facts)
    facts.cells_referenced = scanner.way != TAGS
    return facts


# What the process beside the tool found in the last part of a sheet: its facts; the way the
# whole sheet must be scanned again (``_MeasureAgain``); or what is wrong with the zip member.
_Rest: TypeAlias = SheetFacts | str | zipfile.BadZipFile


def _scan_rest(
    descriptor: int, sheet: str, info: zipfile.ZipInfo, padded: ZeroPadded | None, start: int
) -> _Rest:
    """Scan the regions of a sheet from ``start`` on, in the process forked for it.

    The file is opened again through the descriptor the tool holds (the same file, whatever
    has been renamed since), with a reading position of its own. The member is read to its
    end, its size and checksum proven, as a whole scan would.
    """
    with Path(f"/proc/self/fd/{descriptor}").open("rb") as raw:
        try:
            return _scan_once(sheet, raw, info, PLAIN, padded, start=start)
        except _MeasureAgain as again:
            return again.exactly
        except zipfile.BadZipFile as error:
            return error


def _scan_in_two(
    sheet: str,
    raw: BinaryIO,
    info: zipfile.ZipInfo,
    padded: ZeroPadded | None,
    beside: Beside[int, _Rest],
) -> tuple[SheetFacts | None, str]:
    """Scan the first part of a sheet while ``beside`` scans the rest; merge what both found.

    Return the facts, or ``None`` and the way the sheet must be scanned again (whole, by the
    tool alone: also when the process is gone, killed by the system).
    """
    split = int(info.file_size * OWN_SHARE)
    try:
        beside.give(split)
    except OSError:  # the process is gone
        beside.cancel()
        return None, PLAIN
    try:
        facts = _scan_once(sheet, raw, info, PLAIN, padded, end=split)
    except _MeasureAgain as again:
        beside.cancel()
        return None, again.exactly
    except BaseException:
        beside.cancel()
        raise
    try:
        rest = beside.wait()
    except Stopped:
        return None, PLAIN
    if isinstance(rest, str):
        return None, rest
    if isinstance(rest, zipfile.BadZipFile):
        raise rest
    facts.take_in(rest)
    return facts, PLAIN


@dataclass
class ZeroPadded:
    """The cell styles whose number format pads whole numbers with zeros, and their cells.

    A ZIP code typed in Excel is a number: 02134 is kept as 2134, and the cell's format
    (Excel's Zip Code, ``00000``) shows the zero. A reader of values gives the number; the
    cells of these styles are found in the sheet's XML, as Excel writes a number's cell (its
    reference, then its style, no type or ``t="n"``), so that text fields show them as Excel
    does (``cells.zero_padded``).
    """

    pieces: dict[int, list[str]]
    cells: re.Pattern[bytes] | None = field(init=False)

    def __post_init__(self) -> None:
        # The styles are named in the pattern, so that other cells are passed over at C
        # speed; a workbook of very many such styles has its styled cells looked up one by one.
        styles = (
            b"|".join(str(style).encode() for style in sorted(self.pieces))
            if len(self.pieces) <= _STYLES_NAMED
            else rb"\d{1,9}"
        )
        self.cells = (
            re.compile(rb'<c r="([A-Z]{1,3})(\d{1,7})" s="(' + styles + rb')"(?: t="n")?>')
            if self.pieces
            else None
        )

    def find(self, rows: bytes, facts: SheetFacts) -> None:
        """Note the number cells of a region of rows that have one of these styles."""
        if self.cells is None:
            return
        for letters, row, style in self.cells.findall(rows):
            pieces = self.pieces.get(int(style))
            if pieces is not None:
                facts.padded[(int(row), column_number(letters))] = pieces


_STYLES_NAMED = 64


def zero_padded_styles(book: zipfile.ZipFile) -> ZeroPadded:
    """Read the styles part for the cell styles that pad numbers with zeros.

    A styles part that cannot be read gives none: numbers are then read as they are.
    """
    part = workbook_part(book)
    found: dict[int, list[str]] = {}
    try:
        relationships = _relationships(book, _relationships_part(part))
        targets = [target for target, kind in relationships.values() if kind.endswith("/styles")]
        if not targets:
            return ZeroPadded(found)
        styles = _parse_small(book, _resolve(part, targets[0]))
    except FileProblem:
        return ZeroPadded(found)
    formats: dict[str, str] = {}
    for element in styles.iter():
        local = element.tag.rsplit("}", 1)[-1]
        if local == "numFmt":
            formats[element.get("numFmtId", "")] = element.get("formatCode", "")
        elif local == "cellXfs":
            for style, xf in enumerate(child for child in element if child.tag.endswith("xf")):
                pieces = zero_padded_pieces(formats.get(xf.get("numFmtId", ""), ""))
                if pieces is not None:
                    found[style] = pieces
    return ZeroPadded(found)
