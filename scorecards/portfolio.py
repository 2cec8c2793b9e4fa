"""The book read from its stored weekly scorecards: band distribution over weeks, movers, and each account's latest.

The dashboard, a CSM's book and the weekly briefing read the same numbers, so they come from here rather than
from each page. Every read takes an explicit ``as_of`` and an optional set of account ids (a CSM's reach;
``None`` is the whole book), and reads scorecards stored on or before ``as_of`` only.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
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


#: What a list of accounts needs from a scorecard; the JSON columns (contributions, reasons) are decoded only for
#: the few rows a page explains, because decoding them for a whole book costs seconds.
LIGHT = ("account_id", "as_of", "score", "band", "trend")


def _latest_on_or_before(
    conn: Connection, day: date, account_ids: Collection[int] | None, columns: Collection[str] | None = None
) -> dict[int, Any]:
    """Each account's latest scorecard on or before ``day``: every column, or only ``columns``."""
    latest = _scoped(
        select(SCORECARD.c.account_id, func.max(SCORECARD.c.as_of).label("as_of"))
        .where(SCORECARD.c.as_of <= day)
        .group_by(SCORECARD.c.account_id),
        account_ids,
    ).subquery()
    chosen = [SCORECARD.c[name] for name in columns] if columns else [SCORECARD]
    rows = conn.execute(
        select(*chosen).join(
            latest, and_(SCORECARD.c.account_id == latest.c.account_id, SCORECARD.c.as_of == latest.c.as_of)
        )
    ).mappings()
    return {r["account_id"]: r for r in rows}


def _explained(conn: Connection, pairs: Collection[tuple[int, date]]) -> dict[tuple[int, date], Any]:
    """The contributions and reasons of the named scorecards (account, date)."""
    if not pairs:
        return {}
    wanted = set(pairs)
    rows = conn.execute(
        select(SCORECARD.c.account_id, SCORECARD.c.as_of, SCORECARD.c.contributions, SCORECARD.c.reasons).where(
            SCORECARD.c.account_id.in_({a for a, _ in wanted}), SCORECARD.c.as_of.in_({d for _, d in wanted})
        )
    ).mappings()
    return {(r["account_id"], r["as_of"]): r for r in rows if (r["account_id"], r["as_of"]) in wanted}


def arr_by_band(conn: Connection, *, as_of: date, account_ids: Collection[int] | None = None) -> dict[str, Decimal]:
    """ARR of the active accounts in each band of their latest scorecard on or before ``as_of``."""
    latest = _scoped(
        select(SCORECARD.c.account_id, func.max(SCORECARD.c.as_of).label("as_of"))
        .where(SCORECARD.c.as_of <= as_of)
        .group_by(SCORECARD.c.account_id),
        account_ids,
    ).subquery()
    rows = conn.execute(
        select(SCORECARD.c.band, ACCOUNT.c.arr)
        .join(latest, and_(SCORECARD.c.account_id == latest.c.account_id, SCORECARD.c.as_of == latest.c.as_of))
        .join(ACCOUNT, ACCOUNT.c.id == SCORECARD.c.account_id)
        .where(ACCOUNT.c.status == "active", SCORECARD.c.band.is_not(None))
    )
    totals: dict[str, Decimal] = {}
    for band, arr in rows:
        totals[band] = totals.get(band, Decimal(0)) + (arr or Decimal(0))
    return totals


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
    now = _latest_on_or_before(conn, as_of, account_ids, (*LIGHT, "previous_score"))
    then = _latest_on_or_before(conn, as_of - timedelta(weeks=weeks), account_ids, LIGHT)
    moved: list[tuple[float, int, float, str | None, date, bool]] = []
    for account_id, card in now.items():
        if card["score"] is None:
            continue
        before = then.get(account_id)
        if before is not None and before["score"] is not None and before["as_of"] != card["as_of"]:
            moved.append(
                (
                    round(card["score"] - before["score"], 1),
                    account_id,
                    before["score"],
                    before["band"],
                    before["as_of"],
                    False,
                )
            )
        elif trend_fallback and card["previous_score"] is not None and card["trend"] is not None:
            since = card["as_of"] - timedelta(days=TREND_WINDOW_DAYS)
            moved.append(
                (
                    round(card["score"] - card["previous_score"], 1),
                    account_id,
                    card["previous_score"],
                    None,
                    since,
                    True,
                )
            )
    moved = [m for m in moved if m[0] != 0]
    if not moved:
        return []
    names = dict(
        ((r.id), (r.external_id, r.name))
        for r in conn.execute(
            select(ACCOUNT.c.id, ACCOUNT.c.external_id, ACCOUNT.c.name).where(ACCOUNT.c.id.in_([m[1] for m in moved]))
        )
    )
    top = sorted(moved, key=lambda m: (-abs(m[0]), names[m[1]][0]))[:limit]
    # Only the movers shown are explained: their contributions and reasons are the JSON worth decoding.
    explained = _explained(
        conn,
        [(m[1], now[m[1]]["as_of"]) for m in top] + [(m[1], then[m[1]]["as_of"]) for m in top if not m[5]],
    )
    found: list[Mover] = []
    for change, account_id, score_before, band_before, since, from_trend in top:
        card = now[account_id]
        latest = explained[(account_id, card["as_of"])]
        earlier = None if from_trend else (explained[(account_id, then[account_id]["as_of"])]["contributions"] or [])
        reasons = explain(latest["contributions"] or [], earlier, limit=1, direction=change)
        caps = [r for r in latest["reasons"] or [] if r.get("kind") in ("cap", "floor")]
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
                quoted=tuple(r["text"] for r in (latest["reasons"] or [])[:2] if r.get("text")),
                window_days=(card["as_of"] - since).days,
            )
        )
    return found


def latest_scorecards(
    conn: Connection, *, as_of: date, account_ids: Collection[int] | None = None, light: bool = False
) -> dict[int, dict[str, Any]]:
    """Each account's latest scorecard on or before ``as_of``, as a plain dict; ``light`` leaves out the JSON
    columns a list does not show."""
    columns = LIGHT if light else None
    return {k: dict(v) for k, v in _latest_on_or_before(conn, as_of, account_ids, columns).items()}


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
