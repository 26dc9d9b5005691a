"""The command line: parse options, call one library function, print, set the exit code.

Exit codes: 0 done (also when nothing was left to export), 1 problems in the data, 2 wrong
usage, 3 a file could not be read or written. Only the project's own ``UserError`` is caught;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ccp_xlsx2iif import __version__
from ccp_xlsx2iif.problems import PROBLEM_KINDS, Problem, ProblemsFound, UserError, column_letter

if TYPE_CHECKING:
    from ccp_xlsx2iif.export import ExportOptions, ExportResult

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


class TaxMode(str, Enum):
    """How sales tax is written: plain invoice lines, or QuickBooks' own AUTOSTAX line."""

    LINES = "lines"
    QUICKBOOKS = "quickbooks"


Workbook = Annotated[
    Path,
    typer.Argument(
        help="The order workbook (.xlsx or .xlsm).", show_default=False, metavar="WORKBOOK"
    ),
]
AccountsFile = Annotated[
    Path | None,
    typer.Option(
        "--accounts",
        metavar="FILE",
        help="A workbook whose Accounts sheet names the QuickBooks accounts "
        "(default: the Accounts sheet of the order workbook).",
        show_default=False,
    ),
]
ChartFile = Annotated[
    Path | None,
    typer.Option(
        "--chart",
        metavar="FILE",
        help="QuickBooks' chart of accounts, to prove the account names: its IIF list export "
        "(.iif), or the Account Listing report saved as .xlsx or .csv.",
        show_default=False,
    ),
]
Statuses = Annotated[
    list[str] | None,
    typer.Option(
        "--status",
        metavar="TEXT",
        help="Export orders in this status; repeat for several (default: Completed).",
        show_default=False,
    ),
]
CreateAccounts = Annotated[
    bool,
    typer.Option(
        "--create-accounts",
        help="Declare the accounts the chart lacks at the top of the IIF file, with their types.",
    ),
]
DeclareItems = Annotated[
    bool,
    typer.Option(
        "--declare-items", help="Declare every item the invoices name, with its type and account."
    ),
]
DeclareCustomers = Annotated[
    bool,
    typer.Option(
        "--declare-customers",
        help="Declare each new customer with addresses, email, phone and company.",
    ),
]
TaxModeOption = Annotated[
    TaxMode,
    typer.Option(
        "--tax-mode",
        help="lines: tax as plain invoice lines (turn off QuickBooks' automatic tax while "
        "importing); quickbooks: one AUTOSTAX line, for QuickBooks' sales tax feature.",
    ),
]


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
def _reported(verdict: Callable[[int], str] | None = None) -> Iterator[None]:
    """Turn the project's own errors into messages and exit codes.

    Data problems are listed one per line, then ``verdict(count)`` (by default, that nothing
    was written).
    """
    try:
        yield
    except ProblemsFound as found:
        for note in found.notes:
            typer.echo(note, err=True)
        for line in problem_lines(found.problems):
            typer.echo(line, err=True)
        typer.echo(verdict(len(found.problems)) if verdict else found.message, err=True)
        raise typer.Exit(found.exit_code) from None
    except UserError as error:
        typer.echo(error.message, err=True)
        if error.hint:
            typer.echo(error.hint, err=True)
        raise typer.Exit(error.exit_code) from None


SHOWN_PROBLEMS = 50


def problem_lines(problems: list[Problem]) -> list[str]:
    """Return one line per problem; past the first 50, one line per kind of problem."""
    lines = [str(problem) for problem in problems[:SHOWN_PROBLEMS]]
    rest = problems[SHOWN_PROBLEMS:]
    if rest:
        lines.append(f"... and {_count(len(rest), 'more problem')}:")
        first: dict[str, Problem] = {}
        kinds = Counter(problem.code for problem in rest)
        for problem in rest:
            first.setdefault(problem.code, problem)
        for code, number in kinds.most_common():
            where = f" (first at {first[code].place})" if first[code].place else ""
            lines.append(f"  {number} x {PROBLEM_KINDS.get(code, code)}{where}")
    return lines


def _money(amount: object) -> str:
    return f"{amount:,.2f}"


