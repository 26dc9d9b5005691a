"""The QuickBooks names a batch uses, and the list entries it declares so nothing is guessed.

QuickBooks creates any account, item or customer an IIF file names but its company file does
not know, silently and with a guessed type. This module decides each customer's QuickBooks
name (optionally by a Customer Name Rule), and, when asked, which accounts, items and customers
the IIF file declares before its transactions, each with its type.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ccp_xlsx2iif import iif
from ccp_xlsx2iif.chart import SIMPLE_LISTS, Chart, describe_type
from ccp_xlsx2iif.contract import ROLE_BY_FIELD
from ccp_xlsx2iif.orders import Accounts, AddressLine, Order, RoleAccount
from ccp_xlsx2iif.problems import Place, Problem
from ccp_xlsx2iif.report import count, first_of

NEW_CUSTOMERS_SHOWN = 10
# The item types an AUTOSTAX line may name: a sales tax item, or a group of them.
SALES_TAX_ITEM_TYPES = frozenset({"COMPTAX", "STAX"})
RULE_FIELDS = (
    "customer",
    "company",
    "email",
    "phone",
    "order_id",
    "bill_city",
    "bill_state",
    "bill_zip",
    "bill_country",
)


@dataclass(frozen=True, slots=True)
class NewAccount:
    """An account the IIF file creates: its full name and IIF type code."""

    name: str
    account_type: str


@dataclass(frozen=True, slots=True)
class NewItem:
    """An item the IIF file declares, with the account it books to."""

    name: str
    item_type: str
    description: str
    account: str
    taxable: bool | None = None
    tax_vendor: str = ""


@dataclass(frozen=True, slots=True)
class NewCustomer:
    """A customer the IIF file declares, with its addresses and contacts."""

    name: str
    bill_to: tuple[AddressLine, ...]
    ship_to: tuple[AddressLine, ...]
    phone: str
    email: str
    company: str


@dataclass(frozen=True)
class Declarations:
    """The list entries written before the transactions (each list may be empty)."""

    accounts: tuple[NewAccount, ...] = ()
    items: tuple[NewItem, ...] = ()
    customers: tuple[NewCustomer, ...] = ()


def name_customers(
    orders: Sequence[Order], rule: RoleAccount | None
) -> tuple[list[Order], list[Problem]]:
    """Give each order its customer's QuickBooks name, by the Customer Name Rule if any.

    The rule is text with fields in braces, such as ``{customer} ({order_id})`` or
    ``{company}``; a rule that gives an empty name for an order falls back to its customer.
    """
    if rule is None or not rule.account:
        return list(orders), []
    try:
        parsed = [
            (name, spec, conversion)
            for _, name, spec, conversion in string.Formatter().parse(rule.account)
            if name is not None
        ]
    except ValueError as error:
        fields, message = [], f"the rule {rule.account!r} is not valid ({error})"
    else:
        fields = [name for name, _, _ in parsed]
        unknown = [name for name in fields if name not in RULE_FIELDS]
        # A format ({customer:>999999999}) or a conversion ({customer!r}) is no name's part,
        # and a width of a billion spaces is a gigabyte for every order.
        formatted = [name for name, spec, conversion in parsed if spec or conversion]
        message = (
            f"the rule uses {', '.join('{' + name + '}' for name in unknown)}; the fields are "
            + ", ".join("{" + name + "}" for name in RULE_FIELDS)
            if unknown
            else f"the rule {rule.account!r} formats a field ({{{formatted[0]}:...}}); write "
            "each field alone in its braces"
            if formatted
            else ""
        )
    if message or not fields:
        return list(orders), [
            Problem(
                rule.origin.place("account"),
                "bad-rule",
                (message or f"the rule {rule.account!r} names no field") + "; for example "
                "{customer} ({order_id}) or {company}",
            )
        ]
    named = []
    for order in orders:
        values = {name: str(getattr(order, name)) for name in RULE_FIELDS}
        name = iif.clean_text(" ".join(rule.account.format_map(values).split()))
        named.append(order._replace(customer_name=name) if name.strip("() ") else order)
    return named, []


def check_names(
    orders: Sequence[Order],
    accounts: Accounts,
    chart: Chart | None,
    *,
    declare_customers: bool,
    tax_mode: str = "lines",
) -> list[Problem]:
    """Check the customers' names, and the names that share QuickBooks' one name list.

    A ``:`` in a customer's name makes it a job of another customer, unless the Customer Name
    Rule writes one on purpose. Customers, vendors and employees share one list. With
    QuickBooks' own sales tax (``tax_mode``), the tax agency must be one of the vendors the
    chart lists, and the sales tax item a sales tax item, when the chart lists them.
    """
    problems: list[Problem] = []
    first_by_name: dict[str, Order] = {}
    for order in orders:
        key = iif.clean_text(order.quickbooks_name).casefold()
        first = first_by_name.setdefault(key, order)
        if declare_customers and first is not order and _different(first.email, order.email):
            problems.append(
                Problem(
                    order.origin.place("customer"),
                    "shared-customer-name",
                    f'customer "{order.quickbooks_name}" ({order.email}) has the name of another '
                    f"customer, {first.origin.place('customer')} ({first.email}); QuickBooks "
                    'would make them one. Add a "Customer Name Rule" row on the Accounts sheet, '
                    "such as {customer} ({email}) or {company}",
                )
            )
    rule = accounts.customer_name_rule
    jobs = rule is not None and ":" in rule.account  # a rule may name jobs on purpose
    for order in first_by_name.values():
        name = order.quickbooks_name
        if jobs and ":" in name and not all(part.strip() for part in name.split(":")):
            problems.append(
                Problem(
                    order.origin.place("customer"),
                    "job-name",
                    f'customer "{name}" has an empty part before or after a ":" (Customer:Job); '
                    "fill the fields the Customer Name Rule names, or change the rule (order "
                    f"{order.order_id})",
                )
            )
        elif not jobs:
            customer, colon, job = name.partition(":")
            if colon:
                problems.append(
                    Problem(
                        order.origin.place("customer"),
                        "job-name",
                        f'customer "{name}" has a ":", which QuickBooks reads '
                        f'as Customer:Job: the order would go to a job "{job.strip()}" of a '
                        f'customer "{customer.strip()}"; write the name without ":" (order '
                        f"{order.order_id})",
                    )
                )
    if chart is not None and chart.other_names is not None:
        for key, order in first_by_name.items():
            kind = chart.other_names.get(key)
            if kind:
                problems.append(
                    Problem(
                        order.origin.place("customer"),
                        "name-in-use",
                        f'customer "{order.quickbooks_name}" is the name of a {kind} in '
                        "QuickBooks, which keeps one list of names for customers, vendors and "
                        'employees; add a "Customer Name Rule" row on the Accounts sheet to name '
                        "customers differently (order " + order.order_id + ")",
                    )
                )
    agency = accounts.tax_agency
    customers = set(first_by_name) | (chart.customers if chart and chart.customers else set())
    if agency is not None and agency.account.casefold() in customers:
        problems.append(
            Problem(
                agency.origin.place("account"),
                "name-in-use",
                f'tax agency "{agency.account}" is also the name of a customer; QuickBooks keeps '
                "one list of names, so the tax agency needs a name of its own",
            )
        )
    if (
        tax_mode == "quickbooks"
        and agency is not None
        and chart is not None
        and (vendors := chart.lists.get("VEND")) is not None
        and agency.account.casefold() not in vendors
    ):
        problems.append(
            Problem(
                agency.origin.place("account"),
                "unknown-vendor",
                f'tax agency "{agency.account}" is not a vendor in {chart.source}; '
                "the sales tax is owed to it, so write the name of the vendor your sales tax "
                "item names, as QuickBooks has it",
            )
        )
    item = accounts.sales_tax
    if tax_mode == "quickbooks" and item is not None and item.item and chart is not None:
        found = (chart.item_types or {}).get(item.item.casefold())
        if found and found not in SALES_TAX_ITEM_TYPES:
            problems.append(
                Problem(
                    item.origin.place("item"),
                    "wrong-item-type",
                    f'item "{item.item}" is of the type {found} in {chart.source}; '
                    "the sales tax line needs a sales tax item (COMPTAX) or a sales tax group "
                    "(STAX): name one in Item",
                )
            )
    return problems


def new_customers(orders: Sequence[Order], chart: Chart) -> list[str]:
    """Name the customers of the batch that QuickBooks' customer list (``chart.customers``) lacks.

    QuickBooks creates each from its name alone; a returning customer written another way
    (accents, spacing) becomes a second one. Return a note, or nothing.
    """
    if chart.customers is None:
        return []
    new: dict[str, str] = {}
    for order in orders:
        name = iif.clean_text(order.quickbooks_name)
        if name.casefold() not in chart.customers:
            new.setdefault(name.casefold(), name)
    if not new:
        return []
    names = first_of(list(new.values()), NEW_CUSTOMERS_SHOWN)
    return [
        f"{count(len(new), 'customer')} of the batch {'are' if len(new) > 1 else 'is'} not in "
        f"{chart.source}: {names}. "
        "QuickBooks creates each from its name alone (a customer it has under another spelling "
        "becomes a second one); add --declare-customers to create them with their addresses, "
        "email and phone."
    ]


def _different(first: str, second: str) -> bool:
    return bool(first and second and first.strip().casefold() != second.strip().casefold())


def accounts_to_create(accounts: Accounts, chart: Chart) -> tuple[list[NewAccount], list[Problem]]:
    """Return the accounts the chart lacks, parents first, each with the type it gets."""
    created: dict[str, NewAccount] = {}
    problems: list[Problem] = []
    for field, row in accounts.booked():
        if chart.type_of(row.account) is not None:
            continue
        account_type = row.account_type or ROLE_BY_FIELD[field].types[0]
        parts = row.account.split(":")
        for depth in range(1, len(parts) + 1):
            name = ":".join(parts[:depth])
            existing = chart.type_of(name)
            if existing is None:
                existing = created.setdefault(name, NewAccount(name, account_type)).account_type
            if existing != account_type:
                problems.append(
                    Problem(
                        row.origin.place("account"),
                        "account-type-conflict",
                        f'account "{row.account}" would be created as {describe_type(account_type)}'
                        f', but "{name}" is {describe_type(existing)}; QuickBooks gives an account '
                        "and its sub-accounts one type",
                    )
                )
                break
    return list(created.values()), problems


def items_to_declare(
    orders: Sequence[Order], accounts: Accounts, chart: Chart | None, *, tax_mode: str
) -> tuple[list[NewItem], list[Problem]]:
    """Return the items the batch's invoice lines name, with their types and accounts."""
    named, problems = _named_items(orders, accounts, tax_mode)
    known = chart.items if chart is not None and chart.items is not None else frozenset()
    return [item for key, (item, _) in named.items() if key not in known], problems


