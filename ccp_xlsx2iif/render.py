"""The one Jinja environment that renders IIF, and the filters that format its fields.

Templates are the only place that shapes IIF rows; values are formatted by named filters
(``amount``, ``debit``, ``credit``, ``quantity``, ``credit_quantity``, ``price``, ``date``,
``text``, ``yes_no``, ``lines``).
The environment is strict: an undefined name raises, the final newline is kept, every line
ends with CRLF, and ``finalize`` refuses any number or date that was not formatted by a
filter. Text needs no cleaning here: the records hold it cleaned for IIF already.
"""

from __future__ import annotations

import datetime as dt
import keyword
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ccp_xlsx2iif import iif
from ccp_xlsx2iif.declarations import Declarations
from ccp_xlsx2iif.orders import Accounts, AddressLine, Order
from ccp_xlsx2iif.problems import FileProblem, UserError

if TYPE_CHECKING:
    from jinja2 import Environment
    from jinja2.compiler import CodeGenerator

BATCH_TEMPLATE = "batch.iif.j2"
# The rows (or pieces of rows) joined into one chunk of the rendered IIF text.
PIECES_PER_CHUNK = 5_000
TEMPLATE_HINT = "Check the templates given with --templates against the shipped ones."
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


# A plain {% include "name" %} alone on its line, which the loader replaces by the template.
_INCLUDE = re.compile(r'^[ \t]*\{%-?\s*include\s+"([\w.-]+)"\s*-?%\}[ \t]*\n?', re.MULTILINE)


def inline_includes(load: Callable[[str], str], name: str, seen: tuple[str, ...] = ()) -> str:
    """Return the source of template ``name`` with its plain includes written in place.

    Jinja renders an include anew each time it is reached: once per order, that costs more
    than the rows themselves. Written in place, the batch compiles to one loop. Each template
    is still a file of its own, found (and overridden with --templates) by its name.
    """
    if name in seen:
        return load(name)  # a cycle: left to Jinja, whose include recurses (_template_errors)

    def inline(match: re.Match[str]) -> str:
        source = inline_includes(load, match.group(1), (*seen, name))
        return source if source.endswith("\n") else source + "\n"

    return _INCLUDE.sub(inline, load(name))


# The filters that give text whatever they are given: what they give needs no finalize.
TEXT_FILTERS = frozenset(
    {"amount", "debit", "credit", "quantity", "credit_quantity", "price", "date", "text", "yes_no"}
)

# What the compiled templates call for every field, and what they call instead: the same
# functions, reached as names of the module rather than as attributes of the environment
# (finalize is written by _output_child_pre itself).
_ROW = "iif_row"
_DIRECT_CALLS = {
    "environment.getattr(": "getattr(",
    "environment.getitem(": "iif_getitem(",
    # The fields of a row, written into a buffer by Jinja, are yielded joined instead, each
    # field as it is: the join itself tells whether all of them are text (join_row).
    f"{_ROW}.extend((": "yield iif_join((",
    f"{_ROW}.append(": "yield str(",
}


def _plain_attribute(name: str) -> bool:
    """Whether ``name`` may be written after a dot in Python code, and mean itself there."""
    return name.isascii() and name.isidentifier() and not keyword.iskeyword(name)


