"""Calendar periods for the trend and the CLI default: complete periods only."""

from __future__ import annotations

from datetime import date

import pytest

from metrics.periods import last_complete, last_full_quarter


def test_a_partial_quarter_is_left_out():
    assert last_complete(date(2026, 11, 22), "quarter", 2) == [
        (date(2026, 4, 1), date(2026, 6, 30)),
        (date(2026, 7, 1), date(2026, 9, 30)),
    ]


def test_a_period_ending_on_the_day_is_included_and_months_cross_the_year():
    assert last_complete(date(2026, 9, 30), "quarter", 1) == [(date(2026, 7, 1), date(2026, 9, 30))]
    assert last_complete(date(2026, 2, 10), "month", 2) == [
        (date(2025, 12, 1), date(2025, 12, 31)),
        (date(2026, 1, 1), date(2026, 1, 31)),
    ]


@pytest.mark.parametrize(
    ("today", "quarter"),
    [
        (date(2026, 12, 1), (date(2026, 7, 1), date(2026, 9, 30))),
        (date(2026, 10, 1), (date(2026, 7, 1), date(2026, 9, 30))),
        (date(2026, 1, 15), (date(2025, 10, 1), date(2025, 12, 31))),
    ],
)
def test_last_full_quarter_before_today(today, quarter):
    assert last_full_quarter(today) == quarter
