"""The export pipeline: read -> build orders -> check -> render -> write IIF -> mark workbook.

Nothing is moved into place while any problem stands. The IIF file and the marked workbook
are each written completely under temporary names beside their targets (a large workbook's
copy as soon as its marks are known, while the orders are checked; it is removed if a problem
is found); only then is the workbook moved into place, then the IIF file. The workbook must
be unchanged since it was read.
"""

from __future__ import annotations

import datetime as dt
import gc
import stat
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ccp_xlsx2iif import iif
from ccp_xlsx2iif.batches import (
    NOTHING_BOOKED,
    BatchFiles,
    Booked,
    ahead_of_the_clock,
    batch_notes,
    exported_from_csv,
    held_by_other_workbooks,
    in_ledger,
    misplaced_marks,
    misplaced_notes,
    unknown_to_the_ledger,
)
from ccp_xlsx2iif.build import Selection, read_accounts, refunds_note
from ccp_xlsx2iif.chart import HOW_TO_EXPORT, Chart, chart_from_rows, read_chart_file
from ccp_xlsx2iif.checks import (
    LATEST_DAYS_AHEAD,
    check_chart,
    check_currencies,
    check_orders,
    check_tax_mode,
)
from ccp_xlsx2iif.contract import ACCOUNTS, BOOK_AS, TAX_MODES, SheetSpec
from ccp_xlsx2iif.csvfiles import (
    CsvBook,
    Ledger,
    LedgerEntry,
    is_csv,
    ledger_path,
    new_ledger_note,
    write_ledger,
)
from ccp_xlsx2iif.declarations import (
    Declarations,
    NewAccount,
    NewItem,
    accounts_to_create,
    check_names,
    customers_to_declare,
    items_to_declare,
    name_customers,
    new_customers,
    unknown_items,
    unknown_list_entries,
)
from ccp_xlsx2iif.files import (
    StagedFile,
    command_argument,
    exported_mark,
    finish_interrupted,
    free_batch_path,
    partial_path,
    real_file,
    writing_to,
)
from ccp_xlsx2iif.lock import export_lock, refuse_if_in_use
from ccp_xlsx2iif.opening import (
    CHART_SHEET,
    Fingerprint,
    HeadStart,
    MarkedCopy,
    MarkTarget,
    open_for_export,
)
from ccp_xlsx2iif.orders import ZERO, Accounts, Order
from ccp_xlsx2iif.problems import (
    FileProblem,
    Place,
    Problem,
    ProblemsFound,
    TextChange,
    UsageProblem,
    UserError,
)
from ccp_xlsx2iif.reading import choose_layout, read_workbook_orders
from ccp_xlsx2iif.render import TEMPLATE_HINT, prepare_templates, render_batch
from ccp_xlsx2iif.settings import SETTINGS_SHEET, read_settings
from ccp_xlsx2iif.tally import AccountTotal, NotIif, Tally, TallyProcess, tally_for
from ccp_xlsx2iif.workbook import (
    Sheets,
    Table,
    check_book_path,
    open_book,
    read_table,
    required_sheet,
)
from ccp_xlsx2iif.writeback import ExportedMarks, write_marked_copy

if TYPE_CHECKING:
    from jinja2 import Environment

DEFAULT_STATUSES = ("Completed",)
# From this many orders on, the IIF file is tallied by a process of its own: smaller batches
# are tallied sooner than a process starts.
TALLY_PROCESS_FROM = 5_000
NOT_VERIFIED = (
    "Account and item names were not checked against QuickBooks, which creates any account or "
    "item it does not know. To check them, export the lists from QuickBooks (File > Utilities "
    "> Export > Lists to IIF Files, every list, or Chart of Accounts for the accounts alone) "
    "and give the file with --chart FILE."
)
ITEMS_NOT_VERIFIED = (
    "Item names were not checked: the chart lists no items. To check them, give QuickBooks' "
    "export of every list with --chart (File > Utilities > Export > Lists to IIF Files), or "
    "declare the items with --declare-items."
)


class Progress(Protocol):
    """Where a run reports how far it got: a stage, and steps done within it."""

    def stage(self, label: str, total: int | None = None) -> None:
        """Begin a stage of ``total`` steps (``None``: of unknown length)."""

    def advance(self, steps: int) -> None:
        """Count ``steps`` more steps of the current stage as done."""


