"""The command line: parse options, call one library function, show the result, set the exit code.

Exit codes: 0 done (also when nothing was left to export), 1 problems in the data (or a
``mark``/``unmark`` that was not confirmed), 2 wrong usage, 3 a file could not be read or
written. Only the project's own ``UserError`` is caught; anything else is a bug and keeps its
traceback.

What is shown depends on where it goes: tables and colour on a terminal, plain and stable text
elsewhere (pipes, files, CI), nothing but problems with ``--quiet``, one JSON document with
``--json``. Heavy modules (the reader, Jinja, rich, openpyxl) are imported by the commands that
need them, so that ``--help`` and ``--version`` start at once.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperCommand

from ccp_xlsx2iif import __version__
from ccp_xlsx2iif.problems import FileProblem, ProblemsFound, UsageProblem, UserError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress as RichProgress
    from rich.progress import TaskID
    from typer._click import Context as ClickContext

    from ccp_xlsx2iif.export import ExportOptions, Progress
    from ccp_xlsx2iif.marking import MarkPlan
    from ccp_xlsx2iif.opening import HeadStart
    from ccp_xlsx2iif.report import Summary

app = typer.Typer(
    name="ccp-xlsx2iif",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    # The --help flag not given is False: else Typer would convert its absent value through
    # pydantic, importing it (some 0.06 s) before a command's line is parsed (``ReadsAhead``).
    context_settings={"default_map": {"help": False}},
)

# A progress bar appears only when a run lasts longer than this many seconds.
PROGRESS_AFTER = 1.0
SHOWN_MARKED = 20


class TaxMode(str, Enum):
    """How sales tax is written: plain invoice lines, or QuickBooks' own AUTOSTAX line."""

    LINES = "lines"
    QUICKBOOKS = "quickbooks"


class LayoutName(str, Enum):
    """The built-in layouts of a shop's export."""

    CCP = "ccp"
    SHOPIFY = "shopify"
    WOOCOMMERCE = "woocommerce"


class BookAs(str, Enum):
    """What each order becomes in QuickBooks."""

    INVOICE = "invoice"
    SALES_RECEIPT = "sales-receipt"


