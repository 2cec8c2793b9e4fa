"""The frozen cohort: the accounts that were customers on the period's first day, and where each ended.

Freezing the cohort at the start keeps new logos out of every retention rate: a customer won during
the period adds to the book but not to NRR, GRR or logo retention. Each account's ARR at the close
(the day after the period's last day, so that a term ending on the last day and not renewed counts as
churn in this period, and the next period's cohort starts where this one closed) is compared with its
ARR at the start. Movements inside the period net out: an account that churned and came back within it,
or upgraded then downgraded, is measured by where it stands at the close.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from metrics.arr import ZERO, arr_on, terms_on
from metrics.book import Book, Customer


@dataclass(frozen=True)
class Movement:
    customer: Customer
    start_arr: Decimal
    close_arr: Decimal | None  # None: not a customer at the close

    @property
    def churned(self) -> bool:
        return self.close_arr is None

    @property
    def expansion(self) -> Decimal:
        return max(ZERO, (self.close_arr or ZERO) - self.start_arr) if not self.churned else ZERO

    @property
    def contraction(self) -> Decimal:
        return max(ZERO, self.start_arr - (self.close_arr or ZERO)) if not self.churned else ZERO

    @property
    def churn(self) -> Decimal:
        return self.start_arr if self.churned else ZERO


def close_day(end: date) -> date:
    return end + timedelta(days=1)


def cohort(book: Book, start: date, end: date) -> list[Movement]:
    movements = []
    for customer in book.customers.values():
        at_start = arr_on(customer, start)
        if at_start is None:
            continue
        movements.append(Movement(customer, at_start, arr_on(customer, close_day(end))))
    movements.sort(key=lambda m: m.customer.external_id)
    return movements


def contract_ids(movements: list[Movement], start: date, end: date) -> list[str]:
    """The terms behind the start and close ARR, so a reader can find every amount."""
    ids: set[str] = set()
    for m in movements:
        ids |= {t.external_id for t in terms_on(m.customer, start)}
        ids |= {t.external_id for t in terms_on(m.customer, close_day(end))}
    return sorted(ids)


def unpriced(movements: list[Movement], start: date, end: date) -> list[str]:
    ids: set[str] = set()
    for m in movements:
        for day in (start, close_day(end)):
            ids |= {t.external_id for t in terms_on(m.customer, day) if t.arr is None}
    return sorted(ids)
