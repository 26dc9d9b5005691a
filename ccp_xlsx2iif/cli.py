"""The command line: parse options, call one library function, print, set the exit code.

Exit codes: 0 done (also when nothing was left to export), 1 problems in the data, 2 wrong
usage, 3 a file could not be read or written. Only the project's own ``UserError`` is caught;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ccp_xlsx2iif import __version__
from ccp_xlsx2iif.problems import ProblemsFound, UserError, column_letter

if TYPE_CHECKING:
    from ccp_xlsx2iif.export import ExportResult

app = typer.Typer(
    name="ccp-xlsx2iif",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

TAX_REMINDER = (
    "Tax is written as plain invoice lines: turn off QuickBooks' "
    '"Charge Tax Automatically" while you import this file, or the tax is counted twice.'
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"ccp-xlsx2iif {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_show_version,
            is_eager=True,
            help="Show the version and exit.",
        ),
    ] = False,
) -> None:
    """Turn a web shop's order workbook into a QuickBooks Desktop IIF file.

    Each exported order is marked in the workbook's Exported column, so that it is never
    exported twice.

    Example: ccp-xlsx2iif export orders.xlsx
    """


@contextmanager
def _reported() -> Iterator[None]:
    """Turn the project's own errors into messages and exit codes."""
    try:
        yield
    except ProblemsFound as found:
        for problem in found.problems:
            typer.echo(str(problem), err=True)
        typer.echo(found.message, err=True)
        raise typer.Exit(found.exit_code) from None
    except UserError as error:
        typer.echo(error.message, err=True)
        if error.hint:
            typer.echo(error.hint, err=True)
        raise typer.Exit(error.exit_code) from None


def _money(amount: object) -> str:
    return f"{amount:,.2f}"


def _orders(count: int) -> str:
    return f"{count} order" if count == 1 else f"{count} orders"


def summary_lines(result: ExportResult) -> list[str]:
    """Return the summary an export prints: what was exported, where, what was skipped."""
    lines: list[str] = []
    count = len(result.orders)
    if count == 0:
        lines.append("Nothing to export: no order is both completed and not yet exported.")
    elif result.dry_run:
        lines.append(
            f"Dry run: {_orders(count)} would be exported, total {_money(result.total)}; "
            "nothing was written."
        )
    else:
        lines.append(
            f"Exported {_orders(count)}, total {_money(result.total)}, to {result.iif_path}"
        )
        if result.marks is not None:
            letter = column_letter(result.marks.column)
            added = ' (a new column "Exported")' if result.marks.header else ""
            lines.append(f"Marked them Exported in {result.marks.sheet}!{letter}{added}.")
    if result.skipped:
        reasons = ", ".join(
            f"{number} {reason}" for reason, number in sorted(result.skipped.items())
        )
        lines.append(f"Skipped {_orders(sum(result.skipped.values()))}: {reasons}.")
    if count and result.has_tax_lines:
        lines.append(TAX_REMINDER)
    return lines


@app.command()
def export(
    workbook: Annotated[
        Path,
        typer.Argument(
            help="The order workbook (.xlsx or .xlsm).", show_default=False, metavar="WORKBOOK"
        ),
    ],
    accounts: Annotated[
        Path | None,
        typer.Option(
            "--accounts",
            metavar="FILE",
            help="A workbook whose Accounts sheet names the QuickBooks accounts "
            "(default: the Accounts sheet of the order workbook).",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE.iif",
            help="The IIF file to write (default: beside the workbook, named after it with the "
            "date and time).",
            show_default=False,
        ),
    ] = None,
    status: Annotated[
        list[str] | None,
        typer.Option(
            "--status",
            metavar="TEXT",
            help="Export orders in this status; repeat for several (default: Completed).",
            show_default=False,
        ),
    ] = None,
    no_payments: Annotated[
        bool, typer.Option("--no-payments", help="Write the invoices without their payments.")
    ] = False,
    templates: Annotated[
        Path | None,
        typer.Option(
            "--templates",
            metavar="DIR",
            help="A folder of IIF templates that replace the shipped ones of the same name.",
            show_default=False,
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and show the summary; write nothing.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the --output file if it exists.")
    ] = False,
) -> None:
    """Export completed orders to an IIF file and mark them Exported in the workbook.

    Example: ccp-xlsx2iif export orders.xlsx --accounts accounts.xlsx
    """
    from ccp_xlsx2iif.export import DEFAULT_STATUSES, ExportOptions, export_workbook

    options = ExportOptions(
        accounts=accounts,
        output=output,
        statuses=tuple(status) if status else DEFAULT_STATUSES,
        payments=not no_payments,
        templates=templates,
        dry_run=dry_run,
        force=force,
    )
    with _reported():
        result = export_workbook(workbook, options, _now())
    for line in summary_lines(result):
        typer.echo(line)


_now: Callable[[], dt.datetime] = dt.datetime.now


def main() -> None:
    """Run the command line."""
    app()