def _code_generator() -> type[CodeGenerator]:
    """Return Jinja's code generator, made to compile templates to less work per field.

    Jinja's code looks up ``environment.getattr``, ``getitem`` and ``finalize`` anew for each
    field, passes what ``finalize`` gives through ``str``, and yields every field and every
    tab on its own: millions of steps in a large batch. Here the three are names of the
    compiled module (``getattr`` is Python's own, as in the IIF environment, and an attribute
    such as ``order.total`` is read as Python code reads it, which is the same without a
    call); a field that is text already is written without a call of ``finalize``, and the
    output of a filter of ``TEXT_FILTERS`` without a test at all (``finalize`` gives text or
    raises, so the ``str`` is dropped); the fields of a row written outside a macro or block
    are gathered and joined without a test each: the join fails on any field that is not
    text, and only then is each field given to ``finalize`` (the environment's ``join_row``).
    The rendering takes half the time of Jinja's own code; what it writes is the same, which
    the golden files prove, and so are its errors. The methods extended are those of Jinja
    3.1, the series pyproject.toml allows.
    """
    from jinja2.compiler import CodeGenerator, Frame, optimizeconst
    from jinja2.nodes import Expr, Filter, Getattr, Output, Template

    def _gives_text(node: Expr) -> bool:
        return isinstance(node, Filter) and node.name in TEXT_FILTERS

    class IifCodeGenerator(CodeGenerator):
        # Whether the fields being written are a row's, joined by join_row (no test each).
        joined = False

        def visit_Template(self, node: Template, frame: Frame | None = None) -> None:
            self.writeline("iif_finalize = environment.finalize")
            self.writeline("iif_getitem = environment.getitem")
            self.writeline("iif_join = environment.join_row")
            super().visit_Template(node, frame)

        def write(self, x: str) -> None:
            if x == f"{_ROW}.extend((":
                self.joined = True
            super().write(_DIRECT_CALLS.get(x, x))

        @optimizeconst
        def visit_Getattr(self, node: Getattr, frame: Frame) -> None:
            if not _plain_attribute(node.attr):
                super().visit_Getattr(node, frame)
                return
            # Read as Python reads it: the same as Python's getattr, with no call.
            self.write("(")
            self.visit(node.node, frame)
            self.write(f").{node.attr}")

        def visit_Output(self, node: Output, frame: Frame) -> None:
            if frame.buffer is not None or frame.require_output_check or len(node.nodes) < 2:
                super().visit_Output(node, frame)
                return
            # Jinja writes the fields into a buffer, which becomes the row yielded joined.
            frame.buffer = _ROW
            try:
                super().visit_Output(node, frame)
            finally:
                frame.buffer = None
                self.joined = False

        def _output_child_pre(self, node: Expr, frame: Frame, finalize: Any) -> None:
            if not (self.joined or _gives_text(node)):
                self.write("(iif_text if (iif_text := ")

        def _output_child_post(self, node: Expr, frame: Frame, finalize: Any) -> None:
            if not (self.joined or _gives_text(node)):
                self.write(").__class__ is str else iif_finalize(iif_text))")

    return IifCodeGenerator


def make_environment(
    template_dir: Path | None = None, date_pattern: str = iif.US_DATE_FORMAT
) -> Environment:
    """Build the strict IIF environment; ``template_dir`` templates override the shipped ones."""
    from jinja2 import (
        BaseLoader,
        Environment,
        FileSystemLoader,
        StrictUndefined,
        TemplateRuntimeError,
        Undefined,
    )

    def finalize(value: object) -> str:
        # Text of the records is made safe for IIF as it is read (iif.clean_text): here only
        # what is not text is stopped, so that no number or date goes out unformatted.
        if value.__class__ is str:
            return value
        if value is None:
            return ""
        if isinstance(value, str):  # text of a class of its own (what the filter e gives)
            return str(value)
        if isinstance(value, Undefined):
            return str(value)  # a StrictUndefined raises here, naming what is undefined
        raise TemplateRuntimeError(
            f"a {type(value).__name__} value ({value!r}) reached the IIF without a filter; "
            "format it with amount, debit, credit, quantity, price, date or text"
        )

    search_path = [builtin_template_dir()]
    if template_dir is not None:
        if not template_dir.is_dir():
            what = "not a folder" if template_dir.exists() else "no such folder of templates"
            raise FileProblem(
                f"{template_dir}: {what}",
                hint=f"Give a folder holding any of {', '.join(TEMPLATE_NAMES)}.",
            )
        search_path.insert(0, template_dir)
    files = FileSystemLoader(search_path)

    class InliningLoader(BaseLoader):
        """Loads templates from the folders, with their plain includes written in place."""

        def get_source(
            self, environment: Environment, template: str
        ) -> tuple[str, str | None, Callable[[], bool] | None]:
            _, filename, uptodate = files.get_source(environment, template)

            def load(name: str) -> str:
                return files.get_source(environment, name)[0]

            return inline_includes(load, template), filename, uptodate

    class IifEnvironment(Environment):
        """The environment, with attributes looked up by Python itself.

        Templates read attributes of plain records (``order.total``), never items of
        mappings: Python's own ``getattr`` does that at C speed, some sixty times per order.
        A missing attribute raises ``AttributeError``, which ``render_batch`` reports.
        """

        getattr = staticmethod(getattr)  # type: ignore[assignment]
        code_generator_class = _code_generator()

        @staticmethod
        def join_row(fields: tuple[Any, ...]) -> str:
            """Join the fields of a row; any that is not text is given to ``finalize`` first.

            Nearly every row is all text, which one join in C tells: no field is tested on its
            own. A field that is not (a number without its filter, ``None``, an undefined
            name) makes the join fail; the row is then joined again, each such field as
            ``finalize`` gives it, or raising what ``finalize`` raises.
            """
            try:
                return "".join(fields)
            except TypeError:
                return "".join(map(finalize, fields))

    environment = IifEnvironment(
        loader=InliningLoader(),
        undefined=StrictUndefined,
        autoescape=False,  # IIF is tab-separated text, not HTML
        keep_trailing_newline=True,
        newline_sequence="\r\n",
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=finalize,
        auto_reload=False,
    )

    def date_filter(value: dt.date) -> str:
        return iif.format_date(value, date_pattern)

    amount = Formatted(iif.format_amount).__getitem__
    environment.filters.update(
        {
            "amount": amount,
            "debit": amount,
            "credit": Formatted(_credit).__getitem__,
            "quantity": Formatted(iif.format_quantity).__getitem__,
            "credit_quantity": Formatted(_credit_quantity).__getitem__,
            "yes_no": Formatted(_yes_no).__getitem__,
            "price": Formatted(iif.format_price).__getitem__,
            "date": Formatted(date_filter).__getitem__,
            "text": iif.clean_text,
            "lines": _lines,
        }
    )
    return environment


