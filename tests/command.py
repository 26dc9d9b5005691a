"""Running the command line in-process, as the tests of its commands do."""

from __future__ import annotations

from typer.testing import CliRunner

from ccp_xlsx2iif import cli

runner = CliRunner()


def run(*args: str, stdin: str | None = None) -> tuple[int, list[str], list[str]]:
    """Run ``ccp-xlsx2iif ARGS``; return the exit code and the lines of stdout and stderr."""
    result = runner.invoke(cli.app, list(args), input=stdin)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout.splitlines(), result.stderr.splitlines()