def _count(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _skipped(result: ExportResult) -> str:
    reasons = ", ".join(f"{number} {reason}" for reason, number in sorted(result.skipped.items()))
    return f"{_count(sum(result.skipped.values()), 'order')}: {reasons}"


def summary_lines(result: ExportResult) -> list[str]:
    """Return the summary an export prints: what was exported, where, what was skipped."""
    lines: list[str] = []
    count = len(result.orders)
    orders = _count(count, "order")
    if count == 0:
        lines.append("Nothing to export: no order is both completed and not yet exported.")
    elif result.dry_run:
        lines.append(
            f"Dry run: {orders} would be exported, total {_money(result.total)}; "
            "nothing was written."
        )
    else:
        lines.append(f"Exported {orders}, total {_money(result.total)}, to {result.iif_path}")
        if result.marks is not None:
            letter = column_letter(result.marks.column)
            added = ' (a new column "Exported")' if result.marks.header else ""
            lines.append(f"Marked them Exported in {result.marks.sheet}!{letter}{added}.")
    if result.skipped:
        lines.append(f"Skipped {_skipped(result)}.")
    return lines + _afterword(result)


SHOWN_CHANGES = 20


def _visible(text: str) -> str:
    """Show text in quotes with its line breaks and tabs visible."""
    return '"' + text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t") + '"'


def change_lines(result: ExportResult) -> list[str]:
    """Return the report of the cells whose text was changed for QuickBooks (first 20)."""
    changes = result.text_changes
    if not changes:
        return []
    lines = [f"Text changed for QuickBooks in {_count(len(changes), 'cell')}:"]
    for change in changes[:SHOWN_CHANGES]:
        lines.append(f"  {change.place}: {_visible(change.before)} -> {_visible(change.after)}")
    if len(changes) > SHOWN_CHANGES:
        lines.append(f"  ... and {_count(len(changes) - SHOWN_CHANGES, 'more cell')}")
    return lines


def _afterword(result: ExportResult) -> list[str]:
    """Return what follows the counts: declared lists, changed text, notes, the tax reminder."""
    lines = []
    declared = result.declarations
    parts = [
        _count(len(entries), noun)
        for entries, noun in (
            (declared.accounts, "new account"),
            (declared.items, "item"),
            (declared.customers, "customer"),
        )
        if entries
    ]
    if result.orders and parts:
        verb = "Would declare" if result.dry_run else "Declared"
        lines.append(f"{verb} {', '.join(parts)} at the top of the IIF file.")
    lines.extend(change_lines(result))
    lines.extend(result.notes)
    if result.orders and result.has_tax_lines:
        lines.append(TAX_REMINDER)
    return lines


def _options(**values: object) -> ExportOptions:
    from ccp_xlsx2iif.export import DEFAULT_STATUSES, ExportOptions

    statuses = values.pop("status")
    tax_mode = values.pop("tax_mode")
    return ExportOptions(
        statuses=tuple(statuses) if isinstance(statuses, list) and statuses else DEFAULT_STATUSES,
        tax_mode=tax_mode.value if isinstance(tax_mode, TaxMode) else str(tax_mode),
        **values,  # type: ignore[arg-type]
    )


@app.command()
def export(
    workbook: Workbook,
    accounts: AccountsFile = None,
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
    status: Statuses = None,
    chart: ChartFile = None,
    create_accounts: CreateAccounts = False,
    declare_items: DeclareItems = False,
    declare_customers: DeclareCustomers = False,
    tax_mode: TaxModeOption = TaxMode.LINES,
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

    Example: ccp-xlsx2iif export orders.xlsx --accounts accounts.xlsx --chart accounts.iif
    """
    from ccp_xlsx2iif.export import export_workbook

    options = _options(
        accounts=accounts,
        output=output,
        status=status,
        chart=chart,
        create_accounts=create_accounts,
        declare_items=declare_items,
        declare_customers=declare_customers,
        tax_mode=tax_mode,
        payments=not no_payments,
        templates=templates,
        dry_run=dry_run,
        force=force,
    )
    with _reported():
        result = export_workbook(workbook, options, _now())
    for line in summary_lines(result):
        typer.echo(line)


@app.command()
def check(
    workbook: Workbook,
    accounts: AccountsFile = None,
    chart: ChartFile = None,
    status: Statuses = None,
    create_accounts: CreateAccounts = False,
    declare_items: DeclareItems = False,
    declare_customers: DeclareCustomers = False,
    tax_mode: TaxModeOption = TaxMode.LINES,
) -> None:
    """Run every check of export (data, accounts, chart, limits) and write nothing.

    Exits with 1 when anything would stop an export. Run it after editing the Accounts sheet.

    Example: ccp-xlsx2iif check orders.xlsx --chart accounts.iif
    """
    from ccp_xlsx2iif.export import check_workbook

    options = _options(
        accounts=accounts,
        status=status,
        chart=chart,
        create_accounts=create_accounts,
        declare_items=declare_items,
        declare_customers=declare_customers,
        tax_mode=tax_mode,
    )
    with _reported(
        verdict=lambda count: f"Not ready: {_count(count, 'problem')} would stop an export."
    ):
        result = check_workbook(workbook, options, _now())
    for line in _afterword(result):
        typer.echo(line)
    skipped = f"; skipped {_skipped(result)}" if result.skipped else ""
    typer.echo(
        f"Ready to export: {_count(len(result.orders), 'order')}, total "
        f"{_money(result.total)}{skipped}."
    )


_now: Callable[[], dt.datetime] = dt.datetime.now


def main() -> None:
    """Run the command line."""
    app()
