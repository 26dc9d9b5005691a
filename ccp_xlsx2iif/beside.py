"""Work done beside the main work: the marked workbook is written while the IIF is rendered.

(A large workbook's copy starts earlier still, while the orders are checked.) Both are
Python-bound, so two threads take turns rather than run together. Where the system
forks cheaply and safely (Linux), the work runs in a child process, on the other core; it dies
with its parent, so it never outlives a stopped export. Elsewhere it runs in a thread, and
still gains where it waits on the disk or on zlib.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import threading
import traceback
from collections.abc import Callable

from ccp_xlsx2iif.problems import FileProblem, UserError

FORKS = sys.platform.startswith("linux") and hasattr(os, "fork")


class Beside:
    """A piece of work started beside the caller's; ``wait`` re-raises what it raised."""

    def __init__(self, work: Callable[[], None], *, in_process: bool) -> None:
        self._outcome: BaseException | None = None
        self._pid = 0
        self.in_process = in_process and FORKS
        if self.in_process:
            self._fork(work)
        else:
            self._thread = threading.Thread(target=self._run, args=(work,), daemon=True)
            self._thread.start()

    def _run(self, work: Callable[[], None]) -> None:
        try:
            work()
        except BaseException as error:  # handed to the waiting caller as it is
            self._outcome = error

    def _fork(self, work: Callable[[], None]) -> None:
        parent = os.getpid()
        self._reader, writer = os.pipe()
        self._pid = os.fork()
        if self._pid:
            os.close(writer)
            return
        try:  # the child: do the work, send back what came of it, never return
            _die_with(parent)
            os.close(self._reader)
            outcome: UserError | str | None = None
            try:
                work()
            except UserError as error:
                outcome = error
            except BaseException:
                outcome = traceback.format_exc()  # a bug: the parent shows its traceback
            with os.fdopen(writer, "wb") as pipe:
                pickle.dump(outcome, pipe)
        finally:
            os._exit(0)

    def wait(self) -> None:
        """Wait for the work to end; raise what it raised."""
        if not self.in_process:
            self._thread.join()
            if self._outcome is not None:
                raise self._outcome
            return
        with os.fdopen(self._reader, "rb") as pipe:
            sent = pipe.read()
        os.waitpid(self._pid, 0)
        if not sent:
            raise FileProblem("the process writing the marked workbook stopped before it ended")
        outcome = pickle.loads(sent)  # noqa: S301 - written by this program's own child
        if isinstance(outcome, str):
            raise RuntimeError(f"writing the marked workbook failed:\n{outcome}")
        if outcome is not None:
            raise outcome

    def cancel(self) -> None:
        """Stop the work (a thread cannot be stopped: it is waited for)."""
        if not self.in_process:
            self._thread.join()
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self._pid, signal.SIGKILL)
        os.waitpid(self._pid, 0)
        with contextlib.suppress(OSError):
            os.close(self._reader)


def _die_with(parent: int) -> None:
    """Have the kernel kill this child when its parent dies (Linux), or stop now if it has."""
    import ctypes

    set_parent_death_signal = 1  # PR_SET_PDEATHSIG
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(set_parent_death_signal, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(0)