def unknown_items(
    orders: Sequence[Order], accounts: Accounts, chart: Chart, *, tax_mode: str
) -> list[Problem]:
    """Report the items the invoices name that QuickBooks' item list (``chart.items``) lacks.

    QuickBooks would create each on import with a type and account of its own choosing. Each
    is reported once, where its name is first read.
    """
    known = chart.items if chart.items is not None else frozenset()
    named, _ = _named_items(orders, accounts, tax_mode)
    return [
        Problem(
            place,
            "unknown-item",
            f'item "{item.name}" is not in the item list of {chart.source}, and QuickBooks '
            "would create it with a type and account of its own choosing; create it in "
            "QuickBooks and export the lists again, or add --declare-items",
        )
        for key, (item, place) in named.items()
        if key not in known
    ]


# The lists whose new entries change the books (a class splits the class reports, terms
# without their days make invoices due at once, a sales rep is one of the company's names): a
# name they lack is a problem. A new ship or payment method is only a label, and is pointed out.
_LISTS_THAT_STOP = frozenset({"CLASS", "TERMS", "SALESREP"})


def unknown_list_entries(
    orders: Sequence[Order], chart: Chart, *, default_class: str, payment_methods: bool
) -> tuple[list[Problem], list[str]]:
    """Find the classes, terms, sales reps, ship and payment methods QuickBooks' lists lack.

    QuickBooks adds a class, terms, ship or payment method it lacks to its list on import,
    silently: a misspelt class becomes a class of its own; a sales rep must be one it has
    (its initials). Only the lists the chart holds (``chart.lists``) are checked, each entry once,
    where it is first read. Return the problems (classes, terms, reps) and a note naming the
    new ship and payment methods. Payment methods count when the file writes them
    (``payment_methods``: with payments, or sales receipts).
    """
    fields = {"CLASS": "class_name", "TERMS": "terms", "SHIPMETH": "ship_method", "SALESREP": "rep"}
    if payment_methods:
        fields["PAYMETH"] = "payment_method"
    problems: list[Problem] = []
    labels: list[str] = []
    for keyword, field in fields.items():
        known = chart.lists.get(keyword)
        if known is None:
            continue
        first: dict[str, Order] = {}
        for order in orders:
            first.setdefault(getattr(order, field), order)
        what = SIMPLE_LISTS[keyword]
        for value, order in first.items():
            from_option = not value and field == "class_name"  # the class of --class
            written = default_class if from_option else value
            if not written or written.casefold() in known:
                continue
            place = None if from_option else order.origin.place(field)
            if keyword not in _LISTS_THAT_STOP:
                labels.append(f'{what} "{written}" ({place})')
                continue
            given = " (the class of orders without one, from --class or the Settings sheet)"
            # QuickBooks adds any entry but a sales rep, which must be one of its names.
            added = ", and QuickBooks would add it there on import" if keyword != "SALESREP" else ""
            problems.append(
                Problem(
                    place,
                    "unknown-list-entry",
                    f'{what} "{written}"{given if place is None else ""} is not on the {what} '
                    f"list of {chart.source}{added}; add it in QuickBooks and export the lists "
                    f"again, or write the {what} as QuickBooks has it",
                )
            )
    notes = (
        [
            f"QuickBooks will add to its lists what {chart.source} does not have: "
            f"{', '.join(labels)}. If one is misspelt, correct it in the workbook first."
        ]
        if labels
        else []
    )
    return problems, notes


