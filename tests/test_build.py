"""Reading a column at once: the quick ways must give what reading each cell gives."""

from __future__ import annotations

import operator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccp_xlsx2iif import build

BLANK = build._EMPTY


@pytest.mark.parametrize(
    ("raws", "expected"),
    [
        ([" a", "b"], ["a", "b"]),
        (["a", "b "], ["a", "b"]),
        (["a ", "b"], ["a", "b"]),
        (["a", " b"], ["a", "b"]),
        (["a", "", "b"], ["a", BLANK, "b"]),
        (["", "a"], [BLANK, "a"]),
        (["a", "   "], ["a", BLANK]),
        ([""], [BLANK]),
        (["a|b", "c | d", "e||f"], ["a|b", "c | d", "e||f"]),
    ],
)
def test_a_plain_text_column_is_trimmed_and_its_blank_cells_found(
    raws: list[Any], expected: list[Any]
) -> None:
    assert build._plain_text(raws, BLANK) == expected


def test_a_plain_text_column_with_nothing_to_trim_is_its_cells() -> None:
    raws: list[Any] = ["FedEx 2Day", "USPS Priority", "a-b c"]
    values = build._plain_text(raws, BLANK)
    assert values == raws
    assert all(map(operator.is_, values or [], raws))


@given(st.lists(st.text(" |a-", max_size=4), min_size=1, max_size=8))
def test_a_plain_text_column_reads_as_each_cell_does(raws: list[str]) -> None:
    assert build._plain_text(list(raws), BLANK) == [raw.strip() or BLANK for raw in raws]


@pytest.mark.parametrize("raws", [["Zo\u00eb"], ["a\tb"], ['12" pipe'], ["a;b"], ["a", 5.0]])
def test_a_column_that_is_not_all_plain_text_is_read_cell_by_cell(raws: list[Any]) -> None:
    assert build._plain_text(raws, BLANK) is None


@given(
    st.lists(
        st.one_of(
            st.integers(-(10**15), 10**15).map(float),
            st.floats(allow_nan=True, allow_infinity=True),
            st.sampled_from([0.0, -0.0, 1e15 - 1, 1e15, 1001.5]),
        ),
        max_size=30,
    )
)
def test_an_id_column_of_numbers_reads_as_each_cell_does(raws: list[float]) -> None:
    # A column of whole numbers is read at C speed; it must give what each cell reads as.
    each = list(map(build._order_id_of, raws))
    fast = build._whole_number_ids(list(raws))
    if raws and all(raw.is_integer() and abs(raw) < 1e15 for raw in raws):
        assert fast == each
        assert build._by_distinct_value(build._order_id_of, raws, build._whole_number_ids) == each
    else:
        assert fast is None


@pytest.mark.parametrize("width", [3, 12])
def test_the_cells_of_rows_as_wide_come_column_by_column(width: int) -> None:
    rows = [[f"{row}:{column}" for column in range(width)] for row in range(4)]
    cells = build._Cells(rows)
    assert [cells.column(column) for column in range(width)] == [
        [f"{row}:{column}" for row in range(4)] for column in range(width)
    ]


def test_the_cells_past_a_short_row_are_none() -> None:
    rows: list[list[Any]] = [list(range(12)), list(range(3)), list(range(10))]
    cells = build._Cells(rows)
    assert cells.column(2) == [2, 2, 2]
    assert cells.column(5) == [5, None, 5]
    assert cells.column(11) == [11, None, None]


@pytest.mark.parametrize(("most", "copied"), [(48, True), (47, False)])
def test_wide_rows_are_copied_at_once_up_to_a_bound(
    monkeypatch: pytest.MonkeyPatch, most: int, copied: bool
) -> None:
    monkeypatch.setattr(build, "_CELLS_COPIED", most)
    rows = [[f"{row}:{column}" for column in range(12)] for row in range(4)]
    cells = build._Cells(rows)
    assert (cells.flat is not None) is copied
    assert cells.column(11) == ["0:11", "1:11", "2:11", "3:11"]
