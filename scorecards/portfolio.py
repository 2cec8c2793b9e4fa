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

from core.models import Account, Scorecard
from scorecards.reasons import explain

ACCOUNT = Account.__table__  # type: ignore[attr-defined]
SCORECARD = Scorecard.__table__  # type: ignore[attr-defined]


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


@dataclass(frozen=True)
class Mover:
    """An account whose score moved over the window, and the signal that moved it most, in words."""

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


def movers(
    conn: Connection,
    *,
    as_of: date,
    weeks: int = 4,
    limit: int = 10,
    account_ids: Collection[int] | None = None,
) -> list[Mover]:
    """The largest score changes (either way) between each account's scorecard ``weeks`` weeks back and its latest.

    The reason compares the two scorecards' contributions (``scorecards.reasons.explain``), so it names the
    signal that moved the score over the whole window rather than since last week alone.
    """
    now = _latest_on_or_before(conn, as_of, account_ids, LIGHT)
    then = _latest_on_or_before(conn, as_of - timedelta(weeks=weeks), account_ids, LIGHT)
    moved: list[tuple[float, int]] = []
    for account_id, card in now.items():
        before = then.get(account_id)
        if before is None or card["score"] is None or before["score"] is None or before["as_of"] == card["as_of"]:
            continue
        change = round(card["score"] - before["score"], 1)
        if change != 0:
            moved.append((change, account_id))
    if not moved:
        return []
    names = dict(
        ((r.id), (r.external_id, r.name))
        for r in conn.execute(
            select(ACCOUNT.c.id, ACCOUNT.c.external_id, ACCOUNT.c.name).where(ACCOUNT.c.id.in_([a for _, a in moved]))
        )
    )
    top = sorted(((change, names[a][0], a) for change, a in moved), key=lambda m: (-abs(m[0]), m[1]))[:limit]
    explained = _explained(conn, [(a, now[a]["as_of"]) for _, _, a in top] + [(a, then[a]["as_of"]) for _, _, a in top])
    found: list[Mover] = []
    for change, external_id, account_id in top:
        card, before = now[account_id], then[account_id]
        latest, earlier = explained[(account_id, card["as_of"])], explained[(account_id, before["as_of"])]
        reasons = explain(latest["contributions"] or [], earlier["contributions"] or [], limit=1, direction=change)
        caps = [r for r in latest["reasons"] or [] if r.get("kind") in ("cap", "floor")]
        reason = reasons[0].text if reasons else (caps[0]["text"] if caps else "weights or caps changed")
        found.append(
            Mover(
                account_id,
                external_id,
                names[account_id][1],
                before["band"],
                card["band"],
                before["score"],
                card["score"],
                change,
                before["as_of"],
                reason,
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
