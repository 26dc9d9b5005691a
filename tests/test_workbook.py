"""Reading a workbook with python-calamine: what stops the reader becomes a message.

python-calamine makes a date, a time or a duration of every cell formatted as one. A number
that none can be stops it for the whole sheet: below about -1E+11 days its Rust code panics
(pyo3 raises ``PanicException``, a ``BaseException``), and a duration of more than 999,999,999
days overflows Python's timedelta. Each becomes a ``FileProblem`` that names the row.

The memory a large parsed sheet leaves once its rows are Python's is given back to the system
where the C library can (glibc).
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from ccp_xlsx2iif.problems import FileProblem
from ccp_xlsx2iif.workbook import give_back_freed_memory, is_panic, open_book
from tests.workbooks import OrderBook, replace_member, save_sheets

UNDATED = (
    "cannot be read: in row {row}, a cell formatted as a date or time holds a number that no "
    "date or time can be"
)


def a_sheet(path: Path, cells: dict[str, tuple[float | str, str]]) -> Path:
    """Save a workbook of one sheet "S" holding ``cells``: reference -> (value, number format)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "S"
    for reference, (value, number_format) in cells.items():
        sheet[reference] = value
        sheet[reference].number_format = number_format
    book.save(path)
    return path


def read_error(path: Path, sheet: str = "S") -> FileProblem:
    book = open_book(path, writable=False, sheets=None)
    try:
        with pytest.raises(FileProblem) as caught:
            book.read_rows(sheet)
    finally:
        book.close()
    return caught.value


def real_panic(tmp_path: Path) -> BaseException:
    """Return the reader's own panic, raised by a date before any calendar."""
    from python_calamine import CalamineWorkbook

    path = a_sheet(tmp_path / "panic.xlsx", {"A1": (-1e12, "yyyy-mm-dd")})
    reader = CalamineWorkbook.from_path(str(path))
    try:
        reader.get_sheet_by_name("S").to_python()
    except BaseException as error:  # the panic is what is wanted
        return error
    finally:
        reader.close()
    raise AssertionError("the reader did not panic")


def test_the_row_is_counted_from_row_1_whatever_empty_rows_come_first(tmp_path: Path) -> None:
    path = a_sheet(
        tmp_path / "book.xlsx",
        {"C3": ("x", "General"), "D5": (-1e12, "yyyy-mm-dd"), "B7": (1, "General")},
    )
    problem = read_error(path)
    assert problem.message == f'{path}: the sheet "S" ' + UNDATED.format(row=5)
    assert problem.hint == (
        "Excel shows that cell as ########: correct the number, or format the cell as a number "
        "(Home > Number Format > General), save, and run again."
    )


@pytest.mark.parametrize(
    ("value", "number_format"),
    [
        (-1e12, "yyyy-mm-dd"),
        (-1e15, "hh:mm"),
        (-1e300, "yyyy-mm-dd hh:mm:ss"),
        (2e9, "[h]:mm:ss"),
        (-2e9, "[mm]:ss"),
        (1e15, "[ss]"),
    ],
)
def test_each_number_that_stops_the_reader_names_its_row(
    tmp_path: Path, value: float, number_format: str
) -> None:
    path = a_sheet(
        tmp_path / "book.xlsx", {"A1": ("head", "General"), "B2": (value, number_format)}
    )
    assert read_error(path).message == f'{path}: the sheet "S" ' + UNDATED.format(row=2)


@pytest.mark.parametrize(
    ("value", "number_format"),
    [(1e12, "yyyy-mm-dd"), (-1e9, "yyyy-mm-dd"), (5035551234, "General"), (-1e12, "0.00")],
)
def test_numbers_the_reader_takes_are_read(
    tmp_path: Path, value: float, number_format: str
) -> None:
    # A date past any calendar reads as its number; only a format of dates or times matters.
    path = a_sheet(tmp_path / "book.xlsx", {"A1": (value, number_format)})
    book = open_book(path, writable=False, sheets=None)
    try:
        assert book.read_rows("S") == [[value]]
    finally:
        book.close()


def test_a_panic_is_recognised(tmp_path: Path) -> None:
    panic = real_panic(tmp_path)
    assert not isinstance(panic, Exception)
    assert is_panic(panic)
    assert not is_panic(KeyboardInterrupt())
    assert not is_panic(ValueError("PanicException"))


