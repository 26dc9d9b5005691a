"""From sheets to records: which orders are exported, their typed values, lines and accounts.

Only orders that will be exported (status ``Completed`` or another given status, and a blank
Exported cell) are read in full and held to the checks; the others are counted by the reason
they are skipped. Every unreadable cell becomes a ``Problem``; nothing is raised for bad data.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ccp_xlsx2iif import iif
from ccp_xlsx2iif.cells import (
    PARSERS,
    CellValue,
    CellValueError,
    is_blank,
    parse_text,
)
from ccp_xlsx2iif.chart import ACCOUNT_TYPES, account_type
from ccp_xlsx2iif.contract import ROLES, Kind, Role, RoleKind, header_key
from ccp_xlsx2iif.files import batch_in_mark
from ccp_xlsx2iif.orders import Accounts, Order, OrderLine, RoleAccount
from ccp_xlsx2iif.problems import Origin, Place, Problem, TextChange
from ccp_xlsx2iif.workbook import Row, Table

ALREADY_EXPORTED = "already exported"
_parse_order_id = PARSERS[Kind.ORDER_ID]


@dataclass
class Selection:
    """The orders to export, in sheet order, and what was skipped and why.

    ``read_orders`` fills it from the Orders sheet; ``attach_lines`` reads the Items sheet and
    makes the orders.
    """

    orders: list[Order] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)
    batches: set[str] = field(default_factory=set)
    text_changes: list[TextChange] = field(default_factory=list)
    first_row: dict[str, int] = field(default_factory=dict)
    exporting_ids: set[str] = field(default_factory=set)
    duplicated: set[str] = field(default_factory=set)
    pending: list[tuple[Origin, dict[str, Any] | None]] = field(default_factory=list)


def status_keys(statuses: Iterable[str]) -> frozenset[str]:
    """Return the statuses that export, as compared: trimmed, any case."""
    return frozenset(status.strip().casefold() for status in statuses if status.strip())


# The text an IIF file carries is cleaned as it is read (iif.clean_text), and each cell it
# changes is reported; names QuickBooks needs must keep some text once cleaned.
WRITTEN_TEXT = frozenset(
    {
        "customer", "company", "email", "phone", "bill_address1", "bill_address2", "bill_city",
        "bill_state", "bill_zip", "bill_country", "ship_name", "ship_address1", "ship_address2",
        "ship_city", "ship_state", "ship_zip", "ship_country", "payment_method", "ship_method",
        "po_number", "memo", "sku", "description",
    }
)  # fmt: skip
NEEDED_NAMES = {"customer": "customer name", "sku": "SKU"}


class RowReader:
    """Reads the declared columns of a table's rows into typed values.

    The columns found on the sheet are resolved once: each row is then one pass over them,
    which matters for a sheet of a hundred thousand rows.
    """

    def __init__(self, table: Table, *, skip: Iterable[str] = (), clean: bool = True) -> None:
        index = table.columns.index
        self.table = table
        self.columns = [
            (column.field, index[column.field] - 1, PARSERS[column.kind], column.required,
             column.header, clean and column.field in WRITTEN_TEXT)
            for column in table.spec.columns
            if column.field in index and column.field not in skip
        ]  # fmt: skip
        self.has_issues = table.facts_found

    def read(
        self,
        origin: Origin,
        cells: Row,
        context: str,
        problems: list[Problem],
        changes: list[TextChange],
    ) -> dict[str, Any] | None:
        """Parse one row; return ``None`` when any cell is unreadable (each one reported)."""
        values: dict[str, Any] = {}
        ok = True
        width = len(cells)
        has_issues = self.has_issues
        clean_text = iif.clean_text
        for field_name, index, parse, required, header, written in self.columns:
            if has_issues:
                issue = self.table.issue(origin.row, field_name)
                if issue is not None:
                    problems.append(
                        Problem(origin.place(field_name), "unreadable-cell", issue + context)
                    )
                    ok = False
                    continue
            raw = cells[index] if index < width else None
            if raw == "" or raw is None or (raw.__class__ is str and raw.isspace()):
                if required:
                    problems.append(
                        Problem(
                            origin.place(field_name), "empty-cell", f"{header} is empty{context}"
                        )
                    )
                    ok = False
                continue
            try:
                value = parse(raw)
            except CellValueError as error:
                problems.append(Problem(origin.place(field_name), "bad-value", f"{error}{context}"))
                ok = False
                continue
            if written:
                cleaned = clean_text(value)
                if cleaned != value:
                    changes.append(TextChange(origin.place(field_name), value, cleaned))
                    if not cleaned and field_name in NEEDED_NAMES:
                        problems.append(
                            Problem(
                                origin.place(field_name),
                                "no-text",
                                f'{NEEDED_NAMES[field_name]} "{value}" has nothing QuickBooks can '
                                f"take once made plain ASCII; write it in Latin letters{context}",
                            )
                        )
                        ok = False
                value = cleaned
            values[field_name] = value
        return values if ok else None


def _read_order_id(
    table: Table, cells: Row, origin: Origin, problems: list[Problem] | None
) -> str | None:
    issue = table.issue(origin.row, "order_id") if table.facts_found else None
    if issue is not None:
        if problems is not None:
            problems.append(Problem(origin.place("order_id"), "unreadable-cell", issue))
        return None
    raw = table.value(cells, "order_id")
    if raw is None or is_blank(raw):
        if problems is not None:
            problems.append(Problem(origin.place("order_id"), "empty-cell", "Order ID is empty"))
        return None
    try:
        order_id: str = _parse_order_id(raw)
    except CellValueError as error:
        if problems is not None:
            problems.append(Problem(origin.place("order_id"), "bad-value", str(error)))
        return None
    if iif.clean_text(order_id) != order_id:
        if problems is not None:
            problems.append(
                Problem(
                    origin.place("order_id"),
                    "bad-value",
                    f'Order ID "{order_id}" has characters an IIF file cannot carry; use '
                    "letters, digits and dashes",
                )
            )
        return None
    return order_id


def _skip_reason(status: CellValue | None, exported: CellValue | None, keys: frozenset[str]) -> str:
    if exported is not None and not is_blank(exported):
        return ALREADY_EXPORTED
    text = "" if status is None else str(status).strip()
    if text.casefold() in keys:
        return ""
    return f'status "{text}"' if text else "no status"


def select_orders(orders: Table, items: Table, statuses: Iterable[str]) -> Selection:
    """Choose the orders to export and read them with their lines."""
    selection = read_orders(orders, statuses)
    attach_lines(selection, items)
    return selection


def read_orders(orders: Table, statuses: Iterable[str]) -> Selection:
    """Choose the orders to export and read their rows (their lines come later)."""
    keys = status_keys(statuses)
    selection = Selection()
    problems = selection.problems
    first_row = selection.first_row
    duplicates: dict[str, list[int]] = {}
    exporting_ids = selection.exporting_ids
    pending = selection.pending
    reader = RowReader(orders, skip=("order_id", "exported"))
    check_issues = reader.has_issues
    status_at = orders.columns.index["status"] - 1
    exported_at = orders.columns.index.get("exported", 0) - 1

    for row, cells in orders.records("order_id"):
        origin = Origin(orders.columns, row)
        if check_issues:
            unclear = [
                Problem(origin.place(field_name), "unreadable-cell", issue)
                for field_name in ("status", "exported")
                if (issue := orders.issue(row, field_name)) is not None
            ]
            if unclear:
                # Whether this order is to be exported cannot be told: say so, never guess.
                problems.extend(unclear)
                continue
        exported = cells[exported_at] if 0 <= exported_at < len(cells) else None
        if exported.__class__ is str and exported and (batch := batch_in_mark(exported)):
            selection.batches.add(batch)
        status = cells[status_at] if status_at < len(cells) else None
        reason = _skip_reason(status, exported, keys)
        order_id = _read_order_id(orders, cells, origin, None if reason else problems)
        if order_id is not None:
            if order_id in first_row:
                duplicates.setdefault(order_id, [first_row[order_id]]).append(row)
            else:
                first_row[order_id] = row
        if reason:
            selection.skipped[reason] += 1
            continue
        context = f" (order {order_id})" if order_id else ""
        values = reader.read(origin, cells, context, problems, selection.text_changes)
        if order_id is not None:
            exporting_ids.add(order_id)
            if values is not None:
                values["order_id"] = order_id
        pending.append((origin, values if order_id is not None else None))

    duplicated = selection.duplicated
    duplicated.update(order_id for order_id in duplicates if order_id in exporting_ids)
    for order_id, rows in duplicates.items():
        if order_id in duplicated:
            first = orders.columns.place("order_id", rows[0])
            for row in rows[1:]:
                problems.append(
                    Problem(
                        orders.columns.place("order_id", row),
                        "duplicate-order",
                        f"order {order_id} is also on {first}; each order must have one row "
                        "on the Orders sheet",
                    )
                )

    return selection


def attach_lines(selection: Selection, items: Table) -> None:
    """Read the Items sheet and make the selected orders, each with its lines."""
    lines, unreadable = _read_lines(items, selection.first_row, selection.exporting_ids, selection)
    # An order with a duplicated ID or an unreadable item line is reported already; checking
    # its sums would only repeat that problem in other words.
    reported = selection.duplicated | unreadable
    for origin, values in selection.pending:
        if values is None or values["order_id"] in reported:
            continue
        order_id = values["order_id"]
        selection.orders.append(
            Order(origin=origin, lines=tuple(lines.get(order_id, ())), **values)
        )
    selection.pending.clear()


def _read_lines(
    items: Table,
    known_ids: dict[str, int],
    exporting_ids: set[str],
    selection: Selection,
) -> tuple[dict[str, list[OrderLine]], set[str]]:
    """Read the item lines of the orders to export; also return the IDs with unreadable lines."""
    problems = selection.problems
    lines: dict[str, list[OrderLine]] = {}
    unreadable: set[str] = set()
    reader = RowReader(items, skip=("order_id",))
    for row, cells in items.records("order_id"):
        origin = Origin(items.columns, row)
        order_id = _read_order_id(items, cells, origin, problems)
        if order_id is None:
            continue
        if order_id not in known_ids:
            problems.append(
                Problem(
                    origin.place("order_id"),
                    "unknown-order",
                    f"order {order_id} is not on the Orders sheet; fix the Order ID or "
                    "delete this item row",
                )
            )
            continue
        if order_id not in exporting_ids:
            continue
        values = reader.read(
            origin, cells, f" (order {order_id})", problems, selection.text_changes
        )
        if values is None:
            unreadable.add(order_id)
            continue
        lines.setdefault(order_id, []).append(
            OrderLine(
                order_id,
                values["sku"],
                values.get("description", ""),
                values["quantity"],
                values["unit_price"],
                values.get("line_total"),
                values.get("taxable"),
                origin,
            )
        )
    return lines, unreadable


_ROLE_BY_KEY = {header_key(role.name): role for role in ROLES}
_ITEM_TYPES = {
    "part": "PART",
    "noninventorypart": "PART",
    "noninventory": "PART",
    "serv": "SERV",
    "service": "SERV",
}


def read_accounts(table: Table) -> tuple[Accounts | None, list[Problem]]:
    """Read the Accounts sheet: the account (and optional item) of each role, and the extras."""
    problems: list[Problem] = []
    found: dict[str, RoleAccount] = {}
    seen: dict[str, Origin] = {}
    valid = ", ".join(f'"{role.name}"' for role in ROLES)
    reader = RowReader(table, skip=("role",), clean=False)
    for row, cells in table.records():
        origin = Origin(table.columns, row)
        role_text = parse_text(table.value(cells, "role") or "")
        role = _ROLE_BY_KEY.get(header_key(role_text))
        if role is None:
            message = (
                f'"{role_text}" is not a role; the roles are {valid}'
                if role_text
                else f"Role is empty; the roles are {valid}"
            )
            problems.append(Problem(origin.place("role"), "unknown-role", message))
            continue
        if role.field in seen:
            problems.append(
                Problem(
                    origin.place("role"),
                    "duplicate-role",
                    f'role "{role.name}" is also on {seen[role.field].place("role")}; '
                    "keep one row per role",
                )
            )
            continue
        seen[role.field] = origin
        values = reader.read(origin, cells, "", problems, [])
        if values is None:
            continue
        account = RoleAccount(
            role.name,
            values["account"],
            values.get("item", ""),
            origin,
            _account_type(values.get("type", ""), origin, problems),
            _item_type(role, values.get("item_type", ""), origin, problems),
        )
        found[role.field] = account
        problems.extend(_name_problems(role, account))
    for role in ROLES:
        if role.required and role.field not in seen:
            problems.append(
                Problem(
                    Place(table.columns.sheet, book=table.columns.book),
                    "missing-role",
                    f'role "{role.name}" is missing; add a row with Role "{role.name}" and '
                    f"its QuickBooks account in the {table.spec.name} sheet",
                )
            )
    if problems:
        return None, problems
    return Accounts(**found), problems


def _account_type(text: str, origin: Origin, problems: list[Problem]) -> str:
    if not text:
        return ""
    code = account_type(text)
    if code is None:
        problems.append(
            Problem(
                origin.place("type"),
                "bad-value",
                f'"{text}" is not a QuickBooks account type; write one of '
                + ", ".join(ACCOUNT_TYPES.values()),
            )
        )
        return ""
    return code


def _item_type(role: Role, text: str, origin: Origin, problems: list[Problem]) -> str:
    if not text:
        return ""
    code = _ITEM_TYPES.get(header_key(text))
    if role.field != "item_subtotal" or code is None:
        problems.append(
            Problem(
                origin.place("item_type"),
                "bad-value",
                f'"{text}" is not an item type here; the Item Subtotal row takes Non-inventory '
                "Part or Service, the other rows none",
            )
        )
        return ""
    return code


def _name_problems(role: Role, account: RoleAccount) -> list[Problem]:
    if role.kind is RoleKind.SETTING:
        return []
    problems = []
    names = (
        [("account", account.account, "vendor", iif.CUSTOMER_NAME)]
        if role.kind is RoleKind.VENDOR
        else [("account", account.account, "account", None), ("item", account.item, "item", None)]
    )
    for field_name, name, what, limit in names:
        if not name:
            continue
        if limit is not None:
            message = iif.too_long(name, limit)
        else:
            message = iif.list_name_problem(name, what)
        if message is None and iif.clean_text(name) != name:
            message = (
                f'{what} "{name}" has characters an IIF file cannot carry; use the same name '
                "with plain letters (A-Z, 0-9) here and in QuickBooks"
            )
        if message:
            problems.append(Problem(account.origin.place(field_name), "bad-name", message))
    return problems
