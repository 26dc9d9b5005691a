"""The debits and credits per account, read from the IIF text however it is cut into chunks."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ccp_xlsx2iif.tally import AccountTotal, Tally

IIF = (
    "!ACCNT\tNAME\tACCNTTYPE\r\n"
    "ACCNT\tSales\tINC\r\n"
    "!TRNS\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tDOCNUM\r\n"
    "!SPL\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\r\n"
    "!ENDTRNS\r\n"
    "TRNS\tINVOICE\t03/02/2026\tAccounts Receivable\tAda\t40.00\t1001\r\n"
    "SPL\tINVOICE\t03/02/2026\tSales\t\t-37.50\r\n"
    "SPL\tINVOICE\t03/02/2026\tSales Tax Payable\t\t-2.5\r\n"
    "ENDTRNS\r\n"
    "TRNS\tPAYMENT\t03/02/2026\tUndeposited Funds\tAda\t40.00\t1001\r\n"
    "SPL\tPAYMENT\t03/02/2026\tAccounts Receivable\tAda\t-40.00\r\n"
    "ENDTRNS\r\n"
    "TRNS\tINVOICE\t03/03/2026\tAccounts Receivable\tGrace\t25.95\t1002\r\n"
    "SPL\tINVOICE\t03/03/2026\tSales\t\t-24.00\r\n"
    "SPL\tINVOICE\t03/03/2026\tSales Discounts\t\t4\r\n"
    "SPL\tINVOICE\t03/03/2026\tShipping Income\t\t-5.95\r\n"
    "SPL\tINVOICE\t03/03/2026\tSales\t\t0.00\r\n"
    "ENDTRNS\r\n"
)
EXPECTED = [
    AccountTotal("Accounts Receivable", Decimal("65.95"), Decimal("40.00")),
    AccountTotal("Sales", Decimal("0.00"), Decimal("61.50")),
    AccountTotal("Sales Discounts", Decimal("4.00"), Decimal("0.00")),
    AccountTotal("Sales Tax Payable", Decimal("0.00"), Decimal("2.50")),
    AccountTotal("Shipping Income", Decimal("0.00"), Decimal("5.95")),
    AccountTotal("Undeposited Funds", Decimal("40.00"), Decimal("0.00")),
]


@pytest.mark.parametrize("size", [1, 2, 7, 64, len(IIF)])
def test_totals_do_not_depend_on_where_the_text_is_cut(size: int) -> None:
    tally = Tally()
    chunks = [IIF[start : start + size] for start in range(0, len(IIF), size)]
    assert "".join(tally.feed(chunks)) == IIF
    assert tally.totals() == EXPECTED


def test_columns_are_taken_from_each_header() -> None:
    tally = Tally()
    text = (
        "!TRNS\tTRNSTYPE\tAMOUNT\tDATE\tACCNT\r\n!SPL\tTRNSTYPE\tACCNT\tAMOUNT\r\n"
        "TRNS\tCASH SALE\t12.34\t03/02/2026\tBank\r\nSPL\tCASH SALE\tIncome\t-12.34\r\n"
    )
    list(tally.feed([text]))
    assert tally.totals() == [
        AccountTotal("Bank", Decimal("12.34"), Decimal("0.00")),
        AccountTotal("Income", Decimal("0.00"), Decimal("12.34")),
    ]
