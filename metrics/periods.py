"""Calendar periods for trends and defaults: months and quarters, always complete."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

Period = Literal["month", "quarter"]


def _months(period: Period) -> int:
    return 1 if period == "month" else 3


def period_containing(day: date, period: Period) -> tuple[date, date]:
    step = _months(period)
    first_month = (day.month - 1) // step * step + 1
    start = date(day.year, first_month, 1)
    return start, _add_months(start, step) - timedelta(days=1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def last_complete(end: date, period: Period, count: int) -> list[tuple[date, date]]:
    """The ``count`` consecutive calendar periods ending on or before ``end``, oldest first.

    A partial period would understate churn still to come, so the one containing ``end`` is included
    only when ``end`` is its last day.
    """
    start, last = period_containing(end, period)
    if last != end:
        start, last = period_containing(start - timedelta(days=1), period)
    periods = [(start, last)]
    while len(periods) < count:
        start, last = period_containing(periods[-1][0] - timedelta(days=1), period)
        periods.append((start, last))
    return periods[::-1]


def last_full_quarter(today: date) -> tuple[date, date]:
    """The last complete calendar quarter before ``today``: the CLI's default period."""
    return last_complete(today - timedelta(days=1), "quarter", 1)[0]


def quarter_of(day: date) -> tuple[date, date]:
    """The calendar quarter containing ``day``."""
    return period_containing(day, "quarter")
