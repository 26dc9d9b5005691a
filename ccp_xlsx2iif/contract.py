"""The workbook contract: which sheets and columns the tool reads, declared once.

Each column names the model field it fills, the header a user writes, the kind of value it
holds (which parser in ``cells`` reads it) and whether it is required. Headers match
case-insensitively, ignoring spaces, underscores and punctuation, so ``Order ID``,
``order_id`` and ``OrderID`` are the same column.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    """The kind of value a column holds; ``cells.PARSERS`` has one parser per kind."""

    TEXT = "text"
    ORDER_ID = "order id"
    DATE = "date"
    MONEY = "amount"
    QUANTITY = "quantity"
    PRICE = "price"
    FLAG = "yes/no"
    RAW = "raw"


@dataclass(frozen=True, slots=True)
class Column:
    """One declared column: the field it fills, its header, its kind, whether required."""

    field: str
    header: str
    kind: Kind
    required: bool = False


@dataclass(frozen=True, slots=True)
class SheetSpec:
    """A declared sheet: its name and its columns."""

    name: str
    columns: tuple[Column, ...]

    @property
    def headers(self) -> tuple[str, ...]:
        """The headers of the sheet's columns, in the contract's order."""
        return tuple(column.header for column in self.columns)

    @property
    def required_columns(self) -> tuple[Column, ...]:
        """The columns that must be present on the sheet."""
        return tuple(column for column in self.columns if column.required)


def header_key(header: object) -> str:
    """Reduce a header to what matching compares: lower case letters and digits only."""
    return "".join(ch for ch in str(header).casefold() if ch.isalnum())


_T, _ID, _D, _M = Kind.TEXT, Kind.ORDER_ID, Kind.DATE, Kind.MONEY

ORDERS = SheetSpec(
    "Orders",
    (
        Column("order_id", "Order ID", _ID, required=True),
        Column("order_date", "Order Date", _D, required=True),
        Column("status", "Status", _T, required=True),
        Column("customer", "Customer", _T, required=True),
        Column("total", "Total", _M, required=True),
        Column("company", "Company", _T),
        Column("email", "Email", _T),
        Column("phone", "Phone", _T),
        Column("bill_address1", "Bill Address 1", _T),
        Column("bill_address2", "Bill Address 2", _T),
        Column("bill_city", "Bill City", _T),
        Column("bill_state", "Bill State", _T),
        Column("bill_zip", "Bill Zip", _T),
        Column("bill_country", "Bill Country", _T),
        Column("ship_name", "Ship Name", _T),
        Column("ship_address1", "Ship Address 1", _T),
        Column("ship_address2", "Ship Address 2", _T),
        Column("ship_city", "Ship City", _T),
        Column("ship_state", "Ship State", _T),
        Column("ship_zip", "Ship Zip", _T),
        Column("ship_country", "Ship Country", _T),
        Column("subtotal", "Subtotal", _M),
        Column("discount", "Discount", _M),
        Column("sale", "Sale", _M),
        Column("state_tax", "State Tax", _M),
        Column("country_tax", "Country Tax", _M),
        Column("shipping", "Shipping", _M),
        Column("payment_method", "Payment Method", _T),
        Column("ship_method", "Ship Method", _T),
        Column("po_number", "PO Number", _T),
        Column("memo", "Memo", _T),
        Column("class_name", "Class", _T),
        Column("terms", "Terms", _T),
        Column("rep", "Rep", _T),
        Column("currency", "Currency", _T),
        # What was refunded of the order: an order with a refund is skipped (refunds are not
        # booked), whatever its status says.
        Column("refunded", "Refunded", _M),
        # When the order was cancelled (Shopify's Cancelled at): a cancelled order is skipped,
        # whatever its status (Shopify keeps one cancelled before its refund "paid").
        Column("cancelled", "Cancelled", Kind.RAW),
        Column("exported", "Exported", Kind.RAW),
    ),
)

ITEMS = SheetSpec(
    "Items",
    (
        Column("order_id", "Order ID", _ID, required=True),
        Column("sku", "SKU", _T, required=True),
        Column("description", "Description", _T),
        Column("quantity", "Quantity", Kind.QUANTITY, required=True),
        Column("unit_price", "Unit Price", Kind.PRICE, required=True),
        Column("line_total", "Line Total", _M),
        Column("taxable", "Taxable", Kind.FLAG),
    ),
)

ACCOUNTS = SheetSpec(
    "Accounts",
    (
        Column("role", "Role", _T, required=True),
        Column("account", "Account", _T, required=True),
        Column("item", "Item", _T),
        Column("type", "Type", _T),
        Column("item_type", "Item Type", _T),
    ),
)

EXPORTED_HEADER = "Exported"

# How an order is booked, and how its sales tax is written.
BOOK_AS = ("invoice", "sales-receipt")
TAX_MODES = ("lines", "quickbooks")


class RoleKind(Enum):
    """What the Account column of a role's row holds."""

    ACCOUNT = "account"
    VENDOR = "vendor"
    SETTING = "setting"


@dataclass(frozen=True, slots=True)
class Role:
    """A row of the Accounts sheet: one of the eight accounts an export books, or an extra.

    ``types`` are the QuickBooks account types (IIF codes) that fit the role; the first is
    the type an account created for the role gets when the sheet gives none.
    """

    field: str
    name: str
    types: tuple[str, ...] = ()
    required: bool = True
    kind: RoleKind = RoleKind.ACCOUNT


_INCOME = ("INC", "EXINC")
_TAX = ("OCLIAB", "INC", "EXINC")
_REDUCTION = ("INC", "EXP", "EXEXP")

ROLES: tuple[Role, ...] = (
    Role("receivable", "Accounts Receivable", ("AR",)),
    Role("bank", "Bank", ("BANK", "OCASSET")),
    Role("item_subtotal", "Item Subtotal", _INCOME),
    Role("state_tax", "State/Province Tax", _TAX),
    Role("country_tax", "Country Tax", _TAX),
    Role("shipping", "Shipping", _INCOME),
    Role("discount", "Discount", _REDUCTION),
    Role("sale", "Sale", _REDUCTION),
    # Used with --tax-mode quickbooks: the sales tax liability account and sales tax item,
    # and the tax agency (a vendor) the tax is owed to.
    Role("sales_tax", "Sales Tax Item", ("OCLIAB",), required=False),
    Role("tax_agency", "Tax Agency", required=False, kind=RoleKind.VENDOR),
    # Settings kept with the accounts: the chart of accounts file, and how customers are named.
    Role("chart_file", "Chart File", required=False, kind=RoleKind.SETTING),
    Role("customer_name_rule", "Customer Name Rule", required=False, kind=RoleKind.SETTING),
)
ROLE_BY_FIELD = {role.field: role for role in ROLES}
