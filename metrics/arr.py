"""ARR on a date, from the contracts in force on that date: the one rule every retention metric shares.

The rule, in order:

1. A term is in force from its ``start_date`` to its ``end_date``, both days included; a term with no
   end date is open-ended. A contract's ``status`` is not read: the dates say when it was in force.
2. An account's ``churned_on`` is its first day as a former customer: from that day, terms that started
   on or before it no longer count. A term that starts after it (a win-back) counts from its own start.
3. A lapse of at most ``GAP_DAYS`` between one term's end and the next term's start is not churn: on the
   days between, the account carries the ARR of the term that ended. A term renews only when a
   following term is recorded; an ``auto_renew`` flag alone is not a renewal.
4. ARR is the sum of the terms in force; a term without ARR counts as 0 but still makes its account a
   customer on that day.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from metrics.book import Customer, Term

GAP_DAYS = 30
ZERO = Decimal("0")


def _eligible(customer: Customer, day: date) -> list[Term]:
    churned = customer.churned_on
    if churned is None or day < churned:
        return customer.terms
    return [t for t in customer.terms if t.start > churned]


def terms_on(customer: Customer, day: date) -> list[Term]:
    """The terms that make up the account's ARR on ``day`` (empty: not a customer that day)."""
    known = customer.on_day.get(day)
    if known is None:
        known = customer.on_day[day] = _terms_on(customer, day)
    return known


def _terms_on(customer: Customer, day: date) -> list[Term]:
    terms = _eligible(customer, day)
    current = [t for t in terms if t.start <= day and (t.end is None or day <= t.end)]
    if current:
        return current
    ended = [t.end for t in terms if t.end is not None and t.end < day and (day - t.end).days <= GAP_DAYS]
    if not ended:
        return []
    last_end = max(ended)
    if not any(t.start > day and (t.start - last_end).days <= GAP_DAYS + 1 for t in terms):
        return []
    return [t for t in terms if t.end == last_end]


def arr_on(customer: Customer, day: date) -> Decimal | None:
    """The account's ARR on ``day``; None when it is not a customer that day (0 is a customer without ARR)."""
    terms = terms_on(customer, day)
    if not terms:
        return None
    return sum((t.arr or ZERO for t in terms), ZERO)
