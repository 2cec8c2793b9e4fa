"""The outbox on both backends, delivered to real local servers: an SMTP server (aiosmtpd) and an HTTP webhook.

Nothing a play drafts goes out before a person approves it; a send that fails
stays in the outbox with its error and goes out on a later send.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine

from actions.outbox import OutboxError, approve, discard, send_approved, senders_from
from actions.senders import Retry, SmtpSender, WebhookSender
from core.models import OutboxMessage
from core.settings import Settings

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)
FAST = Retry(attempts=3, backoff_max_seconds=0)


class Mailbox:
    """An SMTP handler that refuses the first ``refuse`` messages with ``code`` and keeps the rest."""

    def __init__(self, refuse: int = 0, code: str = "451 4.3.0 try again later") -> None:
        self.refuse = refuse
        self.code = code
        self.received: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse > 0:
            self.refuse -= 1
            return self.code
        self.received.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    with socket.socket() as probe:  # aiosmtpd checks its own port after starting, so it needs a real one
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


class Webhook:
    """A local HTTP endpoint that answers with the scripted statuses in turn, then 200, and keeps the bodies."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.bodies: list[dict] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                status = hook.statuses.pop(0) if hook.statuses else 200
                if status == 200:
                    hook.bodies.append(body)
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status == 200 else b"error")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/T000/B000"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _draft(engine: Engine, n: int, *, audience: str = "customer", status: str = "drafted") -> int:
    with engine.begin() as conn:
        return conn.execute(
            insert(OutboxMessage)
            .values(
                audience=audience,
                channel="email" if audience == "customer" else "slack",
                recipient=f"person{n}@customer.example",
                recipient_name=f"Person {n}",
                subject=f"Subject {n}",
                body=f"Body {n}",
                status=status,
                created_on=date(2026, 11, 23),
                dedupe_key=f"test:{n}",
            )
            .returning(OutboxMessage.id)
        ).scalar_one()


def _row(engine: Engine, message_id: int) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(select(OutboxMessage).where(OutboxMessage.id == message_id)).mappings().one())


