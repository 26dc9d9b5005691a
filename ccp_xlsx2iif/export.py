"""The export pipeline: read -> build orders -> check -> render -> write IIF -> mark workbook.

Nothing is written while any problem stands. The IIF file and the marked workbook are each
written completely under temporary names beside their targets; only then is the workbook
moved into place, then the IIF file. The workbook must be unchanged since it was read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from ccp_xlsx2iif.build import Selection, read_accounts, select_orders
from ccp_xlsx2iif.checks import check_orders
from ccp_xlsx2iif.contract import ACCOUNTS, ITEMS, ORDERS
from ccp_xlsx2iif.files import StagedFile, free_batch_path, partial_path
from ccp_xlsx2iif.orders import ZERO, Accounts, Order
from ccp_xlsx2iif.problems import FileProblem, Problem, ProblemsFound, UsageProblem
from ccp_xlsx2iif.render import make_environment, render_batch
from ccp_xlsx2iif.workbook import (
    Book,
    Table,
    check_book_path,
    open_book,
    quoted_list,
    read_table,
)
from ccp_xlsx2iif.writeback import ExportedMarks, plan_marks, write_marked_copy

DEFAULT_STATUSES = ("Completed",)


@dataclass(frozen=True)
class ExportOptions:
    """How to export: where the accounts are, where the IIF goes, which orders, what to write."""

    accounts: Path | None = None
    output: Path | None = None
    statuses: tuple[str, ...] = DEFAULT_STATUSES
    payments: bool = True
    templates: Path | None = None
    dry_run: bool = False
    force: bool = False


@dataclass(frozen=True)
class ExportResult:
    """What an export did (or, in a dry run, would do)."""

    orders: tuple[Order, ...]
    skipped: Counter[str]
    iif_path: Path | None
    marks: ExportedMarks | None
    dry_run: bool
    has_tax_lines: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def total(self) -> Decimal:
        """The sum of the exported orders' totals."""
        return sum((order.total for order in self.orders), ZERO)


@dataclass(frozen=True)
class Fingerprint:
    """What identifies a file's content: its size, modification time and SHA-256."""

    size: int
    modified_ns: int
    sha256: str

    @classmethod
    def of(cls, path: Path) -> Fingerprint:
        """Take the fingerprint of ``path`` as it is now."""
        try:
            status = path.stat()
            digest = hashlib.sha256()
            with path.open("rb") as stream:
                while chunk := stream.read(1 << 20):
                    digest.update(chunk)
        except OSError as error:
            raise FileProblem(f"{path}: cannot be read ({error.strerror or error})") from None
        return cls(status.st_size, status.st_mtime_ns, digest.hexdigest())


@dataclass
class _Sheets:
    orders: Table | None = None
    items: Table | None = None
    accounts: Table | None = None
    problems: list[Problem] = field(default_factory=list)


def _find_sheet(book: Book, name: str, problems: list[Problem]) -> str | None:
    sheet = book.find_sheet(name)
    if sheet is None:
        problems.append(
            Problem(
                None,
                "missing-sheet",
                f'{book.path.name}: there is no sheet "{name}" (sheets found: '
                f"{quoted_list(book.sheet_names) or 'none'})",
            )
        )
    return sheet


def _read_sheets(book: Book, accounts_book: Book) -> _Sheets:
    sheets = _Sheets()
    for source, spec in ((book, ORDERS), (book, ITEMS), (accounts_book, ACCOUNTS)):
        name = _find_sheet(source, spec.name, sheets.problems)
        if name is not None:
            setattr(sheets, spec.name.lower(), read_table(source, name, spec, sheets.problems))
    return sheets