class _Unreported:
    """Progress that goes nowhere."""

    def stage(self, label: str, total: int | None = None) -> None:
        pass

    def advance(self, steps: int) -> None:
        pass


UNREPORTED: Progress = _Unreported()


@dataclass(frozen=True)
class ExportOptions:
    """How to export: where the accounts are, where the IIF goes, which orders, what to write.

    ``given`` names the options set by the caller, which win over the Settings sheet; by
    default, those whose value differs from the default.
    """

    accounts: Path | None = None
    output: Path | None = None
    statuses: tuple[str, ...] = DEFAULT_STATUSES
    payments: bool = True
    templates: Path | None = None
    dry_run: bool = False
    force: bool = False
    chart: Path | None = None
    create_accounts: bool = False
    declare_items: bool = False
    declare_customers: bool = False
    tax_mode: str = "lines"
    book_as: str = "invoice"
    date_format: str = iif.US_DATE_FORMAT
    class_name: str = ""
    currency: str = ""
    output_folder: Path | None = None
    layout: str | None = None
    given: frozenset[str] | None = None

    def with_settings(self, settings: Mapping[str, Any]) -> ExportOptions:
        """Return these options with the settings for the options not given."""
        given = self.given
        if given is None:
            defaults = ExportOptions()
            given = frozenset(
                name for name in settings if getattr(self, name) != getattr(defaults, name)
            )
        return replace(
            self, **{name: value for name, value in settings.items() if name not in given}
        )


@dataclass(frozen=True)
class ExportResult:
    """What an export did (or, in a dry run, would do)."""

    orders: tuple[Order, ...]
    skipped: Counter[str]
    iif_path: Path | None
    marks: ExportedMarks | None
    dry_run: bool
    has_tax_lines: bool = False
    notes: tuple[str, ...] = ()
    declarations: Declarations = field(default_factory=Declarations)
    text_changes: tuple[TextChange, ...] = ()
    account_totals: tuple[AccountTotal, ...] = ()
    ledger: Path | None = None
    # The notes that say orders may be booked twice: shown even with --quiet.
    warnings: tuple[str, ...] = ()

    @property
    def total(self) -> Decimal:
        """The sum of the exported orders' totals."""
        return sum((order.total for order in self.orders), ZERO)


def _check_options(options: ExportOptions) -> None:
    if options.tax_mode not in TAX_MODES:
        raise UsageProblem(f"--tax-mode must be one of {', '.join(TAX_MODES)}")
    if options.book_as not in BOOK_AS:
        raise UsageProblem(f"--as must be one of {', '.join(BOOK_AS)}")
    if options.output is not None and options.output.is_dir():
        raise UsageProblem(
            f"{options.output}: is a folder; -o names the IIF file to write",
            hint=f"Give the file's name in that folder, such as {options.output / 'orders.iif'}.",
        )
    if options.output is not None and options.output.suffix.casefold() != ".iif":
        raise UsageProblem(f"{options.output}: the output file's name must end in .iif")
    if options.output_folder is not None:
        _check_output_folder(options.output_folder)
    if options.class_name and (
        message := iif.list_name_problem(options.class_name, "class")
        or iif.uncarried_name_problem(options.class_name, "class")
    ):
        raise UsageProblem(f"--class: {message}")


def _check_output_folder(folder: Path) -> None:
    """Refuse an output folder that is missing or is a file.

    What else the system refuses (a name too long, no permission) goes up as it is: Python's
    own ``is_dir`` hides some of it, differently from one version to the next.
    """
    hint = "Create the folder, or correct the Output Folder on the Settings sheet."
    try:
        found = folder.stat()
    except FileNotFoundError:
        raise UsageProblem(f"{folder}: the output folder does not exist", hint=hint) from None
    if not stat.S_ISDIR(found.st_mode):
        raise UsageProblem(
            f"{folder}: is a file, not a folder; give the folder to write to", hint=hint
        )


def _table(book: Sheets, spec: SheetSpec, problems: list[Problem]) -> Table | None:
    """Read the sheet of ``spec``; ``None`` (with its problems) when it cannot be used."""
    name = required_sheet(book, spec.name, problems)
    return read_table(book, name, spec, problems) if name is not None else None


def marked_file(workbook: Path) -> Path:
    """Return the file an export marks: the workbook, or the ledger of a CSV file's folder."""
    return ledger_path(workbook) if is_csv(workbook) else workbook