Workbook = Annotated[
    Path,
    typer.Argument(
        help="The order workbook (.xlsx or .xlsm), or a shop's CSV export.",
        show_default=False,
        metavar="WORKBOOK",
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
BookAsOption = Annotated[
    BookAs,
    typer.Option(
        "--as",
        help="invoice: an invoice and its payment per order; sales-receipt: one cash sale per "
        "order, paid into the Bank account.",
    ),
]
DateFormat = Annotated[
    str,
    typer.Option(
        "--date-format",
        metavar="FORMAT",
        help="The dates QuickBooks expects: us (MM/DD/YYYY), uk (DD/MM/YYYY) or a pattern "
        "such as %d.%m.%Y.",
    ),
]
ClassName = Annotated[
    str,
    typer.Option(
        "--class",
        metavar="NAME",
        help="The QuickBooks class of orders whose Class cell is blank.",
        show_default=False,
    ),
]
LayoutOption = Annotated[
    LayoutName | None,
    typer.Option(
        "--layout",
        help="How the workbook is laid out: ccp (Orders and Items sheets), shopify or "
        "woocommerce (their order exports). Default: as its headers show.",
        show_default=False,
    ),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Show only problems.")]
AsJson = Annotated[
    bool,
    typer.Option("--json", help="Print the summary (or the problems) as one JSON document."),
]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do it without asking.")]
OrderList = Annotated[
    str | None,
    typer.Option(
        "--orders",
        metavar="IDS",
        help="The orders, by Order ID: 1001,1002,1005-1010.",
        show_default=False,
    ),
]

# The parameters of export and check that are not export options.
_NOT_OPTIONS = frozenset({"workbook", "quiet", "as_json"})
# The export options each command-line parameter sets.
_OPTION_OF = {"status": "statuses", "no_payments": "payments"}


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

    Example: ccp-xlsx2iif init, then ccp-xlsx2iif export orders.xlsx
    """


def _is_terminal() -> bool:
    """Whether the output goes to a terminal (a person), not a pipe or a file."""
    return sys.stdout.isatty()


def _progress_on_terminal() -> bool:
    """Whether a progress bar can be shown: on the error stream, when it is a terminal."""
    return sys.stderr.isatty()


@dataclass
class Output:
    """Where and how a command shows what it did."""

    command: str
    quiet: bool = False
    as_json: bool = False
    terminal: bool = field(default_factory=lambda: _is_terminal())

    def console(self, *, stderr: bool = False) -> Console:
        """Return a rich console on the output (or the error stream), for a terminal."""
        from rich.console import Console

        return Console(
            file=sys.stderr if stderr else sys.stdout,
            force_terminal=True if self.terminal or stderr else None,
            highlight=False,
        )

    def say(self, line: str, *, style: str = "") -> None:
        """Show one line (not with ``--quiet`` or ``--json``)."""
        if self.quiet or self.as_json:
            return
        if self.terminal and style:
            from rich.text import Text

            self.console().print(Text(line, style=style))
        else:
            typer.echo(line)

    def json(self, document: dict[str, Any]) -> None:
        """Print a JSON document (with escapes for what the output's encoding cannot write)."""
        text = json.dumps(document, indent=2, ensure_ascii=False)
        typer.echo(text if _encodable(text) else json.dumps(document, indent=2))

    @contextmanager
    def reported(self, verdict: Callable[[int], str] | None = None) -> Iterator[None]:
        """Turn the project's own errors into messages and exit codes.

        Data problems are listed one per line, then ``verdict(count)`` (by default, that
        nothing was written).
        """
        from ccp_xlsx2iif.report import failure_document, problem_lines

        try:
            try:
                yield
            except OSError as error:  # one no step foresaw: a name too long, a folder gone
                raise _os_problem(error) from None
        except ProblemsFound as found:
            verdict_line = verdict(len(found.problems)) if verdict else found.message
            if self.as_json:
                self.json(
                    failure_document(self.command, found.exit_code, found.problems, verdict_line)
                    | {"notes": found.notes}
                )
            else:
                for line in (*found.notes, *problem_lines(found.problems), verdict_line):
                    typer.echo(line, err=True)
            raise typer.Exit(found.exit_code) from None
        except UserError as error:
            if self.as_json:
                self.json(
                    failure_document(
                        self.command, error.exit_code, message=error.message, hint=error.hint
                    )
                )
            else:
                typer.echo(error.message, err=True)
                if error.hint:
                    typer.echo(error.hint, err=True)
            raise typer.Exit(error.exit_code) from None

    def summary(self, summary: Summary, workbook: Path) -> None:
        """Show the summary of an export or a check."""
        if self.as_json:
            self.json(summary.document(workbook))
        elif self.quiet:
            for line in summary.result.warnings:  # orders may be booked twice: never quiet
                typer.echo(line, err=True)
        elif self.terminal:
            summary.show(self.console())
        else:
            for line in summary.plain_lines():
                typer.echo(line)

    @contextmanager
    def progress(self) -> Iterator[Progress]:
        """Yield a progress bar for the run, on a terminal only; elsewhere, no progress."""
        from ccp_xlsx2iif.export import UNREPORTED

        if self.quiet or self.as_json or not _progress_on_terminal():
            yield UNREPORTED
            return
        bar = TerminalProgress(self.console(stderr=True))
        try:
            yield bar
        finally:
            bar.close()


class TerminalProgress:
    """A progress bar that appears only once a run has lasted ``PROGRESS_AFTER`` seconds."""

    def __init__(self, console: Console) -> None:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self._bar: RichProgress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._task: TaskID | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._timer = threading.Timer(PROGRESS_AFTER, self._start)
        self._timer.daemon = True
        self._timer.start()
        self.started = False

    def _start(self) -> None:
        with self._lock:
            if not self._closed:
                self._bar.start()
                self.started = True

    def stage(self, label: str, total: int | None = None) -> None:
        """Begin a stage; a stage of unknown length shows a moving bar."""
        if self._task is not None:
            self._bar.remove_task(self._task)
        self._task = self._bar.add_task(label, total=total)

    def advance(self, steps: int) -> None:
        """Count steps of the current stage as done."""
        if self._task is not None and steps:
            self._bar.advance(self._task, steps)

    def close(self) -> None:
        """Take the bar off the screen (if it was ever shown)."""
        self._timer.cancel()
        with self._lock:
            self._closed = True
            if self.started:
                self._bar.stop()


def _options(context: typer.Context) -> ExportOptions:
    """Make the export options of a command's parameters.

    Those given on the command line win over the Settings sheet.
    """
    from ccp_xlsx2iif.export import DEFAULT_STATUSES, ExportOptions
    from ccp_xlsx2iif.settings import SettingError, date_pattern

    values = {
        name: value.value if isinstance(value, Enum) else value
        for name, value in context.params.items()
        if name not in _NOT_OPTIONS
    }

    given = frozenset(_OPTION_OF.get(name, name) for name in values if _given(context, name))
    statuses = values.pop("status")
    values["statuses"] = tuple(statuses) if statuses else DEFAULT_STATUSES
    if "no_payments" in values:
        values["payments"] = not values.pop("no_payments")
    if "date_format" in values:
        try:
            values["date_format"] = date_pattern(values["date_format"])
        except SettingError as error:
            raise UsageProblem(f"--date-format: {error}") from None
    return ExportOptions(**values, given=given)


def _given(context: typer.Context, name: str) -> bool:
    """Whether the parameter was given on the command line (not left to its default)."""
    source = context.get_parameter_source(name)
    return getattr(source, "name", "DEFAULT") not in ("DEFAULT", "DEFAULT_MAP")


# Where the export command keeps its workbook's head start (``ReadsAhead``) for its body.
HEAD_START = "ccp_xlsx2iif.head_start"


class ReadsAhead(TyperCommand):
    """The export command: its workbook is being read before its options are converted.

    Typer converts and checks the options after parsing the command line, which takes it
    some 0.1 s; the workbook's sheets are parsed meanwhile (``opening.HeadStart``). The
    program began reading it as it started (launch.py, ``main``); else it begins once the
    command line is parsed. Asked for help, or given a command line that does not parse, it
    reads nothing ahead.
    """

    def parse_args(self, ctx: ClickContext, args: list[str]) -> list[str]:
        """Parse the command line as Typer does, having begun to read its workbook."""
        head_start = _begun_ahead()
        if head_start is None and not ctx.resilient_parsing:
            head_start = _head_start(self, ctx, args)
        if head_start is None:
            return super().parse_args(ctx, args)
        try:
            rest = super().parse_args(ctx, args)
        except BaseException:
            head_start.close()
            raise
        ctx.meta[HEAD_START] = head_start
        ctx.call_on_close(head_start.close)  # if the command did not take it
        return rest


def _begun_ahead() -> HeadStart | None:
    """Take the head start the program began before this module was imported (``main``)."""
    global _begun
    head_start, _begun = _begun, None
    return head_start


def _head_start(command: TyperCommand, ctx: ClickContext, args: list[str]) -> HeadStart | None:
    """Begin reading the workbook the command line names, as parsed by the command's parser."""
    from ccp_xlsx2iif.launch import begin_named

    return begin_named(export_workbook_parsed(command, ctx, args))


def export_workbook_parsed(
    command: TyperCommand, ctx: ClickContext, args: list[str]
) -> tuple[str, bool] | None:
    """Return the workbook the export's arguments name, and whether it is a dry run.

    They are read by the command's own parser (``launch.export_workbook`` reads them without
    Typer). ``None`` when the parser refuses them, or help is asked for, or more than a
    workbook is given: the command's parsing, which follows, says what is wrong.
    """
    try:
        given, extra, _ = command.make_parser(ctx).parse_args(args=list(args))
    except typer.TyperException:
        return None
    workbook = given.get("workbook")
    if not isinstance(workbook, str) or extra or given.get("help"):
        return None
    return workbook, bool(given.get("dry_run"))


@app.command(
    cls=ReadsAhead,
    epilog="Examples: ccp-xlsx2iif export orders.xlsx --dry-run; "
    "ccp-xlsx2iif export orders.xlsx --accounts accounts.xlsx --chart accounts.iif",
)
def export(
    context: typer.Context,
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
    book_as: BookAsOption = BookAs.INVOICE,
    date_format: DateFormat = "us",
    class_name: ClassName = "",
    layout: LayoutOption = None,
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
    quiet: Quiet = False,
    as_json: AsJson = False,
) -> None:
    """Export completed orders to an IIF file and mark them Exported in the workbook.

    Shows the orders, the skipped ones by reason and the totals per QuickBooks account.
    Options given here win over the workbook's Settings sheet.
    """
    from ccp_xlsx2iif.export import export_workbook
    from ccp_xlsx2iif.report import Summary

    output_to = Output("export", quiet=quiet, as_json=as_json)
    with output_to.reported():
        options = _options(context)
        with output_to.progress() as progress:
            head_start = context.meta.pop(HEAD_START, None)
            result = export_workbook(workbook, options, _now(), progress, head_start)
    output_to.summary(Summary(result, "export"), workbook)
    _keep(result)


@app.command(epilog="Example: ccp-xlsx2iif check orders.xlsx --chart accounts.iif")
def check(
    context: typer.Context,
    workbook: Workbook,
    accounts: AccountsFile = None,
    chart: ChartFile = None,
    status: Statuses = None,
    create_accounts: CreateAccounts = False,
    declare_items: DeclareItems = False,
    declare_customers: DeclareCustomers = False,
    tax_mode: TaxModeOption = TaxMode.LINES,
    layout: LayoutOption = None,
    quiet: Quiet = False,
    as_json: AsJson = False,
) -> None:
    """Run every check of export (data, accounts, chart, limits) and write nothing.

    Exits with 1 when anything would stop an export. Run it after editing the Accounts sheet.
    """
    from ccp_xlsx2iif.export import check_workbook
    from ccp_xlsx2iif.report import Summary, count

    output_to = Output("check", quiet=quiet, as_json=as_json)
    with output_to.reported(
        verdict=lambda number: f"Not ready: {count(number, 'problem')} would stop an export."
    ):
        options = _options(context)
        with output_to.progress() as progress:
            result = check_workbook(workbook, options, _now(), progress)
    output_to.summary(Summary(result, "check"), workbook)
    _keep(result)


@app.command(epilog="Example: ccp-xlsx2iif columns orders_export.xlsx --accounts accounts.xlsx")
def columns(
    workbook: Workbook,
    accounts: AccountsFile = None,
    layout: LayoutOption = None,
) -> None:
    """Show which column feeds which field of an order, before any export.

    Names the layout chosen (or detected from the headers), each field's column, the
    required fields no column feeds (then exits with 1), and the columns not used.
    """
    from ccp_xlsx2iif.csvfiles import CsvBook, is_csv
    from ccp_xlsx2iif.reading import describe_columns
    from ccp_xlsx2iif.workbook import Sheets, open_book

    output_to = Output("columns")
    with output_to.reported():
        book: Sheets = (
            CsvBook.open(workbook) if is_csv(workbook) else open_book(workbook, writable=False)
        )
        accounts_book = (
            open_book(accounts, writable=False, label=accounts.name) if accounts else book
        )
        try:
            report = describe_columns(
                book, accounts_book, layout.value if layout is not None else None
            )
        finally:
            book.close()
            if accounts_book is not book:
                accounts_book.close()
    reading = report.reading
    rows = "a row per item" if reading.one_sheet else "with an Items sheet"
    output_to.say(f'Sheet "{reading.sheet}": {reading.layout.title}, {rows}.')
    width = max(len(item.field) for item in report.fields)
    sheet = None
    for item in report.fields:
        if item.sheet != sheet:
            sheet = item.sheet
            output_to.say(f'Fields read from the sheet "{sheet}":')
        mark = "*" if item.required else " "
        output_to.say(f"  {mark} {item.field:<{width}}  {item.where}")
    output_to.say("  (* required)")
    if report.unused:
        output_to.say(f"Columns not used: {', '.join(report.unused)}.")
    if report.missing:
        names = ", ".join(item.field for item in report.missing)
        typer.echo(f"Missing required fields: {names}.", err=True)
        raise typer.Exit(1)
    output_to.say("Every required field has a column.")


@app.command(epilog="Example: ccp-xlsx2iif init shop-books")
def init(
    folder: Annotated[
        Path,
        typer.Argument(help="The folder to write orders.xlsx in (default: this folder)."),
    ] = Path(),
) -> None:
    """Write a starter workbook, orders.xlsx, to fill in: it exports as it stands.

    Its Orders, Items and Accounts sheets have the headers, formats and a Status drop-down;
    two example orders and example account names show what goes where. It never overwrites a
    file.
    """
    from ccp_xlsx2iif.files import command_argument
    from ccp_xlsx2iif.starter import write_starter

    output_to = Output("init")
    with output_to.reported():
        path = write_starter(folder)
    output_to.say(f"Wrote {path}", style="bold green")
    output_to.say(
        "Replace the two example orders with yours (or paste your shop's export over them), "
        "put your QuickBooks account names on the Accounts sheet, then run: "
        f"ccp-xlsx2iif check {command_argument(str(path))}"
    )


@app.command(
    epilog="Examples: ccp-xlsx2iif unmark orders.xlsx --batch orders-20261125-140233.iif; "
    "ccp-xlsx2iif unmark orders.xlsx --orders 1001,1005-1010"
)
def unmark(
    workbook: Workbook,
    batch: Annotated[
        Path | None,
        typer.Option(
            "--batch",
            metavar="FILE.iif",
            help="Clear the orders of this batch (the IIF file their Exported cells name).",
            show_default=False,
        ),
    ] = None,
    orders: OrderList = None,
    every: Annotated[bool, typer.Option("--all", help="Clear every Exported cell.")] = False,
    accounts: AccountsFile = None,
    layout: LayoutOption = None,
    yes: Yes = False,
) -> None:
    """Clear the Exported cells of a batch or of some orders, so the next export exports them.

    Run it after deleting a bad import in QuickBooks. Shows what it clears and asks first.
    """
    _mark_command(
        "unmark",
        workbook,
        clear=True,
        orders=orders,
        batch=batch.name if batch is not None else None,
        every=every,
        yes=yes,
        accounts=accounts,
        layout=layout,
    )


@app.command(epilog="Example: ccp-xlsx2iif mark orders.xlsx --orders 1001,1002")
def mark(
    workbook: Workbook,
    orders: OrderList = None,
    accounts: AccountsFile = None,
    layout: LayoutOption = None,
    yes: Yes = False,
) -> None:
    """Mark orders Exported without writing IIF (orders entered in QuickBooks by hand).

    Shows what it marks and asks first.
    """
    _mark_command(
        "mark",
        workbook,
        clear=False,
        orders=orders,
        batch=None,
        every=False,
        yes=yes,
        accounts=accounts,
        layout=layout,
    )


def _mark_command(
    command: str,
    workbook: Path,
    *,
    clear: bool,
    orders: str | None,
    batch: str | None,
    every: bool,
    yes: bool,
    accounts: Path | None,
    layout: LayoutName | None,
) -> None:
    from ccp_xlsx2iif.csvfiles import LEDGER_NAME, is_csv, ledger_path
    from ccp_xlsx2iif.marking import (
        apply_marking,
        parse_order_list,
        plan_ledger_marking,
        plan_marking,
    )

    output_to = Output(command)
    now = _now()
    with output_to.reported(verdict=lambda _: "Nothing was changed."):
        ids = parse_order_list(orders) if orders is not None else None
        if is_csv(workbook) and not clear and ids is not None:
            plan = plan_ledger_marking(workbook, now=now, orders=ids)
        else:
            if is_csv(workbook):
                # The Exported marks of a CSV file's orders are kept in its folder's ledger.
                workbook = ledger_path(workbook)
                if not workbook.exists():
                    raise UsageProblem(
                        f"{workbook.parent}: no order of a CSV file of this folder was exported "
                        f"yet (there is no {LEDGER_NAME})"
                    )
            plan = plan_marking(
                workbook,
                clear=clear,
                now=now,
                orders=ids,
                batch=batch,
                every=every,
                accounts=accounts,
                layout=layout.value if layout is not None else None,
            )
    for line in marking_preview(plan, clear=clear):
        output_to.say(line)
    if not plan.rows:
        return
    verb = "Clear" if clear else "Mark"
    if not yes and not _confirmed(f"{verb} {_orders_of(plan)}?"):
        output_to.say("Nothing was changed.")
        raise typer.Exit(1)
    with output_to.reported():
        apply_marking(plan, now)
    done = "Cleared the Exported cells of" if clear else "Marked Exported:"
    output_to.say(f"{done} {_orders_of(plan)}.", style="bold green")
    if clear:
        output_to.say("The next export exports them again.")


def _confirmed(question: str) -> bool:
    """Ask a yes/no question; no answer (the end of the input) is no."""
    try:
        return typer.confirm(question, default=False)
    except typer.Abort:
        typer.echo()
        return False


def _orders_of(plan: MarkPlan) -> str:
    from ccp_xlsx2iif.report import count

    return count(len({row.order_id for row in plan.rows}), "order")


def marking_preview(plan: MarkPlan, *, clear: bool) -> list[str]:
    """Return what ``mark`` or ``unmark`` is about to change, cell by cell (the first 20)."""
    from ccp_xlsx2iif.csvfiles import LEDGER_NAME
    from ccp_xlsx2iif.problems import column_letter
    from ccp_xlsx2iif.report import count

    letter = column_letter(plan.column.column)
    sheet = plan.column.sheet
    if plan.ledger is not None or plan.workbook.name == LEDGER_NAME:
        sheet = f"[{plan.workbook.name}]{sheet}"
    lines: list[str] = []
    if plan.unchanged:
        state = "not marked" if clear else "marked Exported already"
        ids = ", ".join(dict.fromkeys(row.order_id for row in plan.unchanged))
        lines.append(f"Left as they are ({state}): {ids}.")
    if not plan.rows:
        lines.append("Nothing to change.")
        return lines
    action = "clear" if clear else f'write "{plan.text}" in'
    lines.append(f"About to {action} {count(len(plan.rows), 'cell')} of {sheet}!{letter}:")
    for row in plan.rows[:SHOWN_MARKED]:
        now_says = f': "{row.exported}"' if clear else ""
        cell = f"{sheet}!{letter}{row.row}" if row.row else f"{sheet}, a new row"
        lines.append(f"  {cell}  order {row.order_id}{now_says}")
    if len(plan.rows) > SHOWN_MARKED:
        lines.append(f"  ... and {count(len(plan.rows) - SHOWN_MARKED, 'more cell')}")
    return lines


def _os_problem(error: OSError) -> FileProblem:
    """Say what the system refused, and about which file, as a problem with a file."""
    where = f"{error.filename}: " if error.filename else ""
    return FileProblem(
        f"{where}{error.strerror or error}",
        hint="Check the file's name and folder, and that it may be read and written.",
    )


_now: Callable[[], dt.datetime] = dt.datetime.now


# What a command made, kept to the end of the process when it runs as the command line
# (``main``, not a test's runner): the hundreds of thousands of records of a large export are
# then let go of with the whole process, at once, rather than one by one (a fifth of a second).
_kept: list[object] | None = None


def _keep(made: object) -> None:
    """Keep ``made`` to the end of the process, when the command line runs."""
    if _kept is not None:
        _kept.append(made)


# The head start of the export's workbook, begun before this module was imported (``main``),
# until the export command takes it.
_begun: HeadStart | None = None


def main(head_start: HeadStart | None = None) -> None:
    """Run the command line; ``head_start``: its export's workbook, opened already (launch.py)."""
    global _kept, _begun
    _output_never_fails()
    _kept = []
    _begun = head_start
    code: object = None
    try:
        app()
    except SystemExit as exit_:
        code = exit_.code
    finally:
        left = _begun_ahead()  # its command line did not reach the export's parsing
        if left is not None:
            left.close()
    _end(code)


def _end(code: object) -> NoReturn:
    """End the process with ``code`` as ``SystemExit`` does, without freeing its objects.

    Every file the command wrote is closed and in place by now, and every process it started
    waited for; only the output is still to be flushed. (mypy ends the same way.)
    """
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        print(code, file=sys.stderr)
        status = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: what was not read is lost either way
            status = status or 1
    os._exit(status)


def _output_never_fails() -> None:
    """Show a character the output's encoding lacks as ``?``, rather than stop the command.

    On Windows, output redirected to a file or a pipe is written in the system's code page
    (cp1252 in the US), which has no Chinese letters, for one: a customer's name must not
    crash the summary of an export that was written. (``--json`` writes such a character as
    a JSON escape, which keeps the document exact.)
    """
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None and getattr(sys.stdout, "errors", None) == "strict":
        reconfigure(errors="replace")


def _encodable(text: str) -> bool:
    """Whether the output's encoding can write ``text`` as it is."""
    try:
        text.encode(getattr(sys.stdout, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return False
    return True
