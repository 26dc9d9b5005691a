"""Writing the Exported cells into the workbook file itself, losing nothing else.

Loading and saving a workbook with a library rewrites all of it and drops what the library
does not model (formulas' cached values, pictures, text boxes, sparklines, rich text, VBA
buttons). Instead, the ``.xlsx``/``.xlsm`` zip is copied member by member: every member but
the order worksheet is copied as its compressed bytes, unchanged; the order worksheet's XML is
streamed, and only the rows that get an Exported cell are rewritten. Memory stays flat
whatever the size of the sheet.

Inside the worksheet only these change: the Exported cells, the Exported header when the
column is new, and the hints that describe the used range (``<dimension ref>`` and a touched
row's ``spans``). New cells are inline strings, so the shared strings part stays as it was.
"""

from __future__ import annotations

import copy
import re
import struct
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ccp_xlsx2iif.cells import is_blank
from ccp_xlsx2iif.contract import EXPORTED_HEADER
from ccp_xlsx2iif.package import (
    CHUNK_SIZE,
    SheetXml,
    column_number,
    damaged,
    find_sheet_part,
    read_part,
    seek_data,
)
from ccp_xlsx2iif.problems import FileProblem, Place, Problem, ProblemsFound, column_letter
from ccp_xlsx2iif.workbook import Table

# The fastest deflate: the marked sheet is some 15% larger than at level 6, written 4 times faster.
DEFLATE_LEVEL = 1

_DATA_DESCRIPTOR_FLAG = 0x08
_ZIP64_EXTRA_ID = 0x0001

_ROW_NUMBER = re.compile(rb"""(?:^|\s)r\s*=\s*["'](\d+)["']""")
_CELL_REFERENCE = re.compile(rb"""(?:^|\s)r\s*=\s*["']([A-Za-z]{1,3})(\d+)["']""")
_STYLE = re.compile(rb"""(?:^|\s)s\s*=\s*["'](\d+)["']""")
_CELL_TYPE = re.compile(rb"""(?:^|\s)t\s*=\s*["'](\w+)["']""")
_METADATA = re.compile(rb"""(?:^|\s)(?:cm|vm)\s*=""")
_LAST_REFERENCE = re.compile(rb' r="([A-Z]{1,3})(\d+)"')
_SPANS = re.compile(rb"""((?:^|\s)spans\s*=\s*["'])([\d:\s]*)(["'])""")
_ATTRIBUTE = re.compile(rb"""([\w:.-]+)\s*=\s*["']([^"']*)["']""")


def xml_text(text: str) -> str:
    """Escape text for an XML element: ``&``, ``<`` and ``>``."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class ExportedMarks:
    """What to write: text per Excel row in one column of one sheet.

    ``header`` is written in row 1 when the Exported column is new. ``cells_referenced``:
    the sheet's scan found every cell tag of its rows starting with the cell's reference
    (``SheetFacts.cells_referenced``); a row's cells then need no count to tell it.
    """

    sheet: str
    column: int
    values: Mapping[int, str]
    header: str | None = None
    cells_referenced: bool = False


def write_marked_copy(source: Path, out: BinaryIO, marks: ExportedMarks) -> None:
    """Write to ``out`` a copy of the workbook ``source`` with ``marks`` written in.

    Raises ``ProblemsFound`` when an Exported cell cannot be written without losing something
    (a formula, a rich value), and ``FileProblem`` when the workbook's structure is not what
    Excel writes.
    """
    try:
        with zipfile.ZipFile(source) as book, source.open("rb") as raw:
            part = find_sheet_part(book, marks.sheet)
            with zipfile.ZipFile(out, "w", allowZip64=True) as copy_zip:
                for info in book.infolist():
                    if info.filename == part:
                        _write_edited_sheet(raw, info, copy_zip, marks)
                    else:
                        _copy_member(raw, info, copy_zip)
    except zipfile.BadZipFile as error:
        raise damaged(source, error) from None


def _strip_zip64_extra(extra: bytes) -> bytes:
    kept = bytearray()
    position = 0
    while position + 4 <= len(extra):
        field_id, size = struct.unpack_from("<HH", extra, position)
        if field_id != _ZIP64_EXTRA_ID:
            kept += extra[position : position + 4 + size]
        position += 4 + size
    return bytes(kept)


def _copy_member(raw: BinaryIO, info: zipfile.ZipInfo, copy_zip: zipfile.ZipFile) -> None:
    """Copy one member's compressed bytes as they are (no inflating, no deflating)."""
    seek_data(raw, info)
    member = copy.copy(info)
    member.flag_bits &= ~_DATA_DESCRIPTOR_FLAG
    member.extra = _strip_zip64_extra(info.extra)
    # zipfile has no public call to add already-compressed data; its own writer keeps the same
    # bookkeeping: the member's offset, the file list, and where the central directory starts.
    output = copy_zip.fp
    if output is None:
        raise zipfile.BadZipFile("the copy is closed")
    member.header_offset = output.tell()
    zip64 = member.file_size > zipfile.ZIP64_LIMIT or member.compress_size > zipfile.ZIP64_LIMIT
    output.write(member.FileHeader(zip64))
    remaining = info.compress_size
    while remaining:
        chunk = raw.read(min(remaining, CHUNK_SIZE))
        if not chunk:
            raise zipfile.BadZipFile(f"{info.filename} is cut short")
        output.write(chunk)
        remaining -= len(chunk)
    copy_zip.filelist.append(member)
    copy_zip.NameToInfo[member.filename] = member
    copy_zip.start_dir = output.tell()


