"""The records an export works on: orders, their lines, and the accounts of the eight roles.

Plain immutable data with ``Decimal`` money and no I/O. Each record remembers the row it
was read from (``origin``) so that a check can name the cell a problem is in. Orders and
their lines are named tuples: a large workbook makes hundreds of thousands of them, and a
tuple is made in less than half the time a frozen dataclass takes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter
from typing import NamedTuple

from ccp_xlsx2iif.cells import to_cents
from ccp_xlsx2iif.contract import ROLE_BY_FIELD, RoleKind
from ccp_xlsx2iif.problems import Origin

ZERO = Decimal("0.00")
# The amount of a line (``OrderLine.amount``), read by C code for each line summed.
_AMOUNT = attrgetter("amount")


class OrderLine(NamedTuple):
    """One item of an order, from a row of the Items sheet."""

    order_id: str
    sku: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    line_total: Decimal | None
    taxable: bool | None
    origin: Origin

    @property
    def amount(self) -> Decimal:
        """The line's amount: its Line Total when given, else quantity x unit price in cents."""
        if self.line_total is not None:
            return self.line_total
        return self.extended_price

    @property
    def extended_price(self) -> Decimal:
        """Quantity x unit price, rounded to cents."""
        return to_cents(self.quantity * self.unit_price)


@dataclass(frozen=True, slots=True)
class AddressLine:
    """One line of a bill-to or ship-to block, and the field it mostly comes from."""

    text: str
    field: str


class Order(NamedTuple):
    """One order from a row of the Orders sheet, with its lines from the Items sheet."""

    order_id: str
    order_date: dt.date
    status: str
    customer: str
    total: Decimal
    origin: Origin
    lines: tuple[OrderLine, ...] = ()
    company: str = ""
    email: str = ""
    phone: str = ""
    bill_address1: str = ""
    bill_address2: str = ""
    bill_city: str = ""
    bill_state: str = ""
    bill_zip: str = ""
    bill_country: str = ""
    ship_name: str = ""
    ship_address1: str = ""
    ship_address2: str = ""
    ship_city: str = ""
    ship_state: str = ""
    ship_zip: str = ""
    ship_country: str = ""
    subtotal: Decimal | None = None
    discount: Decimal = ZERO
    sale: Decimal = ZERO
    state_tax: Decimal = ZERO
    country_tax: Decimal = ZERO
    shipping: Decimal = ZERO
    payment_method: str = ""
    ship_method: str = ""
    po_number: str = ""
    memo: str = ""
    class_name: str = ""
    terms: str = ""
    rep: str = ""
    customer_name: str = ""
    currency: str = ""

    @property
    def quickbooks_name(self) -> str:
        """The customer's name in QuickBooks: by the Customer Name Rule, else the Customer."""
        return self.customer_name or self.customer

    @property
    def taxes(self) -> Decimal:
        """State Tax + Country Tax."""
        return self.state_tax + self.country_tax

    @property
    def lines_total(self) -> Decimal:
        """The sum of the item lines' amounts."""
        return sum(map(_AMOUNT, self.lines), ZERO)

    @property
    def item_subtotal(self) -> Decimal:
        """The Subtotal cell when given, else the sum of the item lines."""
        return self.subtotal if self.subtotal is not None else self.lines_total

    @property
    def expected_total(self) -> Decimal:
        """Subtotal - Discount - Sale + State Tax + Country Tax + Shipping."""
        return (
            self.item_subtotal
            - self.discount
            - self.sale
            + self.state_tax
            + self.country_tax
            + self.shipping
        )

    @property
    def bill_to(self) -> tuple[AddressLine, ...]:
        """The bill-to block: customer, street lines, city line, country (blank lines left out)."""
        return _address_block(
            AddressLine(self.customer, "customer"),
            AddressLine(self.bill_address1, "bill_address1"),
            AddressLine(self.bill_address2, "bill_address2"),
            _city_line(self.bill_city, self.bill_state, self.bill_zip, "bill"),
            AddressLine(self.bill_country, "bill_country"),
        )

    @property
    def ship_to(self) -> tuple[AddressLine, ...]:
        """The ship-to block, empty when the order has no shipping address."""
        street = (self.ship_address1, self.ship_address2, self.ship_city, self.ship_zip)
        if not any(street):
            return ()
        return _address_block(
            AddressLine(self.ship_name, "ship_name")
            if self.ship_name
            else AddressLine(self.customer, "customer"),
            AddressLine(self.ship_address1, "ship_address1"),
            AddressLine(self.ship_address2, "ship_address2"),
            _city_line(self.ship_city, self.ship_state, self.ship_zip, "ship"),
            AddressLine(self.ship_country, "ship_country"),
        )

    @property
    def bill_lines(self) -> tuple[str, str, str, str, str]:
        """The bill-to block as the five address lines of an IIF row (ADDR1-ADDR5)."""
        return _five(
            self.customer,
            self.bill_address1,
            self.bill_address2,
            _city_text(self.bill_city, self.bill_state, self.bill_zip),
            self.bill_country,
        )

    @property
    def ship_lines(self) -> tuple[str, str, str, str, str]:
        """The ship-to block as the five address lines of an IIF row (SADDR1-SADDR5)."""
        if not (self.ship_address1 or self.ship_address2 or self.ship_city or self.ship_zip):
            return _NO_LINES
        return _five(
            self.ship_name or self.customer,
            self.ship_address1,
            self.ship_address2,
            _city_text(self.ship_city, self.ship_state, self.ship_zip),
            self.ship_country,
        )


