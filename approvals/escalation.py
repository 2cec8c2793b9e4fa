"""SLA escalation: a group still waiting past its deadline lets the next role approve it too, and says so.

The escalation role comes from the policy's ``escalation`` map. Each
escalation is an audit event and an internal notice (to the policy's address
for the role, or else to every active user with the role), and the group's
clock restarts so a still-silent group escalates again one SLA later. Run it
as often as you like: the version check makes two runs at once safe.

Writing the notice is the effects layer's job (``actions.outbox``): the caller
passes ``deliver``, which runs inside the escalation's own transaction, so an
escalation and its notices are written together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Connection, Engine, select, update

from approvals.policy import ApprovalPolicy, next_due
from approvals.queue import APPROVAL, OFFER
from core.audit import record
from core.models import Account, AppUser

USER = AppUser.__table__  # type: ignore[attr-defined]
ACCOUNT = Account.__table__  # type: ignore[attr-defined]


class _Raced(Exception):
    pass


@dataclass(frozen=True)
class Notice:
    """One internal message an escalation owes someone; ``key`` makes writing it twice add nothing."""

    key: str
    account_id: int
    recipient: str
    recipient_name: str
    subject: str
    body: str
    #: The record (JSON form) the subject and body were written from.
    facts: dict[str, Any]

    @property
    def channel(self) -> str:
        return "email" if "@" in self.recipient else "slack"


class EscalationFacts(BaseModel):
    """What an escalation notice is written from, as raw values; the offer's rationale is its requester's own
    words, quoted as they stand."""

    approval_id: int
    account_name: str
    sla_hours: float
    to_role: str | None
    offer_id: int
    offer_kind: str
    group: str
    waiting_since: datetime
    quoted: list[str]


#: Writes a notice inside the caller's transaction (``actions.outbox.deliver_notice``).
Deliver = Callable[[Connection, Notice, datetime], object]


@dataclass(frozen=True)
class Escalated:
    approval_id: int
    group: str
    to_role: str | None
    notified: list[str]


def _recipients(conn: Connection, policy: ApprovalPolicy, role: str) -> list[str]:
    if role in policy.notify:
        return [policy.notify[role]]  # type: ignore[index]
    rows = conn.execute(
        select(USER.c.email, USER.c.username).where(USER.c.role == role, USER.c.active.is_(True)).order_by(USER.c.id)
    )
    return [r.email or r.username for r in rows]


def escalate_overdue(engine: Engine, policy: ApprovalPolicy, *, now: datetime, deliver: Deliver) -> list[Escalated]:
    with engine.connect() as conn:
        due = conn.execute(
            select(APPROVAL.c.id).where(APPROVAL.c.status == "pending", APPROVAL.c.next_due_at <= now)
        ).scalars()
        ids = list(due)
    done: list[Escalated] = []
    for approval_id in ids:
        try:
            with engine.begin() as conn:
                done.extend(_escalate_one(conn, policy, approval_id, now, deliver))
        except _Raced:
            continue  # a decision or another escalation got there first; the next run looks again
    return done


def _escalate_one(
    conn: Connection, policy: ApprovalPolicy, approval_id: int, now: datetime, deliver: Deliver
) -> list[Escalated]:
    approval = conn.execute(select(APPROVAL).where(APPROVAL.c.id == approval_id).with_for_update()).mappings().first()
    if approval is None or approval["status"] != "pending":
        return []
    groups: list[dict[str, Any]] = [dict(g) for g in approval["groups"]]
    offer = conn.execute(select(OFFER).where(OFFER.c.id == approval["offer_id"])).mappings().one()
    account = conn.execute(select(ACCOUNT.c.name).where(ACCOUNT.c.id == offer["account_id"])).scalar_one()
    out: list[Escalated] = []
    for group in groups:
        if not group["opened_at"] or group["satisfied_at"] or datetime.fromisoformat(group["due_at"]) > now:
            continue
        # The next role after the last one added; a group whose chain has run out is only reminded.
        last = group["escalated_roles"][-1] if group["escalated_roles"] else group["roles"][0]
        to_role = policy.escalation.get(last)  # type: ignore[call-overload]
        if to_role in group["roles"] or to_role in group["escalated_roles"]:
            to_role = None
        before = {"roles": list(group["roles"]) + list(group["escalated_roles"]), "due_at": group["due_at"]}
        if to_role is not None:
            group["escalated_roles"].append(to_role)
        group["escalations"] += 1
        group["due_at"] = (now + timedelta(hours=group["sla_hours"])).isoformat()
        notify_role = to_role or group["roles"][0]
        recipients = _recipients(conn, policy, notify_role)
        facts = EscalationFacts(
            approval_id=approval_id,
            account_name=account,
            sla_hours=group["sla_hours"],
            to_role=to_role,
            offer_id=offer["id"],
            offer_kind=offer["kind"],
            group=group["key"],
            waiting_since=datetime.fromisoformat(group["opened_at"]),
            quoted=[offer["rationale"]] if offer["rationale"] else [],
        )
        subject = f"Approval {facts.approval_id} for {facts.account_name} is past its {facts.sla_hours:g}h SLA" + (
            f": {facts.to_role} may now approve it" if facts.to_role else ": still waiting"
        )
        body = (
            f"Offer {facts.offer_id} ({facts.offer_kind}) has waited for {facts.group} since {group['opened_at']}.\n"
            f"Rationale: {offer['rationale']}"
        )
        for n, recipient in enumerate(recipients):
            notice = Notice(
                key=f"approval:{approval_id}:{group['key']}:escalation:{group['escalations']}:{n}",
                account_id=offer["account_id"],
                recipient=recipient,
                recipient_name=notify_role,
                subject=subject,
                body=body,
                facts=facts.model_dump(mode="json"),
            )
            deliver(conn, notice, now)
        record(
            conn,
            at=now,
            actor="policy",
            actor_kind="system",
            action="escalate",
            entity="approval",
            entity_id=approval_id,
            account_id=offer["account_id"],
            before=before,
            after={"roles": list(group["roles"]) + list(group["escalated_roles"]), "due_at": group["due_at"]},
            reason=f"{group['key']} past its {group['sla_hours']:g}h SLA"
            + (f"; escalated to {to_role}" if to_role else ""),
        )
        out.append(Escalated(approval_id, group["key"], to_role, recipients))
    if out:
        done = conn.execute(
            update(APPROVAL)
            .where(APPROVAL.c.id == approval_id, APPROVAL.c.version == approval["version"])
            .values(version=approval["version"] + 1, groups=groups, next_due_at=next_due(groups))
        )
        if done.rowcount != 1:
            raise _Raced
    return out
