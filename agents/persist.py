"""Write what the watchtowers produced: outputs replaced, alerts opened/updated/resolved, movements logged once.

Every write is keyed so that running the same cycle twice for the same as-of
date leaves the same rows.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, and_, delete, insert, select, update

from agents.state import AlertCandidate, Movement
from core.models import AgentOutput, Alert, StakeholderMovement

_ALERT = Alert.__table__  # type: ignore[attr-defined]
_OUTPUT = AgentOutput.__table__  # type: ignore[attr-defined]
_MOVE = StakeholderMovement.__table__  # type: ignore[attr-defined]


def save_output(conn: Connection, *, account_id: int, as_of: date, agent: str, produced_by: str, payload: dict) -> None:
    conn.execute(
        delete(_OUTPUT).where(_OUTPUT.c.account_id == account_id, _OUTPUT.c.as_of == as_of, _OUTPUT.c.agent == agent)
    )
    conn.execute(
        insert(_OUTPUT).values(
            account_id=account_id, as_of=as_of, agent=agent, produced_by=produced_by, payload=payload
        )
    )


def sync_alerts(
    conn: Connection, *, account_id: int, as_of: date, agent: str, candidates: list[AlertCandidate]
) -> dict[str, int]:
    """Open new alerts, update the open ones seen again, resolve this agent's open ones no longer seen."""
    counts = {"opened": 0, "updated": 0, "resolved": 0}
    open_rows = {
        (r.type, r.reason): r
        for r in conn.execute(
            select(_ALERT.c.id, _ALERT.c.type, _ALERT.c.reason).where(
                _ALERT.c.account_id == account_id, _ALERT.c.agent == agent, _ALERT.c.status == "open"
            )
        )
    }
    seen = set()
    for c in candidates:
        key = (c.type, c.reason)
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
        if key in open_rows:
            conn.execute(update(_ALERT).where(_ALERT.c.id == open_rows[key].id).values(**values))
            counts["updated"] += 1
        else:
            conn.execute(
                insert(_ALERT).values(
                    account_id=account_id,
                    agent=agent,
                    kind=c.kind,
                    type=c.type,
                    reason=c.reason,
                    status="open",
                    opened_on=as_of,
                    **values,
                )
            )
            counts["opened"] += 1
    gone = [row.id for key, row in open_rows.items() if key not in seen]
    if gone:
        conn.execute(update(_ALERT).where(_ALERT.c.id.in_(gone)).values(status="resolved", resolved_on=as_of))
        counts["resolved"] += len(gone)
    return counts


def log_movements(conn: Connection, *, account_id: int, as_of: date, movements: list[Movement]) -> int:
    """Insert movements not logged before; the same fact from the same source is logged once."""
    added = 0
    for m in movements:
        exists = conn.execute(
            select(_MOVE.c.id).where(
                and_(
                    _MOVE.c.account_id == account_id,
                    _MOVE.c.person == m.person,
                    _MOVE.c.movement == m.movement,
                    _MOVE.c.source == m.source,
                )
            )
        ).first()
        if exists is None:
            conn.execute(insert(_MOVE).values(account_id=account_id, recorded_on=as_of, **m.model_dump()))
            added += 1
    return added
