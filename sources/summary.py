"""A snapshot of the book of business: what a team sees first after loading its data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.engine import Engine

from core.models import Account, Contract


@dataclass(frozen=True)
class SegmentLine:
    segment: str
    accounts: int
    arr: Decimal


@dataclass(frozen=True)
class BookSummary:
    as_of: date
    segments: list[SegmentLine]
    renewals_90d: int
    renewals_90d_arr: Decimal
    renewals_180d: int
    renewals_overdue: int = 0

    @property
    def accounts(self) -> int:
        return sum(s.accounts for s in self.segments)

    @property
    def arr(self) -> Decimal:
        return sum((s.arr for s in self.segments), Decimal("0"))


def renewal_due(as_of: date, days: int) -> ColumnElement[bool]:
    """A contract due for renewal within ``days`` of ``as_of``: the one definition the summary's count and the
    renewals list share, so the two never disagree on how many renewals are ahead."""
    contract = Contract.__table__  # type: ignore[attr-defined]
    return and_(
        contract.c.status == "active",
        contract.c.end_date >= as_of,
        contract.c.end_date <= as_of + timedelta(days=days),
    )


#: How long after its end date an unrenewed, still active contract is a renewal to work: the timeline's T+30.
OVERDUE_DAYS = 30


def renewal_overdue(as_of: date) -> ColumnElement[bool]:
    """A contract past its end date, still active (not renewed nor lost), within OVERDUE_DAYS of it."""
    contract = Contract.__table__  # type: ignore[attr-defined]
    return and_(
        contract.c.status == "active",
        contract.c.end_date < as_of,
        contract.c.end_date >= as_of - timedelta(days=OVERDUE_DAYS),
    )


def summarize(engine: Engine, as_of: date) -> BookSummary:
    account, contract = Account.__table__, Contract.__table__  # type: ignore[attr-defined]
    segment = func.coalesce(account.c.segment, "unsegmented")
    with engine.connect() as conn:
        lines = [
            SegmentLine(r.segment, r.n, Decimal(r.arr or 0).quantize(Decimal("0.01")))
            for r in conn.execute(
                select(segment.label("segment"), func.count().label("n"), func.sum(account.c.arr).label("arr"))
                .where(account.c.status == "active")
                .group_by(segment)
                .order_by(func.sum(account.c.arr).desc())
            )
        ]

        def renewals(days: int) -> tuple[int, Decimal]:
            row = conn.execute(select(func.count(), func.sum(contract.c.arr)).where(renewal_due(as_of, days))).one()
            return row[0], Decimal(row[1] or 0).quantize(Decimal("0.01"))

        n90, arr90 = renewals(90)
        n180, _ = renewals(180)
        overdue = conn.execute(select(func.count()).where(renewal_overdue(as_of))).scalar_one()
    return BookSummary(as_of, lines, n90, arr90, n180, overdue)