@dataclass(frozen=True)
class Plan:
    """What an export will write, once every check has passed.

    ``marks`` are the Exported cells of a workbook; for a CSV file, ``target`` is its ledger.
    """

    orders: tuple[Order, ...]
    skipped: Counter[str]
    accounts: Accounts
    declarations: Declarations
    marks: ExportedMarks | None
    iif_path: Path | None
    notes: tuple[str, ...]
    text_changes: tuple[TextChange, ...] = ()
    options: ExportOptions = field(default_factory=ExportOptions)
    target: MarkTarget | None = None
    environment: Environment | None = None
    copy: MarkedCopy | None = None
    warnings: tuple[str, ...] = ()


def _resolve_chart(
    options: ExportOptions,
    accounts_book: Sheets,
    accounts: Accounts | None,
    problems: list[Problem],
) -> Chart | None:
    """Find the chart of accounts: --chart, else the Chart File row, else a Chart sheet."""
    if options.chart is not None:
        return read_chart_file(options.chart)
    row = accounts.chart_file if accounts is not None else None
    if row is not None and row.account:
        path = Path(row.account)
        return read_chart_file(path if path.is_absolute() else accounts_book.path.parent / path)
    sheet = accounts_book.find_sheet(CHART_SHEET)
    if sheet is None:
        return None
    try:
        return chart_from_rows(accounts_book.read_rows(sheet), f'sheet "{sheet}"')
    except FileProblem as error:
        problems.append(Problem(Place(sheet, book=accounts_book.label), "bad-chart", error.message))
        return None


