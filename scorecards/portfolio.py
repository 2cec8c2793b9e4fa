"""The book read from its stored weekly scorecards: band distribution over weeks, movers, and each account's latest.

The dashboard, a CSM's book and the weekly briefing read the same numbers, so they come from here rather than
from each page. Every read takes an explicit ``as_of`` and an optional set of account ids (a CSM's reach;
``None`` is the whole book), and reads scorecards stored on or before ``as_of`` only.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, select

from core.tables import ACCOUNT, SCORECARD
from scorecards.reasons import explain


def _scoped(query: Any, account_ids: Collection[int] | None) -> Any:
    return query if account_ids is None else query.where(SCORECARD.c.account_id.in_(list(account_ids)))


def band_distribution(
    conn: Connection, *, as_of: date, weeks: int = 12, account_ids: Collection[int] | None = None
) -> list[tuple[date, dict[str, int]]]:
    """Accounts per band on each scoring date in the ``weeks`` weeks up to ``as_of``, oldest first."""
    since = as_of - timedelta(weeks=weeks)
    query = _scoped(
        select(SCORECARD.c.as_of, SCORECARD.c.band, func.count())
        .where(SCORECARD.c.as_of > since, SCORECARD.c.as_of <= as_of)
        .group_by(SCORECARD.c.as_of, SCORECARD.c.band),
        account_ids,
    )
    out: dict[date, dict[str, int]] = {}
    for day, band, count in conn.execute(query):
        out.setdefault(day, {})[band or "Unscored"] = count
    return sorted(out.items())


def _latest_on_or_before(conn: Connection, day: date, account_ids: Collection[int] | None) -> dict[int, Any]:
    """Each account's latest scorecard on or before ``day``."""
    latest = _scoped(
        select(SCORECARD.c.account_id, func.max(SCORECARD.c.as_of).label("as_of"))
        .where(SCORECARD.c.as_of <= day)
        .group_by(SCORECARD.c.account_id),
        account_ids,
    ).subquery()
    rows = conn.execute(
        select(SCORECARD).join(
            latest, and_(SCORECARD.c.account_id == latest.c.account_id, SCORECARD.c.as_of == latest.c.as_of)
        )
    ).mappings()
    return {r["account_id"]: r for r in rows}


#: The window a scorecard's own trend compares with (``previous_score``), in days.
TREND_WINDOW_DAYS = 30


@dataclass(frozen=True)
class Mover:
    """An account whose score moved over the window, and the signal that moved it most, in words.

    ``band_before`` is None when the earlier score is the scorecard's own trend comparison (no stored scorecard
    to read a band from); ``quoted`` holds the latest scorecard's own first sentences on why, verbatim.
    """

    account_id: int
    external_id: str
    name: str
    band_before: str | None
    band: str | None
    score_before: float
    score: float
    change: float
    since: date
    reason: str
    quoted: tuple[str, ...] = ()
    #: Days between the two scores compared.
    window_days: int = 0


def movers(
    conn: Connection,
    *,
    as_of: date,
    weeks: int = 4,
    limit: int = 10,
    account_ids: Collection[int] | None = None,
    trend_fallback: bool = False,
) -> list[Mover]:
    """The largest score changes (either way) between each account's scorecard ``weeks`` weeks back and its latest.

    The dashboard and the weekly briefing both rank movers here, with the same rows and the same order; they
    differ only in the window and in what they do without an earlier stored score, hence the parameters
    rather than two readers. The dashboard looks over four weeks and leaves out an account with no scorecard
    that far back. The briefing looks one week back and, with ``trend_fallback``, compares such an account
    with the score its latest scorecard itself compares with (``previous_score``, over its trend window), so a
    newly scored account that moved still shows.

    The reason compares the two scorecards' contributions (``scorecards.reasons.explain``), so it names the
    signal that moved the score over the whole window rather than since last week alone.
    """
    now = _latest_on_or_before(conn, as_of, account_ids)
    then = _latest_on_or_before(conn, as_of - timedelta(weeks=weeks), account_ids)
    names = dict(
        ((r.id), (r.external_id, r.name))
        for r in conn.execute(select(ACCOUNT.c.id, ACCOUNT.c.external_id, ACCOUNT.c.name).where(ACCOUNT.c.id.in_(now)))
    )
    found: list[Mover] = []
    for account_id, card in now.items():
        if card["score"] is None:
            continue
        before = then.get(account_id)
        if before is not None and before["score"] is not None and before["as_of"] != card["as_of"]:
            score_before, band_before, since = before["score"], before["band"], before["as_of"]
            contributions_before = before["contributions"] or []
        elif trend_fallback and card["previous_score"] is not None and card["trend"] is not None:
            score_before, band_before = card["previous_score"], None
            since = card["as_of"] - timedelta(days=TREND_WINDOW_DAYS)
            contributions_before = None
        else:
            continue
        change = round(card["score"] - score_before, 1)
        if change == 0:
            continue
        reasons = explain(card["contributions"] or [], contributions_before, limit=1, direction=change)
        caps = [r for r in card["reasons"] or [] if r.get("kind") in ("cap", "floor")]
        reason = reasons[0].text if reasons else (caps[0]["text"] if caps else "weights or caps changed")
        external_id, name = names[account_id]
        found.append(
            Mover(
                account_id,
                external_id,
                name,
                band_before,
                card["band"],
                score_before,
                card["score"],
                change,
                since,
                reason,
                quoted=tuple(r["text"] for r in (card["reasons"] or [])[:2] if r.get("text")),
                window_days=(card["as_of"] - since).days,
            )
        )
    found.sort(key=lambda m: (-abs(m.change), m.external_id))
    return found[:limit]


def latest_scorecards(
    conn: Connection, *, as_of: date, account_ids: Collection[int] | None = None
) -> dict[int, dict[str, Any]]:
    """Each account's latest scorecard on or before ``as_of``, as a plain dict."""
    return {k: dict(v) for k, v in _latest_on_or_before(conn, as_of, account_ids).items()}


def score_history(conn: Connection, account_id: int, *, as_of: date, weeks: int = 26) -> list[dict[str, Any]]:
    """One account's scorecards over ``weeks`` weeks up to ``as_of``, oldest first."""
    rows = conn.execute(
        select(SCORECARD)
        .where(
            SCORECARD.c.account_id == account_id,
            SCORECARD.c.as_of <= as_of,
            SCORECARD.c.as_of > as_of - timedelta(weeks=weeks),
        )
        .order_by(SCORECARD.c.as_of)
    ).mappings()
    return [dict(r) for r in rows]
