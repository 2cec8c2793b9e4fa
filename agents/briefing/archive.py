"""Who may read which briefing: a CSM their own, the people who run the team all of them, nobody else any.

The rule lives here, beside the store, so every door (the web archive, an API) applies the same one; a
briefing someone may not read is treated as one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, false, select

from core.identity import User
from core.models import Briefing

BRIEFING = Briefing.__table__  # type: ignore[attr-defined]
#: Roles that read every briefing: leadership's and every CSM's.
READ_ALL = frozenset({"cs_manager", "cro", "admin"})


@dataclass(frozen=True)
class ArchivedBriefing:
    id: int
    audience: str
    as_of: date
    title: str
    produced_by: str
    created_at: datetime


def _visible(user: User) -> Any:
    if user.role in READ_ALL:
        return BRIEFING.c.id.is_not(None)
    if user.role == "csm" and user.email:
        return BRIEFING.c.owner_csm == user.email
    return false()


def list_briefings(conn: Connection, user: User, *, limit: int = 200) -> list[ArchivedBriefing]:
    """The briefings ``user`` may read, newest week first, leadership before the CSMs within a week."""
    rows = conn.execute(
        select(
            BRIEFING.c.id,
            BRIEFING.c.audience,
            BRIEFING.c.as_of,
            BRIEFING.c.title,
            BRIEFING.c.produced_by,
            BRIEFING.c.created_at,
        )
        .where(_visible(user))
        .order_by(BRIEFING.c.as_of.desc(), BRIEFING.c.audience != "leadership", BRIEFING.c.audience)
        .limit(limit)
    )
    return [ArchivedBriefing(*r) for r in rows]


def briefing_html(conn: Connection, user: User, briefing_id: int) -> str | None:
    """The stored page of one briefing, or None when it does not exist or ``user`` may not read it."""
    return conn.execute(
        select(BRIEFING.c.html).where(BRIEFING.c.id == briefing_id, _visible(user))
    ).scalar_one_or_none()