def test_a_panic_while_a_sheet_is_parsed_is_a_file_problem(tmp_path: Path) -> None:
    panic = real_panic(tmp_path)
    path = OrderBook().save(tmp_path / "orders.xlsx")
    book = open_book(path, writable=False)
    try:
        with pytest.raises(FileProblem) as caught, book._translated("Orders"):
            raise panic
    finally:
        book.close()
    assert caught.value.message == (
        f'{path}: the sheet "Orders" cannot be read (its reader stopped: {panic})'
    )


def test_other_errors_pass_through_the_translation(tmp_path: Path) -> None:
    path = OrderBook().save(tmp_path / "orders.xlsx")
    book = open_book(path, writable=False)
    try:
        with pytest.raises(KeyboardInterrupt), book._translated("Orders"):
            raise KeyboardInterrupt
    finally:
        book.close()


def test_a_panic_while_the_workbook_is_opened_is_a_file_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from python_calamine import CalamineWorkbook

    panic = real_panic(tmp_path)
    path = OrderBook().save(tmp_path / "orders.xlsx")

    def panicking(_: str) -> None:
        raise panic

    monkeypatch.setattr(CalamineWorkbook, "from_path", panicking)
    with pytest.raises(FileProblem) as caught:
        open_book(path, writable=False)
    assert caught.value.message == f"{path}: not a readable Excel workbook"


def test_the_reader_speaks_once_then_the_tool_says_what_to_do(tmp_path: Path) -> None:
    """The panic's own lines come once (not again while the row is found), then the message."""
    path = OrderBook().save(tmp_path / "orders.xlsx")
    book = load_workbook(path)
    book["Orders"]["B2"] = -1e12
    book["Orders"]["B2"].number_format = "yyyy-mm-dd"
    book.save(path)
    before = path.read_bytes()
    completed = subprocess.run(
        [sys.executable, "-m", "ccp_xlsx2iif", "export", str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, "RUST_BACKTRACE": "0"},
        timeout=120,
        check=False,
    )
    lines = completed.stderr.splitlines()
    assert completed.returncode == 3
    assert sum("panicked at" in line for line in lines) == 1
    assert lines[-2] == f'{path}: the sheet "Orders" ' + UNDATED.format(row=2)
    assert lines[-1].startswith("Excel shows that cell as ########")
    assert "Traceback" not in completed.stderr
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orders.xlsx"]


def test_standard_error_is_given_back_after_the_row_is_found(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    path = a_sheet(tmp_path / "book.xlsx", {"A3": (-1e12, "yyyy-mm-dd")})
    read_error(path)
    capfd.readouterr()
    os.write(2, b"still heard\n")
    assert capfd.readouterr().err == "still heard\n"


GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
# Reads the sheet "S" of a workbook as an export does, with the given threshold; prints the
# process's resident memory (kB) once the rows are read.
RESIDENT_AFTER_READING = """
import sys
from pathlib import Path
from ccp_xlsx2iif import workbook
workbook.GIVE_BACK_FROM_CELLS = int(sys.argv[2])
book = workbook.open_book(Path(sys.argv[1]), writable=False, sheets=["S"])
rows = book.read_rows("S")
book.close()
assert len(rows) == 50_000 and rows[-1][-1] == "cell 50000 J", rows[-1]
status = Path("/proc/self/status").read_text().splitlines()
print(next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")))
"""


def test_freed_memory_is_given_back_where_the_c_library_can() -> None:
    assert give_back_freed_memory() is GLIBC


@pytest.mark.skipif(not GLIBC, reason="malloc_trim is glibc's")
def test_the_memory_of_a_large_parsed_sheet_is_given_back(tmp_path: Path) -> None:
    # 500,000 cells of distinct text: the reader allocates each text on its own (some 16 MB).
    path = save_sheets(tmp_path / "large.xlsx", {"S": [["x"]]})
    letters = b"ABCDEFGHIJ"
    rows = b"".join(
        b'<row r="%d">' % row
        + b"".join(
            b'<c r="%c%d" t="inlineStr"><is><t>cell %d %c</t></is></c>' % (letter, row, row, letter)
            for letter in letters
        )
        + b"</row>"
        for row in range(1, 50_001)
    )
    replace_member(
        path,
        "xl/worksheets/sheet1.xml",
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<sheetData>" + rows + b"</sheetData></worksheet>",
    )

    def resident_kb(threshold: int) -> int:
        completed = subprocess.run(
            [sys.executable, "-c", RESIDENT_AFTER_READING, str(path), str(threshold)],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return int(completed.stdout)

    kept, given_back = resident_kb(10**12), resident_kb(500_000)
    assert kept - given_back > 8 * 1024, (kept, given_back)
