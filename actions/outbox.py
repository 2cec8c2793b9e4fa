"""The outbox: drafted -> approved -> sent, or discarded. People approve; senders deliver.

A customer-facing draft goes out only after a person approves it (or when its
play step is marked ``auto_send``). Sending claims one message at a time
(``approved`` -> ``sending``) so two senders never deliver the same message; a
failure puts it back to ``approved`` with the error and the attempt count, and
the next send tries again. A claim left behind by a crashed sender is taken
back after ``stale_after``.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, insert, or_, select, update

from actions.senders import Outgoing, Retry, Sender, SendFailed, SmtpSender, WebhookSender
from approvals.escalation import Notice
from core.audit import record
from core.models import OutboxMessage
from core.settings import Settings

log = logging.getLogger(__name__)
OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]


#: Customer drafts a person still has to approve: drafted, or held by the contact's quiet period.
UNSENT_DRAFTS = ("drafted", "held")
#: Who "approved" a message to the team: nobody needs to, as no customer receives it.
INTERNAL_APPROVAL = "internal notification: no customer recipient"


def notify_internal(
    conn: Connection,
    *,
    key: str,
    account_id: int | None,
    recipient: str,
    recipient_name: str,
    subject: str,
    body: str,
    facts: Mapping[str, Any],
    channel: str,
    now: datetime,
    created_on: date,
    run_id: int | None = None,
) -> int:
    """A message to the team, never the customer, ready to send; writing it twice with one key writes it once.
    ``facts`` is the record (JSON form) the subject and body were written from, kept to check them against."""
    found = conn.execute(select(OUTBOX.c.id).where(OUTBOX.c.dedupe_key == key)).scalar_one_or_none()
    if found is not None:
        return found
    return conn.execute(
        insert(OUTBOX)
        .values(
            account_id=account_id,
            run_id=run_id,
            dedupe_key=key,
            audience="internal",
            channel=channel,
            recipient=recipient,
            recipient_name=recipient_name,
            subject=subject[:512],
            body=body,
            facts=dict(facts),
            produced_by="deterministic",
            auto_send=True,
            status="approved",
            approved_by=INTERNAL_APPROVAL,
            approved_at=now,
            created_on=created_on,
        )
        .returning(OUTBOX.c.id)
    ).scalar_one()


def deliver_notice(conn: Connection, notice: Notice, now: datetime) -> int:
    """An approval escalation's notice, written as an internal notification in the escalation's transaction."""
    return notify_internal(
        conn,
        key=notice.key,
        account_id=notice.account_id,
        recipient=notice.recipient,
        recipient_name=notice.recipient_name,
        subject=notice.subject,
        body=notice.body,
        facts=notice.facts,
        channel=notice.channel,
        now=now,
        created_on=now.date(),
    )


class OutboxError(ValueError):
    """A transition the message's state does not allow, with the reason."""


def _message(conn: Connection, message_id: int) -> dict:
    row = conn.execute(select(OUTBOX).where(OUTBOX.c.id == message_id)).mappings().first()
    if row is None:
        raise OutboxError(f"no outbox message {message_id}")
    return dict(row)


def approve(
    conn: Connection,
    message_id: int,
    *,
    by: str,
    now: datetime,
    subject: str | None = None,
    body: str | None = None,
    reason: str | None = None,
) -> None:
    """A person approves a draft, optionally editing it first; only drafts can be approved, and a draft held by
    the quiet period only by a person who decides to send it anyway. Audited."""
    if not by or not by.strip():
        raise OutboxError("say who approves (--by)")
    message = _message(conn, message_id)
    if message["status"] not in UNSENT_DRAFTS:
        raise OutboxError(f"message {message_id} is {message['status']}; only a drafted message can be approved")
    edits = {k: v for k, v in (("subject", subject), ("body", body)) if v is not None and v.strip()}
    done = conn.execute(
        update(OUTBOX)
        .where(OUTBOX.c.id == message_id, OUTBOX.c.status == message["status"])
        .values(status="approved", approved_by=by.strip(), approved_at=now, **edits)
    )
    if done.rowcount != 1:
        raise OutboxError(f"message {message_id} changed while being approved; look again")
    record(
        conn,
        at=now,
        actor=by.strip(),
        actor_kind="person",
        action="approve",
        entity="outbox_message",
        entity_id=message_id,
        account_id=message["account_id"],
        before={"status": message["status"], **{k: message[k] for k in edits}},
        after={"status": "approved", **edits},
        reason=reason,
    )


def discard(conn: Connection, message_id: int, *, by: str, reason: str, now: datetime | None = None) -> None:
    if not by or not reason or not reason.strip():
        raise OutboxError("say who discards the message (--by) and why (--reason)")
    message = _message(conn, message_id)
    if message["status"] not in (*UNSENT_DRAFTS, "approved"):
        raise OutboxError(f"message {message_id} is {message['status']}; only unsent messages can be discarded")
    conn.execute(
        update(OUTBOX)
        .where(OUTBOX.c.id == message_id, OUTBOX.c.status.in_((*UNSENT_DRAFTS, "approved")))
        .values(status="discarded", discarded_by=by.strip(), discard_reason=reason.strip())
    )
    record(
        conn,
        at=now or datetime.now(UTC),
        actor=by.strip(),
        actor_kind="person",
        action="discard",
        entity="outbox_message",
        entity_id=message_id,
        account_id=message["account_id"],
        before={"status": message["status"]},
        after={"status": "discarded"},
        reason=reason.strip(),
    )