def test_only_approved_messages_are_sent_and_edits_on_approval_are_what_goes_out(
    engine: Engine, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, port = smtp
    approved, drafted, dropped = _draft(engine, 1), _draft(engine, 2), _draft(engine, 3)
    with engine.begin() as conn:
        approve(conn, approved, by="dana@cs", now=NOW, subject="Edited subject")
        discard(conn, dropped, by="dana@cs", reason="wrong contact")
        with pytest.raises(OutboxError, match="only a drafted message can be approved"):
            approve(conn, dropped, by="dana@cs", now=NOW)
    sender = SmtpSender("127.0.0.1", port, "csm@vendor.example", security="none", retry=FAST)
    report = send_approved(engine, {"email": sender}, now=NOW)
    assert (report.sent, report.failed) == (1, 0)
    assert [m["Subject"] for m in mailbox.received] == ["Edited subject"]
    assert mailbox.received[0]["To"] == "Person 1 <person1@customer.example>"
    assert _row(engine, approved)["status"] == "sent" and _row(engine, approved)["approved_by"] == "dana@cs"
    assert _row(engine, drafted)["status"] == "drafted"
    assert _row(engine, dropped)["status"] == "discarded"
    again = send_approved(engine, {"email": sender}, now=NOW)
    assert again.sent == 0 and len(mailbox.received) == 1, "a sent message is never sent twice"


def test_a_transient_smtp_refusal_is_retried(engine: Engine, smtp: tuple[Mailbox, int]) -> None:
    mailbox, port = smtp
    mailbox.refuse = 2  # 451 twice, then accepted on the third attempt
    message = _draft(engine, 1)
    with engine.begin() as conn:
        approve(conn, message, by="dana@cs", now=NOW)
    report = send_approved(
        engine, {"email": SmtpSender("127.0.0.1", port, "csm@v.example", security="none", retry=FAST)}, now=NOW
    )
    assert report.sent == 1 and len(mailbox.received) == 1


def test_a_failed_send_keeps_the_message_with_its_error_and_a_later_send_delivers_it(
    engine: Engine, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, port = smtp
    mailbox.refuse, mailbox.code = 1, "550 5.1.1 mailbox unavailable"
    message = _draft(engine, 1)
    with engine.begin() as conn:
        approve(conn, message, by="dana@cs", now=NOW)
    sender = SmtpSender("127.0.0.1", port, "csm@v.example", security="none", retry=FAST)
    report = send_approved(engine, {"email": sender}, now=NOW)
    assert (report.sent, report.failed) == (0, 1)
    row = _row(engine, message)
    assert row["status"] == "approved" and row["attempts"] == 1 and "550" in row["last_error"]
    # a server that is down altogether: refused connections, retried, then kept
    down = SmtpSender("127.0.0.1", 9, "csm@v.example", security="none", retry=FAST, timeout=2)
    assert send_approved(engine, {"email": down}, now=NOW).failed == 1
    row = _row(engine, message)
    assert row["status"] == "approved" and row["attempts"] == 2 and "after 3 attempts" in row["last_error"]
    assert send_approved(engine, {"email": sender}, now=NOW).sent == 1
    row = _row(engine, message)
    assert row["status"] == "sent" and row["last_error"] is None and row["attempts"] == 3
    assert len(mailbox.received) == 1


def test_team_notifications_go_to_the_webhook_with_retries_and_keep_permanent_errors(engine: Engine) -> None:
    first, second = (
        _draft(engine, 1, audience="internal", status="approved"),
        _draft(engine, 2, audience="internal", status="approved"),
    )
    hook = Webhook([503, 500])  # the first message is retried twice, then delivered
    try:
        report = send_approved(engine, {"slack": WebhookSender(hook.url, retry=FAST)}, now=NOW)
    finally:
        hook.close()
    assert report.sent == 2
    assert [b["text"].splitlines()[0] for b in hook.bodies] == ["*Subject 1*", "*Subject 2*"]
    bad = Webhook([400])
    third = _draft(engine, 3, audience="internal", status="approved")
    try:
        report = send_approved(engine, {"slack": WebhookSender(bad.url, retry=FAST)}, now=NOW)
    finally:
        bad.close()
    assert report.failed == 1
    row = _row(engine, third)
    assert row["status"] == "approved" and row["attempts"] == 1 and row["last_error"] == "webhook: HTTP 400"
    assert "hooks" not in row["last_error"], "the webhook URL is a secret and never lands in an error"
    assert {_row(engine, first)["status"], _row(engine, second)["status"]} == {"sent"}


def test_sending_logs_and_errors_never_show_the_smtp_password_or_the_webhook_url(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """Configured from settings, both senders fail and retry at DEBUG level: every line is free of the secrets."""
    hook = Webhook([503, 400])
    settings = Settings(  # type: ignore[call-arg]
        smtp_host="127.0.0.1",
        smtp_port=9,  # nobody listens: refused, retried, kept
        smtp_from="csm@v.example",
        smtp_username="csm",
        smtp_password="smtp-pass-Qx81",
        smtp_security="none",
        slack_webhook_url=hook.url,
        send_max_attempts=2,
        send_backoff_max_seconds=0,
        send_timeout_seconds=2,
        _env_file=None,
    )
    email, note = _draft(engine, 1), _draft(engine, 2, audience="internal")
    with engine.begin() as conn:
        approve(conn, email, by="dana@cs", now=NOW)
        approve(conn, note, by="dana@cs", now=NOW)
    caplog.set_level(logging.DEBUG)
    senders = senders_from(settings)
    logging.getLogger("watchtower.test").debug("senders %r from %s", senders, settings)
    try:
        report = send_approved(engine, senders, now=NOW)
    finally:
        hook.close()
    assert report.failed == 2
    errors = [_row(engine, email)["last_error"], _row(engine, note)["last_error"], *report.errors]
    shown = " ".join([caplog.text, repr(senders), *errors])
    assert "smtp-pass-Qx81" not in shown and "T000" not in shown and "B000" not in shown, shown
    # The lines are still useful: the request httpx made, the retry, the host that failed.
    assert f"HTTP Request: POST http://127.0.0.1:{hook.server.server_port}/***" in caplog.text
    assert " 503 " in caplog.text and "SMTP 127.0.0.1:9" in errors[0] and errors[1] == "webhook: HTTP 400"


def test_a_channel_without_a_sender_leaves_messages_waiting(engine: Engine) -> None:
    message = _draft(engine, 1)
    with engine.begin() as conn:
        approve(conn, message, by="dana@cs", now=NOW)
    report = send_approved(engine, {}, now=NOW)
    assert report.no_sender == {"email": 1} and _row(engine, message)["status"] == "approved"


def test_a_claim_left_by_a_crashed_sender_is_taken_back_after_a_while(
    engine: Engine, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, port = smtp
    stuck, fresh = _draft(engine, 1, status="approved"), _draft(engine, 2, status="approved")
    with engine.begin() as conn:
        conn.execute(
            OutboxMessage.__table__.update()  # type: ignore[attr-defined]
            .where(OutboxMessage.id == stuck)
            .values(status="sending", last_attempt_at=datetime(2026, 11, 23, 8, tzinfo=UTC), attempts=1)
        )
        conn.execute(
            OutboxMessage.__table__.update()  # type: ignore[attr-defined]
            .where(OutboxMessage.id == fresh)
            .values(status="sending", last_attempt_at=datetime(2026, 11, 23, 8, 55, tzinfo=UTC), attempts=1)
        )
    sender = SmtpSender("127.0.0.1", port, "csm@v.example", security="none", retry=FAST)
    report = send_approved(engine, {"email": sender}, now=NOW)
    assert report.sent == 1 and [m["Subject"] for m in mailbox.received] == ["Subject 1"]
    assert _row(engine, fresh)["status"] == "sending", "another sender may still be delivering it"


def test_a_webhook_message_carries_names_as_text_never_as_slack_controls(engine: Engine) -> None:
    """Account and contact names come from customer data; in a Slack message ``<!channel>`` would notify the
    whole channel and ``<http://x|y>`` would be a disguised link, so ``&``, ``<`` and ``>`` are escaped."""
    message = _draft(engine, 1, audience="internal", status="approved")
    with engine.begin() as conn:
        conn.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message)
            .values(subject="Acme <!channel>", body="Renewal of Tom & Jerry <http://evil.example|your invoice>")
        )
    hook = Webhook([])
    try:
        assert send_approved(engine, {"slack": WebhookSender(hook.url, retry=FAST)}, now=NOW).sent == 1
    finally:
        hook.close()
    (body,) = hook.bodies
    assert body["text"] == (
        "*Acme &lt;!channel&gt;*\nRenewal of Tom &amp; Jerry &lt;http://evil.example|your invoice&gt;"
    )


def test_a_subject_with_a_line_break_goes_out_on_one_line(engine: Engine, smtp: tuple[Mailbox, int]) -> None:
    """A subject can reach the sender with a line break (an account name from an import, an edit on approval);
    the email library refuses it as a header, so it is sent on one line instead of stopping every send."""
    mailbox, port = smtp
    broken, other = _draft(engine, 1), _draft(engine, 2)
    with engine.begin() as conn:
        approve(conn, broken, by="dana@cs", now=NOW, subject="Renewal of Acme\r\nBcc: someone@elsewhere.example")
        approve(conn, other, by="dana@cs", now=NOW)
    sender = SmtpSender("127.0.0.1", port, "csm@vendor.example", security="none", retry=FAST)
    report = send_approved(engine, {"email": sender}, now=NOW)
    assert (report.sent, report.failed) == (2, 0)
    assert sorted(m["Subject"] for m in mailbox.received) == [
        "Renewal of Acme Bcc: someone@elsewhere.example",
        "Subject 2",
    ]
    assert all(m["Bcc"] is None for m in mailbox.received)