_NO_LINES = ("", "", "", "", "")


def _five(
    name: str, street: str, more_street: str, city: str, country: str
) -> tuple[str, str, str, str, str]:
    """Return the lines of an address that are not blank, moved up, as exactly five lines.

    Made twice per order written: the usual address (all but a second street line) is
    told by a few tests, the others are moved up at C speed.
    """
    if name and street and city and country:
        if more_street:
            return name, street, more_street, city, country
        return name, street, city, country, ""
    filled = (*filter(None, (name, street, more_street, city, country)), *_NO_LINES)
    return filled[0], filled[1], filled[2], filled[3], filled[4]


def _city_text(city: str, state: str, zip_code: str) -> str:
    """Return "City, ST 12345" from whichever of its parts are given."""
    if city and state and zip_code:
        return f"{city}, {state} {zip_code}"
    region = f"{state} {zip_code}" if state and zip_code else state or zip_code
    return f"{city}, {region}" if city and region else city or region


def _city_line(city: str, state: str, zip_code: str, prefix: str) -> AddressLine:
    text = _city_text(city, state, zip_code)
    field = f"{prefix}_city" if city else f"{prefix}_state" if state else f"{prefix}_zip"
    return AddressLine(text, field)


def _address_block(*lines: AddressLine) -> tuple[AddressLine, ...]:
    return tuple(line for line in lines if line.text)


@dataclass(frozen=True, slots=True)
class RoleAccount:
    """A row of the Accounts sheet: the QuickBooks account (and optional item) of one role.

    For the Tax Agency the account is the agency's vendor name; for a setting, its value.
    ``account_type`` is the IIF code from the Type column ("" when not given) and
    ``item_type`` the Item Type ("" when not given).
    """

    role: str
    account: str
    item: str
    origin: Origin
    account_type: str = ""
    item_type: str = ""


@dataclass(frozen=True, slots=True)
class Accounts:
    """The accounts of the eight roles an export debits or credits."""

    receivable: RoleAccount
    bank: RoleAccount
    item_subtotal: RoleAccount
    state_tax: RoleAccount
    country_tax: RoleAccount
    shipping: RoleAccount
    discount: RoleAccount
    sale: RoleAccount
    sales_tax: RoleAccount | None = None
    tax_agency: RoleAccount | None = None
    chart_file: RoleAccount | None = None
    customer_name_rule: RoleAccount | None = None

    def booked(self) -> list[tuple[str, RoleAccount]]:
        """Return (role field, row) for every row that names an account."""
        rows = [(name, getattr(self, name)) for name in ROLE_BY_FIELD]
        return [
            (name, row)
            for name, row in rows
            if row is not None and ROLE_BY_FIELD[name].kind is RoleKind.ACCOUNT
        ]
