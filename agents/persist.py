"""Write what the watchtowers produced for a chunk of accounts: outputs replaced, alerts opened/updated/resolved,
movements logged once.

The cycle runs the graphs first, with no transaction open, and hands the
results here; everything is then written with a few statements per chunk
(one per table and kind of change, not one per account) inside the caller's
short transaction. Every write is keyed, so writing the same reviews twice for
the same as-of date leaves the same rows.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, bindparam, delete, select, update

from agents.state import WatchtowerResult
from core.bulk import bulk_insert
from core.models import AgentOutput, Alert, StakeholderMovement

_ALERT = Alert.__table__  # type: ignore[attr-defined]
_OUTPUT = AgentOutput.__table__  # type: ignore[attr-defined]
_MOVE = StakeholderMovement.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Review:
    """What the watchtowers produced for one account on one date, waiting to be written."""

    account_id: int
    #: agent name -> that graph's result
    results: dict[str, WatchtowerResult]


def write_reviews(conn: Connection, *, as_of: date, reviews: list[Review]) -> Counter[str]:
    """Write a chunk of reviews in ``conn``'s transaction; returns what changed, for the run record."""
    counts: Counter[str] = Counter()
    if not reviews:
        return counts
    # Outputs go first: on SQLite the first write opens the transaction, so the alerts and movements read
    # below are read inside it, under the write lock, and cannot change before they are written.
    _replace_outputs(conn, as_of, reviews, counts)
    _sync_alerts(conn, as_of, reviews, counts)
    _log_movements(conn, as_of, reviews, counts)
    return counts


def _replace_outputs(conn: Connection, as_of: date, reviews: list[Review], counts: Counter[str]) -> None:
    by_agent: dict[str, list[int]] = {}
    rows = []
    for review in reviews:
        for agent, result in review.results.items():
            by_agent.setdefault(agent, []).append(review.account_id)
            rows.append(
                {
                    "account_id": review.account_id,
                    "as_of": as_of,
                    "agent": agent,
                    "produced_by": result["produced_by"],
                    "payload": result["payload"],
                }
            )
            counts[f"{agent}.{result['produced_by']}"] += 1
    for agent, account_ids in by_agent.items():
        conn.execute(
            delete(_OUTPUT).where(
                _OUTPUT.c.as_of == as_of, _OUTPUT.c.agent == agent, _OUTPUT.c.account_id.in_(account_ids)
            )
        )
    bulk_insert(conn, _OUTPUT, rows)


def _sync_alerts(conn: Connection, as_of: date, reviews: list[Review], counts: Counter[str]) -> None:
    """Open new alerts, update the open ones seen again, resolve each agent's open ones no longer seen."""
    reviewed = {(r.account_id, agent) for r in reviews for agent in r.results}
    open_ids = {
        (row.account_id, row.agent, row.type, row.reason): row.id
        for row in conn.execute(
            select(_ALERT.c.id, _ALERT.c.account_id, _ALERT.c.agent, _ALERT.c.type, _ALERT.c.reason).where(
                _ALERT.c.account_id.in_([r.account_id for r in reviews]),
                _ALERT.c.agent.in_({agent for _, agent in reviewed}),
                _ALERT.c.status == "open",
            )
        )
    }
    seen: set[tuple[int, str, str, str]] = set()
    opened: list[dict[str, Any]] = []
    seen_again: list[dict[str, Any]] = []
    for review in reviews:
        for agent, result in review.results.items():
            for c in result["alerts"]:
                key = (review.account_id, agent, c.type, c.reason)
                if key in seen:
                    continue
                seen.add(key)
                values: dict[str, Any] = {
                    "severity": c.severity,
                    "title": c.title,
                    "detail": c.detail,
                    "facts": c.facts,
                    "evidence": c.evidence,
                    "last_seen_on": as_of,
                }
                if key in open_ids:
                    seen_again.append({"alert_id": open_ids[key], **values})
                else:
                    opened.append(
                        {
                            "account_id": review.account_id,
                            "agent": agent,
                            "kind": c.kind,
                            "type": c.type,
                            "reason": c.reason,
                            "status": "open",
                            "opened_on": as_of,
                            **values,
                        }
                    )
    if seen_again:
        conn.execute(update(_ALERT).where(_ALERT.c.id == bindparam("alert_id")), seen_again)
    bulk_insert(conn, _ALERT, opened)
    gone = [alert_id for key, alert_id in open_ids.items() if key[:2] in reviewed and key not in seen]
    if gone:
        conn.execute(update(_ALERT).where(_ALERT.c.id.in_(gone)).values(status="resolved", resolved_on=as_of))
    counts["alerts_opened"] += len(opened)
    counts["alerts_updated"] += len(seen_again)
    counts["alerts_resolved"] += len(gone)


def _log_movements(conn: Connection, as_of: date, reviews: list[Review], counts: Counter[str]) -> None:
    """Insert movements not logged before; the same fact from the same source is logged once."""
    found = [(r.account_id, m) for r in reviews for result in r.results.values() for m in result.get("movements", [])]
    if not found:
        return
    logged = {
        tuple(row)
        for row in conn.execute(
            select(_MOVE.c.account_id, _MOVE.c.person, _MOVE.c.movement, _MOVE.c.source).where(
                _MOVE.c.account_id.in_({account_id for account_id, _ in found})
            )
        )
    }
    rows = []
    for account_id, m in found:
        key = (account_id, m.person, m.movement, m.source)
        if key not in logged:
            logged.add(key)
            rows.append({"account_id": account_id, "recorded_on": as_of, **m.model_dump()})
    bulk_insert(conn, _MOVE, rows)
    counts["movements_logged"] += len(rows)
