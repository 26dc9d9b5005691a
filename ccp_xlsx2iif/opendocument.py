"""The check an OpenDocument spreadsheet (.ods) passes before python-calamine reads it.

An accounts workbook or a chart of accounts may be an .ods file. python-calamine reads every
table of it when the file is opened, and makes each one a grid of rows x columns: a row of
LibreOffice's ``table:number-rows-repeated="1000000"`` holding a value, in an 800-byte file,
asks for gigabytes (about 125 bytes a cell; it refuses only beyond 100 million cells). So
``content.xml`` is read first, with the same limits as a workbook's parts and no document type,
and the cells python-calamine would make are counted the way it makes them:

- a cell counts when it holds a value, a formula or text (``office:value-type="string"``),
  once per ``table:number-columns-repeated``; empty cells count only before such a cell;
- a table spans the rows from its first row with such a cell to its last, each row once per
  ``table:number-rows-repeated``, and the columns up to the last such cell of any row.

Names are matched as python-calamine matches them: with their prefix (``table:table-row``).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn
from xml.parsers import expat

from ccp_xlsx2iif.package import check_members, read_part
from ccp_xlsx2iif.problems import FileProblem

CONTENT = "content.xml"
# About 1.25 GB for python-calamine; no accounts workbook comes near.
MAX_CELLS = 10_000_000
SAVE_AS_XLSX = 'Open it in LibreOffice and save it as "Excel 2007-365 (.xlsx)".'

_CELLS = frozenset({"table:table-cell", "table:covered-table-cell"})
_VALUES = (
    "office:value",
    "office:string-value",
    "office:date-value",
    "office:time-value",
    "office:boolean-value",
    "table:formula",
)


class _Refused(Exception):
    """Raised from the parser's handlers: the content declares a document type."""


class TableExtent:
    """Counts the cells python-calamine makes of the tables of ``content.xml``.

    What is inside a cell (its paragraphs, a table in it) is skipped, as the reader skips it;
    a table that starts inside another continues it until the first end of a table.
    """

    def __init__(self) -> None:
        self.cells = 0  # of the tables ended so far
        self.largest = (0, "")  # the cells and the name of the largest table so far
        self.in_table = False
        self.inside_cell = 0  # depth of the elements within the current cell
        self._start_table()

    def _start_table(self, name: str = "") -> None:
        self.name = name
        self.rows_before = 0  # rows of the table before the current one, repeats counted
        self.first_row: int | None = None
        self.rows_end = 0
        self.width = 0
        self.row_repeats = 1
        self.column = 0  # columns of the current row so far, repeats counted
        self.row_width = 0

    def start(self, name: str, attributes: dict[str, str]) -> None:
        """Take in the start of an element."""
        if self.inside_cell:
            self.inside_cell += 1
        elif name == "table:table":
            if not self.in_table:
                self.in_table = True
                self._start_table(attributes.get("table:name", ""))
        elif name == "table:table-row":
            self.row_repeats = _count(attributes.get("table:number-rows-repeated"))
            self.column = self.row_width = 0
        elif name in _CELLS:
            self.inside_cell = 1
            self.column += _count(attributes.get("table:number-columns-repeated"))
            if attributes.get("office:value-type") == "string" or any(
                value in attributes for value in _VALUES
            ):
                self.row_width = self.column

    def end(self, name: str) -> None:
        """Take in the end of an element."""
        if self.inside_cell:
            self.inside_cell -= 1
        elif name == "table:table-row":
            if self.row_width:
                if self.first_row is None:
                    self.first_row = self.rows_before
                self.rows_end = self.rows_before + self.row_repeats
                self.width = max(self.width, self.row_width)
            self.rows_before += self.row_repeats
        elif name == "table:table":
            if self.first_row is not None:
                cells = (self.rows_end - self.first_row) * self.width
                self.cells += cells
                self.largest = max(self.largest, (cells, self.name))
            self.in_table = False
            self._start_table()


def _count(text: str | None) -> int:
    """Read a repeat count; one that is not a number is left to the reader to refuse."""
    if text is None:
        return 1
    try:
        return max(int(text), 1)
    except ValueError:
        return 1


def check_opendocument(path: Path) -> None:
    """Raise ``FileProblem`` when python-calamine should not be given the .ods file ``path``."""
    extent = measure(path)
    if extent.cells > MAX_CELLS:
        largest, name = extent.largest
        raise FileProblem(
            f'{path}: its sheets span {extent.cells:,} cells, the sheet "{name}" {largest:,} '
            f"of them; more than the tool reads from an OpenDocument file ({MAX_CELLS:,})",
            hint="A value or formula filled down whole columns (or across whole rows) makes "
            "every cell of them count: clear those cells, or keep only the sheets the tool "
            "reads in this file.",
        )


def measure(path: Path) -> TableExtent:
    """Count the cells python-calamine would make of the tables of the .ods file ``path``."""
    try:
        with path.open("rb") as raw, zipfile.ZipFile(raw) as package:
            check_members(path, package.infolist(), hint=SAVE_AS_XLSX)
            if CONTENT not in package.NameToInfo:
                return TableExtent()  # python-calamine says what is missing
            return _measure(path, read_part(raw, package.getinfo(CONTENT)))
    except zipfile.BadZipFile as error:
        raise FileProblem(
            f"{path}: not a readable OpenDocument spreadsheet ({error})", hint=SAVE_AS_XLSX
        ) from None
    except OSError as error:
        raise FileProblem(f"{path}: cannot be read ({error.strerror or error})") from None


def _measure(path: Path, chunks: Iterator[bytes]) -> TableExtent:
    extent = TableExtent()
    parser = expat.ParserCreate()  # no namespace processing: names keep their prefix
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def no_document_type(*_: object) -> NoReturn:
        raise _Refused

    parser.StartDoctypeDeclHandler = no_document_type
    parser.EntityDeclHandler = no_document_type
    parser.StartElementHandler = extent.start
    parser.EndElementHandler = extent.end
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except _Refused:
        raise FileProblem(
            f"{path}: the part {CONTENT} declares a document type, which the tool refuses",
            hint=SAVE_AS_XLSX,
        ) from None
    except expat.ExpatError as error:
        raise FileProblem(
            f"{path}: the part {CONTENT} is not well-formed XML ({error})", hint=SAVE_AS_XLSX
        ) from None
    except (LookupError, ValueError) as error:  # the encoding it declares cannot be read
        raise FileProblem(
            f"{path}: the part {CONTENT} cannot be read as XML ({error})", hint=SAVE_AS_XLSX
        ) from None
    return extent
