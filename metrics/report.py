"""The success metrics for one period, and the same metrics over consecutive periods for trend charts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlalchemy.engine import Connection

from metrics import plays, renewals, retention
from metrics.book import Book, load
from metrics.cohort import cohort
from metrics.model import MetricsError, MetricsReport
from metrics.periods import Period, last_complete
from metrics.play_kinds import play_kinds
from metrics.risk_cases import risk_case_median_days

#: Report order: the board's retention figures first, then renewals, then what the plays did.
KEYS = (
    "nrr",
    "grr",
    "logo_retention",
    "gross_renewal_rate",
    "expansion_from_plays",
    "churn_with_risk_play",
    "churn_risk_holdout",
    "churn_without_risk_play",
    "risk_case_median_days",
    "early_renewal_share",
)


def _report(
    conn: Connection,
    book: Book,
    kinds: Mapping[str, str],
    start: date,
    end: date,
    segment: str | None,
    owner: str | None,
) -> MetricsReport:
    if end < start:
        raise MetricsError(f"end: {end.isoformat()} is before start {start.isoformat()}")
    currency = book.currency
    movements = cohort(book, start, end)
    due = renewals.renewals_due(book, start, end)
    treated, held, neither = plays.split_by_risk_play(book, kinds, movements, start, end)
    metrics = [
        retention.nrr(movements, start, end, currency),
        retention.grr(movements, start, end, currency),
        retention.logo_retention(movements, start, end),
        renewals.gross_renewal_rate(due, start, end, currency),
        plays.expansion_from_plays(book, kinds, start, end),
        plays.churn_with_risk_play(treated, start, end, currency),
        plays.churn_risk_holdout(held, start, end, currency),
        plays.churn_without_risk_play(neither, start, end, currency),
        risk_case_median_days(book, start, end),
        renewals.early_renewal_share(due, start, end),
    ]
    return MetricsReport(
        period_start=start,
        period_end=end,
        segment=segment,
        owner=owner,
        currency=currency,
        metrics=metrics,
        by_band=renewals.by_band(conn, book, due, start, end),
    )


def compute(
    conn: Connection,
    *,
    start: date,
    end: date,
    segment: str | None = None,
    owner: str | None = None,
    kinds: Mapping[str, str] | None = None,
) -> MetricsReport:
    """The metrics for ``start``..``end`` (both days included) over the accounts of ``segment`` and ``owner``.

    ``kinds`` maps play ids to their kind; by default it is read from the team's plays.yaml.
    """
    book = load(conn, segment=segment, owner=owner)
    return _report(conn, book, play_kinds() if kinds is None else kinds, start, end, segment, owner)


def trend(
    conn: Connection,
    *,
    end: date,
    period: Period,
    count: int,
    segment: str | None = None,
    owner: str | None = None,
    kinds: Mapping[str, str] | None = None,
) -> list[MetricsReport]:
    """The same metrics over the ``count`` complete calendar periods ending on or before ``end``, oldest first."""
    if count < 1:
        raise MetricsError(f"count: must be at least 1, got {count}")
    if period not in ("month", "quarter"):
        raise MetricsError(f"period: expected 'month' or 'quarter', got {period!r}")
    book = load(conn, segment=segment, owner=owner)
    resolved = play_kinds() if kinds is None else kinds
    return [_report(conn, book, resolved, s, e, segment, owner) for s, e in last_complete(end, period, count)]
