"""A trial read, in a process of its own, of a workbook the tool cannot scan first.

An .xlsx file is scanned before python-calamine reads it (``package``), and an .ods file
measured (``opendocument``). An .xls or .xlsb file, which an accounts workbook or a chart of
accounts may be, is binary: a cell's row and column are numbers that nothing bounds, and a cell
at column 65,000 makes python-calamine ask for a grid of hundreds of gigabytes, which ends the
process without a word. So the sheets the tool will read of such a file are first read by a
child process (limited to 4 GiB where the system allows it), and read by the tool only if the
child came through.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from ccp_xlsx2iif.problems import FileProblem

MEMORY_LIMIT = 4 << 30
TIME_LIMIT = 300
STARTED = b"reading\n"
SAVE_AS_XLSX = 'Open it in Excel and save it as "Excel Workbook (*.xlsx)".'


def check_by_trial(path: Path, sheets: Sequence[str] | None, continued: Sequence[str]) -> None:
    """Raise ``FileProblem`` when reading ``path`` ends the process reading it.

    The child reads the sheets ``open_book`` is asked for (``sheets``, ``None`` for all, and
    those that continue the sheets of ``continued``), as the tool will read them.
    """
    asked = json.dumps(
        {"sheets": None if sheets is None else list(sheets), "continued": list(continued)}
    )
    try:
        completed = subprocess.run(  # noqa: S603 - this module, run by this Python
            [sys.executable, "-I", "-m", "ccp_xlsx2iif.trial", str(path), asked],
            capture_output=True,
            timeout=TIME_LIMIT,
            check=False,
        )
    except OSError:  # no interpreter to start (an embedded Python): no trial
        return
    except subprocess.TimeoutExpired:
        raise FileProblem(
            f"{path}: reading it took more than {TIME_LIMIT} seconds; the file is refused",
            hint=SAVE_AS_XLSX,
        ) from None
    if not completed.stdout.startswith(STARTED):
        return  # the child could not load the tool (run from its sources): no trial
    if completed.returncode != 0:
        raise FileProblem(
            f"{path}: the file is damaged: reading it stopped the process that read it (exit "
            f"code {completed.returncode})",
            hint=SAVE_AS_XLSX,
        )


def _limit_memory() -> None:
    try:
        import resource
    except ImportError:  # Windows: no limit to set
        return
    try:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    except (ValueError, OSError):  # a lower hard limit is already set
        return


def main(path: str, asked: str) -> None:
    """Read the sheets ``asked`` of the workbook at ``path``; a refusal with a message passes."""
    from ccp_xlsx2iif.workbook import open_book

    _limit_memory()
    sys.stdout.buffer.write(STARTED)
    sys.stdout.flush()
    wanted = json.loads(asked)
    try:
        book = open_book(
            Path(path),
            writable=False,
            sheets=wanted["sheets"],
            continued=wanted["continued"],
            trial=False,
        )
    except FileProblem:
        return
    try:
        for sheet in book.started:
            try:
                book.read_rows(sheet)
            except FileProblem:
                continue
            book.forget(sheet)
    finally:
        book.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
