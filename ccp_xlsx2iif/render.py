"""The one Jinja environment that renders IIF, and the filters that format its fields.

Templates are the only place that shapes IIF rows; values are formatted by named filters
(``amount``, ``debit``, ``credit``, ``quantity``, ``credit_quantity``, ``price``, ``date``,
``text``, ``yes_no``, ``lines``).
The environment is strict: an undefined name raises, the final newline is kept, every line
ends with CRLF, and any value that reaches the output passes ``finalize``, which cleans text
and refuses numbers or dates that were not formatted by a filter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from ccp_xlsx2iif import iif
from ccp_xlsx2iif.declarations import Declarations
from ccp_xlsx2iif.orders import Accounts, AddressLine, Order
from ccp_xlsx2iif.problems import FileProblem

if TYPE_CHECKING:
    from jinja2 import Environment

BATCH_TEMPLATE = "batch.iif.j2"
TEMPLATE_NAMES = (
    "batch.iif.j2",
    "lists.iif.j2",
    "headers.iif.j2",
    "invoice.iif.j2",
    "payment.iif.j2",
)


def builtin_template_dir() -> Path:
    """Return the folder of the templates shipped with the tool."""
    here = Path(__file__).resolve().parent
    installed = here / "templates"
    if installed.is_dir():
        return installed
    # Running from a source checkout (or an editable install): templates/ sits beside the package.
    return here.parent / "templates"


def _credit(amount: Decimal) -> str:
    return iif.format_amount(-amount)


def _credit_quantity(quantity: Decimal) -> str:
    return iif.format_quantity(-quantity)


def _yes_no(flag: bool | None) -> str:
    return "" if flag is None else "Y" if flag else "N"


def _lines(block: Sequence[AddressLine], count: int) -> list[str]:
    texts = [line.text for line in block[:count]]
    return texts + [""] * (count - len(texts))


def make_environment(
    template_dir: Path | None = None, date_pattern: str = iif.US_DATE_FORMAT
) -> Environment:
    """Build the strict IIF environment; ``template_dir`` templates override the shipped ones."""
    from jinja2 import (
        Environment,
        FileSystemLoader,
        StrictUndefined,
        TemplateRuntimeError,
        Undefined,
    )

    clean_text = iif.clean_text

    def finalize(value: object) -> str:
        if value.__class__ is str:
            return clean_text(value)  # type: ignore[arg-type,unused-ignore]
        if value is None:
            return ""
        if isinstance(value, Undefined):
            return str(value)  # a StrictUndefined raises here, naming what is undefined
        raise TemplateRuntimeError(
            f"a {type(value).__name__} value ({value!r}) reached the IIF without a filter; "
            "format it with amount, debit, credit, quantity, price, date or text"
        )

    search_path = [builtin_template_dir()]
    if template_dir is not None:
        if not template_dir.is_dir():
            raise FileProblem(
                f"{template_dir}: no such folder of templates",
                hint=f"Give a folder holding any of {', '.join(TEMPLATE_NAMES)}.",
            )
        search_path.insert(0, template_dir)
    environment = Environment(
        loader=FileSystemLoader(search_path),
        undefined=StrictUndefined,
        autoescape=False,  # noqa: S701 - IIF is tab-separated text, not HTML
        keep_trailing_newline=True,
        newline_sequence="\r\n",
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=finalize,
        auto_reload=False,
    )

    def date_filter(value: dt.date) -> str:
        return iif.format_date(value, date_pattern)

    environment.filters.update(
        {
            "amount": iif.format_amount,
            "debit": iif.format_amount,
            "credit": _credit,
            "quantity": iif.format_quantity,
            "credit_quantity": _credit_quantity,
            "yes_no": _yes_no,
            "price": iif.format_price,
            "date": date_filter,
            "text": iif.clean_text,
            "lines": _lines,
        }
    )
    return environment


def render_batch(
    environment: Environment,
    orders: Iterable[Order],
    accounts: Accounts,
    declarations: Declarations,
    *,
    payments: bool,
    tax_mode: str,
) -> Iterator[str]:
    """Yield the IIF text of a batch in chunks: the declared lists, then order after order."""
    from jinja2 import TemplateError

    try:
        template = environment.get_template(BATCH_TEMPLATE)
        yield from template.generate(
            orders=orders,
            accounts=accounts,
            declarations=declarations,
            payments=payments,
            tax_mode=tax_mode,
        )
    except TemplateError as error:
        raise FileProblem(
            f"IIF template error: {error}",
            hint="Check the templates given with --templates against the shipped ones.",
        ) from error
