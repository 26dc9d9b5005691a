"""How an export opens its workbook, and writes the marked copy beside the rest.

The workbook's fingerprint is taken first, then the process that will write its marked copy is
forked (a large workbook, where the system forks), then its sheets begin to be read in the
background (``workbook.open_book``). The program begins this as soon as it starts, before it
imports the command line (``HeadStart``, launch.py): this module imports only what opening
needs, so that the rest of the export is imported while the sheets are parsed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import BinaryIO

from ccp_xlsx2iif.beside import FORKS, Beside
from ccp_xlsx2iif.contract import ACCOUNTS, ITEMS, ORDERS
from ccp_xlsx2iif.files import StagedFile, real_file, temporary_workbook_path, writing_to
from ccp_xlsx2iif.problems import UserError
from ccp_xlsx2iif.settings import SETTINGS_SHEET
from ccp_xlsx2iif.workbook import Book, check_book_path, open_book, unreadable

# From this size on, the marked workbook is written by a process of its own (where the system
# forks): smaller ones are written sooner than a process starts.
PARALLEL_PROCESS_FROM = 2 << 20
CHART_SHEET = "Chart of Accounts"
# The order the sheets are read in: the small sheets first, read before the orders; the
# Items sheet, read last, is parsed while the rows of the Orders sheet are worked through.
SHEETS_READ = (SETTINGS_SHEET, ACCOUNTS.name, CHART_SHEET, ORDERS.name, ITEMS.name)
# Up to this size, the export's workbook begins to be read as soon as the command line names it
# (``HeadStart``): a larger one would gain little, and delay a usage error by its scan.
HEAD_START_UP_TO = 16 << 20


@dataclass(frozen=True)
class Fingerprint:
    """What identifies a file's content: its size, modification time and SHA-256."""

    size: int
    modified_ns: int
    sha256: str

    @classmethod
    def of_optional(cls, path: Path) -> Fingerprint:
        """Take the fingerprint of a file that may not exist yet (then an empty one)."""
        return cls.of(path) if path.exists() else cls(-1, -1, "")

    @classmethod
    def of(cls, path: Path) -> Fingerprint:
        """Take the fingerprint of ``path`` as it is now."""
        try:
            status = path.stat()
            digest = hashlib.sha256()
            with path.open("rb") as stream:
                while chunk := stream.read(1 << 20):
                    digest.update(chunk)
        except OSError as error:
            raise unreadable(path, error) from None
        return cls(status.st_size, status.st_mtime_ns, digest.hexdigest())

    def stated_alike(self, path: Path) -> bool:
        """Whether ``path`` has this size and time of change (its content is not read)."""
        try:
            status = path.stat()
        except OSError:
            return False
        return (status.st_size, status.st_mtime_ns) == (self.size, self.modified_ns)


@dataclass(frozen=True)
class MarkTarget:
    """The file the exported orders are marked in, and how its marked copy is written."""

    path: Path
    write: Callable[[BinaryIO], None]


class MarkedCopy:
    """The marked copy of the workbook (or the ledger), written beside the rest of the export.

    It is written under a temporary name, in a process of its own for a large workbook (where
    the system forks), else in a thread. The process is forked when the copy is made, before
    the workbook is read (beside.py), and writes once ``give`` tells it what. ``commit``
    moves it into place; ``discard`` stops it and removes it.
    """

    def __init__(self, marked: Path, *, apart: bool) -> None:
        self.path = marked
        self.given = False
        self._file = StagedFile(
            marked, temporary_workbook_path(marked), mode_from=marked if marked.exists() else None
        )
        self._copier: Beside[Callable[[BinaryIO], None], None] | None = Beside(
            partial(_write_marked_copy, self._file),
            in_process=apart,
            doing="writing the marked workbook",
        )
        if not self._copier.in_process:
            self._file.open()  # else the child process creates it, once given its marks

    @classmethod
    def started(cls, target: MarkTarget) -> MarkedCopy:
        """Start writing the marked copy of ``target`` in a thread."""
        copy = cls(target.path, apart=False)
        copy.give(target)
        return copy

    @staticmethod
    def written_apart(marked: Path) -> bool:
        """Whether the copy of ``marked`` is written by a process of its own."""
        return FORKS and marked.exists() and marked.stat().st_size >= PARALLEL_PROCESS_FROM

    def give(self, target: MarkTarget) -> None:
        """Start writing the copy: ``target`` says how (its marks)."""
        assert self._copier is not None  # noqa: S101 - given once, before it is waited for
        self._copier.give(target.write)
        self.given = True

    def wait(self) -> None:
        """Wait for the copy to be written; raise what stopped it."""
        copier, self._copier = self._copier, None
        if copier is not None:
            copier.wait()

    def commit(self) -> None:
        """Move the written copy over the file it marks."""
        self._file.commit()

    def discard(self) -> None:
        """Stop the copy if it is being written, and remove it (once committed: nothing)."""
        copier, self._copier = self._copier, None
        if copier is not None:
            copier.cancel()
        self._file.discard()


