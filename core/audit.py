"""Append-only audit events. This module only inserts: there is no update or delete path anywhere."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from core.conditions import json_safe
from core.models import AuditEvent

AUDIT = AuditEvent.__table__  # type: ignore[attr-defined]


def record(
    conn: Connection,
    *,
    at: datetime,
    actor: str,
    actor_kind: str,
    action: str,
    entity: str,
    entity_id: int,
    account_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> int:
    """Write one event in the caller's transaction, so the event and the change it describes land together."""
    return conn.execute(
        insert(AUDIT)
        .values(
            at=at,
            actor=actor,
            actor_kind=actor_kind,
            action=action,
            entity=entity,
            entity_id=entity_id,
            account_id=account_id,
            before=json_safe(before) if before is not None else None,
            after=json_safe(after) if after is not None else None,
            reason=reason,
        )
        .returning(AUDIT.c.id)
    ).scalar_one()


def history(conn: Connection, entity: str, entity_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(AUDIT).where(AUDIT.c.entity == entity, AUDIT.c.entity_id == entity_id).order_by(AUDIT.c.id)
    ).mappings()
    return [dict(r) for r in rows]