def plan_export(
    workbook: Path,
    options: ExportOptions,
    now: dt.datetime,
    *,
    with_output: bool = True,
    repair: bool = False,
    progress: Progress = UNREPORTED,
    head_start: HeadStart | None = None,
) -> tuple[Plan, Fingerprint]:
    """Read and check everything an export needs; raise ``ProblemsFound`` if anything is wrong.

    ``with_output=False`` plans without choosing the IIF file (for ``check``). ``repair``
    completes what an interrupted export left (``files.finish_interrupted``); it is set only
    while the export holds the workbook's lock. The workbook's reading may have begun
    already (``head_start``).
    """
    _check_options(options)
    progress.stage(f"Reading {workbook.name}")
    # The fingerprint is taken before the workbook is read: any change after it is detected
    # before the marked workbook replaces it.
    ledger = None
    book: Sheets
    copy: MarkedCopy | None = None
    if is_csv(workbook):
        book = CsvBook.open(workbook)
        if options.accounts is None:
            raise UsageProblem(
                f"{workbook}: a CSV file has no Accounts sheet; give the workbook that has "
                "it with --accounts FILE",
                hint="To make one, run ccp-xlsx2iif init: it writes orders.xlsx, whose Accounts "
                "sheet takes your QuickBooks account names (its example orders are not read "
                "when it is given with --accounts). Then run: ccp-xlsx2iif export "
                f"{command_argument(workbook.name)} --accounts orders.xlsx",
            )
        ledger = Ledger.read(ledger_path(workbook))
        fingerprint = Fingerprint.of_optional(ledger.path)
    else:
        check_book_path(workbook, writable=True)
        copied = with_output and not options.dry_run
        opened = open_for_export(workbook, copied=copied, head_start=head_start)
        fingerprint, copy, book = opened.fingerprint, opened.copy, opened.book
    accounts_book: Sheets = book
    try:
        problems: list[Problem] = []
        settings, setting_problems = read_settings(book)
        problems += setting_problems
        options = options.with_settings(settings)
        if options.accounts is not None:
            accounts_book = open_book(
                options.accounts,
                writable=False,
                label=options.accounts.name,
                sheets=(SETTINGS_SHEET, ACCOUNTS.name, CHART_SHEET),
            )
            more, more_problems = read_settings(accounts_book)
            problems += more_problems
            options = options.with_settings({**more, **settings})
        _check_options(options)
        # The templates are compiled while the orders sheet is parsed in the background.
        environment = (
            prepare_templates(options.templates, options.date_format) if with_output else None
        )
        # Sheets are read in the background in this order: each is waited for only when
        # the one before it has been worked through.
        reading = choose_layout(book, accounts_book, options.layout, problems)
        accounts_table = _table(accounts_book, ACCOUNTS, problems)
        # The accounts and the chart (their sheets are parsed first) are read while the
        # orders sheet is still being parsed.
        accounts: Accounts | None = None
        account_problems: list[Problem] = []
        chart: Chart | None = None
        if accounts_table is not None:
            accounts, account_problems = read_accounts(accounts_table)
            chart = _resolve_chart(options, accounts_book, accounts, account_problems)
        # Dates written as text with slashes are read in the order the Date Format writes them.
        dates_day_first = iif.day_first(options.date_format)
        read = read_workbook_orders(
            book,
            reading,
            options.statuses,
            problems,
            ledger_marks=ledger.marks if ledger is not None else None,
            day_first=dates_day_first,
        )
        if read is None or accounts_table is None:
            raise ProblemsFound(problems)
        selection, column_problems = read.selection, read.column_problems
        folders = [options.output_folder] if options.output_folder else []
        recovered = finish_interrupted(
            workbook,
            selection.batches,
            repair=repair,
            folders=folders,
            marked=marked_file(workbook),
        )
        iif_path = _output_path(workbook, options, now) if with_output else None
        marker = exported_mark(now, iif_path.name if iif_path else "")
        marks: ExportedMarks | None = None
        mark_problems: list[Problem] = []
        if ledger is None:
            # The rows of the orders chosen are known: so are their marks, before the orders
            # are made from the rows and their item lines.
            rows = read.chosen_rows()
            marks, mark_problems = read.column.marks(dict.fromkeys(rows, marker))
            # Named by its own module, the writer is all a copier's process imports for it.
            target = MarkTarget(workbook, partial(write_marked_copy, workbook, marks=marks))
            found = (problems, selection.problems, account_problems, column_problems, mark_problems)
            if copy is not None and rows and not any(found):
                # A large workbook's copy is written by its process while the item lines are
                # read and the orders checked (the other core is idle); it is discarded if
                # a problem is found.
                copy.give(target)
        read.attach_lines()
        progress.stage(f"Checking {len(selection.orders):,} orders")
        problems += selection.problems + account_problems
        files = BatchFiles([workbook.parent, *folders])
        if ledger is None:  # a CSV file's marks are found by Order ID: they cannot move
            problems += misplaced_marks(
                selection.marked,
                selection.order_columns,
                files,
                selection.first_row.keys(),
                day_first=dates_day_first,
            )
        elsewhere = _booked_elsewhere(workbook, selection, files, ledger)
        problems += elsewhere.problems
        if options.create_accounts and chart is None:
            raise UsageProblem(
                "--create-accounts needs the chart of accounts, to know which accounts are "
                "missing: give it with --chart FILE",
                hint=HOW_TO_EXPORT,
            )
        # Every sheet is read: the books are closed (their reader threads end).
        book.close()
        accounts_book.close()
        twice = partial(
            _booked_twice_notes, workbook, selection, files, ledger, set(elsewhere.orders)
        )
        held = twice(None)
        warnings: list[str] = []
        if ledger is None:
            mark_problems = column_problems + mark_problems if selection.orders else []
        if copy is not None and not copy.given:  # nothing to mark, or problems stop the export
            copy.discard()
            copy = None
        orders, name_problems = name_customers(
            selection.orders, accounts.customer_name_rule if accounts else None
        )
        problems += name_problems
        problems += check_orders(orders, accounts, now.date(), selection.longest)
        problems += check_currencies(orders, options.currency)
        if ledger is None:
            latest = now.date() + dt.timedelta(days=LATEST_DAYS_AHEAD)
            warnings += ahead_of_the_clock(orders, now.date(), latest)
        declarations = Declarations()
        list_notes: list[str] = []
        if accounts is not None:
            problems += check_tax_mode(accounts, options.tax_mode)
            problems += check_names(
                orders,
                accounts,
                chart,
                declare_customers=options.declare_customers,
                tax_mode=options.tax_mode,
            )
            declarations, declaration_problems = _declarations(orders, accounts, chart, options)
            problems += declaration_problems
        if chart is not None:
            list_problems, list_notes = _against_lists(orders, chart, options)
            problems += list_problems
        problems += mark_problems
        if ledger is not None:
            entries = [
                LedgerEntry(
                    order.order_id,
                    order.order_date,
                    order.quickbooks_name,
                    order.total,
                    marker,
                    workbook.name,
                )
                for order in orders
            ]
            target = MarkTarget(ledger.path, partial(write_ledger, ledger, entries=entries))
        if problems or accounts is None:
            raise ProblemsFound(
                problems,
                notes=[*recovered, *held, *warnings, *elsewhere.notes, *misplaced_notes(problems)],
            )
        if held and iif_path is not None and not options.dry_run:
            # The export writes its batch: the notes of orders that may be booked twice say
            # how to undo it.
            held = twice(iif_path.name)
        warnings = [*held, *warnings]
    except BaseException:
        if copy is not None:
            copy.discard()
        raise
    finally:
        book.close()  # closing again does nothing
        accounts_book.close()
    refunds = refunds_note(selection.refunds, workbook.name)
    notes = (
        *recovered,
        *warnings,
        *((reading.note,) if reading.note else ()),
        *((refunds,) if refunds else ()),
        *_notes(chart, options),
        *list_notes,
    )
    changes = tuple(selection.text_changes)
    plan = Plan(
        tuple(orders),
        selection.skipped,
        accounts,
        declarations,
        marks,
        iif_path,
        notes,
        changes,
        options,
        target,
        environment,
        copy,
        tuple(warnings),
    )
    return plan, fingerprint