def _named_items(
    orders: Sequence[Order], accounts: Accounts, tax_mode: str
) -> tuple[dict[str, tuple[NewItem, Place]], list[Problem]]:
    """Return the items the invoices name, by QuickBooks' key, each with where it is first read.

    Also return the problems of names that are one QuickBooks item written two ways.
    """
    named: dict[str, tuple[NewItem, Place]] = {}
    problems: list[Problem] = []

    def name(item: NewItem, place: Place) -> None:
        key = item.name.casefold()
        first, first_place = named.setdefault(key, (item, place))
        if first is not item and (first.name, first.item_type) != (item.name, item.item_type):
            problems.append(
                Problem(
                    place,
                    "item-name-conflict",
                    f'item "{item.name}" ({place}) is the same QuickBooks item as '
                    f'"{first.name}" ({first_place}); QuickBooks item names ignore case, so '
                    "make them differ",
                )
            )

    products = accounts.item_subtotal
    product_type = products.item_type or "PART"
    cleaned: dict[str, str] = {}  # each SKU is cleaned once
    for order in orders:
        for line in order.lines:
            written = products.item or line.sku
            item_name = cleaned.get(written)
            if item_name is None:
                item_name = cleaned[written] = iif.clean_text(written)
            first = named.get(item_name.casefold())
            # A line names the item its first line named unless written otherwise: a record
            # (and a place) is made for the first line of each item only.
            if first is None or first[0].name != item_name:
                where = products.origin.place("item") if products.item else line.origin.place("sku")
                item = NewItem(
                    item_name, product_type, line.description, products.account, line.taxable
                )
                name(item, where)
    for field, item_type, used in _role_items(orders, tax_mode):
        row: RoleAccount | None = getattr(accounts, field)
        if row is None or not row.item or not used:
            continue
        vendor = accounts.tax_agency.account if field == "sales_tax" and accounts.tax_agency else ""
        name(
            NewItem(row.item, item_type, row.role, row.account, None, vendor),
            row.origin.place("item"),
        )
    return named, problems


def _role_items(orders: Sequence[Order], tax_mode: str) -> Iterable[tuple[str, str, bool]]:
    yield "shipping", "OTHC", any(order.shipping for order in orders)
    yield "discount", "DISC", any(order.discount for order in orders)
    yield "sale", "DISC", any(order.sale for order in orders)
    if tax_mode == "quickbooks":
        yield "sales_tax", "COMPTAX", bool(orders)
    else:
        yield "state_tax", "OTHC", any(order.state_tax for order in orders)
        yield "country_tax", "OTHC", any(order.country_tax for order in orders)


def customers_to_declare(orders: Sequence[Order], chart: Chart | None) -> list[NewCustomer]:
    """Return one customer per QuickBooks name the batch uses, from its first order."""
    known = chart.customers if chart is not None and chart.customers is not None else frozenset()
    customers: dict[str, NewCustomer] = {}
    for order in orders:
        key = iif.clean_text(order.quickbooks_name).casefold()
        if key in known or key in customers:
            continue
        customers[key] = NewCustomer(
            order.quickbooks_name,
            order.bill_to,
            order.ship_to,
            order.phone,
            order.email,
            order.company,
        )
    return list(customers.values())
