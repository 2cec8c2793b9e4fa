"""The book as a list and a calendar: one row per account (band, score, trend, ARR, renewal, open alerts) and the
renewals ahead grouped by month with their stored forecast.

The dashboard, a CSM's book and the weekly briefing share these reads. The forecast is the one the weekly cycle
stored (``playbooks.forecast``), the latest on or before ``as_of``, so a page and the ``renewals`` command say
the same category, probability and weighted ARR for the same contract.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, func, select

from core.tables import ACCOUNT, ALERT, CONTRACT, FORECAST
from scorecards.portfolio import latest_scorecards

#: The book's sort keys; a leading ``-`` sorts descending.
BOOK_SORTS: tuple[str, ...] = ("score", "-score", "arr", "-arr", "renewal", "-renewal", "trend", "-trend", "name")


@dataclass(frozen=True)
class BookRow:
    account_id: int
    external_id: str
    name: str
    segment: str | None
    arr: Decimal | None
    band: str | None
    score: float | None
    trend: float | None
    renewal_on: date | None
    open_alerts: int


def _scope(query: Any, column: Any, account_ids: Collection[int] | None) -> Any:
    return query if account_ids is None else query.where(column.in_(list(account_ids)))


def book(
    conn: Connection,
    *,
    as_of: date,
    account_ids: Collection[int] | None = None,
    sort: str = "score",
    band: str | None = None,
) -> list[BookRow]:
    """Active accounts in reach with their latest scorecard, next renewal and open alerts.

    ``sort`` is a key of ``BOOK_SORTS`` (a leading ``-`` for descending); rows without the value sort last.
    """
    accounts = conn.execute(
        _scope(
            select(ACCOUNT.c.id, ACCOUNT.c.external_id, ACCOUNT.c.name, ACCOUNT.c.segment, ACCOUNT.c.arr).where(
                ACCOUNT.c.status == "active"
            ),
            ACCOUNT.c.id,
            account_ids,
        )
    ).all()
    cards = latest_scorecards(conn, as_of=as_of, account_ids=account_ids, light=True)
    renewals = dict(
        conn.execute(
            _scope(
                select(CONTRACT.c.account_id, func.min(CONTRACT.c.end_date))
                .where(CONTRACT.c.status == "active", CONTRACT.c.end_date >= as_of)
                .group_by(CONTRACT.c.account_id),
                CONTRACT.c.account_id,
                account_ids,
            )
        ).all()
    )
    alerts = dict(
        conn.execute(
            _scope(
                select(ALERT.c.account_id, func.count())
                .where(ALERT.c.status == "open", ALERT.c.opened_on <= as_of)
                .group_by(ALERT.c.account_id),
                ALERT.c.account_id,
                account_ids,
            )
        ).all()
    )
    rows = []
    for a in accounts:
        card = cards.get(a.id, {})
        if band and card.get("band") != band:
            continue
        rows.append(
            BookRow(
                a.id,
                a.external_id,
                a.name,
                a.segment,
                a.arr,
                card.get("band"),
                card.get("score"),
                card.get("trend"),
                renewals.get(a.id),
                alerts.get(a.id, 0),
            )
        )
    return sort_book(rows, sort)


def sort_book(rows: list[BookRow], sort: str) -> list[BookRow]:
    """Rows missing the sorted value (an unscored account, no renewal ahead) go last whichever the direction,
    so the accounts that need a look stay at the top."""
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key == "name":
        return sorted(rows, key=lambda r: r.name.lower(), reverse=descending)
    value = {
        "score": lambda r: r.score,
        "arr": lambda r: r.arr,
        "renewal": lambda r: r.renewal_on,
        "trend": lambda r: r.trend,
        "alerts": lambda r: r.open_alerts,
    }[key]
    present = sorted((r for r in rows if value(r) is not None), key=value, reverse=descending)
    return present + sorted((r for r in rows if value(r) is None), key=lambda r: r.external_id)


@dataclass(frozen=True)
class Renewal:
    account_id: int
    external_id: str
    name: str
    contract: str
    renewal_on: date
    band: str | None
    timeline: str
    category: str
    probability: float
    arr: Decimal
    weighted_arr: Decimal


@dataclass
class RenewalMonth:
    """The renewals due in one calendar month, with their ARR and weighted ARR summed."""

    month: date
    renewals: list[Renewal] = field(default_factory=list)

    @property
    def arr(self) -> Decimal:
        return sum((r.arr for r in self.renewals), Decimal(0))

    @property
    def weighted_arr(self) -> Decimal:
        return sum((r.weighted_arr for r in self.renewals), Decimal(0))


def stored_forecasts(
    conn: Connection,
    *,
    on: date,
    within: int | None = None,
    account_ids: Collection[int] | None = None,
    run: date | None = None,
    due_today: bool = True,
) -> list[dict[str, Any]]:
    """Stored renewal forecasts as known on ``on``, with the contract's external id (``contract_external_id``)
    and the account's external id and name, ordered by renewal date and contract.

    The renewals calendar, the weekly briefing and the copilot read the stored forecast here. They differ on
    purpose in which forecast counts, hence parameters rather than three queries: the calendar reads one weekly
    ``run`` (the latest stored on or before ``on``) so a month's totals come from one forecast; without ``run``
    each contract's own latest forecast on or before ``on`` counts, which is what the briefing needs to rebuild
    the week before and what the copilot shows for one contract. ``within`` keeps the renewals due in the next
    ``within`` days (``None``: every one, past ones too); ``due_today`` says whether a renewal due on ``on``
    itself is among them (the briefing counts days to renewal from 1).
    """
    if run is not None:
        chosen = FORECAST.c.as_of == run
    else:
        latest = _scope(
            select(FORECAST.c.contract_id, func.max(FORECAST.c.as_of).label("as_of"))
            .where(FORECAST.c.as_of <= on)
            .group_by(FORECAST.c.contract_id),
            FORECAST.c.account_id,
            account_ids,
        ).subquery()
        chosen = and_(FORECAST.c.contract_id == latest.c.contract_id, FORECAST.c.as_of == latest.c.as_of)
    query = (
        select(FORECAST, CONTRACT.c.external_id.label("contract_external_id"), ACCOUNT.c.external_id, ACCOUNT.c.name)
        .join(CONTRACT, CONTRACT.c.id == FORECAST.c.contract_id)
        .join(ACCOUNT, ACCOUNT.c.id == FORECAST.c.account_id)
        .where(chosen)
        .order_by(FORECAST.c.renewal_on, CONTRACT.c.external_id)
    )
    if within is not None:
        query = query.where(
            FORECAST.c.renewal_on >= on if due_today else FORECAST.c.renewal_on > on,
            FORECAST.c.renewal_on <= on + timedelta(days=within),
        )
    return [dict(r) for r in conn.execute(_scope(query, FORECAST.c.account_id, account_ids)).mappings()]


def renewals_calendar(
    conn: Connection, *, as_of: date, days: int = 180, account_ids: Collection[int] | None = None
) -> tuple[date | None, list[RenewalMonth]]:
    """Renewals due after ``as_of`` and within ``days``, by month, from the latest stored forecast on or before
    ``as_of``; also the date of that forecast (``None`` when none was ever stored)."""
    forecast_on = conn.execute(select(func.max(FORECAST.c.as_of)).where(FORECAST.c.as_of <= as_of)).scalar()
    if forecast_on is None:
        return None, []
    months: dict[date, RenewalMonth] = {}
    for r in stored_forecasts(conn, on=as_of, within=days, account_ids=account_ids, run=forecast_on):
        month = r["renewal_on"].replace(day=1)
        months.setdefault(month, RenewalMonth(month)).renewals.append(
            Renewal(
                r["account_id"],
                r["external_id"],
                r["name"],
                r["contract_external_id"],
                r["renewal_on"],
                r["band"],
                r["timeline"],
                r["category"],
                r["probability"],
                Decimal(r["arr"]),
                Decimal(r["weighted_arr"]),
            )
        )
    return forecast_on, list(months.values())
