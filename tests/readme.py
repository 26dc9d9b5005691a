"""The README's commands, read from the README itself so that tests and CI run what it says.

A command is the first line of the fenced block that follows a ``<!-- command: NAME -->``
marker. ``python tests/readme.py NAME`` prints it (``.ci/run`` uses this). A session is a
``console`` block after a ``<!-- session -->`` marker: commands and what they print.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def readme_command(name: str, readme: Path = README) -> str:
    """Return the README command called ``name``."""
    text = readme.read_text(encoding="utf-8")
    match = re.search(rf"<!-- command: {re.escape(name)} -->\n```\w*\n(.+)\n", text)
    if match is None:
        raise LookupError(f"README.md has no command {name!r}")
    return match.group(1)


def readme_block_after(heading: str, readme: Path = README) -> list[str]:
    """Return the lines of the first fenced block after the line ``heading``."""
    text = readme.read_text(encoding="utf-8")
    start = text.index(heading)
    match = re.search(r"```\w*\n(.*?)\n```", text[start:], re.DOTALL)
    if match is None:
        raise LookupError(f"README.md has no block after {heading!r}")
    return match.group(1).splitlines()


@dataclass(frozen=True)
class Step:
    """One command of a README session, and what it prints."""

    command: str
    shown: list[str]

    @property
    def answers(self) -> str:
        """The answers typed at its prompts (``Clear 2 orders? [y/N]: y``)."""
        return "".join(line.rsplit(": ", 1)[1] + "\n" for line in self.shown if "? [y/N]: " in line)


def readme_sessions(readme: Path = README) -> list[list[Step]]:
    """Return the sessions of the README: the ``console`` blocks after ``<!-- session -->``.

    In a session, a line ``$ ccp-xlsx2iif ...`` is a command, and the lines below it, up to the
    next command, are what it prints.
    """
    text = readme.read_text(encoding="utf-8")
    sessions = []
    for block in re.findall(r"<!-- session -->\n```console\n(.*?)\n```", text, re.DOTALL):
        steps: list[Step] = []
        for line in block.splitlines():
            if line.startswith("$ "):
                steps.append(Step(line[2:], []))
            else:
                steps[-1].shown.append(line)
        sessions.append(steps)
    return sessions


if __name__ == "__main__":
    print(readme_command(sys.argv[1]))
