"""The briefing archive: one row per audience and week; producing the week again replaces it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Connection, delete, insert, select

from core.models import Briefing
from playbooks.briefing_facts import BriefingFacts

BRIEFING = Briefing.__table__  # type: ignore[attr-defined]


def store_briefing(
    conn: Connection,
    *,
    facts: BriefingFacts,
    title: str,
    summary: str,
    markdown: str,
    html: str,
    produced_by: str,
    findings: list[str],
    now: datetime,
) -> int:
    """Replace the (audience, as_of) briefing in the caller's transaction; returns the new row's id."""
    conn.execute(delete(BRIEFING).where(BRIEFING.c.audience == facts.scope.audience, BRIEFING.c.as_of == facts.as_of))
    return conn.execute(
        insert(BRIEFING)
        .values(
            audience=facts.scope.audience,
            owner_csm=facts.scope.owner_csm,
            as_of=facts.as_of,
            title=title[:255],
            summary=summary,
            markdown=markdown,
            html=html,
            facts=facts.model_dump(mode="json"),
            produced_by=produced_by,
            findings=findings,
            created_at=now,
        )
        .returning(BRIEFING.c.id)
    ).scalar_one()


def stored_weeks(conn: Connection, as_of: date) -> set[str]:
    """The audiences that already have a briefing for ``as_of``."""
    return set(conn.execute(select(BRIEFING.c.audience).where(BRIEFING.c.as_of == as_of)).scalars())
