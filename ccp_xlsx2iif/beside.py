"""Work done beside the main work: the marked workbook is written while the IIF is rendered.

(A large workbook's copy starts earlier still, while the orders are checked; and the last part
of a large sheet's XML is scanned while the tool scans the first, package.py.) Such work is
Python-bound, so two threads take turns rather than run together. Where the system
forks cheaply and safely (Linux), the work runs in a child process, on the other core; it dies
with its parent, so it never outlives a stopped export. Elsewhere the copy is written in a
thread, which still gains where it waits on the disk or on zlib (a sheet is scanned whole).

The child is forked before the work's argument is known (``Beside``, then ``give``): at the
start of an export, while the exporting process is small. Forked later, it would share the
hundreds of MB of the orders read by then, and every page of them the export touches
afterwards (Python writes a count into every object it uses) would be copied for one of the
two: at 100,000 orders, the export's processes together took 770 MB instead of 480.
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
from typing import Generic, TypeVar

from ccp_xlsx2iif.problems import FileProblem, UserError

FORKS = sys.platform.startswith("linux") and hasattr(os, "fork")
# This process's ends of the pipes to and from its children: each child closes those of the
# others at once, or a child waiting for the end of its argument would wait for a sibling
# that holds the pipe open.
_PARENT_ENDS: set[int] = set()
Argument = TypeVar("Argument")
Result = TypeVar("Result")


class Stopped(FileProblem):
    """The child process ended before it sent back what came of its work (it was killed)."""


class Beside(Generic[Argument, Result]):
    """``work`` done beside the caller's, on an argument given later; ``wait`` gives its result.

    With ``in_process`` (where the system forks), the child process is forked at once and
    waits for the argument, sent pickled through a pipe, and sends back what the work returned
    or raised; else ``give`` starts a thread.
    """

    def __init__(self, work: Callable[[Argument], Result], *, in_process: bool, doing: str) -> None:
        self._work = work
        self._doing = doing  # what the work does, as messages say it ("writing the ...")
        self._outcome: BaseException | None = None
        self._result: Result | None = None
        self._pid = 0
        self._thread: threading.Thread | None = None
        self._reader = self._sender = -1  # this end of the pipes from and to the child
        self.in_process = in_process and FORKS
        if self.in_process:
            self._fork()

    def give(self, argument: Argument) -> None:
        """Start the work on ``argument``."""
        if not self.in_process:
            self._thread = threading.Thread(target=self._run, args=(argument,), daemon=True)
            self._thread.start()
            return
        sender, self._sender = self._sender, -1
        _PARENT_ENDS.discard(sender)
        with os.fdopen(sender, "wb") as pipe:
            pickle.dump(argument, pipe)

    def _run(self, argument: Argument) -> None:
        try:
            self._result = self._work(argument)
        except BaseException as error:  # handed to the waiting caller as it is
            self._outcome = error

    def _fork(self) -> None:
        parent = os.getpid()
        self._reader, writer = os.pipe()
        receiver, self._sender = os.pipe()
        self._pid = os.fork()
        if self._pid:
            os.close(writer)
            os.close(receiver)
            _PARENT_ENDS.update((self._reader, self._sender))
            return
        try:  # the child: wait for the argument, work, send back what came of it, never return
            _die_with(parent)
            for descriptor in (self._reader, self._sender, *_PARENT_ENDS):
                with contextlib.suppress(OSError):
                    os.close(descriptor)
            _PARENT_ENDS.clear()
            with os.fdopen(receiver, "rb") as pipe:
                given = pipe.read()
            if not given:  # no argument was given: there is nothing to do
                return
            # What is sent back: (None, the work's result), (the user's error, None), or (the
            # traceback of a bug, None), which the parent shows.
            try:
                argument = pickle.loads(given)  # noqa: S301 - sent by this program's parent
                sent = pickle.dumps((None, self._work(argument)))
            except UserError as error:
                sent = pickle.dumps((error, None))
            except BaseException:
                sent = pickle.dumps((traceback.format_exc(), None))
            with os.fdopen(writer, "wb") as pipe:
                pipe.write(sent)
        finally:
            os._exit(0)

    def wait(self) -> Result:
        """Wait for the work given to end; return what it returned, raise what it raised."""
        if not self.in_process:
            if self._thread is not None:
                self._thread.join()
            if self._outcome is not None:
                raise self._outcome
            return self._result  # type: ignore[return-value] # set by the work, which ended
        reader, self._reader = self._reader, -1
        _PARENT_ENDS.discard(reader)
        with os.fdopen(reader, "rb") as pipe:
            sent = pipe.read()
        os.waitpid(self._pid, 0)
        if not sent:
            raise Stopped(f"the process {self._doing} stopped before it ended")
        outcome, result = pickle.loads(sent)  # noqa: S301 - written by this program's own child
        if isinstance(outcome, str):
            raise RuntimeError(f"{self._doing} failed:\n{outcome}")
        if outcome is not None:
            raise outcome
        return result  # type: ignore[no-any-return]

    def cancel(self) -> None:
        """Stop the work, given or not (a thread cannot be stopped: it is waited for)."""
        if not self.in_process:
            if self._thread is not None:
                self._thread.join()
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self._pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):  # waited for already
            os.waitpid(self._pid, 0)
        for descriptor in (self._reader, self._sender):
            if descriptor >= 0:
                _PARENT_ENDS.discard(descriptor)
                with contextlib.suppress(OSError):
                    os.close(descriptor)
        self._reader = self._sender = -1


def _die_with(parent: int) -> None:
    """Have the kernel kill this child when its parent dies (Linux), or stop now if it has."""
    import ctypes

    set_parent_death_signal = 1  # PR_SET_PDEATHSIG
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(set_parent_death_signal, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(0)
