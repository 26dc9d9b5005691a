"""What a run shows: the summary of an export or a check, as plain text, tables or JSON.

The summary is made once, as data (``Summary``), and shown three ways: plain, stable text for
pipes, files and CI; tables with colour on a terminal (``rich``, imported only then); and a
JSON document for scripts, whose shape the README documents (``SCHEMA_VERSION``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ccp_xlsx2iif.problems import PROBLEM_KINDS, Problem, column_letter

if TYPE_CHECKING:
    from rich.console import Console

    from ccp_xlsx2iif.export import ExportResult
    from ccp_xlsx2iif.orders import Order

SCHEMA_VERSION = 1
SHOWN_PROBLEMS = 50
SHOWN_CHANGES = 20
# Up to this many orders are all listed; past it, the first and the last few.
SHOWN_ORDERS = 20
SHOWN_AT_EACH_END = 10
TAX_REMINDER = (
    "Tax is written as plain invoice lines: turn off QuickBooks' "
    '"Charge Tax Automatically" while you import this file, or the tax is counted twice.'
)


NOTHING_TO_EXPORT = "Nothing to export: no order is both completed and not yet exported"


def count(number: int, noun: str) -> str:
    """Return ``1 order``, ``2 orders``."""
    return f"{number:,} {noun}" if number == 1 else f"{number:,} {noun}s"


def first_of(items: Sequence[str], shown: int) -> str:
    """Return the first ``shown`` items joined, and how many more there are: ``a, b and 3 more``."""
    more = len(items) - shown
    return ", ".join(items[:shown]) + (f" and {more:,} more" if more > 0 else "")


def money(amount: Decimal) -> str:
    """Return an amount as the summary shows it: ``1,234.50``."""
    return f"{amount:,.2f}"


def problem_lines(problems: Sequence[Problem]) -> list[str]:
    """Return one line per problem; past the first 50, one line per kind of problem."""
    lines = [str(problem) for problem in problems[:SHOWN_PROBLEMS]]
    rest = problems[SHOWN_PROBLEMS:]
    if rest:
        lines.append(f"... and {count(len(rest), 'more problem')}:")
        first: dict[str, Problem] = {}
        kinds = Counter(problem.code for problem in rest)
        for problem in rest:
            first.setdefault(problem.code, problem)
        for code, number in kinds.most_common():
            where = f" (first at {first[code].place})" if first[code].place else ""
            lines.append(f"  {number} x {PROBLEM_KINDS.get(code, code)}{where}")
    return lines


def _visible(text: str) -> str:
    """Show text in quotes with its line breaks and tabs visible."""
    return '"' + text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t") + '"'


@dataclass(frozen=True)
class Table:
    """A table of the summary: a title, column headings, rows, a total row."""

    title: str
    headings: tuple[str, ...]
    right: tuple[bool, ...]  # which columns are aligned right (amounts)
    rows: tuple[tuple[str, ...] | None, ...]  # None: the rows left out
    total: tuple[str, ...]
    left_out: str = ""


@dataclass(frozen=True)
class Summary:
    """Everything a run reports, made once and shown as text, tables or JSON."""

    result: ExportResult
    command: str

    @property
    def headline(self) -> list[str]:
        """What was done: exported, would be exported, or nothing; what was skipped."""
        result = self.result
        lines: list[str] = []
        orders = count(len(result.orders), "order")
        if self.command == "check":
            skipped = f"; skipped {self.skipped}" if result.skipped else ""
            if not result.orders:
                return [f"{NOTHING_TO_EXPORT}{skipped}."]
            return [f"Ready to export: {orders}, total {money(result.total)}{skipped}."]
        if not result.orders:
            lines.append(f"{NOTHING_TO_EXPORT}.")
        elif result.dry_run:
            lines.append(
                f"Dry run: {orders} would be exported, total {money(result.total)}; "
                "nothing was written."
            )
        else:
            lines.append(f"Exported {orders}, total {money(result.total)}, to {result.iif_path}")
            if result.marks is not None:
                letter = column_letter(result.marks.column)
                added = ' (a new column "Exported")' if result.marks.header else ""
                lines.append(f"Marked them Exported in {result.marks.sheet}!{letter}{added}.")
            elif result.ledger is not None:
                lines.append(f"Recorded them as exported in {result.ledger}.")
        if result.skipped:
            lines.append(f"Skipped {self.skipped}.")
        return lines

    @property
    def skipped(self) -> str:
        """The skipped orders counted by reason: ``3 orders: 1 already exported, ...``."""
        skipped = self.result.skipped
        reasons = ", ".join(f"{number:,} {reason}" for reason, number in sorted(skipped.items()))
        return f"{count(sum(skipped.values()), 'order')}: {reasons}"

    @property
    def order_table(self) -> Table | None:
        """The orders exported: all when few, else the first and the last ten."""
        orders = self.result.orders
        if not orders or self.command == "check":
            return None
        rows: list[tuple[str, ...] | None] = []
        left_out = ""
        if len(orders) <= SHOWN_ORDERS:
            rows += [_order_row(order) for order in orders]
        else:
            rows += [_order_row(order) for order in orders[:SHOWN_AT_EACH_END]]
            rows.append(None)
            rows += [_order_row(order) for order in orders[-SHOWN_AT_EACH_END:]]
            left_out = f"... {count(len(orders) - 2 * SHOWN_AT_EACH_END, 'more order')} ..."
        title = "Orders to export" if self.result.dry_run else "Orders exported"
        return Table(
            title,
            ("Order", "Date", "Customer", "Total"),
            (False, False, False, True),
            tuple(rows),
            ("Total", "", count(len(orders), "order"), money(self.result.total)),
            left_out,
        )

    @property
    def account_table(self) -> Table | None:
        """Debit and credit per QuickBooks account, as read from the IIF text."""
        totals = self.result.account_totals
        if not totals:
            return None
        debit = sum((total.debit for total in totals), Decimal(0))
        credit = sum((total.credit for total in totals), Decimal(0))
        return Table(
            "Totals per QuickBooks account",
            ("Account", "Debit", "Credit"),
            (False, True, True),
            tuple(
                (total.account, _blank_zero(total.debit), _blank_zero(total.credit))
                for total in totals
            ),
            ("Total", money(debit), money(credit)),
        )

    @property
    def afterword(self) -> list[str]:
        """What follows the tables: declared lists, changed text, notes, the tax reminder."""
        result = self.result
        lines = []
        declared = result.declarations
        parts = [
            count(len(entries), noun)
            for entries, noun in (
                (declared.accounts, "new account"),
                (declared.items, "item"),
                (declared.customers, "customer"),
            )
            if entries
        ]
        if result.orders and parts:
            verb = "Declared" if self.wrote else "Would declare"
            lines.append(f"{verb} {', '.join(parts)} at the top of the IIF file.")
        lines.extend(self.change_lines)
        lines.extend(result.notes)
        if result.orders and result.has_tax_lines:
            lines.append(TAX_REMINDER)
        return lines

    @property
    def change_lines(self) -> list[str]:
        """The cells whose text was changed for QuickBooks (the first 20)."""
        changes = self.result.text_changes
        if not changes:
            return []
        lines = [f"Text changed for QuickBooks in {count(len(changes), 'cell')}:"]
        for change in changes[:SHOWN_CHANGES]:
            lines.append(f"  {change.place}: {_visible(change.before)} -> {_visible(change.after)}")
        if len(changes) > SHOWN_CHANGES:
            lines.append(f"  ... and {count(len(changes) - SHOWN_CHANGES, 'more cell')}")
        return lines

    @property
    def wrote(self) -> bool:
        """Whether an IIF file was written."""
        return bool(self.result.orders) and not self.result.dry_run and self.command == "export"

    @property
    def next_step(self) -> str | None:
        """What to do next in QuickBooks, once a file is written."""
        path = self.result.iif_path
        if not self.wrote or path is None:
            return None
        return (
            "Next, in QuickBooks: back up the company file (File > Back Up Company), then "
            f"File > Utilities > Import > IIF Files and open {path.name}; QuickBooks 2019 and "
            'later ask how: choose "Import without review". Import it once: a file '
            "imported again is booked again, and QuickBooks has no undo."
        )

    def plain_lines(self) -> list[str]:
        """Return the summary as plain, stable text."""
        if self.command == "check":
            return self.afterword + self.headline
        lines = self.headline
        tables = [table for table in (self.order_table, self.account_table) if table is not None]
        for table in tables:
            lines += ["", *_plain_table(table)]
        next_step = self.next_step
        after = self.afterword + ([next_step] if next_step else [])
        if after and tables:
            lines.append("")
        return lines + after

    def show(self, console: Console) -> None:
        """Show the summary on a terminal: tables and colour."""
        from rich.table import Table as RichTable
        from rich.text import Text

        style = "bold green" if self.result.orders else "bold"
        if self.command == "check":
            for line in self.afterword:
                console.print(Text(line, style="yellow" if not line.startswith(" ") else ""))
        for index, line in enumerate(self.headline):
            console.print(Text(line, style=style if index == 0 else ""))
        for table in (self.order_table, self.account_table):
            if table is None:
                continue
            shown = RichTable(title=table.title, title_justify="left", show_footer=True)
            for heading, right, footer in zip(
                table.headings, table.right, table.total, strict=True
            ):
                shown.add_column(
                    heading, footer=footer, justify="right" if right else "left", no_wrap=True
                )
            for row in table.rows:
                if row is None:
                    shown.add_row("...", "", Text(table.left_out, style="dim"), "")
                else:
                    shown.add_row(*row)
            console.print()
            console.print(shown)
        after = self.afterword if self.command != "check" else []
        if after:
            console.print()
        for line in after:
            console.print(Text(line, style="yellow" if not line.startswith(" ") else ""))
        if self.next_step:
            console.print()
            console.print(Text(self.next_step, style="bold"))

    def document(self, workbook: Path) -> dict[str, Any]:
        """Return the summary as the JSON document ``--json`` prints."""
        result = self.result
        marks = result.marks
        declared = result.declarations
        return {
            "schema": SCHEMA_VERSION,
            "command": self.command,
            "ok": True,
            "dry_run": result.dry_run or self.command == "check",
            "workbook": str(workbook),
            "iif_file": str(result.iif_path) if self.wrote and result.iif_path else None,
            "exported": {"orders": len(result.orders), "total": str(result.total)},
            "orders": [
                {
                    "order": order.order_id,
                    "row": order.origin.row,
                    "date": order.order_date.isoformat(),
                    "customer": order.quickbooks_name,
                    "total": str(order.total),
                }
                for order in result.orders
            ],
            "skipped": dict(sorted(result.skipped.items())),
            "accounts": [
                {"account": total.account, "debit": str(total.debit), "credit": str(total.credit)}
                for total in result.account_totals
            ],
            "marked": (
                {
                    "sheet": marks.sheet,
                    "column": column_letter(marks.column),
                    "new_column": marks.header is not None,
                }
                if marks is not None and self.wrote
                else None
            ),
            "ledger": str(result.ledger) if result.ledger and self.wrote else None,
            "declared": {
                "accounts": [entry.name for entry in declared.accounts],
                "items": [entry.name for entry in declared.items],
                "customers": [entry.name for entry in declared.customers],
            },
            "text_changes": [
                {"cell": str(change.place), "before": change.before, "after": change.after}
                for change in result.text_changes
            ],
            "notes": list(result.notes)
            + ([TAX_REMINDER] if result.orders and result.has_tax_lines else []),
            "next_step": self.next_step,
        }


def failure_document(
    command: str,
    exit_code: int,
    problems: Sequence[Problem] = (),
    message: str = "",
    hint: str = "",
) -> dict[str, Any]:
    """Return the JSON document of a run that stopped: its problems, or its error."""
    return {
        "schema": SCHEMA_VERSION,
        "command": command,
        "ok": False,
        "exit_code": exit_code,
        "message": message,
        "hint": hint or None,
        "problems": [
            {
                "cell": str(problem.place) if problem.place else None,
                "sheet": problem.place.sheet if problem.place else None,
                "row": problem.place.row if problem.place else None,
                "column": column_letter(problem.place.column)
                if problem.place and problem.place.column
                else None,
                "kind": problem.code,
                "message": problem.message,
            }
            for problem in problems
        ],
    }


def _order_row(order: Order) -> tuple[str, ...]:
    return (order.order_id, order.order_date.isoformat(), order.quickbooks_name, money(order.total))


def _blank_zero(amount: Decimal) -> str:
    return money(amount) if amount else ""


def _plain_table(table: Table) -> list[str]:
    """Lay a table out in columns of plain text, two spaces apart, with its title above."""
    rows = [row for row in table.rows if row is not None]
    widths = [
        max(len(cells[column]) for cells in (table.headings, table.total, *rows))
        for column in range(len(table.headings))
    ]

    def line(cells: Sequence[str]) -> str:
        return (
            "  "
            + "  ".join(
                cell.rjust(width) if right else cell.ljust(width)
                for cell, width, right in zip(cells, widths, table.right, strict=True)
            ).rstrip()
        )

    lines = [f"{table.title}:", line(table.headings)]
    for row in table.rows:
        lines.append("  " + table.left_out if row is None else line(row))
    lines.append(line(table.total))
    return lines
