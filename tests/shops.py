"""Order exports as Shopify and WooCommerce write them, built from their documented columns.

Shopify's orders export (Orders > Export): a row per line item, the order's own columns
(totals, statuses, addresses) filled on its first row only; "Subtotal" is after discounts,
"Taxes" the sum of the "Tax N Value" columns. WooCommerce's Customer/Order/Coupon Export,
"Default - One Row per Item": every row repeats its order's columns; item_subtotal is before
discounts, order_total = items - discount_total + shipping_total + fee_total + tax_total +
shipping_tax_total + fee_tax_total.

Each builder returns the rows as dicts (header -> value) and what the shop says each order
totals, so that tests reconcile the IIF with the shop to the cent.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook

SHOPIFY_HEADERS = [
    "Name",
    "Email",
    "Financial Status",
    "Paid at",
    "Fulfillment Status",
    "Fulfilled at",
    "Accepts Marketing",
    "Currency",
    "Subtotal",
    "Shipping",
    "Taxes",
    "Total",
    "Discount Code",
    "Discount Amount",
    "Shipping Method",
    "Created at",
    "Lineitem quantity",
    "Lineitem name",
    "Lineitem price",
    "Lineitem compare at price",
    "Lineitem sku",
    "Lineitem requires shipping",
    "Lineitem taxable",
    "Lineitem fulfillment status",
    "Billing Name",
    "Billing Street",
    "Billing Address1",
    "Billing Address2",
    "Billing Company",
    "Billing City",
    "Billing Zip",
    "Billing Province",
    "Billing Country",
    "Billing Phone",
    "Shipping Name",
    "Shipping Street",
    "Shipping Address1",
    "Shipping Address2",
    "Shipping Company",
    "Shipping City",
    "Shipping Zip",
    "Shipping Province",
    "Shipping Country",
    "Shipping Phone",
    "Notes",
    "Note Attributes",
    "Cancelled at",
    "Payment Method",
    "Payment Reference",
    "Refunded Amount",
    "Vendor",
    "Outstanding Balance",
    "Employee",
    "Location",
    "Device ID",
    "Id",
    "Tags",
    "Risk Level",
    "Source",
    "Lineitem discount",
    "Tax 1 Name",
    "Tax 1 Value",
    "Tax 2 Name",
    "Tax 2 Value",
    "Tax 3 Name",
    "Tax 3 Value",
    "Tax 4 Name",
    "Tax 4 Value",
    "Tax 5 Name",
    "Tax 5 Value",
    "Phone",
    "Receipt Number",
    "Duties",
    "Billing Province Name",
    "Shipping Province Name",
    "Payment ID",
    "Payment Terms Name",
    "Next Payment Due At",
    "Payment References",
]

WOOCOMMERCE_HEADERS = [
    "order_id",
    "order_number",
    "date",
    "status",
    "shipping_total",
    "shipping_tax_total",
    "fee_total",
    "fee_tax_total",
    "tax_total",
    "discount_total",
    "order_total",
    "refunded_total",
    "order_currency",
    "payment_method",
    "shipping_method",
    "customer_id",
    "billing_first_name",
    "billing_last_name",
    "billing_company",
    "billing_email",
    "billing_phone",
    "billing_address_1",
    "billing_address_2",
    "billing_postcode",
    "billing_city",
    "billing_state",
    "billing_country",
    "shipping_first_name",
    "shipping_last_name",
    "shipping_address_1",
    "shipping_address_2",
    "shipping_postcode",
    "shipping_city",
    "shipping_state",
    "shipping_country",
    "shipping_company",
    "customer_note",
    "item_id",
    "item_product_id",
    "item_name",
    "item_sku",
    "item_price",
    "item_quantity",
    "item_subtotal",
    "item_subtotal_tax",
    "item_total",
    "item_total_tax",
    "item_refunded",
    "item_refunded_qty",
    "item_meta",
    "shipping_items",
    "fee_items",
    "tax_items",
    "coupon_items",
    "order_notes",
    "download_permissions_granted",
]

CENT = Decimal("0.01")


@dataclass
class ShopExport:
    """A shop's export: its rows, and per exported order what the shop says it totals."""

    headers: list[str]
    rows: list[dict[str, Any]]
    sheet: str
    # order -> {"total", "items", "discount", "shipping", "state_tax", "country_tax"}
    expected: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    def grid(self) -> list[list[Any]]:
        """Return the header row and the rows, as a sheet holds them."""
        return [list(self.headers)] + [
            [row.get(header, "") for header in self.headers] for row in self.rows
        ]

    def save_xlsx(self, path: Path) -> Path:
        """Write the export as Excel saves it from the shop's CSV (numbers as numbers)."""
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = self.sheet
        for row in self.grid():
            sheet.append([_as_excel(value) for value in row])
        book.save(path)
        return path

    def csv_text(self, delimiter: str = ",") -> str:
        """Return the export as the shop's CSV text."""
        out = io.StringIO(newline="")
        writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
        for row in self.grid():
            writer.writerow(["" if value is None else str(value) for value in row])
        return out.getvalue()

    def save_csv(self, path: Path, *, encoding: str = "utf-8", delimiter: str = ",") -> Path:
        """Write the export as a CSV file in ``encoding`` ("utf-8-sig" adds the BOM)."""
        path.write_bytes(self.csv_text(delimiter).encode(encoding))
        return path