def _booked_twice_notes(
    workbook: Path,
    selection: Selection,
    files: BatchFiles,
    ledger: Ledger | None,
    told: set[str],
    written: str | None,
) -> list[str]:
    """Say which orders to export may be booked already, and that an export starts a ledger.

    See ``batches.batch_notes`` and ``csvfiles.new_ledger_note``; the orders ``told`` as
    problems already are left out. ``written`` is the batch the export writes (none for
    check, a dry run, or an export that stops).
    """
    notes = batch_notes(
        workbook,
        selection.batches,
        files,
        selection.exporting_ids - told,
        ledger=ledger.path.name if ledger is not None else None,
        written=written,
    )
    if ledger is not None and not ledger.exists and selection.exporting_ids:
        notes.append(new_ledger_note(ledger, workbook.name, written))
    return notes


def _booked_elsewhere(
    workbook: Path, selection: Selection, files: BatchFiles, ledger: Ledger | None
) -> Booked:
    """Refuse the orders to export that another file beside the workbook booked already.

    For a CSV file, the batch files hold orders its ``ledger`` never recorded. For a
    workbook, the ledger of the shop's CSV exports beside it, then the batch files of other
    workbooks, are asked (each order is told once, by the first that has it).
    """
    columns = selection.order_columns
    totals = {order.order_id: order.total for order in selection.orders}
    if not totals or columns is None:
        return NOTHING_BOOKED
    first_row = selection.first_row

    def at(order_id: str) -> Place:
        return columns.place("order_id", first_row[order_id])

    if ledger is not None:
        return unknown_to_the_ledger(workbook, ledger, files, totals, at)
    from_csv = NOTHING_BOOKED
    path = ledger_path(workbook)
    if path.is_file():
        try:
            beside = Ledger.read(path)
        except UserError:  # not this workbook's record: an unreadable one is said when used
            beside = Ledger(path)
        from_csv = exported_from_csv(workbook, beside, totals, at)
        totals = {
            order_id: total
            for order_id, total in totals.items()
            if not in_ledger(beside, order_id, total)
        }
    held = held_by_other_workbooks(workbook, selection.batches, files, totals, at)
    return Booked(
        from_csv.problems + held.problems,
        from_csv.notes + held.notes,
        from_csv.orders + held.orders,
    )


def _declarations(
    orders: list[Order], accounts: Accounts, chart: Chart | None, options: ExportOptions
) -> tuple[Declarations, list[Problem]]:
    problems: list[Problem] = []
    new_accounts: list[NewAccount] = []
    if chart is not None:
        problems += check_chart(accounts, chart, create=options.create_accounts)
        if options.create_accounts:
            new_accounts, account_problems = accounts_to_create(accounts, chart)
            problems += account_problems
    items: list[NewItem] = []
    if options.declare_items:
        items, item_problems = items_to_declare(orders, accounts, chart, tax_mode=options.tax_mode)
        problems += item_problems
    elif chart is not None and chart.items is not None:
        problems += unknown_items(orders, accounts, chart, tax_mode=options.tax_mode)
    customers = customers_to_declare(orders, chart) if options.declare_customers else []
    return Declarations(tuple(new_accounts), tuple(items), tuple(customers)), problems


