"""Running the command line, in-process as the tests of its commands do, or as a program."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from ccp_xlsx2iif import cli

runner = CliRunner()


def run(*args: str, stdin: str | None = None) -> tuple[int, list[str], list[str]]:
    """Run ``ccp-xlsx2iif ARGS``; return the exit code and the lines of stdout and stderr."""
    result = runner.invoke(cli.app, list(args), input=stdin)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout.splitlines(), result.stderr.splitlines()


def program_imports(*args: str, cwd: Path | None = None) -> list[str]:
    """Run ``python -m ccp_xlsx2iif ARGS`` as a program; return the modules it imported, in order.

    The run must succeed. Python's ``-X importtime`` names each module as its import ends.
    """
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "ccp_xlsx2iif", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )
    assert completed.returncode == 0, completed.stderr
    return [
        line.rsplit("|", 1)[-1].strip()
        for line in completed.stderr.splitlines()
        if line.startswith("import time:")
    ]
