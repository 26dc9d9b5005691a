"""Output files: the batch file's name, and files staged beside their target then moved in place.

A staged file is written under a temporary name in the target's folder, flushed and synced to
disk, and only then renamed over the target with ``os.replace`` (atomic on Windows, macOS and
Linux). A run that fails before the rename leaves the target as it was. On Windows, a rename
refused while another program holds a file for a moment is tried again for a few seconds.
"""

from __future__ import annotations

import datetime as dt
import gc
import glob
import io
import os
import re
import secrets
import shutil
import sys
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from time import monotonic, sleep
from typing import Any, BinaryIO

from ccp_xlsx2iif.problems import FileProblem
from ccp_xlsx2iif.report import first_of

PARTIAL_SUFFIX = ".partial"
DISK_HINT = "Check that the disk has free space and that you may write to the folder."
WINDOWS = sys.platform == "win32"
# On Windows, a virus scanner, the search indexer or a sync client (OneDrive, Dropbox) may open
# a file for a moment after it is written; renaming it then fails as if the file were open in
# a program. Such a rename is tried again for this many seconds before it counts as failed.
REPLACE_PATIENCE = 3.0


def batch_name(workbook: Path, now: dt.datetime) -> str:
    """Return the IIF name of a batch: the workbook's name and the local date and time."""
    return f"{workbook.stem}-{now:%Y%m%d-%H%M%S}.iif"


def partial_path(target: Path) -> Path:
    """Return the name a file is written under until it is complete: ``.name.partial``."""
    return target.with_name(f".{target.name}{PARTIAL_SUFFIX}")


def free_batch_path(workbook: Path, now: dt.datetime, folder: Path | None = None) -> Path:
    """Return a batch path (beside ``workbook``, or in ``folder``) no file uses yet."""
    first = (folder or workbook.parent) / batch_name(workbook, now)
    candidate = first
    number = 1
    while candidate.exists() or partial_path(candidate).exists():
        number += 1
        candidate = first.with_name(f"{first.stem}-{number}{first.suffix}")
    return candidate


def replace_file(source: Path, target: Path) -> None:
    """Rename ``source`` over ``target`` (``os.replace``), waiting out a brief hold on Windows.

    Elsewhere a refused rename is not tried again: only Windows refuses one for a file that
    another program merely reads.
    """
    deadline = monotonic() + REPLACE_PATIENCE
    pause = 0.05
    while True:
        try:
            source.replace(target)
            return
        except PermissionError:
            if not WINDOWS or monotonic() + pause > deadline:
                raise
        sleep(pause)
        pause = min(pause * 2, 0.5)


def sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX; Windows has no folder handles to sync)."""
    if WINDOWS:
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def create_file(path: Path, data: bytes) -> None:
    """Create ``path`` holding ``data``, or raise ``OSError`` (``FileExistsError`` if it exists).

    A file that cannot be written whole (a full disk) is removed again: never half a file.
    """
    descriptor = os.open(
        path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666
    )
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
    except BaseException:
        with suppress(OSError):
            path.unlink()
        raise


def workbook_bytes(book: Any) -> bytes:
    """Return an openpyxl workbook saved as the bytes of an .xlsx file.

    openpyxl writes each sheet to a temporary file first. When that fails (a full disk), its
    own save would leave the zip file open, and the sheet's writer fails again, noisily, when
    the collector drops it; here the zip is closed, and what is dropped is dropped quietly.
    """
    from openpyxl.writer.excel import ExcelWriter

    content = io.BytesIO()
    book.properties.modified = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    try:
        with zipfile.ZipFile(content, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            ExcelWriter(book, archive).write_data()
    except OSError as error:
        failure = OSError(*error.args)  # the same error, without the frames that hold openpyxl's
        if error.filename is not None:
            failure.filename = error.filename
    else:
        return content.getvalue()
    _drop_quietly()  # the traceback is gone: the writers it held can be collected
    raise failure


def _drop_quietly() -> None:
    """Collect unreachable objects, ignoring what fails as they are finalized."""
    hook = sys.unraisablehook
    sys.unraisablehook = lambda _: None
    try:
        gc.collect()
    finally:
        sys.unraisablehook = hook


def command_argument(text: str) -> str:
    """Write a file's name, a path or a list of Order IDs as it must be typed in a command.

    It is put in double quotes (which cmd, PowerShell and the Unix shells all read) unless it
    holds only characters no shell reads otherwise: a space splits it, and a ``#`` that starts
    it starts a comment (Shopify's Order IDs are ``#1001``).
    """
    return text if _PLAIN_ARGUMENT.fullmatch(text) else f'"{text}"'


_PLAIN_ARGUMENT = re.compile(r"[\w.,:/\\=+-][\w.,:/\\=+@#-]*")


# The most Order IDs a suggested command names; past them, it shows where they go.
IDS_IN_A_COMMAND = 10


def mark_command(source: str, order_ids: Sequence[str]) -> str:
    """Return the command that marks orders Exported in ``source`` (a file's name)."""
    ids = ",".join(order_ids) if len(order_ids) <= IDS_IN_A_COMMAND else "ID,ID,..."
    return f"ccp-xlsx2iif mark {command_argument(source)} --orders {command_argument(ids)}"


def real_file(path: Path) -> Path:
    """Return the file a symbolic link leads to; any other path as it is.

    A workbook is marked by moving its marked copy over it: moved over a link, the copy would
    replace the link and leave the file it leads to unmarked, to be exported again from there.
    """
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def exported_mark(now: dt.datetime, what: str) -> str:
    """Return what an Exported cell says: when, then the batch file (or how it was marked)."""
    return f"{now:%Y-%m-%d %H:%M} {what}"


def batch_in_mark(mark: str) -> str | None:
    """Return the batch file an Exported cell names (``2026-11-25 14:02 orders-....iif``).

    After the date and time the export wrote (``exported_mark``), it is the rest of the cell
    (a name given with -o may hold spaces: ``Week 12.iif``); in a cell written otherwise, its
    last word. Either must end in ``.iif`` (in any case) and be a file's name: the tool writes
    the name alone, and a cell of a workbook written by anyone that names a path
    (``../x.iif``, ``C:x.iif``) must not lead the tool to a file elsewhere.
    """
    words = mark.split(maxsplit=2)
    if len(words) == 3 and _MARK_DATE.fullmatch(words[0]) and _MARK_TIME.fullmatch(words[1]):
        name = words[2].strip()
    else:
        name = mark.split()[-1] if words else ""
    if len(name) <= len(".iif") or name[-4:].casefold() != ".iif":
        return None
    return None if any(separator in name for separator in _PATH_SEPARATORS) else name


def mark_day(mark: str) -> dt.date | None:
    """Return the day an Exported cell was written on, if it starts as ``exported_mark`` writes."""
    words = mark.split(maxsplit=2)
    if len(words) < 2 or not _MARK_DATE.fullmatch(words[0]) or not _MARK_TIME.fullmatch(words[1]):
        return None
    try:
        return dt.date.fromisoformat(words[0])
    except ValueError:
        return None


_MARK_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MARK_TIME = re.compile(r"\d{1,2}:\d{2}")
_PATH_SEPARATORS = ("/", "\\", ":")


def finish_interrupted(
    workbook: Path,
    batches: Iterable[str],
    *,
    repair: bool,
    folders: Sequence[Path] = (),
    marked: Path | None = None,
) -> list[str]:
    """Complete what an interrupted export left, and say what was done.

    An export moves the marked workbook into place before its IIF file; a stop between the two
    leaves orders marked with a batch whose complete IIF file still has its temporary name.
    ``repair`` moves it into place (else only says so), and removes the temporary files of
    exports that stopped before marking anything. Batch files are looked for beside the
    workbook and in ``folders``; the batches found nowhere are mentioned.
    """
    notes = []
    named = set(batches)
    places = list(dict.fromkeys([workbook.parent, *folders]))
    missing = []
    for name in sorted(named):
        targets = [folder / name for folder in places]
        if any(target.exists() for target in targets):
            continue
        partials = [(target, partial_path(target)) for target in targets]
        found = [(target, partial) for target, partial in partials if partial.exists()]
        if not found:
            missing.append(name)
            continue
        target, partial = found[0]
        if repair:
            try:
                replace_file(partial, target)
            except OSError as error:
                raise FileProblem(
                    f"{target}: the complete IIF file of an interrupted export, "
                    f"{partial.name}, cannot be put in place ({error.strerror or error})",
                    hint=f"Rename {partial} to {target.name} (close any program that has it "
                    "open), and run the command again.",
                ) from None
            sync_folder(target.parent)
            notes.append(
                f"An earlier export was interrupted after marking its orders; its complete IIF "
                f"file is now in place: import {target} in QuickBooks if you have not yet."
            )
        else:
            notes.append(
                f"An earlier export was interrupted after marking its orders; its complete IIF "
                f"file is {partial.name}; the next export puts it in place as {name}."
            )
    if missing:
        shown = first_of(missing, 3)
        if len(missing) == 1:
            notes.append(
                f"The workbook names a batch file that is no longer beside it: {shown}. If it "
                "was imported in QuickBooks, all is well; if not, export its orders again "
                f"after: ccp-xlsx2iif unmark {command_argument(workbook.name)} --batch "
                f"{command_argument(missing[0])}"
            )
        else:
            notes.append(
                f"The workbook names {len(missing)} batch files that are no longer beside it: "
                f"{shown}. If they were imported in QuickBooks, all is well; if not, export "
                f"their orders again after: ccp-xlsx2iif unmark {command_argument(workbook.name)} "
                "--batch FILE"
            )
    if repair:
        stem = glob.escape(workbook.stem)
        leftovers = [
            *(path for folder in places for path in folder.glob(f".{stem}-*.iif{PARTIAL_SUFFIX}")),
            *marked_temporaries(marked or workbook),
        ]
        for leftover in leftovers:
            if leftover.name[1 : -len(PARTIAL_SUFFIX)] not in named:
                leftover.unlink(missing_ok=True)
    return notes


def marked_temporaries(marked: Path) -> list[Path]:
    """Return the temporary copies of a marked file left by interrupted runs."""
    return list(marked.parent.glob(f".{glob.escape(marked.stem)}.*.tmp{marked.suffix}"))


def temporary_workbook_path(workbook: Path) -> Path:
    """Return a new temporary name beside a workbook, for its marked copy."""
    return workbook.with_name(f".{workbook.stem}.{secrets.token_hex(4)}.tmp{workbook.suffix}")


@contextmanager
def writing_to(path: Path) -> Iterator[None]:
    """Turn a failed write (disk full, device gone) into a message naming the file."""
    try:
        yield
    except OSError as error:
        raise FileProblem(
            f"{path}: cannot be written ({error.strerror or error}); nothing was changed",
            hint=DISK_HINT,
        ) from None


class StagedFile:
    """A file written beside ``target`` under a temporary name; ``commit`` moves it in place."""

    def __init__(self, target: Path, temporary: Path, *, mode_from: Path | None = None) -> None:
        self.target = target
        self.temporary = temporary
        self._mode_from = mode_from
        self._stream: BinaryIO | None = None

    def open(self) -> BinaryIO:
        """Create the temporary file (never reusing one) and return it for writing."""
        try:
            descriptor = os.open(
                self.temporary,
                os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                0o666,
            )
        except OSError as error:
            raise FileProblem(
                f"{self.temporary}: cannot be created ({error.strerror or error})", hint=DISK_HINT
            ) from None
        self._stream = os.fdopen(descriptor, "wb", buffering=1 << 20)
        return self._stream

    def stream(self) -> BinaryIO:
        """Return the file open for writing, created now if it is not yet."""
        return self._stream if self._stream is not None else self.open()

    def finish(self) -> None:
        """Flush the file to disk and close it; it is complete under its temporary name.

        Raise ``OSError`` if it cannot be written whole (``writing_to`` names the file).
        """
        stream, self._stream = self._stream, None
        if stream is None:
            return
        try:
            stream.flush()
            os.fsync(stream.fileno())
            stream.close()
        finally:
            _close_unwritten(stream)
        if self._mode_from is not None:
            shutil.copymode(self._mode_from, self.temporary)

    def commit(self) -> None:
        """Move the finished file over its target."""
        with writing_to(self.temporary):
            self.finish()
        try:
            replace_file(self.temporary, self.target)
        except PermissionError:
            raise FileProblem(
                f"{self.target}: cannot be replaced; it is open in another program or read-only",
                hint="Close the file (in Excel or LibreOffice) and run the command again.",
            ) from None
        except OSError as error:
            raise FileProblem(
                f"{self.target}: cannot be written ({error.strerror or error})", hint=DISK_HINT
            ) from None
        sync_folder(self.target.parent)

    def discard(self) -> None:
        """Remove the temporary file, if any; the target is left as it was.

        A file that cannot be removed now (on Windows, one another program holds) is left for
        the next export to remove: what made the run stop is what the user needs to hear.
        """
        stream, self._stream = self._stream, None
        if stream is not None:
            _close_unwritten(stream)
        with suppress(OSError):
            self.temporary.unlink(missing_ok=True)


def _close_unwritten(stream: BinaryIO) -> None:
    """Close ``stream``, dropping what it could not write (a full disk fails the close too).

    A buffered stream writes what it holds when it is closed; on a full disk that fails again,
    after the file itself was closed. The caller has given up on the file, or reported why.
    """
    with suppress(OSError):
        stream.close()
