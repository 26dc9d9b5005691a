"""Checks on the orders to export: amounts that add up, plausible dates, QuickBooks' limits.

Pure functions from records to a list of ``Problem``; nothing here raises for bad data.
Every text is measured the way it will be written (``iif.clean_text``), so a limit is
checked against what QuickBooks will see.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import chain
from operator import attrgetter, eq, mul

from ccp_xlsx2iif import iif
from ccp_xlsx2iif.chart import ACCOUNT_TYPES, Chart, describe_type
from ccp_xlsx2iif.contract import ORDERS, ROLE_BY_FIELD, header_key
from ccp_xlsx2iif.orders import ZERO, Accounts, Order, OrderLine
from ccp_xlsx2iif.problems import Place, Problem

EARLIEST_DATE = dt.date(1990, 1, 1)
LATEST_DAYS_AHEAD = 366

_TEXT_LIMITS: tuple[tuple[str, iif.Limit], ...] = (
    ("quickbooks_name", iif.CUSTOMER_NAME),
    ("order_id", iif.DOCNUM),
    ("po_number", iif.PO_NUMBER),
    ("memo", iif.MEMO),
    ("payment_method", iif.PAYMENT_METHOD),
    ("ship_method", iif.SHIP_METHOD),
    ("terms", iif.TERMS),
    ("rep", iif.REP),
)
# What a total that leaves the taxes out says: the shop's prices include them.
TAXES_INCLUDED = (
    "; it would match with the taxes included in the prices, which the tool does not take (it "
    "books prices before tax, as QuickBooks' sales tax does): enter such orders in QuickBooks "
    "by hand, then mark them with ccp-xlsx2iif mark"
)
# Labels a shop's export repeats order after order: read as shorter ones once for all.
_HEADERS = {
    column.field: column.header
    for column in ORDERS.columns
    if column.field in ("payment_method", "ship_method", "terms", "rep")
}
_READ_AS = ', or read it as a shorter one with a row of a Columns sheet ({}: "{} -> ...")'
_NOT_NEGATIVE = (
    ("discount", "Discount"),
    ("sale", "Sale"),
    ("state_tax", "State Tax"),
    ("country_tax", "Country Tax"),
    ("shipping", "Shipping"),
)


def check_orders(
    orders: Sequence[Order],
    accounts: Accounts | None,
    today: dt.date,
    longest: Mapping[str, int] | None = None,
) -> list[Problem]:
    """Return every problem of the orders to export.

    ``longest``: the length of the longest Order ID and text of each field of
    ``MEASURED_TEXTS``, measured as the orders were read (``Selection.longest``); with it, a
    batch whose texts all fit their limits is known to, without a look at each order's.
    """
    problems: list[Problem] = []
    latest = today + dt.timedelta(days=LATEST_DAYS_AHEAD)
    skus_named = accounts is None or not accounts.item_subtotal.item
    texts_fit = longest is not None and _texts_fit(orders, longest)
    lines_plain = _lines_plain(orders, skus_named)
    for order in orders:
        # Most orders have no problem: a few comparisons tell, before any closer look.
        lines = order.lines
        if (
            lines
            and EARLIEST_DATE <= order.order_date <= latest
            and order.total > ZERO
            and order.total == order.expected_total
            and (order.subtotal is None or order.subtotal == order.lines_total)
            and order.discount >= ZERO
            and order.sale >= ZERO
            and order.state_tax >= ZERO
            and order.country_tax >= ZERO
            and order.shipping >= ZERO
            and (lines_plain or all(_plain_line(line, skus_named) for line in lines))
            and (texts_fit or not _text_problems(order, ""))
        ):
            continue
        problems.extend(check_order(order, accounts, today))
    return problems


def check_currencies(orders: Sequence[Order], currency: str = "") -> list[Problem]:
    """Report the orders in another currency than the company's, or than the batch's others.

    QuickBooks books every amount of an IIF file in the company's own currency: an order paid
    in another (a shop that sells abroad in its buyers' currencies) would be booked at the
    wrong value. ``currency`` is the company's (the Settings sheet's Currency); without it,
    the currency of most of the batch's orders is taken. A blank currency cell says nothing.
    """
    found = Counter(order.currency.upper() for order in orders if order.currency)
    if not found or (not currency and len(found) == 1):
        return []
    expected = currency or found.most_common(1)[0][0]
    against = "the company's currency" if currency else "the other orders of the batch"
    return [
        Problem(
            order.origin.place("currency"),
            "other-currency",
            f"the order is in {order.currency}, {against} in {expected}; QuickBooks books every "
            "amount in the company's currency, so enter this order by hand at its value in "
            f"{expected}, then mark it with ccp-xlsx2iif mark (order {order.order_id})",
        )
        for order in orders
        if order.currency and order.currency.upper() != expected
    ]


def _lines_plain(orders: Sequence[Order], skus_named: bool) -> bool:
    """Whether every line of ``orders`` is plain (``_plain_line``), told a field at a time.

    Most batches have no line with a problem: passes over one field of every line, driven
    in C, tell it in less time than a call per line takes. ``False`` (also for lines
    without a Line Total) leaves each order's lines to ``_plain_line``.
    """
    lines = list(chain.from_iterable(map(_LINES, orders)))
    totals = map(_LINE_TOTAL, lines)  # a line without its Line Total (None) equals no product
    if not all(map(eq, totals, map(mul, map(_QUANTITY, lines), map(_UNIT_PRICE, lines)))):
        return False
    if max(map(len, map(_DESCRIPTION, lines)), default=0) > iif.MEMO.length:
        return False
    if not skus_named:
        return True
    skus = list(map(_SKU, lines))
    return ":" not in "".join(skus) and max(map(len, skus), default=0) <= iif.NAME_SEGMENT.length


_LINES = attrgetter("lines")
_LINE_TOTAL = attrgetter("line_total")
_QUANTITY = attrgetter("quantity")
_UNIT_PRICE = attrgetter("unit_price")
_DESCRIPTION = attrgetter("description")
_SKU = attrgetter("sku")


def _plain_line(line: OrderLine, skus_named: bool) -> bool:
    """Whether a line surely has no problem (else ``_check_line`` looks closer)."""
    sku = line.sku
    line_total = line.line_total
    return (
        (line_total is None or line_total == line.quantity * line.unit_price)
        and len(line.description) <= iif.MEMO.length
        and not (skus_named and (":" in sku or len(sku) > iif.NAME_SEGMENT.length))
    )


def check_order(order: Order, accounts: Accounts | None, today: dt.date) -> list[Problem]:
    """Return the problems of one order and its lines."""
    problems: list[Problem] = []
    context = f" (order {order.order_id})"

    def add(field: str, code: str, message: str) -> None:
        problems.append(Problem(order.origin.place(field), code, message + context))

    if not EARLIEST_DATE <= order.order_date <= today + dt.timedelta(days=LATEST_DAYS_AHEAD):
        add(
            "order_date",
            "implausible-date",
            f"order date {order.order_date.isoformat()} is not plausible; "
            f"QuickBooks dates run from {EARLIEST_DATE.year} to a year from today",
        )
    for field, header in _NOT_NEGATIVE:
        value = getattr(order, field)
        if value < ZERO:
            add(
                field,
                "negative-amount",
                f"{header} {iif.format_amount(value)} is negative; write it as a positive "
                "number (discounts and sales reduce the total by themselves)",
            )
    if order.subtotal is not None and order.subtotal < ZERO:
        add(
            "subtotal",
            "negative-amount",
            f"subtotal {iif.format_amount(order.subtotal)} is negative",
        )
    if order.total <= ZERO:
        add(
            "total",
            "not-positive-total",
            f"total {iif.format_amount(order.total)} is not more than 0; QuickBooks refuses "
            "invoices of 0.00 or less, so give this order another status to skip it, or mark "
            "it with ccp-xlsx2iif mark to leave it out",
        )

    if not order.lines:
        add(
            "order_id",
            "no-items",
            f"order {order.order_id} has no item lines on the Items sheet; add them there "
            "with this Order ID",
        )
    line_problems = [p for line in order.lines for p in _check_line(line, accounts)]
    problems.extend(line_problems)
    if line_problems:
        # The sums below would only repeat a wrong line in other words.
        problems.extend(_text_problems(order, context))
        return problems
    if order.lines and order.subtotal is not None and order.subtotal != order.lines_total:
        count = len(order.lines)
        noun = "line" if count == 1 else "lines"
        add(
            "subtotal",
            "subtotal-mismatch",
            f"subtotal {iif.format_amount(order.subtotal)} does not match the sum of its "
            f"{count} item {noun}, {iif.format_amount(order.lines_total)}",
        )
    expected = order.expected_total
    if order.total != expected and (order.lines or order.subtotal is not None):
        amount = iif.format_amount
        add(
            "total",
            "total-mismatch",
            f"total {amount(order.total)} does not match subtotal {amount(order.item_subtotal)}"
            f" - discount {amount(order.discount)} - sale {amount(order.sale)}"
            f" + taxes {amount(order.state_tax + order.country_tax)}"
            f" + shipping {amount(order.shipping)} = {amount(expected)}"
            + (TAXES_INCLUDED if order.taxes and order.total == expected - order.taxes else ""),
        )

    problems.extend(_text_problems(order, context))
    return problems


_ADDRESS_FIELDS = (
    "bill_address1",
    "bill_address2",
    "bill_country",
    "ship_name",
    "ship_address1",
    "ship_address2",
    "ship_country",
)
_CITY_LINES = tuple(
    (f"{block}_city", f"{block}_state", f"{block}_zip") for block in ("bill", "ship")
)
# The text fields whose longest text is measured as the orders are read, for _texts_fit.
MEASURED_TEXTS = frozenset(
    {field for field, _ in _TEXT_LIMITS if field not in ("quickbooks_name", "order_id")}
    | {*_ADDRESS_FIELDS, *(field for line in _CITY_LINES for field in line), "class_name"}
)


def _texts_fit(orders: Sequence[Order], longest: Mapping[str, int]) -> bool:
    """Whether no order can have a problem of ``_text_problems``, told a field at a time.

    In most batches no text is near its limit: each field's longest text tells (a city line
    is measured by its longest city, state and ZIP code together). The QuickBooks names and
    the classes are looked at here; the Order IDs and ``MEASURED_TEXTS`` were measured as the
    orders were read.
    """
    names = max(map(len, map(attrgetter("quickbooks_name"), orders)), default=0)
    measured = {**longest, "quickbooks_name": names}
    address_line = iif.ADDRESS_LINE.length
    return (
        all(measured[field] <= limit.length for field, limit in _TEXT_LIMITS)
        and all(measured[field] <= address_line for field in _ADDRESS_FIELDS)
        and all(
            measured[city] + measured[state] + measured[zip_code] + 3 <= address_line
            for city, state, zip_code in _CITY_LINES
        )
        and not (
            measured["class_name"]
            and any(
                name and iif.list_name_problem(name, "class")
                for name in set(map(attrgetter("class_name"), orders))
            )
        )
    )


def _text_problems(order: Order, context: str) -> list[Problem]:
    """Values longer than QuickBooks takes (the text is cleaned for IIF already)."""
    problems = []
    for field, limit in _TEXT_LIMITS:
        value = getattr(order, field)
        if len(value) > limit.length:
            place = order.origin.place("customer" if field == "quickbooks_name" else field)
            way_out = _READ_AS.format(_HEADERS[field], value) if field in _HEADERS else ""
            too_long = f"{iif.too_long(value, limit)}{way_out}{context}"
            problems.append(Problem(place, "too-long", too_long))
    if order.class_name and (message := iif.list_name_problem(order.class_name, "class")):
        problems.append(Problem(order.origin.place("class_name"), "bad-name", message + context))
    longest = iif.ADDRESS_LINE.length
    # The address lines are made only when some part of them may be too long.
    if all(len(getattr(order, field)) <= longest for field in _ADDRESS_FIELDS) and all(
        sum(len(getattr(order, field)) for field in line) + 3 <= longest for line in _CITY_LINES
    ):
        return problems
    lines = [line for line in (*order.bill_to, *order.ship_to) if line.field != "customer"]
    for line in lines:
        if len(line.text) > longest:
            message = iif.too_long(line.text, iif.ADDRESS_LINE)
            problems.append(
                Problem(order.origin.place(line.field), "too-long", f"{message}{context}")
            )
    return problems


def _check_line(line: OrderLine, accounts: Accounts | None) -> list[Problem]:
    problems: list[Problem] = []
    context = f" (order {line.order_id})"

    def add(field: str, code: str, message: str) -> None:
        problems.append(Problem(line.origin.place(field), code, message + context))

    if line.line_total is not None and line.line_total != line.extended_price:
        add(
            "line_total",
            "line-total-mismatch",
            f"line total {iif.format_amount(line.line_total)} does not match quantity "
            f"{iif.format_quantity(line.quantity)} x unit price "
            f"{iif.format_price(line.unit_price)} = {iif.format_amount(line.extended_price)}; "
            "put line discounts in the order's Discount column",
        )
    sku = line.sku
    if (accounts is None or not accounts.item_subtotal.item) and (
        ":" in sku or len(sku) > iif.NAME_SEGMENT.length
    ):
        message = iif.list_name_problem(sku, "SKU") if sku else None
        if message:
            add("sku", "bad-name", message + "; QuickBooks uses the SKU as the item name")
    if len(line.description) > iif.MEMO.length:
        add("description", "too-long", str(iif.too_long(line.description, iif.MEMO)))
    return problems


def check_chart(accounts: Accounts, chart: Chart, *, create: bool) -> list[Problem]:
    """Prove each role's account against the chart of accounts: it exists, its type fits.

    With ``create``, an account the chart lacks is fine (it will be created) unless its name
    differs from an existing one only in case, spacing or punctuation, or is a close
    misspelling of one and the Accounts sheet gives it no Type.
    """
    problems: list[Problem] = []
    for field, row in accounts.booked():
        role = ROLE_BY_FIELD[field]
        place = row.origin.place("account")
        found = chart.type_of(row.account)
        if found is None and row.account in chart.untyped:
            written = chart.untyped[row.account]
            what = f'the type "{written}", which is not an account type' if written else "no type"
            problems.append(
                Problem(
                    place,
                    "unknown-account-type",
                    f'"{row.account}" is in {chart.source} with {what}; write its type there, '
                    f"one of {', '.join(ACCOUNT_TYPES.values())}",
                )
            )
            continue
        if found is None:
            suggestion = chart.suggestion(row.account)
            same_but_spelling = suggestion is not None and header_key(suggestion) == header_key(
                row.account
            )
            if create and (suggestion is None or (row.account_type and not same_but_spelling)):
                found = row.account_type or role.types[0]
            else:
                message = f'"{row.account}" is not in the chart of accounts'
                if suggestion:
                    message += f'; did you mean "{suggestion}"?'
                    if create and not same_but_spelling:
                        message += " To create it as a new account, give its Type"
                elif create:
                    message += "; give it a Type to create it"
                else:
                    message += (
                        "; create it in QuickBooks and export the chart again, or add "
                        "--create-accounts"
                    )
                problems.append(Problem(place, "unknown-account", message))
                continue
        elif row.account_type and row.account_type != found:
            problems.append(
                Problem(
                    row.origin.place("type"),
                    "wrong-account-type",
                    f"the Type is {describe_type(row.account_type)}, but QuickBooks has "
                    f'"{row.account}" as {describe_type(found)}',
                )
            )
        if found not in role.types:
            needed = " or ".join(describe_type(code) for code in role.types)
            problems.append(
                Problem(
                    place,
                    "wrong-account-type",
                    f'account "{row.account}" is {describe_type(found)}; the role "{role.name}" '
                    f"needs {needed}",
                )
            )
    return problems


def check_tax_mode(accounts: Accounts, tax_mode: str) -> list[Problem]:
    """With QuickBooks' own sales tax, the sales tax item and the tax agency must be given."""
    if tax_mode != "quickbooks":
        return []
    problems = []
    sheet = accounts.receivable.origin.columns
    sales_tax = accounts.sales_tax
    if sales_tax is None or not sales_tax.item:
        where = sales_tax.origin.place("item") if sales_tax else Place(sheet.sheet, book=sheet.book)
        problems.append(
            Problem(
                where,
                "missing-role",
                '--tax-mode quickbooks needs a "Sales Tax Item" row: the sales tax liability '
                "account in Account and the QuickBooks sales tax item in Item",
            )
        )
    if accounts.tax_agency is None:
        problems.append(
            Problem(
                Place(sheet.sheet, book=sheet.book),
                "missing-role",
                '--tax-mode quickbooks needs a "Tax Agency" row: the tax agency\'s vendor name '
                "in Account",
            )
        )
    return problems
