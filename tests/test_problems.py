import ast
from pathlib import Path

import ccp_xlsx2iif
from ccp_xlsx2iif.problems import (
    PROBLEM_KINDS,
    Place,
    Problem,
    column_letter,
    sorted_problems,
)


def test_column_letters() -> None:
    assert [column_letter(n) for n in (1, 26, 27, 52, 702, 703, 16384)] == [
        "A",
        "Z",
        "AA",
        "AZ",
        "ZZ",
        "AAA",
        "XFD",
    ]


def test_places_are_shown_the_way_excel_shows_them() -> None:
    assert str(Place("Orders", 12, 24)) == "Orders!X12"
    assert str(Place("Orders")) == "Orders"
    assert str(Place("Orders", 12)) == "Orders row 12"
    assert str(Place("Chart of Accounts", 2, 1)) == "'Chart of Accounts'!A2"
    assert str(Place("Accounts", 7, 2, "accounts.xlsx")) == "[accounts.xlsx]Accounts!B7"
    assert str(Place("Bob's", 1, 1)) == "'Bob''s'!A1"
    assert str(Place("My Accounts", 3, 2, "a.xlsx")) == "'[a.xlsx]My Accounts'!B3"


def test_problems_sort_by_sheet_in_contract_order_then_row_then_column() -> None:
    problems = [
        Problem(Place("Accounts", 2, 2), "a", "a"),
        Problem(Place("Items", 5, 1), "b", "b"),
        Problem(Place("Orders", 10, 1), "c", "c"),
        Problem(Place("Orders", 3, 5), "d", "d"),
        Problem(Place("Orders", 3, 2), "e", "e"),
        Problem(None, "f", "f"),
    ]
    assert [p.code for p in sorted_problems(problems)] == ["f", "e", "d", "c", "b", "a"]
    assert str(problems[3]) == "Orders!E3: d"
    assert str(problems[5]) == "f"


def _codes_written(tree: ast.AST) -> set[str]:
    """Return the problem codes a module writes as text: in Problem(...) and _Unreadable(...)."""
    codes: set[str] = set()

    def texts(node: ast.expr) -> list[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.IfExp):
            return texts(node.body) + texts(node.orelse)
        return []

    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            continue
        at = {"Problem": 1, "_Unreadable": 1}.get(node.func.id)
        if at is None:
            continue
        arguments = [*node.args[at : at + 1], *(k.value for k in node.keywords if k.arg == "code")]
        for argument in arguments:
            codes.update(texts(argument))
    return codes


def test_every_kind_of_problem_is_named_for_the_summary_of_a_long_list() -> None:
    # Past the first 50 problems, the rest are counted by kind, each with its name.
    package = Path(ccp_xlsx2iif.__file__).parent
    written = set().union(
        *(_codes_written(ast.parse(path.read_text("utf-8"))) for path in package.glob("*.py"))
    )
    assert len(written) > 30  # the search finds the codes
    assert sorted(written - PROBLEM_KINDS.keys()) == []
