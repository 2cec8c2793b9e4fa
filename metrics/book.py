"""Read the slice of the book the metrics need, once, with plain SQLAlchemy Core selects.

The metrics sit beside the scorecards and read the core tables directly; loading each table in one
query and computing in Python keeps a 10k-account book to a handful of round trips, and lets a trend
reuse one load for every period.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.engine import Connection

from core.models import Account, Contract, PlayRun, RiskCase, Scorecard
from metrics.model import MetricsError

ACCOUNT = Account.__table__  # type: ignore[attr-defined]
CONTRACT = Contract.__table__  # type: ignore[attr-defined]
RUN = PlayRun.__table__  # type: ignore[attr-defined]
CASE = RiskCase.__table__  # type: ignore[attr-defined]
SCORECARD = Scorecard.__table__  # type: ignore[attr-defined]

_CHUNK = 500  # ids per IN list: well under SQLite's variable limit


@dataclass(frozen=True)
class Term:
    """One contract term; ``end`` is its last day (inclusive), None for an open-ended term."""

    id: int
    external_id: str
    start: date
    end: date | None
    arr: Decimal | None
    currency: str


@dataclass
class Customer:
    id: int
    external_id: str
    churned_on: date | None
    terms: list[Term] = field(default_factory=list)
    #: ``metrics.arr.terms_on`` per day, filled as it is asked: every metric of a period asks the same days again.
    on_day: dict[date, list[Term]] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Run:
    account_id: int
    play: str
    arm: str
    started_on: date
    closed_on: date | None


@dataclass(frozen=True)
class Case:
    id: int
    account_id: int
    opened_on: date
    closed_on: date | None
    outcome: str | None


@dataclass
class Book:
    customers: dict[int, Customer]
    runs: list[Run]
    cases: list[Case]
    currency: str | None

    def band_before(self, conn: Connection, wanted: set[tuple[int, date]]) -> dict[tuple[int, date], str | None]:
        """For each (account, date): the band of its latest scorecard on or before that date (None: no scorecard)."""
        by_account: dict[int, list[date]] = {}
        for account_id, day in wanted:
            by_account.setdefault(account_id, []).append(day)
        found: dict[tuple[int, date], tuple[date, str | None]] = {}
        for chunk in _chunks(sorted(by_account)):
            latest_wanted = max(max(by_account[i]) for i in chunk)
            rows = conn.execute(
                select(SCORECARD.c.account_id, SCORECARD.c.as_of, SCORECARD.c.band).where(
                    SCORECARD.c.account_id.in_(chunk), SCORECARD.c.as_of <= latest_wanted
                )
            )
            for account_id, as_of, band in rows:
                for day in by_account[account_id]:
                    key = (account_id, day)
                    if as_of <= day and (key not in found or as_of > found[key][0]):
                        found[key] = (as_of, band)
        return {key: found[key][1] if key in found else None for key in wanted}


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


def check_filters(conn: Connection, *, segment: str | None, owner: str | None) -> None:
    """An unknown segment or owner is a typo far more often than an empty book: say so rather than report zeros."""
    for column, value, name in ((ACCOUNT.c.segment, segment, "segment"), (ACCOUNT.c.owner_csm, owner, "owner")):
        if value is None:
            continue
        known = sorted(v for (v,) in conn.execute(select(column).where(column.is_not(None)).distinct()))
        if value not in known:
            shown = ", ".join(known[:12]) + (" ..." if len(known) > 12 else "")
            raise MetricsError(f"{name}: unknown {name} {value!r}; known: {shown or 'none'}")


def load(conn: Connection, *, segment: str | None = None, owner: str | None = None) -> Book:
    check_filters(conn, segment=segment, owner=owner)
    query = select(ACCOUNT.c.id, ACCOUNT.c.external_id, ACCOUNT.c.churned_on)
    if segment is not None:
        query = query.where(ACCOUNT.c.segment == segment)
    if owner is not None:
        query = query.where(ACCOUNT.c.owner_csm == owner)
    customers = {i: Customer(i, ext, churned) for i, ext, churned in conn.execute(query)}
    ids = list(customers)
    runs: list[Run] = []
    cases: list[Case] = []
    for chunk in _chunks(ids):
        for row in conn.execute(
            select(
                CONTRACT.c.id,
                CONTRACT.c.external_id,
                CONTRACT.c.account_id,
                CONTRACT.c.start_date,
                CONTRACT.c.end_date,
                CONTRACT.c.arr,
                CONTRACT.c.currency,
            ).where(CONTRACT.c.account_id.in_(chunk))
        ):
            customers[row.account_id].terms.append(
                Term(row.id, row.external_id, row.start_date, row.end_date, row.arr, row.currency)
            )
        runs += [
            Run(*r)
            for r in conn.execute(
                select(RUN.c.account_id, RUN.c.play, RUN.c.arm, RUN.c.started_on, RUN.c.closed_on).where(
                    RUN.c.account_id.in_(chunk)
                )
            )
        ]
        cases += [
            Case(*r)
            for r in conn.execute(
                select(CASE.c.id, CASE.c.account_id, CASE.c.opened_on, CASE.c.closed_on, CASE.c.outcome).where(
                    CASE.c.account_id.in_(chunk)
                )
            )
        ]
    for customer in customers.values():
        customer.terms.sort(key=lambda t: (t.start, t.id))
    currencies = sorted({t.currency for c in customers.values() for t in c.terms if t.arr is not None})
    if len(currencies) > 1:
        raise MetricsError(
            f"currency: contracts in {', '.join(currencies)}; the metrics add ARR and do not convert currencies, "
            "so filter to a book in one currency (--segment or --owner)"
        )
    return Book(customers, runs, cases, currencies[0] if currencies else None)
