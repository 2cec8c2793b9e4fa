"""The ARR-on-a-date rule every retention metric shares (metrics.arr)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from metrics.arr import arr_on
from metrics.book import Customer, Term


def _term(ext: str, start: date, end: date | None, arr: int | None) -> Term:
    return Term(hash(ext) % 1000, ext, start, end, None if arr is None else Decimal(arr), "USD")


def test_a_gap_of_30_days_carries_the_ended_term_and_a_longer_one_does_not():
    bridged = Customer(1, "H", None, [_term("H-1", date(2026, 1, 1), date(2026, 6, 30), 7_000),
                                      _term("H-2", date(2026, 7, 31), None, 9_000)])  # fmt: skip
    assert arr_on(bridged, date(2026, 7, 15)) == Decimal(7_000)
    assert arr_on(bridged, date(2026, 7, 31)) == Decimal(9_000)
    lapsed = Customer(2, "L", None, [_term("L-1", date(2026, 1, 1), date(2026, 6, 30), 7_000),
                                     _term("L-2", date(2026, 8, 1), None, 9_000)])  # fmt: skip
    assert arr_on(lapsed, date(2026, 7, 15)) is None


def test_churned_on_is_the_first_day_gone_and_a_win_back_counts_from_its_start():
    customer = Customer(3, "E", date(2026, 3, 10), [_term("E-1", date(2026, 1, 1), date(2026, 12, 31), 5_000),
                                                    _term("E-2", date(2026, 5, 1), None, 2_000)])  # fmt: skip
    assert arr_on(customer, date(2026, 3, 9)) == Decimal(5_000)
    assert arr_on(customer, date(2026, 3, 10)) is None
    assert arr_on(customer, date(2026, 5, 1)) == Decimal(2_000)


def test_a_term_without_arr_is_a_customer_at_zero_and_end_dates_are_included():
    customer = Customer(4, "G", None, [_term("G-1", date(2026, 1, 1), date(2026, 1, 31), None)])
    assert arr_on(customer, date(2026, 1, 31)) == Decimal(0)
    assert arr_on(customer, date(2026, 2, 1)) is None
