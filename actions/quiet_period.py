"""The quiet period: a contact emailed by one play is not emailed by another within a few days.

Two plays that fire on the same account in the same week (a usage decline and
the renewal timeline's recap, say) would otherwise each write to the same
champion. The second draft is held, not merged: merging two plays' asks into
one email is a judgement a person makes, so the held draft stays in the outbox
with the reason, and its CSM may discard it or approve it anyway.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from core.models import OutboxMessage, PlayRun

OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
RUN = PlayRun.__table__  # type: ignore[attr-defined]
#: Messages that reach, or will reach, the contact; a held or discarded draft reaches nobody.
REACHING = ("drafted", "approved", "sending", "sent")


def earlier_contact(
    conn: Connection, recipient: str, *, run_id: int | None, as_of: date, days: int
) -> dict[str, Any] | None:
    """The latest customer email to ``recipient`` from another play run in the ``days`` before ``as_of`` (the
    day itself included), or None; ``days`` 0 turns the quiet period off."""
    if days <= 0:
        return None
    query = (
        select(OUTBOX.c.id, OUTBOX.c.created_on, OUTBOX.c.status, RUN.c.play)
        .outerjoin(RUN, RUN.c.id == OUTBOX.c.run_id)
        .where(
            OUTBOX.c.audience == "customer",
            func.lower(OUTBOX.c.recipient) == recipient.lower(),
            OUTBOX.c.status.in_(REACHING),
            OUTBOX.c.created_on > as_of - timedelta(days=days),
            OUTBOX.c.created_on <= as_of,
        )
        .order_by(OUTBOX.c.created_on.desc(), OUTBOX.c.id.desc())
        .limit(1)
    )
    if run_id is not None:
        query = query.where(OUTBOX.c.run_id.is_(None) | (OUTBOX.c.run_id != run_id))
    row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def hold_reason(recipient: str, earlier: dict[str, Any], days: int) -> str:
    """Why a draft is held, in words the outbox shows beside it."""
    by = f"the {earlier['play']} play" if earlier.get("play") else "another message"
    return (
        f"{recipient} already has an email from {by} (message {earlier['id']}, {earlier['status']}, "
        f"{earlier['created_on'].isoformat()}); the quiet period is {days} days"
    )