def export_workbook(workbook: Path, options: ExportOptions, now: dt.datetime) -> ExportResult:
    """Export the completed, not yet exported orders of ``workbook`` to one IIF file.

    ``now`` is the local time of the run: it names the batch and dates the Exported cells.
    Raises ``ProblemsFound`` when the data has problems, ``FileProblem`` when a file cannot be
    read or written; in both cases nothing was changed.
    """
    if options.output is not None and options.output.suffix.casefold() != ".iif":
        raise UsageProblem(f"{options.output}: the output file's name must end in .iif")
    # The fingerprint is taken before the workbook is read: any change after it is detected
    # before the marked workbook replaces it.
    check_book_path(workbook, writable=True)
    fingerprint = Fingerprint.of(workbook)
    book = open_book(workbook, writable=True)
    accounts_book = book
    if options.accounts is not None:
        accounts_book = open_book(options.accounts, writable=False, label=options.accounts.name)
    try:
        sheets = _read_sheets(book, accounts_book)
        problems = sheets.problems
        if sheets.orders is None or sheets.items is None or sheets.accounts is None:
            raise ProblemsFound(problems)
        selection, _ = select_orders(sheets.orders, sheets.items, options.statuses)
        accounts, account_problems = read_accounts(sheets.accounts)
        problems += selection.problems + account_problems
        problems += check_orders(selection.orders, accounts, now.date())
        marker_target = _output_path(workbook, options, now)
        marker = f"{now:%Y-%m-%d %H:%M} {marker_target.name}"
        marks, mark_problems = plan_marks(
            sheets.orders,
            book.merged_ranges(sheets.orders.columns.sheet),
            {order.origin.row: marker for order in selection.orders},
        )
        if selection.orders:
            problems += mark_problems
        if problems or accounts is None:
            raise ProblemsFound(problems)
    finally:
        book.close()
        if accounts_book is not book:
            accounts_book.close()
    return _write(workbook, options, selection, accounts, marks, marker_target, fingerprint)


def _output_path(workbook: Path, options: ExportOptions, now: dt.datetime) -> Path:
    if options.output is None:
        return free_batch_path(workbook, now)
    if options.output.exists() and not options.force:
        raise FileProblem(
            f"{options.output}: the file exists already",
            hint="Choose another name, or add --force to replace it.",
        )
    return options.output


def _write(
    workbook: Path,
    options: ExportOptions,
    selection: Selection,
    accounts: Accounts,
    marks: ExportedMarks,
    iif_path: Path,
    fingerprint: Fingerprint,
) -> ExportResult:
    orders = tuple(selection.orders)
    has_tax = any(order.state_tax or order.country_tax for order in orders)
    result = ExportResult(orders, selection.skipped, iif_path, marks, options.dry_run, has_tax)
    if not orders:
        return ExportResult((), selection.skipped, None, None, options.dry_run)
    environment = make_environment(options.templates)
    chunks = render_batch(environment, orders, accounts, payments=options.payments)
    if options.dry_run:
        for _ in _encoded(chunks):
            pass
        return result
    iif_file = StagedFile(iif_path, partial_path(iif_path))
    book_file = StagedFile(workbook, _temporary_workbook_path(workbook), mode_from=workbook)
    workbook_committed = False
    try:
        stream = iif_file.open()
        for chunk in _encoded(chunks):
            stream.write(chunk)
        iif_file.finish()
        write_marked_copy(workbook, book_file.open(), marks)
        book_file.finish()
        if Fingerprint.of(workbook) != fingerprint:
            raise FileProblem(
                f"{workbook}: the workbook changed while the export ran (was it saved in Excel?)",
                hint="Nothing was written. Run the export again.",
            )
        book_file.commit()
        workbook_committed = True
        iif_file.commit()
    except BaseException:
        book_file.discard()
        if workbook_committed:
            raise _iif_not_moved(iif_file) from None
        iif_file.discard()
        raise
    return result


def _iif_not_moved(iif_file: StagedFile) -> FileProblem:
    return FileProblem(
        f"{iif_file.target}: the orders were marked Exported, but the finished IIF file could "
        f"not be moved into place; it is complete under the name {iif_file.temporary.name}",
        hint=f"Rename {iif_file.temporary} to {iif_file.target.name} and import that file.",
    )


def _temporary_workbook_path(workbook: Path) -> Path:
    return workbook.with_name(f".{workbook.stem}.{secrets.token_hex(4)}.tmp{workbook.suffix}")


def _encoded(chunks: Iterable[str]) -> Iterator[bytes]:
    for chunk in chunks:
        try:
            yield chunk.encode("ascii")
        except UnicodeEncodeError as error:
            raise FileProblem(
                f"IIF template error: the text {error.object[error.start : error.end]!r} is "
                "not ASCII",
                hint="IIF files are ASCII; remove the character from the template.",
            ) from None