class Formatted(dict[Any, str]):
    """The text a filter gives each value, worked out once per distinct value.

    A batch repeats its prices, quantities, amounts and dates thousands of times: its filters
    are this mapping's lookup (``__getitem__``), at C speed, not a call of Python per field.
    The filters give the same text for equal values (``1.5`` and ``1.50``), but for zero's
    sign (``-0``), so zeros are not kept; nor more than ``FORMATTED_KEPT`` values at once
    (the totals of a large batch seldom repeat).
    """

    __slots__ = ("format_value",)

    def __init__(self, format_value: Callable[[Any], str]) -> None:
        super().__init__()
        self.format_value = format_value

    def __missing__(self, value: Any) -> str:
        text = self.format_value(value)
        if value:
            if len(self) >= FORMATTED_KEPT:
                self.clear()
            self[value] = text
        return text


FORMATTED_KEPT = 1 << 16


def render_batch(
    environment: Environment,
    orders: Iterable[Order],
    accounts: Accounts,
    declarations: Declarations,
    *,
    payments: bool,
    tax_mode: str,
    book_as: str = "invoice",
    default_class: str = "",
) -> Iterator[str]:
    """Yield the IIF text of a batch in chunks: the declared lists, then order after order.

    The compiled template yields a row (or a piece of one) at a time; joining them in C,
    thousands at a time, spares a Python step per piece. A chunk is some 430 KB: small
    enough that the tally of the last one, which the export waits for, is short; large
    enough that handing each to the thread that feeds the tally (a switch of threads)
    costs little.
    """
    with _template_errors():
        template = environment.get_template(BATCH_TEMPLATE)
        context = template.new_context(
            {
                "orders": orders,
                "accounts": accounts,
                "declarations": declarations,
                "payments": payments,
                "tax_mode": tax_mode,
                "book_as": book_as,
                "default_class": default_class,
            }
        )
        pieces = template.root_render_func(context)
        while chunk := "".join(islice(pieces, PIECES_PER_CHUNK)):
            yield chunk


def prepare_templates(
    template_dir: Path | None = None, date_pattern: str = iif.US_DATE_FORMAT
) -> Environment:
    """Build the environment and compile the batch template with all it includes.

    An export does it while the orders sheet is still being parsed (time it would otherwise
    wait), and a template that does not compile is reported before any order is read.
    """
    environment = make_environment(template_dir, date_pattern)
    with _template_errors():
        environment.get_template(BATCH_TEMPLATE)
    return environment


@contextmanager
def _template_errors() -> Iterator[None]:
    """Report an error of a template as ``FileProblem``.

    Templates given with --templates are the user's: an expression of theirs may raise any
    error of Python's (``{{ 1 / 0 }}``), and a template that includes itself recurses until
    Python's limit. Each is said with what raised it; the tool's own problems pass as they are.
    """
    from jinja2 import TemplateError

    try:
        yield
    except (TemplateError, AttributeError) as error:
        raise FileProblem(f"IIF template error: {error}", hint=TEMPLATE_HINT) from error
    except RecursionError as error:
        raise FileProblem(
            "IIF template error: a template includes itself, directly or through another "
            "(Python's limit of nested calls was reached)",
            hint=TEMPLATE_HINT,
        ) from error
    except (UserError, MemoryError):
        raise
    except Exception as error:  # any error of an expression in a template
        raise FileProblem(
            f"IIF template error: {type(error).__name__}: {error}", hint=TEMPLATE_HINT
        ) from error