def edit_draft(conn: Connection, message_id: int, *, by: str, subject: str, body: str, now: datetime) -> dict[str, str]:
    """A person rewrites a draft's subject and body before anyone approves it; audited with the text before and
    after (only what changed). Returns what changed; an unchanged text changes nothing and records nothing."""
    if not by or not by.strip():
        raise OutboxError("say who edits the message")
    if not subject.strip() or not body.strip():
        raise OutboxError(f"{'subject' if not subject.strip() else 'body'}: a message needs one")
    if any(c in subject.strip() for c in "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"):
        # A line break in a subject is a header of its own in the email, and the SMTP sender refuses it.
        raise OutboxError("subject: one line, without line breaks")
    message = _message(conn, message_id)
    if message["status"] not in UNSENT_DRAFTS:
        raise OutboxError(f"message {message_id} is {message['status']}; only a draft can be edited")
    changed = {k: v for k, v in (("subject", subject.strip()[:512]), ("body", body)) if v != message[k]}
    if not changed:
        return {}
    done = conn.execute(
        update(OUTBOX).where(OUTBOX.c.id == message_id, OUTBOX.c.status == message["status"]).values(**changed)
    )
    if done.rowcount != 1:
        raise OutboxError(f"message {message_id} changed while being edited; look again")
    record(
        conn,
        at=now,
        actor=by.strip(),
        actor_kind="person",
        action="edit",
        entity="outbox_message",
        entity_id=message_id,
        account_id=message["account_id"],
        before={k: message[k] for k in changed},
        after=changed,
    )
    return changed


def senders_from(settings: Settings) -> dict[str, Sender]:
    """The senders the settings configure; a channel without one keeps its messages approved, unsent."""
    retry = Retry(settings.send_max_attempts, settings.send_backoff_max_seconds)
    senders: dict[str, Sender] = {}
    if settings.smtp_host and settings.smtp_from:
        senders["email"] = SmtpSender(
            host=settings.smtp_host,
            port=settings.smtp_port,
            from_address=settings.smtp_from,
            username=settings.smtp_username,
            password=settings.smtp_password,
            security=settings.smtp_security,
            timeout=settings.send_timeout_seconds,
            retry=retry,
        )
    if settings.slack_webhook_url:
        senders["slack"] = WebhookSender(settings.slack_webhook_url, timeout=settings.send_timeout_seconds, retry=retry)
    return senders


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    #: Approved messages left unsent because their channel has no sender configured, by channel.
    no_sender: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)


def send_approved(
    engine: Engine,
    senders: Mapping[str, Sender],
    *,
    now: datetime,
    limit: int = 500,
    stale_after: timedelta = timedelta(minutes=15),
    only: int | None = None,
) -> SendReport:
    """Deliver approved messages (``only``: that one message); each is claimed, sent and recorded in its own
    transaction."""
    report = SendReport()
    with engine.connect() as conn:
        query = (
            select(OUTBOX.c.id, OUTBOX.c.channel)
            .where(
                or_(
                    OUTBOX.c.status == "approved",
                    and_(OUTBOX.c.status == "sending", OUTBOX.c.last_attempt_at < now - stale_after),
                )
            )
            .order_by(OUTBOX.c.id)
            .limit(limit)
        )
        waiting = conn.execute(query if only is None else query.where(OUTBOX.c.id == only)).all()
    for message_id, channel in waiting:
        sender = senders.get(channel)
        if sender is None:
            report.no_sender[channel] += 1
            continue
        with engine.begin() as conn:
            claimed = conn.execute(
                update(OUTBOX)
                .where(
                    OUTBOX.c.id == message_id,
                    or_(
                        OUTBOX.c.status == "approved",
                        and_(OUTBOX.c.status == "sending", OUTBOX.c.last_attempt_at < now - stale_after),
                    ),
                )
                .values(status="sending", last_attempt_at=now, attempts=OUTBOX.c.attempts + 1)
            ).rowcount
            if claimed != 1:
                continue  # another sender has it
            message = _message(conn, message_id)
        outgoing = Outgoing(
            message["id"], message["recipient"], message["recipient_name"], message["subject"], message["body"]
        )
        try:
            sender.send(outgoing)
        except SendFailed as exc:
            with engine.begin() as conn:
                conn.execute(
                    update(OUTBOX).where(OUTBOX.c.id == message_id).values(status="approved", last_error=str(exc))
                )
            report.failed += 1
            report.errors.append(f"message {message_id}: {exc}")
            log.warning("outbox message %s not sent: %s", message_id, exc)
            continue
        with engine.begin() as conn:
            conn.execute(
                update(OUTBOX).where(OUTBOX.c.id == message_id).values(status="sent", sent_at=now, last_error=None)
            )
        report.sent += 1
    return report
