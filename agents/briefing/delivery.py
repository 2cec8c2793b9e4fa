"""Send a briefing through the outbox: an email with the whole briefing to each reader, and one Slack message
with the summary and a link to the archive.

A briefing goes to the team, never to a customer, so it follows the rule for internal messages
(``actions.outbox.notify_internal``): ready to send without a person's approval, written once per key. The key
names the audience, the week and the recipient, so producing a week again sends nothing twice. The email's
readers are the CSM for a CSM's briefing, and every active CS manager and CRO with an address for leadership.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select

from actions.outbox import notify_internal
from core.models import AppUser
from playbooks.briefing_facts import BriefingFacts

USER = AppUser.__table__  # type: ignore[attr-defined]
#: Who reads the leadership briefing.
LEADERSHIP_ROLES = ("cs_manager", "cro")
LEADERSHIP_CHANNEL = "leadership"


def recipients(conn: Connection, facts: BriefingFacts) -> list[tuple[str, str]]:
    """(address, name) of each email reader of the briefing."""
    if facts.scope.owner_csm is not None:
        return [(facts.scope.owner_csm, facts.scope.owner_csm)]
    rows = conn.execute(
        select(USER.c.email, USER.c.display_name, USER.c.username)
        .where(USER.c.role.in_(LEADERSHIP_ROLES), USER.c.active.is_(True), USER.c.email.is_not(None))
        .order_by(USER.c.email)
    )
    return [(r.email, r.display_name or r.username) for r in rows]


def deliver(
    conn: Connection,
    *,
    facts: BriefingFacts,
    briefing_id: int,
    title: str,
    summary: str,
    markdown: str,
    link: str,
    now: datetime,
) -> list[int]:
    """The briefing's outbox messages (new or already written), email first, then Slack."""
    record = facts.model_dump(mode="json")
    week = f"briefing:{facts.scope.audience}:{facts.as_of.isoformat()}"
    ids = [
        notify_internal(
            conn,
            key=f"{week}:email:{address}"[:160],
            account_id=None,
            recipient=address,
            recipient_name=name,
            subject=title,
            body=markdown,
            facts=record,
            channel="email",
            now=now,
            created_on=facts.as_of,
        )
        for address, name in recipients(conn, facts)
    ]
    ids.append(
        notify_internal(
            conn,
            key=f"{week}:slack"[:160],
            account_id=None,
            recipient=facts.scope.owner_csm or LEADERSHIP_CHANNEL,
            recipient_name=facts.scope.owner_csm or LEADERSHIP_CHANNEL,
            subject=title,
            body=f"*{title}*\n\n{summary}\n\nThe whole briefing: {link}",
            facts={**record, "link": link},
            channel="slack",
            now=now,
            created_on=facts.as_of,
        )
    )
    return ids
