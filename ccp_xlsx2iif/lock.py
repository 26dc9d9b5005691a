"""Who else has the workbook: Excel or LibreOffice, a read-only flag, or another export.

Excel writes an owner file ``~$orders.xlsx`` beside a workbook it has open, LibreOffice
``.~lock.orders.xlsx#``; either means the workbook may be saved over the export's changes, so
the export refuses to start. Two exports of the same workbook at once are kept apart by a lock
file beside it, holding the process id, host and start time of the export that owns it; a lock
whose process is gone, or older than ``STALE_AFTER``, is stale and taken over.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import json
import os
import socket
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

from ccp_xlsx2iif.files import DISK_HINT, create_file
from ccp_xlsx2iif.problems import FileProblem

STALE_AFTER = dt.timedelta(hours=6)
# A lock file with no readable holder is being written, or was left by an export killed at
# that very moment: after this long it is the latter.
UNREADABLE_STALE_AFTER = dt.timedelta(minutes=1)
LOCK_SUFFIX = ".ccp-xlsx2iif.lock"
# The largest process id: a DWORD on Windows, a signed 32-bit pid_t elsewhere.
MAX_PID = 2**32 - 1 if sys.platform == "win32" else 2**31 - 1


def owner_files(workbook: Path) -> list[Path]:
    """Return the files Excel and LibreOffice keep beside a workbook they have open."""
    name = workbook.name
    candidates = [f"~${name}", f"~${name[2:]}", f".~lock.{name}#"]
    return [workbook.with_name(candidate) for candidate in dict.fromkeys(candidates)]


def refuse_if_in_use(workbook: Path) -> None:
    """Refuse a workbook that cannot be marked now.

    That is a workbook open in Excel or LibreOffice, a read-only one, or one in a folder the
    tool cannot write to.
    """
    for owner in owner_files(workbook):
        if owner.exists():
            program = "LibreOffice" if owner.name.startswith(".~lock.") else "Excel"
            raise FileProblem(
                f"{workbook}: the workbook is open in {program} ({owner.name} is beside it)",
                hint=f"Close the workbook in {program} and run the command again. If "
                f"{program} is not running, delete {owner.name}.",
            )
    if _on_read_only_disk(workbook.parent):
        raise FileProblem(
            f"{workbook}: the workbook is on a read-only disk or share, so it cannot be marked",
            hint="Copy the workbook to a folder you may write to and run the command on the "
            "copy, or use --dry-run.",
        )
    if workbook.exists() and _read_only(workbook):
        raise FileProblem(
            f"{workbook}: the workbook is read-only, so it cannot be marked",
            hint="Remove the read-only setting (Properties in Windows; chmod u+w elsewhere) and "
            "run the command again.",
        )
    if not os.access(workbook.parent, os.W_OK):
        raise FileProblem(
            f"{workbook.parent}: the tool may not write in the workbook's folder",
            hint="Move the workbook to a folder you may write to, or use --dry-run.",
        )


def _on_read_only_disk(folder: Path) -> bool:
    """Whether ``folder`` is on a file system mounted read-only (POSIX; a CD, a share)."""
    if not hasattr(os, "statvfs"):
        return False
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _read_only(path: Path) -> bool:
    status = path.stat()
    attributes = getattr(status, "st_file_attributes", 0)
    if attributes & getattr(stat, "FILE_ATTRIBUTE_READONLY", 0):
        return True
    return not os.access(path, os.W_OK) or not status.st_mode & stat.S_IWUSR


def lock_path(workbook: Path) -> Path:
    """Return the lock file of a workbook: ``.orders.xlsx.ccp-xlsx2iif.lock`` beside it."""
    return workbook.with_name(f".{workbook.name}{LOCK_SUFFIX}")


def process_alive(pid: int) -> bool:
    """Return whether a process with this id runs on this machine."""
    if not 0 < pid <= MAX_PID:
        return False  # no process has it (and the system calls would overflow)
    if sys.platform == "win32":
        import ctypes

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        kernel32.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stale(holder: dict[str, object], modified: dt.datetime, now: dt.datetime) -> bool:
    if not holder:
        return now - modified > UNREADABLE_STALE_AFTER
    # A lock written by the tool names its start; one edited or damaged may not, or may name
    # it with a time zone: then the file's own time counts.
    started = modified
    with contextlib.suppress(TypeError, ValueError):
        written = dt.datetime.fromisoformat(str(holder.get("started")))
        if written.tzinfo is None:
            started = written
    if now - started > STALE_AFTER:
        return True
    pid = holder.get("pid")
    same_host = holder.get("host") == socket.gethostname()
    return same_host and isinstance(pid, int) and not process_alive(pid)


@contextlib.contextmanager
def export_lock(workbook: Path, now: dt.datetime) -> Iterator[list[str]]:
    """Hold the workbook's lock file for the duration of an export.

    Yields a list of notes (a stale lock that was taken over is mentioned there).
    """
    path = lock_path(workbook)
    holder = {"pid": os.getpid(), "host": socket.gethostname(), "started": now.isoformat()}
    mine = json.dumps(holder)
    notes: list[str] = []
    _remove_abandoned_drafts(path)
    for attempt in range(2):
        try:
            _create(path, mine)
        except FileExistsError:
            holder, modified = _read_lock(path)
            if attempt == 0 and _stale(holder, modified, now):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                notes.append(f"A stale lock of an interrupted export ({path.name}) was removed.")
                continue
            since = str(holder.get("started", "?"))[:16].replace("T", " ")
            raise FileProblem(
                f"{workbook}: another export of this workbook is running (process "
                f"{holder.get('pid', '?')} on {holder.get('host', '?')}, since {since})",
                hint=f"Wait for it to finish. If no export is running, delete {path}.",
            ) from None
        except OSError as error:
            raise FileProblem(
                f"{path}: the lock file cannot be created ({error.strerror or error})",
                hint=DISK_HINT,
            ) from None
        break
    try:
        yield notes
    finally:
        with contextlib.suppress(OSError):
            if path.read_text(encoding="utf-8") == mine:
                path.unlink()


def _create(path: Path, content: str) -> None:
    """Create the lock file with its content in one step, or raise ``FileExistsError``.

    The content is written to a file of its own first, then hard-linked under the lock's
    name, which fails if the lock exists: no one ever sees a lock without its holder. Where
    the file system has no hard links, the lock is created exclusively, then written.
    """
    draft = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        draft.write_text(content, encoding="utf-8")
        try:
            os.link(draft, path)
        except (PermissionError, NotImplementedError, AttributeError, OSError) as error:
            if isinstance(error, FileExistsError):
                raise
            create_file(path, content.encode("utf-8"))
    finally:
        draft.unlink(missing_ok=True)


def _remove_abandoned_drafts(path: Path) -> None:
    """Remove the lock drafts (``<lock>.<pid>.tmp``) of exports whose process is gone."""
    for draft in path.parent.glob(f"{glob.escape(path.name)}.*.tmp"):
        pid = draft.name[len(path.name) + 1 : -len(".tmp")]
        if pid.isdigit() and not process_alive(int(pid)):
            draft.unlink(missing_ok=True)


def _read_lock(path: Path) -> tuple[dict[str, object], dt.datetime]:
    try:
        modified = dt.datetime.fromtimestamp(path.stat().st_mtime)
    except OSError:
        return {}, dt.datetime.min
    try:
        holder = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}, modified
    return (holder if isinstance(holder, dict) else {}), modified