def _write_edited_sheet(
    raw: BinaryIO, info: zipfile.ZipInfo, copy_zip: zipfile.ZipFile, marks: ExportedMarks
) -> None:
    member = zipfile.ZipInfo(info.filename, info.date_time)
    member.compress_type = info.compress_type
    member.external_attr = info.external_attr
    member.create_system = info.create_system
    member.comment = info.comment
    # Python 3.13 names the attribute compress_level; earlier versions _compresslevel.
    level_attribute = "compress_level" if hasattr(member, "compress_level") else "_compresslevel"
    setattr(member, level_attribute, DEFLATE_LEVEL)
    force_zip64 = info.file_size > (zipfile.ZIP64_LIMIT // 2)
    chunks = read_part(raw, info)

    def read(_: int) -> bytes:
        return next(chunks, b"")

    with copy_zip.open(member, "w", force_zip64=force_zip64) as edited:
        SheetEditor(marks).run(read, edited.write)


class SheetEditor:
    """Streams one worksheet's XML, rewriting the rows that get an Exported cell."""

    def __init__(self, marks: ExportedMarks) -> None:
        self.marks = marks
        self.targets = dict(marks.values)
        if marks.header is not None:
            self.targets[1] = marks.header
        self.letters = column_letter(marks.column).encode()
        self.written: set[int] = set()
        self.problems: list[Problem] = []
        self.column_styles: list[tuple[int, int, bytes]] = []
        self.widened_spans: dict[bytes, bytes] = {}
        self.cell_ends: dict[tuple[bytes, str], bytes] = {}
        self.plain_rows: dict[tuple[bytes, str], tuple[bytes, bytes]] = {}
        self.previous_row = 0

    def _compile(self, prefix: bytes) -> None:
        p = re.escape(prefix)
        self.prefix = prefix
        self.row_with_number = b"<" + prefix + b'row r="'
        self.row_open = b"<" + prefix + b"row"
        self.row_close = b"</" + prefix + b"row>"
        # The start of a cell's tag, whatever follows it: no other tag in a row starts so.
        self.cell_tag = b"<" + prefix + b"c"
        self.cell_with_reference = b"<" + prefix + b'c r="'
        self.cell_start_reference = self.cell_with_reference + self.letters
        self.row_start = re.compile(rb"<" + p + rb"row(?=[\s/>])([^>]*?)(/?)>")
        self.row_end = re.compile(rb"</" + p + rb"row\s*>")
        self.cell_start = re.compile(rb"<" + p + rb"c(?=[\s/>])([^>]*?)(/?)>")
        self.cell_end = re.compile(rb"</" + p + rb"c\s*>")
        self.formula = re.compile(rb"<" + p + rb"f(?=[\s/>])")
        self.dimension = re.compile(
            rb"(<"
            + p
            + rb"dimension\b[^>]*?\bref\s*=\s*[\"'])([A-Za-z]+)(\d+)(?::([A-Za-z]+)(\d+))?"
        )
        self.col = re.compile(rb"<" + p + rb"col(?=[\s/>])([^>]*?)/?>")

    def run(self, read: Callable[[int], bytes], write: Callable[[bytes], object]) -> None:
        """Read the sheet XML with ``read``, write the edited XML with ``write``."""
        sheet = SheetXml(self.marks.sheet, read)
        for kind, region in sheet.regions():
            if kind == "head":
                self._compile(sheet.prefix)
                write(self._edit_head(region))
            elif kind == "rows":
                write(self._edit_rows(region))
            else:
                write(region)
        if self.problems:
            raise ProblemsFound(self.problems)
        missing = sorted(set(self.targets) - self.written)
        if missing:
            raise FileProblem(
                f'sheet "{self.marks.sheet}" has no row {missing[0]} in its XML, '
                "although it was read there"
            )

    def _edit_head(self, head: bytes) -> bytes:
        for attributes in self.col.findall(head):
            values = dict(_ATTRIBUTE.findall(attributes))
            style = values.get(b"style")
            if style and style != b"0" and b"min" in values and b"max" in values:
                self.column_styles.append((int(values[b"min"]), int(values[b"max"]), style))
        return self.dimension.sub(self._widen_dimension, head, count=1)

    def _widen_dimension(self, match: re.Match[bytes]) -> bytes:
        first_letters, first_row = match.group(2), match.group(3)
        last_letters = match.group(4) or first_letters
        last_row = match.group(5) or first_row
        if column_number(last_letters) >= self.marks.column:
            return match.group(0)
        first = first_letters + first_row
        return match.group(1) + first + b":" + self.letters + last_row

    def _edit_rows(self, rows: bytes) -> bytes:
        """Rewrite the targeted rows of a region of whole rows."""
        parts = rows.split(self.row_with_number)
        if rows.count(self.row_open) == len(parts) - 1:  # every row tag is <row r="
            edited = self._edit_plain_rows(parts)
            if edited is not None:
                return edited
        return self._edit_any_rows(rows)

    def _edit_plain_rows(self, parts: list[bytes]) -> bytes | None:
        """Rewrite rows written as Excel writes them, split at their tags (at C speed).

        ``parts`` follow each ``<row r="``. Each targeted row must be ``<row r="N" ...>``
        closed by ``</row>``; ``None`` when a row is written otherwise (before any change).
        """
        found: list[tuple[int, int, str, int, int]] = []
        targets = self.targets
        close_tag = self.row_close
        for index in range(1, len(parts)):
            part = parts[index]
            quote = part.find(b'"')
            digits = part[:quote]
            if not digits.isdigit():
                return None
            number = int(digits)
            text = targets.get(number)
            if text is None:
                continue
            tag_end = part.find(b">", quote)
            close = part.rfind(close_tag)
            # A self-closing row has no end tag in its part: its close is not found.
            if tag_end < 0 or close < tag_end or part[close + len(close_tag) :].strip():
                return None
            found.append((index, number, text, tag_end, close))
        for index, number, text, tag_end, close in found:
            part = parts[index]
            appended = self._append_plain(part, number, text, tag_end, close)
            if appended is None:
                attributes = b' r="' + part[:tag_end]
                row = self._edit_row(number, attributes, part[tag_end + 1 : close], text)
                # The row without the "<row r=\"" that the split took away.
                appended = row[len(self.row_with_number) :] + part[close + len(close_tag) :]
            parts[index] = appended
            self.written.add(number)
        if len(parts) > 1:
            self.previous_row = int(parts[-1][: parts[-1].find(b'"')])
        return self.row_with_number.join(parts)

    def _cells_left_of_column(self, data: bytes, number: int, start: int, end: int) -> bool:
        """Whether row ``number``'s cells, ``data[start:end]``, all lie left of its Exported cell.

        Each must have its reference first (``<c r="``): the Exported cell is then appended at
        the end. That is the common case, and a search from the end of the row tells it,
        where the general way walks every cell; every tag is counted too, unless the sheet's
        scan found them all so (``ExportedMarks.cells_referenced``).
        """
        last = data.rfind(b' r="', start, end)
        match = _LAST_REFERENCE.match(data, last, end) if last >= 0 else None
        if (
            match is None
            or int(match.group(2)) != number
            or column_number(match.group(1)) >= self.marks.column
        ):
            return False
        if self.marks.cells_referenced:
            return True
        # Any other start of a cell's tag (<c>, <c/>, a line break before its reference)
        # is counted in the first count only.
        tags = data.count(self.cell_tag, start, end)
        return tags == data.count(self.cell_with_reference, start, end)

    def _append_plain(
        self, part: bytes, number: int, text: str, tag_end: int, close: int
    ) -> bytes | None:
        """``_append`` for a part of ``_edit_plain_rows``, in place in the part.

        Rows of a sheet mostly share their attributes after the row number (``spans``, style):
        the widened attributes and the new cell are made once for each, and for each text.
        """
        if number == 1 and self.marks.header is not None:
            return None
        if not self._cells_left_of_column(part, number, tag_end, close):
            return None
        quote = part.find(b'"')
        key = (part[quote:tag_end], text)
        made = self.plain_rows.get(key)
        reference = b"%d" % number
        if made is None:
            attributes = b' r="' + part[:tag_end]
            widened = self._widen_spans(attributes)
            cell = self._cell(number, self._new_cell_style(attributes), text)
            # What follows the row number in the row tag, and in the new cell's reference.
            made = (
                widened[len(b' r="') + quote :],
                cell[len(self.cell_start_reference) + len(reference) :],
            )
            self.plain_rows[key] = made
        return b"".join(
            (
                part[:quote],
                made[0],
                part[tag_end:close],
                self.cell_start_reference,
                reference,
                made[1],
                part[close:],
            )
        )

    def _edit_any_rows(self, rows: bytes) -> bytes:
        pieces: list[bytes] = []
        copied_to = 0
        for row in self.row_start.finditer(rows):
            number_match = _ROW_NUMBER.search(row.group(1))
            number = int(number_match.group(1)) if number_match else self.previous_row + 1
            self.previous_row = number
            text = self.targets.get(number)
            if text is None:
                continue
            if row.group(2):
                end = row.end()
                content = b""
            else:
                close = self.row_end.search(rows, row.end())
                if close is None:
                    raise FileProblem(f'row {number} of sheet "{self.marks.sheet}" is not closed')
                end = close.end()
                content = rows[row.end() : close.start()]
            pieces.append(rows[copied_to : row.start()])
            pieces.append(self._edit_row(number, row.group(1), content, text))
            copied_to = end
            self.written.add(number)
        pieces.append(rows[copied_to:])
        return b"".join(pieces)

    def _edit_row(self, number: int, attributes: bytes, content: bytes, text: str) -> bytes:
        if number != 1 or self.marks.header is None:
            appended = self._append(number, attributes, content, text)
            if appended is not None:
                return appended
        target = self.marks.column
        insert_at = len(content)
        replace: tuple[int, int] | None = None
        style = b""
        previous_column = 0
        previous_style = b""
        for cell in self.cell_start.finditer(content):
            cell_attributes = cell.group(1)
            reference = _CELL_REFERENCE.search(cell_attributes)
            column = column_number(reference.group(1)) if reference else previous_column + 1
            if cell.group(2):
                cell_end, body = cell.end(), b""
            else:
                close = self.cell_end.search(content, cell.end())
                if close is None:
                    raise FileProblem(
                        f'a cell in row {number} of sheet "{self.marks.sheet}" is not closed'
                    )
                cell_end, body = close.end(), content[cell.end() : close.start()]
            if column == target:
                self._refuse_unsafe(number, cell_attributes, body)
                style_match = _STYLE.search(cell_attributes)
                style = style_match.group(1) if style_match else b""
                replace = (cell.start(), cell_end)
                break
            if column > target:
                if reference is None:
                    raise FileProblem(
                        f'row {number} of sheet "{self.marks.sheet}" has cells without '
                        "references after the Exported column; save the workbook in Excel first"
                    )
                insert_at = cell.start()
                break
            previous_column = column
            style_match = _STYLE.search(cell_attributes)
            previous_style = style_match.group(1) if style_match else b""
        if replace is None:
            style = (
                previous_style
                if number == 1 and self.marks.header is not None
                else (self._new_cell_style(attributes))
            )
            replace = (insert_at, insert_at)
        new_cell = self._cell(number, style, text)
        edited = content[: replace[0]] + new_cell + content[replace[1] :]
        p = self.prefix
        return (
            b"<" + p + b"row" + self._widen_spans(attributes) + b">" + edited + b"</" + p + b"row>"
        )

    def _append(self, number: int, attributes: bytes, content: bytes, text: str) -> bytes | None:
        """Append the Exported cell when all of the row's cells lie left of its column.

        ``None`` when the row is not that simple (``_cells_left_of_column``).
        """
        if not self._cells_left_of_column(content, number, 0, len(content)):
            return None
        new_cell = self._cell(number, self._new_cell_style(attributes), text)
        return b"".join(
            (
                self.row_open,
                self._widen_spans(attributes),
                b">",
                content,
                new_cell,
                self.row_close,
            )
        )

    def _refuse_unsafe(self, number: int, attributes: bytes, body: bytes) -> None:
        kind = _CELL_TYPE.search(attributes)
        reason = None
        if self.formula.search(body):
            reason = "holds a formula"
        elif _METADATA.search(attributes):
            reason = "holds a rich value (a picture or linked data type)"
        elif kind and kind.group(1) == b"e":
            reason = "holds an error value"
        if reason:
            place = Place(self.marks.sheet, number, self.marks.column)
            self.problems.append(
                Problem(
                    place,
                    "unwritable-cell",
                    f"the Exported cell {reason}; the tool does not overwrite it. "
                    "Clear the cell and run the export again",
                )
            )

    def _new_cell_style(self, row_attributes: bytes) -> bytes:
        for first, last, style in self.column_styles:
            if first <= self.marks.column <= last:
                return style
        if b"customFormat" not in row_attributes:
            return b""
        values = dict(_ATTRIBUTE.findall(row_attributes))
        if values.get(b"customFormat") in (b"1", b"true") and b"s" in values:
            return bytes(values[b"s"])
        return b""

    def _cell(self, number: int, style: bytes, text: str) -> bytes:
        """Return the Exported cell of row ``number``.

        What follows the row number is made once per style and text: a batch writes the same
        text in every row.
        """
        after = self.cell_ends.get((style, text))
        if after is None:
            p = self.prefix
            style_attribute = b' s="' + style + b'"' if style else b""
            if not text:  # a cleared cell keeps its style, and no value
                after = b'"' + style_attribute + b"/>"
            else:
                value = xml_text(text).encode("utf-8")
                after = b"".join(
                    (
                        b'"',
                        style_attribute,
                        b' t="inlineStr"><',
                        p,
                        b"is><",
                        p,
                        b"t>",
                        value,
                        b"</",
                        p,
                        b"t></",
                        p,
                        b"is></",
                        p,
                        b"c>",
                    )
                )
            self.cell_ends[(style, text)] = after
        return b"%s%d%s" % (self.cell_start_reference, number, after)

    def _widen_spans(self, attributes: bytes) -> bytes:
        """Return row attributes whose ``spans`` hint covers the Exported column."""
        match = _SPANS.search(attributes)
        if match is None:
            return attributes
        spans = match.group(2)
        if spans not in self.widened_spans:
            numbers = [int(n) for n in re.findall(rb"\d+", spans)]
            groups = spans.split()
            if numbers and self.marks.column > max(numbers):
                first = groups[-1].split(b":")[0]
                groups[-1] = first + b":" + str(self.marks.column).encode()
            self.widened_spans[spans] = b" ".join(groups)
        return attributes[: match.start(2)] + self.widened_spans[spans] + attributes[match.end(2) :]


@dataclass(frozen=True)
class ExportedColumn:
    """Where the Exported cells of a sheet go, decided from its header row.

    ``header`` is the header to write when the column is new; ``merged`` are the (first, last)
    Excel rows of the merged ranges that reach into the column.
    """

    sheet: str
    column: int
    header: str | None
    book: str | None = None
    merged: tuple[tuple[int, int], ...] = ()
    cells_referenced: bool = False  # see ExportedMarks

    def marks(self, values: Mapping[int, str]) -> tuple[ExportedMarks, list[Problem]]:
        """Return the marks to write, and a problem for each one in a merged cell."""
        rows = sorted({*values, *([1] if self.header else [])})
        problems = [
            Problem(
                Place(self.sheet, row, self.column, self.book),
                "merged-cell",
                "the Exported cell is part of merged cells; unmerge them and run again",
            )
            for first, last in self.merged
            for row in rows
            if first <= row <= last
        ]
        marks = ExportedMarks(
            self.sheet, self.column, dict(values), self.header, self.cells_referenced
        )
        return marks, problems


def exported_column(
    table: Table, merged: list[tuple[tuple[int, int], tuple[int, int]]]
) -> tuple[ExportedColumn, list[Problem]]:
    """Decide where the Exported cells go.

    The Exported column is the sheet's own when it has one; else a new column right after
    the last header, which must be empty.
    """
    problems: list[Problem] = []
    sheet = table.columns.sheet
    column = table.columns.index.get("exported")
    header = None
    if column is None:
        header = EXPORTED_HEADER
        header_cells = table.rows[0] if table.rows else []
        filled = [index for index, value in enumerate(header_cells, start=1) if not is_blank(value)]
        column = (filled[-1] if filled else 0) + 1
        for row_index, cells in enumerate(table.rows):
            if column <= len(cells) and not is_blank(cells[column - 1]):
                problems.append(
                    Problem(
                        Place(sheet, row_index + 1, column, table.columns.book),
                        "exported-column-not-empty",
                        f"the sheet has no Exported column and the next free column, "
                        f"{column_letter(column)}, is not empty here; add the header "
                        f'"{EXPORTED_HEADER}" to the column to use',
                    )
                )
                break
    reaching = tuple(
        (first_row + 1, last_row + 1)
        for (first_row, first_column), (last_row, last_column) in merged
        if first_column + 1 <= column <= last_column + 1
    )
    referenced = table.facts is not None and table.facts.cells_referenced
    return ExportedColumn(sheet, column, header, table.columns.book, reaching, referenced), problems