def _write_marked_copy(book_file: StagedFile, write: Callable[[BinaryIO], None]) -> None:
    stream = book_file.stream()
    with writing_to(book_file.temporary):
        write(stream)
        book_file.finish()


@dataclass(frozen=True)
class Opened:
    """A workbook opened for an export: its fingerprint, its copier, its reading begun."""

    fingerprint: Fingerprint
    copy: MarkedCopy | None
    book: Book

    def close(self) -> None:
        """Let go of the workbook: its reader thread ends, its copier's process too."""
        try:
            self.book.close()
        finally:
            if self.copy is not None:
                self.copy.discard()


def open_workbook(workbook: Path, *, copied: bool) -> Opened:
    """Take the fingerprint of ``workbook``, then begin reading its sheets in the background.

    The fingerprint is taken before the workbook is read: any change after it is detected
    before the marked workbook replaces it. With ``copied``, a large workbook's marked copy is
    written by a process forked now, while this one is small and has no thread; it is told the
    marks once they are known.
    """
    fingerprint = Fingerprint.of(workbook)
    copy = None
    if copied and MarkedCopy.written_apart(workbook):
        copy = MarkedCopy(workbook, apart=True)
    try:
        book = open_book(workbook, writable=True, sheets=SHEETS_READ, continued=(ITEMS.name,))
    except BaseException:
        if copy is not None:
            copy.discard()
        raise
    return Opened(fingerprint, copy, book)


class HeadStart:
    """An export's workbook whose reading began as soon as the program started.

    Importing Typer and the commands takes some 0.06 s, and Typer's converting and checking
    the options some 0.1 s more (it imports pydantic); meanwhile the workbook is opened as
    the export opens it first (``open_workbook``), and its sheets are parsed in the
    background. It is begun by the program (launch.py), or else once Typer has parsed the
    command line (``cli.ReadsAhead``). Nothing else is done ahead: the options, the lock and
    every check come in their order. The export of that workbook takes it (``take``);
    anything else closes it.
    """

    def __init__(self, workbook: Path, opened: Opened, *, copied: bool) -> None:
        self.workbook = workbook
        self.copied = copied
        self._opened: Opened | None = opened

    @classmethod
    def begin(cls, workbook: Path, *, copied: bool) -> HeadStart | None:
        """Begin reading the workbook ``export_workbook`` will read; None if it is not worth it.

        Only an .xlsx or .xlsm file is read ahead (a CSV file is read at once anyway), up to
        ``HEAD_START_UP_TO``: a larger one gains little. A file that cannot be read is left
        to the export, which says why in its order (after the options are checked).
        """
        try:
            workbook = real_file(workbook)
            check_book_path(workbook, writable=True)
            if workbook.stat().st_size > HEAD_START_UP_TO:
                return None
            return cls(workbook, open_workbook(workbook, copied=copied), copied=copied)
        except (OSError, UserError):
            return None

    def take(self, workbook: Path, *, copied: bool) -> Opened | None:
        """Hand over the opened workbook to the export of ``workbook``, or close it.

        It is handed over when it was opened the way the export opens it, and the file's size
        and time of change are still those of its fingerprint (else another export may have
        marked it since: it is read again, under the export's lock).
        """
        opened, self._opened = self._opened, None
        if opened is None:
            return None
        if (
            workbook == self.workbook
            and copied == self.copied
            and opened.fingerprint.stated_alike(workbook)
        ):
            return opened
        opened.close()
        return None

    def close(self) -> None:
        """Let go of the workbook if it was not taken; again, do nothing."""
        opened, self._opened = self._opened, None
        if opened is not None:
            opened.close()


def open_for_export(workbook: Path, *, copied: bool, head_start: HeadStart | None = None) -> Opened:
    """Return ``workbook`` opened for its export: as ``head_start`` began it, else now."""
    opened = head_start.take(workbook, copied=copied) if head_start is not None else None
    return opened if opened is not None else open_workbook(workbook, copied=copied)
