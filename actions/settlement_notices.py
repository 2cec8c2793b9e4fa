"""Telling the requester that their offer is settled: who decided, what, and why, once per settlement.

A CSM who proposed a discount, or whose account an agent or a play proposed
one for, otherwise learns the outcome only by opening the queue. The notice is
an internal outbox message, written in the decision's own transaction under a
key per approval, so a retried request or a second caller adds nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection, select

from actions.outbox import notify_internal
from approvals.decisions import DECISION
from approvals.queue import ACCOUNT, APPROVAL, OFFER
from core.models import AppUser
from prompts.templates import load_template

log = logging.getLogger(__name__)
USER = AppUser.__table__  # type: ignore[attr-defined]
TEMPLATE = "notice_offer_settled"


class SettledFacts(BaseModel):
    """What the notice is written from, kept with it for the faithfulness check."""

    model_config = ConfigDict(frozen=True)

    account_name: str
    account_id: str
    offer_id: int
    offer_kind: str
    decision: str
    decided_by: str
    reason: str
    terms: str


def decision_word(status: str, last_decision: str | None) -> str:
    """``approved with edits`` when the settling decision changed the terms, else the status as it reads."""
    if status == "approved" and last_decision == "edit":
        return "approved with edits"
    return status


def _person(conn: Connection, username: str | None) -> dict | None:
    if not username:
        return None
    row = conn.execute(select(USER.c.display_name, USER.c.email).where(USER.c.username == username)).mappings()
    found = row.first()
    return dict(found) if found else None


def notify_settled(conn: Connection, approval_id: int, *, now: datetime) -> int | None:
    """The requester's notice for a settled approval (its outbox id), or None while pending or with nobody to
    tell. A person requester is told at the email of their user record; an agent's or a play's offer is
    told to the account's CSM, who owns what follows."""
    row = (
        conn.execute(
            select(
                APPROVAL.c.status,
                APPROVAL.c.settled_by,
                APPROVAL.c.reason,
                OFFER.c.id.label("offer_id"),
                OFFER.c.kind,
                OFFER.c.terms,
                OFFER.c.requester,
                OFFER.c.requester_kind,
                ACCOUNT.c.id.label("account_pk"),
                ACCOUNT.c.external_id,
                ACCOUNT.c.name,
                ACCOUNT.c.owner_csm,
            )
            .join(OFFER, OFFER.c.id == APPROVAL.c.offer_id)
            .join(ACCOUNT, ACCOUNT.c.id == APPROVAL.c.account_id)
            .where(APPROVAL.c.id == approval_id)
        )
        .mappings()
        .first()
    )
    if row is None or row["status"] == "pending":
        return None
    requester = _person(conn, row["requester"]) if row["requester_kind"] == "person" else None
    if requester and requester["email"]:
        recipient, recipient_name = requester["email"], requester["display_name"]
    else:  # an agent's or a play's offer, or a person with no address on record: the account's CSM
        recipient, recipient_name = row["owner_csm"], _owner_name(conn, row["owner_csm"]) or ""
    if not recipient:
        log.warning("approval %s settled but its requester %s has no address to tell", approval_id, row["requester"])
        return None
    last = conn.execute(
        select(DECISION.c.decision).where(DECISION.c.approval_id == approval_id).order_by(DECISION.c.id.desc())
    ).scalar()
    decider = _person(conn, row["settled_by"])
    facts = SettledFacts(
        account_name=row["name"],
        account_id=row["external_id"],
        offer_id=row["offer_id"],
        offer_kind=row["kind"].replace("_", " "),
        decision=decision_word(row["status"], last),
        decided_by=decider["display_name"] if decider else row["settled_by"] or "",
        reason=row["reason"] or "",
        terms=", ".join(f"{k} {v}" for k, v in sorted(row["terms"].items())) or "none",
    )
    subject, body = load_template(TEMPLATE).render(facts.model_dump(mode="json") | {"offer_id": str(row["offer_id"])})
    return notify_internal(
        conn,
        key=f"offer-settled:{approval_id}",
        account_id=row["account_pk"],
        recipient=recipient,
        recipient_name=recipient_name,
        subject=subject,
        body=body,
        facts=facts.model_dump(mode="json"),
        channel="email",
        now=now,
        created_on=now.date(),
    )


def _owner_name(conn: Connection, email: str | None) -> str | None:
    if not email:
        return None
    return conn.execute(
        select(USER.c.display_name).where(USER.c.email == email, USER.c.active.is_(True)).order_by(USER.c.id).limit(1)
    ).scalar()