def _against_lists(
    orders: list[Order], chart: Chart, options: ExportOptions
) -> tuple[list[Problem], list[str]]:
    """Hold the other names of the batch to the lists the chart holds; say which are new."""
    problems, notes = unknown_list_entries(
        orders,
        chart,
        default_class=options.class_name,
        payment_methods=options.payments or options.book_as == "sales-receipt",
    )
    if not options.declare_customers:
        notes += new_customers(orders, chart)
    return problems, notes


def _notes(chart: Chart | None, options: ExportOptions) -> tuple[str, ...]:
    if chart is None:
        return (NOT_VERIFIED,)
    names = "Account" if chart.items is None else "Account and item"
    notes = [f"{names} names were checked against {chart.source}."]
    if chart.items is None:
        notes.append(
            "Every item the batch uses is declared, because the chart lists no items; give "
            "QuickBooks' export of all lists with --chart to declare only new ones."
            if options.declare_items
            else ITEMS_NOT_VERIFIED
        )
    if options.declare_customers and chart.customers is None:
        notes.append(
            "Every customer of the batch is declared, because the chart lists no customers; "
            "give QuickBooks' export of all lists with --chart to declare only new ones."
        )
    return tuple(notes)


def export_workbook(
    workbook: Path,
    options: ExportOptions,
    now: dt.datetime,
    progress: Progress = UNREPORTED,
    head_start: HeadStart | None = None,
) -> ExportResult:
    """Export the completed, not yet exported orders of ``workbook`` to one IIF file.

    ``now`` is the local time of the run: it names the batch and dates the Exported cells.
    Raises ``ProblemsFound`` when the data has problems, ``FileProblem`` when a file cannot be
    read or written; in both cases nothing was changed. The workbook's reading may have begun
    already (``head_start``, closed here if it is not taken).
    """
    workbook = real_file(workbook)
    try:
        with _cycle_collector_paused():
            if options.dry_run:
                plan, fingerprint = plan_export(
                    workbook, options, now, progress=progress, head_start=head_start
                )
                return _write(plan, fingerprint, progress)
            target = marked_file(workbook)
            if target == workbook:
                check_book_path(workbook, writable=True)
            refuse_if_in_use(target)
            with export_lock(target, now) as lock_notes:
                plan, fingerprint = plan_export(
                    workbook, options, now, repair=True, progress=progress, head_start=head_start
                )
                result = _write(plan, fingerprint, progress)
            return replace(result, notes=(*lock_notes, *result.notes))
    finally:
        if head_start is not None:
            head_start.close()


def check_workbook(
    workbook: Path, options: ExportOptions, now: dt.datetime, progress: Progress = UNREPORTED
) -> ExportResult:
    """Run every check of an export and write nothing."""
    with _cycle_collector_paused():
        plan, _ = plan_export(workbook, options, now, with_output=False, progress=progress)
        return _result(plan, dry_run=True)


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Pause Python's collector of reference cycles for the length of a run.

    An export makes hundreds of thousands of records, which hold no cycles; the collector
    would walk all of them again and again as they are made, for nothing. When it is resumed,
    what was made meanwhile is handed to its oldest generation unwalked (``freeze`` then
    ``unfreeze``): else the first collection after the pause would walk every record once.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.unfreeze()
        if enabled:
            gc.enable()


def _result(plan: Plan, *, dry_run: bool) -> ExportResult:
    has_tax = plan.options.tax_mode == "lines" and any(order.taxes for order in plan.orders)
    return ExportResult(
        plan.orders,
        plan.skipped,
        plan.iif_path if plan.orders else None,
        plan.marks if plan.orders else None,
        dry_run,
        has_tax,
        plan.notes,
        plan.declarations,
        plan.text_changes,
        ledger=plan.target.path if plan.orders and plan.marks is None and plan.target else None,
        warnings=plan.warnings,
    )


def _output_path(workbook: Path, options: ExportOptions, now: dt.datetime) -> Path:
    if options.output is None:
        return free_batch_path(workbook, now, options.output_folder)
    if options.output.exists() and not options.force:
        raise FileProblem(
            f"{options.output}: the file exists already",
            hint="Choose another name, or add --force to replace it.",
        )
    return options.output


