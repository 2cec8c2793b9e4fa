"""What the handlers call: plain synchronous functions over the engine, raising the domain's errors.

They hold no HTTP: the JSON API turns their errors into status codes and the
web pages into a message on the page. They do database and graph work, so
they are only ever called from plain ``def`` handlers (FastAPI runs those in
its thread pool), never from ``async def`` ones, where one slow write would
stall every request the server is handling.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import OperationalError

from actions.outbox import UNSENT_DRAFTS, OutboxError, approve, discard, edit_draft, send_approved, senders_from
from actions.settlement_notices import notify_settled
from agents.resume import resume_settled
from api.models import DecisionOutcome, OfferCreate, OfferSubmitted
from approvals.decisions import Approve, Conflict, Edit, NotFound, Reject, decide
from approvals.policy import ApprovalPolicy
from approvals.queue import ACCOUNT, Actor, submit
from approvals.views import is_visible
from core.audit import AUDIT
from core.identity import User
from core.models import OutboxMessage
from core.settings import Settings

log = logging.getLogger(__name__)
OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
#: Roles that may approve customer emails; a CSM only on their own accounts.
OUTBOX_ROLES = ("csm", "cs_manager", "ae", "cro")
#: What a person may do with a customer draft, and what it is then.
DRAFT_DECISIONS = {"approve": "approved", "discard": "discarded"}


class NotVisible(LookupError):
    """Missing, or not this person's to see: one answer for both, so an id tells nobody what exists."""


def actor_of(user: User) -> Actor:
    return Actor(user.username, "person", user.role, user.id)


def settle_decision(
    engine: Engine,
    *,
    settings: Settings,
    policy: ApprovalPolicy,
    user: User,
    approval_id: int,
    decision: Approve | Edit | Reject,
    now: datetime,
    expected_version: int | None,
) -> DecisionOutcome:
    """Decide in one transaction, then resume the paused agent run if the decision settled the offer.

    Raises a ``DecisionError`` (its ``status`` is the HTTP status) when the decision is refused.
    """
    with engine.connect() as conn:
        if not is_visible(conn, user, approval_id):
            raise NotFound(f"no approval {approval_id} you can see")
    try:
        with engine.begin() as conn:
            outcome = decide(
                conn, policy, approval_id, actor_of(user), decision, now=now, expected_version=expected_version
            )
            if outcome.settled:
                notify_settled(conn, approval_id, now=now)
    except OperationalError as exc:  # SQLite: another writer held the lock past the busy timeout
        if "locked" not in str(exc):
            raise
        raise Conflict(f"approval {approval_id} was being decided by someone else; reload it") from None
    resumed: list[int] = []
    if outcome.settled:
        try:
            resumed = resume_settled(engine, settings.database_url, policy, now=now, approval_ids=[approval_id])
        except Exception:  # the decision stands; the serve loop resumes the run on its next tick
            log.exception("resuming the run paused on approval %s failed; it will be retried", approval_id)
    return DecisionOutcome(**outcome.__dict__, resumed=bool(resumed))


def propose_offer(
    engine: Engine, *, policy: ApprovalPolicy, user: User, offer: OfferCreate, now: datetime
) -> OfferSubmitted:
    """A person's offer, routed into the queue; a CSM proposes only on accounts they own.

    Raises ``NotVisible`` for an account the person cannot see and ``OfferError`` for terms the policy
    cannot price.
    """
    with engine.begin() as conn:
        account = conn.execute(
            select(ACCOUNT.c.id, ACCOUNT.c.owner_csm).where(ACCOUNT.c.external_id == offer.account)
        ).first()
        if account is None or (user.role == "csm" and account.owner_csm != user.email):
            raise NotVisible(f"account: no account {offer.account!r} you can see")
        submitted = submit(
            conn,
            policy,
            account_id=account.id,
            contract_id=offer.contract_id,
            kind=offer.kind,
            terms=offer.terms.stored(),
            requester=actor_of(user),
            rationale=offer.rationale,
            evidence=offer.evidence,
            now=now,
        )
    return OfferSubmitted(**submitted.__dict__)


