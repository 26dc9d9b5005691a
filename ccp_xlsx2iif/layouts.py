"""Shop layouts: where each field of the contract is in the export a shop gives.

A layout maps the contract's fields (``contract.ORDERS`` and ``contract.ITEMS``) to a shop's
headers. Three are built in: ``ccp`` (the contract's own headers, an Orders and an Items sheet),
``shopify`` (Shopify's orders export) and ``woocommerce`` (the WooCommerce Customer/Order/Coupon
Export, "Default - One Row per Item"); the two shop layouts put the orders and their items on
one sheet, a row per item. A ``Columns`` sheet in the accounts workbook maps fields by hand,
over the chosen layout. Whatever a layout leaves unmapped is looked for under the contract's
header.

A field's source is written the way the Columns sheet takes it:

- ``Billing Name``: one column;
- ``Shipping + Fee Total``: the sum of amount columns, or text columns joined with a space
  (``First Name + Last Name``);
- ``Item Subtotal / Item Quantity``: a unit price worked out from a line total;
- ``"Web Store"``: the same text for every order (in double quotes);
- for the Status field, also ``paid -> Completed``: a shop's status read as another.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from ccp_xlsx2iif.contract import ITEMS, ORDERS, Column, Kind, header_key

VALUE_ARROW = re.compile(r"\s*(.+?)\s*(?:->|→|=>)\s*(.+?)\s*\Z")
_ARROWS = re.compile(r"->|→|=>")
# Tax names that mark a national tax (booked to the Country Tax account); the others are
# state, provincial, county or city taxes.
NATIONAL_TAX = re.compile(r"\b(GST|HST|VAT|IVA|MwSt|TVA|federal|national)\b", re.IGNORECASE)
FIELDS: dict[str, Column] = {
    **{column.field: column for column in ORDERS.columns},
    **{column.field: column for column in ITEMS.columns},
}
FIELD_BY_KEY = {header_key(column.header): column for column in FIELDS.values()}


class LayoutError(ValueError):
    """A layout or a Columns sheet row cannot be used; the text says why."""


@dataclass(frozen=True)
class TaxSplit:
    """Taxes given as name and value pairs (``Tax 1 Name``, ``Tax 1 Value``...).

    The national ones (``NATIONAL_TAX``) or the others are summed; ``fallback`` is the column
    of all taxes, used when the sheet has none of the pairs.
    """

    names: tuple[str, ...]
    values: tuple[str, ...]
    national: bool
    fallback: str | None = None


@dataclass(frozen=True)
class Source:
    """Where one field's value comes from (see the module's description)."""

    headers: tuple[str, ...] = ()
    constant: str | None = None
    per: str | None = None
    taxes: TaxSplit | None = None

    @classmethod
    def parse(cls, text: str) -> Source:
        """Read a source as written in the Header column of a Columns sheet."""
        text = text.strip()
        if not text:
            raise LayoutError(
                'Header is empty; write the header of the column that holds the field, or "" '
                "to leave the field empty"
            )
        if len(text) >= 2 and text[0] == text[-1] == '"':
            return cls(constant=text[1:-1])
        if "/" in text:
            total, _, per = text.partition("/")
            if not total.strip() or not per.strip() or "+" in text:
                raise LayoutError(
                    f'"{text}" is not a column divided by another, such as '
                    '"Item Subtotal / Item Quantity"'
                )
            return cls((total.strip(),), per=per.strip())
        headers = tuple(part.strip() for part in text.split("+"))
        if not all(headers):
            raise LayoutError(f'"{text}" names an empty column; write "Column A + Column B"')
        return cls(headers)

    @property
    def is_unmapped(self) -> bool:
        """Whether the field is not read at all (a layout's way to ignore a column)."""
        return not self.headers and self.constant is None and self.taxes is None

    @property
    def is_direct(self) -> bool:
        """Whether the value is one column's cell, as it stands."""
        return len(self.headers) == 1 and self.per is None and self.taxes is None

    def describe(self) -> str:
        """Say where the value comes from, as the Columns sheet would write it."""
        if self.constant is not None:
            return f'"{self.constant}"'
        if self.taxes is not None:
            kind = "national" if self.taxes.national else "other"
            pairs = f"{self.taxes.values[0]}... by {self.taxes.names[0]}..."
            return f"{kind} taxes of {pairs}"
        if self.per is not None:
            return f"{self.headers[0]} / {self.per}"
        return " + ".join(self.headers)


@dataclass(frozen=True)
class Layout:
    """How a shop's export is read: its fields' sources and the values it reads as others.

    ``values``: per text field, the shop's values (any case) read as others, such as a
    status ``paid`` read as ``Completed``, or a ship method too long for QuickBooks read as a
    shorter one. ``one_sheet``: the orders and their items are on one sheet, a row per item.
    ``signature``: header keys that, all present, identify the layout. ``given``: the fields a
    Columns sheet says where to find, which must then be there, required or not.
    """

    key: str
    title: str
    sources: Mapping[str, Source] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    one_sheet: bool = False
    signature: frozenset[str] = frozenset()
    given: frozenset[str] = frozenset()

    @property
    def statuses(self) -> Mapping[str, str]:
        """The shop's statuses read as others (``paid`` -> ``Completed``)."""
        return self.values.get("status", {})

    def source(self, field_name: str) -> Source:
        """Return the source of a field: the layout's, else the contract's header."""
        return self.sources.get(field_name) or Source((FIELDS[field_name].header,))

    def with_columns(
        self, sources: Mapping[str, Source], values: Mapping[str, Mapping[str, str]]
    ) -> Layout:
        """Return this layout with the fields and values of a Columns sheet over it."""
        if not sources and not values:
            return self
        return replace(
            self,
            title=(
                "layout of the Columns sheet"
                if self.key == "ccp"
                else f"{self.title}, with the Columns sheet"
            ),
            sources={**self.sources, **sources},
            values=merged_values(self.values, values),
            given=self.given | frozenset(sources),
        )


def merged_values(
    under: Mapping[str, Mapping[str, str]], over: Mapping[str, Mapping[str, str]]
) -> dict[str, dict[str, str]]:
    """Return the value mappings of ``under`` with those of ``over``, which win, field by field."""
    return {name: {**under.get(name, {}), **over.get(name, {})} for name in {*under, *over}}


UNMAPPED = Source()


def _direct(mapping: Mapping[str, str]) -> dict[str, Source]:
    return {name: Source((header,)) for name, header in mapping.items()}


def _tax_pairs(count: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return (
        tuple(f"Tax {n} Name" for n in range(1, count + 1)),
        tuple(f"Tax {n} Value" for n in range(1, count + 1)),
    )


_SHOPIFY_TAX_NAMES, _SHOPIFY_TAX_VALUES = _tax_pairs(5)

CCP = Layout("ccp", "ClickCartPro layout")

# Shopify's orders export (Orders > Export, CSV for Excel): a row per line item; the order's
# own columns (totals, status, addresses) are filled on its first row only.
SHOPIFY = Layout(
    "shopify",
    "Shopify orders export",
    sources={
        **_direct(
            {
                "order_id": "Name",
                "order_date": "Created at",
                "status": "Financial Status",
                "customer": "Billing Name",
                "company": "Billing Company",
                "email": "Email",
                "phone": "Billing Phone",
                "bill_address1": "Billing Address1",
                "bill_address2": "Billing Address2",
                "bill_city": "Billing City",
                "bill_state": "Billing Province",
                "bill_zip": "Billing Zip",
                "bill_country": "Billing Country",
                "ship_name": "Shipping Name",
                "ship_address1": "Shipping Address1",
                "ship_address2": "Shipping Address2",
                "ship_city": "Shipping City",
                "ship_state": "Shipping Province",
                "ship_zip": "Shipping Zip",
                "ship_country": "Shipping Country",
                "discount": "Discount Amount",
                "shipping": "Shipping",
                "total": "Total",
                "payment_method": "Payment Method",
                "ship_method": "Shipping Method",
                "memo": "Notes",
                "currency": "Currency",
                "refunded": "Refunded Amount",
                "cancelled": "Cancelled at",
                "sku": "Lineitem sku",
                "description": "Lineitem name",
                "quantity": "Lineitem quantity",
                "unit_price": "Lineitem price",
                "taxable": "Lineitem taxable",
            }
        ),
        # Shopify's Subtotal is after discounts; the items' own sum is used instead.
        "subtotal": UNMAPPED,
        "state_tax": Source(
            taxes=TaxSplit(
                _SHOPIFY_TAX_NAMES, _SHOPIFY_TAX_VALUES, national=False, fallback="Taxes"
            )
        ),
        "country_tax": Source(
            taxes=TaxSplit(_SHOPIFY_TAX_NAMES, _SHOPIFY_TAX_VALUES, national=True)
        ),
    },
    values={"status": {"paid": "Completed"}},
    one_sheet=True,
    signature=frozenset({"name", "financialstatus", "lineitemquantity", "lineitemname"}),
)

# WooCommerce Customer/Order/Coupon Export, "Default - One Row per Item": every row carries
# its order's columns. Line totals are before discounts (item_subtotal); the discount, the
# fees and the taxes on shipping and fees are order columns.
WOOCOMMERCE = Layout(
    "woocommerce",
    "WooCommerce order export (one row per item)",
    sources={
        **_direct(
            {
                "order_id": "order_number",
                "order_date": "date",
                "status": "status",
                "company": "billing_company",
                "email": "billing_email",
                "phone": "billing_phone",
                "bill_address1": "billing_address_1",
                "bill_address2": "billing_address_2",
                "bill_city": "billing_city",
                "bill_state": "billing_state",
                "bill_zip": "billing_postcode",
                "bill_country": "billing_country",
                "ship_address1": "shipping_address_1",
                "ship_address2": "shipping_address_2",
                "ship_city": "shipping_city",
                "ship_state": "shipping_state",
                "ship_zip": "shipping_postcode",
                "ship_country": "shipping_country",
                "discount": "discount_total",
                "total": "order_total",
                "payment_method": "payment_method",
                "ship_method": "shipping_method",
                "memo": "customer_note",
                "currency": "order_currency",
                # A partial refund leaves a WooCommerce order's status as it was.
                "refunded": "refunded_total",
                "sku": "item_sku",
                "description": "item_name",
                "quantity": "item_quantity",
                "line_total": "item_subtotal",
            }
        ),
        "customer": Source(("billing_first_name", "billing_last_name")),
        "ship_name": Source(("shipping_first_name", "shipping_last_name")),
        "shipping": Source(("shipping_total", "fee_total")),
        "state_tax": Source(("tax_total", "shipping_tax_total", "fee_tax_total")),
        "unit_price": Source(("item_subtotal",), per="item_quantity"),
    },
    one_sheet=True,
    signature=frozenset({"ordertotal", "itemquantity", "itemname", "status"}),
)

LAYOUTS: dict[str, Layout] = {layout.key: layout for layout in (CCP, SHOPIFY, WOOCOMMERCE)}


def detect(headers: Iterable[object]) -> Layout | None:
    """Return the shop layout whose signature headers are all among ``headers``, if one is."""
    keys = {header_key(header) for header in headers if header is not None}
    return next(
        (layout for layout in (SHOPIFY, WOOCOMMERCE) if layout.signature <= keys),
        None,
    )


@dataclass(frozen=True)
class ColumnsRow:
    """A row of a Columns sheet, as read: the field and what it maps to."""

    row: int
    field: str
    text: str


def read_columns(
    rows: Sequence[ColumnsRow],
) -> tuple[dict[str, Source], dict[str, dict[str, str]], str | None, list[tuple[int, str, str]]]:
    """Read the rows of a Columns sheet into field sources and value mappings.

    Return (sources, values by field, layout key or None, problems as (row, column, message));
    a ``Layout`` row names the built-in layout to start from. A text field's row ``A -> B``
    reads the value A (any case) as B.
    """
    sources: dict[str, Source] = {}
    values: dict[str, dict[str, str]] = {}
    problems: list[tuple[int, str, str]] = []
    layout = None
    valid = ", ".join(f'"{column.header}"' for column in FIELDS.values())
    for row in rows:
        key = header_key(row.field)
        if key == "layout":
            if row.text.strip().casefold() not in LAYOUTS:
                problems.append(
                    (row.row, "Header", f'"{row.text}" is not a layout; the layouts are '
                     f"{', '.join(LAYOUTS)}")
                )  # fmt: skip
            else:
                layout = row.text.strip().casefold()
            continue
        column = FIELD_BY_KEY.get(key)
        if column is None:
            problems.append(
                (row.row, "Field", f'"{row.field}" is not a field; the fields are {valid}')
            )
            continue
        arrows = len(_ARROWS.findall(row.text))
        arrow = VALUE_ARROW.match(row.text) if arrows else None
        if arrows and (arrow is None or arrows > 1):
            problems.append(
                (
                    row.row,
                    "Header",
                    f'"{row.text}" is not one value read as another; write the shop\'s value, '
                    '"->" and the value to read, such as "paid -> Completed"',
                )
            )
            continue
        if arrow is not None:
            if column.kind is not Kind.TEXT:
                problems.append(
                    (
                        row.row,
                        "Header",
                        f'only text fields read values as others ("paid -> Completed"); '
                        f"{column.header} is not text",
                    )
                )
                continue
            read_as = values.setdefault(column.field, {})
            shop_value, ours = arrow.group(1).casefold(), arrow.group(2)
            if read_as.setdefault(shop_value, ours) != ours:
                problems.append(
                    (
                        row.row,
                        "Header",
                        f'"{arrow.group(1)}" is read as "{read_as[shop_value]}" on another row; '
                        "keep one of them",
                    )
                )
            continue
        if column.field in sources:
            problems.append(
                (row.row, "Field", f'"{column.header}" is mapped twice; keep one of its rows')
            )
            continue
        try:
            sources[column.field] = Source.parse(row.text)
        except LayoutError as error:
            problems.append((row.row, "Header", str(error)))
    return sources, values, layout, problems


def national(name: object) -> bool:
    """Whether a tax's name marks a national tax (GST, HST, VAT...)."""
    return isinstance(name, str) and NATIONAL_TAX.search(name) is not None