def _as_excel(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    return value


def _money(value: str | int) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


def shopify_export() -> ShopExport:
    """Return six Shopify orders, three of them exported.

    Taxes split by name (US state and city, Canadian GST and QST), a discount code,
    multi-line orders, and a refunded, a pending and a partly refunded order.
    """
    export = ShopExport(list(SHOPIFY_HEADERS), [], "orders_export_1")
    orders: list[dict[str, Any]] = [
        {
            "name": "#1001", "status": "paid", "created": "2026-03-02 10:14:31 -0800",
            "customer": ("Ada Lovelace", "12 Analytical Way", "Portland", "97201", "OR", "US"),
            "lines": [("MUG-11", "Ceramic mug", 2, "12.50", True), ("CARD-5", "Cards", 1, "20.00", True)],
            "shipping": "6.95", "discount": "0", "code": "",
            "taxes": [("OR State Tax 0%", "0.00"), ("Portland City Tax 7.25%", "3.26")],
            "email": "ada@example.com", "method": "Shopify Payments",
        },
        {
            "name": "#1002", "status": "paid", "created": "2026-03-03 10:59:02 -0800",
            "customer": ("Grace Hopper", "1 Compiler Court", "Arlington", "22201", "VA", "US"),
            "lines": [("TEE-M", "Organic T-shirt - M", 2, "24.00", True)],
            "shipping": "9.50", "discount": "4.80", "code": "SPRING10",
            "taxes": [("VA State Tax 5%", "2.16")],
            "email": "grace@example.com", "method": "PayPal Express Checkout",
        },
        {
            "name": "#1003", "status": "refunded", "created": "2026-03-04 11:58:00 -0800",
            "customer": ("Linus Pauling", "3 Vitamin Rd", "Pasadena", "91101", "CA", "US"),
            "lines": [("STK-1", "Sticker", 1, "10.00", False)],
            "shipping": "0", "discount": "0", "code": "", "taxes": [],
            "email": "linus@example.com", "method": "Shopify Payments", "refunded": "10.00",
            "cancelled": "2026-03-05 09:00:00 -0800",
        },
        {
            "name": "#1004", "status": "paid", "created": "2026-03-05 11:58:00 -0500",
            "customer": ("Marie Tremblay", "5 Rue du Lac", "Montreal", "H2X 1Y4", "QC", "CA"),
            "lines": [("STK-3", "Sticker pack", 3, "10.00", True)],
            "shipping": "5.00", "discount": "0", "code": "",
            "taxes": [("GST 5%", "1.75"), ("QST 9.975%", "3.49")],
            "email": "marie@example.ca", "method": "Shopify Payments",
        },
        {
            "name": "#1005", "status": "pending", "created": "2026-03-06 08:00:00 -0800",
            "customer": ("Alan Turing", "7 Enigma Ln", "Seattle", "98101", "WA", "US"),
            "lines": [("MUG-11", "Ceramic mug", 1, "12.50", True)],
            "shipping": "6.95", "discount": "0", "code": "", "taxes": [("WA State Tax", "1.28")],
            "email": "alan@example.com", "method": "Bank Deposit",
        },
        {
            "name": "#1006", "status": "partially_refunded", "created": "2026-03-07 09:30:00 -0800",
            "customer": ("Hedy Lamarr", "9 Frequency Blvd", "Los Angeles", "90001", "CA", "US"),
            "lines": [("TEE-M", "Organic T-shirt - M", 1, "24.00", True), ("STK-1", "Sticker", 2, "10.00", True), ("CARD-5", "Cards", 1, "20.00", True)],
            "shipping": "0", "discount": "0", "code": "", "taxes": [("CA State Tax 7.25%", "4.64")],
            "email": "hedy@example.com", "method": "Shopify Payments", "refunded": "20.00",
        },
    ]  # fmt: skip
    for order in orders:
        items = sum((_money(price) * qty for _, _, qty, price, _ in order["lines"]), Decimal(0))
        discount, shipping = _money(order["discount"]), _money(order["shipping"])
        tax_values = [_money(value) for _, value in order["taxes"]]
        national = sum(
            (v for (name, _), v in zip(order["taxes"], tax_values, strict=True) if "GST" in name),
            Decimal(0),
        )
        taxes = sum(tax_values, Decimal(0))
        total = items - discount + shipping + taxes
        name, street, city, zip_code, province, country = order["customer"]
        for index, (sku, title, qty, price, taxable) in enumerate(order["lines"]):
            row: dict[str, Any] = {
                "Name": order["name"],
                "Email": order["email"],
                "Created at": order["created"],
                "Lineitem quantity": qty,
                "Lineitem name": title,
                "Lineitem price": _money(price),
                "Lineitem sku": sku,
                "Lineitem requires shipping": "true",
                "Lineitem taxable": "true" if taxable else "false",
                "Lineitem fulfillment status": "fulfilled",
                "Lineitem discount": "0.00",
                "Vendor": "Analytical Goods",
            }
            if index == 0:  # the order's own columns, on its first row only
                row.update(
                    {
                        "Financial Status": order["status"],
                        "Paid at": order["created"],
                        "Fulfillment Status": "fulfilled",
                        "Accepts Marketing": "no",
                        "Currency": "USD",  # the shop's currency, whatever the buyer's country
                        "Subtotal": items - discount,
                        "Shipping": shipping,
                        "Taxes": taxes,
                        "Total": total,
                        "Discount Code": order["code"],
                        "Discount Amount": discount,
                        "Shipping Method": "Standard",
                        "Billing Name": name,
                        "Billing Street": street,
                        "Billing Address1": street,
                        "Billing City": city,
                        "Billing Zip": zip_code,
                        "Billing Province": province,
                        "Billing Country": country,
                        "Shipping Name": name,
                        "Shipping Street": street,
                        "Shipping Address1": street,
                        "Shipping City": city,
                        "Shipping Zip": zip_code,
                        "Shipping Province": province,
                        "Shipping Country": country,
                        "Payment Method": order["method"],
                        "Refunded Amount": _money(order.get("refunded", "0")),
                        "Outstanding Balance": "0.00",
                        "Cancelled at": order.get("cancelled", ""),
                        "Id": 5000 + int(order["name"][1:]),
                        "Risk Level": "Low",
                        "Source": "web",
                    }
                )
                for number, (tax_name, _) in enumerate(order["taxes"], start=1):
                    row[f"Tax {number} Name"] = tax_name
                    row[f"Tax {number} Value"] = tax_values[number - 1]
            export.rows.append(row)
        if order["status"] == "paid":
            export.expected[order["name"]] = {
                "total": total,
                "items": items,
                "discount": discount,
                "shipping": shipping,
                "state_tax": taxes - national,
                "country_tax": national,
            }
        else:
            export.skipped[order["name"]] = order["status"]
    return export


def woocommerce_export() -> ShopExport:
    """Return five WooCommerce orders, two of them exported (by default).

    A coupon, a fee, tax on items and on shipping, multi-line orders, and processing,
    refunded and cancelled orders.
    """
    export = ShopExport(list(WOOCOMMERCE_HEADERS), [], "Orders")
    orders: list[dict[str, Any]] = [
        {
            "id": 2001, "status": "completed", "date": "2026-03-02 10:15:00",
            "customer": ("Ada", "Lovelace", "12 Analytical Way", "Portland", "97201", "OR"),
            "lines": [("MUG-11", "Ceramic mug", 2, "12.50"), ("CARD-5", "Cards", 1, "20.00")],
            "discount": "4.50", "shipping": "6.95", "shipping_tax": "0.50", "fee": "2.00",
            "fee_tax": "0.15", "tax": "2.94", "payment": "Credit card (Stripe)",
        },
        {
            "id": 2002, "status": "processing", "date": "2026-03-03 11:00:00",
            "customer": ("Grace", "Hopper", "1 Compiler Court", "Arlington", "22201", "VA"),
            "lines": [("TEE-M", "Organic T-shirt - M", 1, "24.00")],
            "discount": "0", "shipping": "9.50", "shipping_tax": "0", "fee": "0",
            "fee_tax": "0", "tax": "1.20", "payment": "PayPal",
        },
        {
            "id": 2003, "status": "refunded", "date": "2026-03-04 12:00:00",
            "customer": ("Linus", "Pauling", "3 Vitamin Rd", "Pasadena", "91101", "CA"),
            "lines": [("STK-1", "Sticker", 1, "10.00")],
            "discount": "0", "shipping": "0", "shipping_tax": "0", "fee": "0",
            "fee_tax": "0", "tax": "0", "payment": "PayPal",
        },
        {
            "id": 2004, "status": "cancelled", "date": "2026-03-05 12:00:00",
            "customer": ("Alan", "Turing", "7 Enigma Ln", "Seattle", "98101", "WA"),
            "lines": [("MUG-11", "Ceramic mug", 1, "12.50")],
            "discount": "0", "shipping": "6.95", "shipping_tax": "0", "fee": "0",
            "fee_tax": "0", "tax": "0", "payment": "Cash on delivery",
        },
        {
            "id": 2005, "status": "completed", "date": "2026-03-06 09:00:00",
            "customer": ("Marie", "Curie", "11 Radium St", "Boston", "02108", "MA"),
            "lines": [("TEE-M", "Organic T-shirt - M", 3, "24.00"), ("STK-3", "Sticker pack", 1, "10.00"), ("CARD-5", "Cards", 2, "20.00")],
            "discount": "0", "shipping": "0", "shipping_tax": "0", "fee": "0",
            "fee_tax": "0", "tax": "7.62", "payment": "Credit card (Stripe)",
        },
    ]  # fmt: skip
    item_id = 100
    for order in orders:
        items = sum((_money(price) * qty for _, _, qty, price in order["lines"]), Decimal(0))
        parts = {key: _money(order[key]) for key in ("discount", "shipping", "shipping_tax", "fee", "fee_tax", "tax")}  # fmt: skip
        total = (
            items
            - parts["discount"]
            + parts["shipping"]
            + parts["fee"]
            + parts["tax"]
            + parts["shipping_tax"]
            + parts["fee_tax"]
        )
        first, last, street, city, zip_code, state = order["customer"]
        for sku, title, qty, price in order["lines"]:
            item_id += 1
            subtotal = _money(price) * qty
            export.rows.append(
                {
                    "order_id": order["id"],
                    "order_number": order["id"],
                    "date": order["date"],
                    "status": order["status"],
                    "shipping_total": parts["shipping"],
                    "shipping_tax_total": parts["shipping_tax"],
                    "fee_total": parts["fee"],
                    "fee_tax_total": parts["fee_tax"],
                    "tax_total": parts["tax"],
                    "discount_total": parts["discount"],
                    "order_total": total,
                    "refunded_total": total if order["status"] == "refunded" else Decimal(0),
                    "order_currency": "USD",
                    "payment_method": order["payment"],
                    "shipping_method": "Flat rate" if parts["shipping"] else "Free shipping",
                    "customer_id": 40 + order["id"] % 100,
                    "billing_first_name": first,
                    "billing_last_name": last,
                    "billing_email": f"{first.lower()}@example.com",
                    "billing_phone": "555-0100",
                    "billing_address_1": street,
                    "billing_postcode": zip_code,
                    "billing_city": city,
                    "billing_state": state,
                    "billing_country": "US",
                    "shipping_first_name": first,
                    "shipping_last_name": last,
                    "shipping_address_1": street,
                    "shipping_postcode": zip_code,
                    "shipping_city": city,
                    "shipping_state": state,
                    "shipping_country": "US",
                    "item_id": item_id,
                    "item_product_id": 300 + item_id,
                    "item_name": title,
                    "item_sku": sku,
                    "item_price": _money(price),
                    "item_quantity": qty,
                    "item_subtotal": subtotal,
                    "item_subtotal_tax": "0.00",
                    "item_total": subtotal,
                    "item_total_tax": "0.00",
                    "item_refunded": "0.00",
                    "item_refunded_qty": 0,
                    "coupon_items": "code:SAVE|amount:4.50" if parts["discount"] else "",
                    "download_permissions_granted": 1,
                }
            )
        if order["status"] == "completed":
            export.expected[str(order["id"])] = {
                "total": total,
                "items": items,
                "discount": parts["discount"],
                "shipping": parts["shipping"] + parts["fee"],
                "state_tax": parts["tax"] + parts["shipping_tax"] + parts["fee_tax"],
                "country_tax": Decimal(0),
            }
        else:
            export.skipped[str(order["id"])] = order["status"]
    return export
