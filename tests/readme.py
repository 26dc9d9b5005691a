"""The README's commands, read from the README itself so that tests and CI run what it says.

A command is the first line of the fenced block that follows a ``<!-- command: NAME -->``
marker. ``python tests/readme.py NAME`` prints it (``.ci/run`` uses this).
"""

from __future__ import annotations

import re
import sys
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


if __name__ == "__main__":
    print(readme_command(sys.argv[1]))