def _write(plan: Plan, fingerprint: Fingerprint, progress: Progress = UNREPORTED) -> ExportResult:
    """Write the IIF file and the marked copy, then move both into place.

    The plan's marked copy, if it was started, is this function's: it is discarded on every
    way out but its commit.
    """
    try:
        return _write_files(plan, fingerprint, progress)
    finally:
        if plan.copy is not None:
            plan.copy.discard()  # nothing left to remove once it is committed


def _write_files(plan: Plan, fingerprint: Fingerprint, progress: Progress) -> ExportResult:
    options = plan.options
    result = _result(plan, dry_run=options.dry_run)
    if not plan.orders or plan.iif_path is None or plan.environment is None:
        return result
    # A transaction per order, and its payment after an invoice.
    per_order = 2 if options.payments and options.book_as == "invoice" else 1
    progress.stage(f"Writing {len(plan.orders):,} orders", len(plan.orders) * per_order)
    data = _encoded(
        _counted(
            render_batch(
                plan.environment,
                plan.orders,
                plan.accounts,
                plan.declarations,
                payments=options.payments,
                tax_mode=options.tax_mode,
                book_as=options.book_as,
                default_class=options.class_name,
            ),
            progress,
        )
    )
    large = len(plan.orders) >= TALLY_PROCESS_FROM
    own_templates = options.templates is not None
    if options.dry_run:
        with _tallied(large, own_templates=own_templates) as tally:
            for _ in tally.feed(data):
                pass
            return replace(result, account_totals=tuple(tally.totals()))
    assert plan.target is not None  # noqa: S101 - every plan that writes has one
    iif_file = StagedFile(plan.iif_path, partial_path(plan.iif_path))
    workbook_committed = False
    copy = plan.copy
    try:
        if copy is None:  # written beside the rendering of the IIF file
            copy = MarkedCopy.started(plan.target)
        # A copier's process was forked when the export started, before the tally's process
        # starts here: forked after it, it would hold the tally's pipe open.
        with _tallied(large, own_templates=own_templates) as tally, writing_to(iif_file.temporary):
            stream = iif_file.open()
            for chunk in tally.feed(data):
                stream.write(chunk)
            iif_file.finish()
            totals = tally.totals()
        progress.stage("Marking the orders Exported in the workbook")
        copy.wait()
        if Fingerprint.of_optional(copy.path) != fingerprint:
            raise FileProblem(
                f"{copy.path}: the workbook changed while the export ran (was it saved in Excel?)",
                hint="Nothing was written. Run the export again.",
            )
        copy.commit()
        workbook_committed = True
        iif_file.commit()
        result = replace(result, account_totals=tuple(totals))
    except BaseException:
        if copy is not None:
            copy.discard()
        if workbook_committed:
            raise _iif_not_moved(iif_file) from None
        iif_file.discard()
        raise
    return result


@contextmanager
def _tallied(large: bool, *, own_templates: bool) -> Iterator[Tally | TallyProcess]:
    """Give the tally of the batch; text that is not IIF is the templates' error.

    The rows the user's own templates write are held to their headers as well.
    """
    try:
        with tally_for(large, check_rows=own_templates) as tally:
            yield tally
    except NotIif as error:
        raise FileProblem(f"IIF template error: {error}", hint=TEMPLATE_HINT) from None


def _iif_not_moved(iif_file: StagedFile) -> FileProblem:
    return FileProblem(
        f"{iif_file.target}: the orders were marked Exported, but the finished IIF file could "
        f"not be moved into place; it is complete under the name {iif_file.temporary.name}",
        hint=f"Rename {iif_file.temporary} to {iif_file.target.name} and import that file.",
    )


def _counted(chunks: Iterable[str], progress: Progress) -> Iterator[str]:
    """Yield ``chunks``, advancing ``progress`` by the transactions each one ends."""
    for chunk in chunks:
        progress.advance(chunk.count("\nENDTRNS"))
        yield chunk


def _encoded(chunks: Iterable[str]) -> Iterator[bytes]:
    """Encode the rendered text as ASCII, chunk by chunk."""
    for chunk in chunks:
        try:
            yield chunk.encode("ascii")
        except UnicodeEncodeError as error:
            raise FileProblem(
                f"IIF template error: the text {error.object[error.start : error.end]!r} is "
                "not ASCII",
                hint="IIF files are ASCII; remove the character from the template.",
            ) from None