def _drafts_query(user: User) -> Any:
    query = (
        select(OUTBOX, ACCOUNT.c.name.label("account_name"))
        .join(ACCOUNT, ACCOUNT.c.id == OUTBOX.c.account_id)
        .where(OUTBOX.c.status.in_(UNSENT_DRAFTS), OUTBOX.c.audience == "customer")
    )
    if user.role == "csm":
        query = query.where(ACCOUNT.c.owner_csm == user.email)
    return query


def list_drafts(conn: Connection, *, user: User, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    """A page of the customer emails waiting for this person, oldest first, and how many wait in all."""
    query = _drafts_query(user)
    total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = [dict(r) for r in conn.execute(query.order_by(OUTBOX.c.id).limit(limit).offset(offset)).mappings()]
    held = [r["id"] for r in rows if r["status"] == "held"]
    reasons = (
        dict(
            conn.execute(
                select(AUDIT.c.entity_id, AUDIT.c.reason)
                .where(AUDIT.c.entity == "outbox_message", AUDIT.c.action == "hold", AUDIT.c.entity_id.in_(held))
                .order_by(AUDIT.c.id)
            ).all()
        )
        if held
        else {}
    )
    return [{**r, "hold_reason": reasons.get(r["id"])} for r in rows], total


def decide_draft(
    engine: Engine,
    *,
    user: User,
    message_id: int,
    decision: str,
    reason: str,
    now: datetime,
) -> None:
    """Approve or discard one customer draft the person may see, whichever page it is on.

    Raises ``NotVisible`` for a message that is not such a draft, ``OutboxError`` for a decision other than
    ``DRAFT_DECISIONS`` or one its state forbids.
    """
    if decision not in DRAFT_DECISIONS:
        raise OutboxError(f"decision must be {' or '.join(DRAFT_DECISIONS)}, not {decision!r}")
    with engine.begin() as conn:
        found = conn.execute(_drafts_query(user).where(OUTBOX.c.id == message_id)).first()
        if user.role not in OUTBOX_ROLES or found is None:
            raise NotVisible(f"message {message_id} is not a draft you may approve")
        if decision == "approve":
            approve(conn, message_id, by=user.username, now=now, reason=reason or None)
        else:
            discard(conn, message_id, by=user.username, reason=reason, now=now)


def _visible_draft(conn: Connection, user: User, message_id: int) -> None:
    found = conn.execute(_drafts_query(user).where(OUTBOX.c.id == message_id)).first()
    if user.role not in OUTBOX_ROLES or found is None:
        raise NotVisible(f"message {message_id} is not a draft you may approve")


def edit_message(engine: Engine, *, user: User, message_id: int, subject: str, body: str, now: datetime) -> bool:
    """A person's rewrite of a customer draft they may approve; False when nothing changed."""
    with engine.begin() as conn:
        _visible_draft(conn, user, message_id)
        return bool(edit_draft(conn, message_id, by=user.username, subject=subject, body=body, now=now))


def send_one(engine: Engine, *, settings: Settings, user: User, message_id: int, reason: str, now: datetime) -> str:
    """Approve one customer draft and send it now through the configured sender, as ``send`` would.

    The approval is committed first, so a send that fails leaves the message approved with its error for the
    next send to retry, exactly as for any approved message. Returns what happened, in words.
    """
    with engine.begin() as conn:
        _visible_draft(conn, user, message_id)
        approve(conn, message_id, by=user.username, now=now, reason=reason or None)
    report = send_approved(engine, senders_from(settings), now=now, only=message_id)
    if report.sent:
        return "approved and sent"
    if report.no_sender:
        channel = next(iter(report.no_sender))
        return f"approved; no {channel} sender is configured, so it waits in the outbox"
    return f"approved; sending failed and will be retried: {'; '.join(report.errors) or 'unknown error'}"
