"""How far behind the approvals are: how many wait, the oldest one's age, and how many are past their SLA.

A leader's dashboard shows this in one line; the queue itself (``approvals.views``) is where they are decided.
``now`` is passed in, and ``account_ids`` limits it to a person's reach (``None``: every account).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from core.db import as_utc
from core.tables import APPROVAL


@dataclass(frozen=True)
class Backlog:
    pending: int
    overdue: int
    oldest_id: int | None
    oldest_created_at: datetime | None
    oldest_due_at: datetime | None
    now: datetime

    @property
    def oldest_age_hours(self) -> float | None:
        if self.oldest_created_at is None:
            return None
        return round((self.now - self.oldest_created_at).total_seconds() / 3600, 1)

    @property
    def oldest_overdue(self) -> bool:
        return self.oldest_due_at is not None and self.oldest_due_at < self.now


def pending_backlog(conn: Connection, *, now: datetime, account_ids: Collection[int] | None = None) -> Backlog:
    query = select(APPROVAL.c.id, APPROVAL.c.created_at, APPROVAL.c.next_due_at).where(APPROVAL.c.status == "pending")
    if account_ids is not None:
        query = query.where(APPROVAL.c.account_id.in_(list(account_ids)))
    rows = [(r.id, as_utc(r.created_at), as_utc(r.next_due_at)) for r in conn.execute(query)]
    overdue = sum(1 for _, _, due in rows if due is not None and due < now)
    oldest = min(rows, key=lambda r: (r[1], r[0]), default=None)
    return Backlog(
        pending=len(rows),
        overdue=overdue,
        oldest_id=oldest[0] if oldest else None,
        oldest_created_at=oldest[1] if oldest else None,
        oldest_due_at=oldest[2] if oldest else None,
        now=now,
    )
