"""The outbox in the browser: a draft edited (audited before and after), one message approved and sent now
through the configured sender, and a draft held by the quiet period shown with its reason.
"""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from api.app import create_app
from cli.main import app as cli
from core.audit import AUDIT
from core.settings import Settings
from tests.integration.api_support import OUTBOX, add_drafts, app_with_people, hold_draft, web_login
from tests.integration.approval_support import NOW, POLICY, account_ids, book_with_people
from tests.integration.test_outbox import Mailbox, smtp  # noqa: F401  (the SMTP server fixture)

STATUS = re.compile(r'role="status">(.*?)</div>', re.S)


def _status(page: str) -> str:
    found = STATUS.search(page)
    return html.unescape(found.group(1)) if found else ""


def test_a_draft_edited_in_the_browser_is_audited_with_the_text_before_and_after(engine, database_url):
    with app_with_people(engine, database_url) as (client, _):
        (message,) = add_drafts(engine, account_ids(engine)[:1], 1)
        csrf = web_login(client, "cs-manager")
        page = client.get("/outbox").text
        assert f'action="/outbox/{message}/edit"' in page and "<textarea" in page
        form = {"csrf": csrf, "subject": "A better subject", "body": "Hello Julia,\n\nShall we talk?\n"}
        done = client.post(f"/outbox/{message}/edit", data=form)
        assert done.status_code == 200 and _status(done.text) == f"Message {message}: edited"
        again = client.post(f"/outbox/{message}/edit", data=form)
        assert _status(again.text) == f"Message {message}: unchanged"
        empty = client.post(f"/outbox/{message}/edit", data={**form, "subject": "  "})
        assert "subject: a message needs one" in html.unescape(empty.text)
    with engine.connect() as conn:
        row = conn.execute(select(OUTBOX.c.subject, OUTBOX.c.body, OUTBOX.c.status)).one()
        edits = conn.execute(select(AUDIT).where(AUDIT.c.action == "edit")).mappings().all()
    assert tuple(row) == ("A better subject", "Hello Julia,\n\nShall we talk?\n", "drafted")
    assert len(edits) == 1
    assert edits[0]["before"] == {"subject": "Checking in (1)", "body": "Hello"}
    assert edits[0]["after"] == {"subject": "A better subject", "body": "Hello Julia,\n\nShall we talk?\n"}
    assert edits[0]["actor"] == "cs-manager"


def test_one_message_is_approved_and_sent_now_and_the_others_wait(engine, database_url, smtp):  # noqa: F811
    mailbox, port = smtp
    book_with_people(engine)
    settings = Settings(
        database_url=database_url,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_from="cs@vendor.test",
        smtp_security="none",
    )
    app = create_app(settings, engine=engine, policy=POLICY, clock=lambda: NOW)
    with TestClient(app, base_url="https://testserver") as client:
        one, other, approved = add_drafts(engine, account_ids(engine)[:3], 3)
        csrf = web_login(client, "cs-manager")
        client.post(f"/outbox/{approved}/decision", data={"csrf": csrf, "decision": "approve", "reason": "later"})
        done = client.post(f"/outbox/{one}/send", data={"csrf": csrf, "reason": "ready"})
        assert _status(done.text) == f"Message {one}: approved and sent", _status(done.text)
        web_login(client, "finance")
        refused = client.post(f"/outbox/{other}/send", data={"csrf": web_login(client, "finance"), "reason": "x"})
        assert "not a draft you may approve" in html.unescape(refused.text)
    with engine.connect() as conn:
        statuses = dict(conn.execute(select(OUTBOX.c.id, OUTBOX.c.status)).all())
    assert statuses == {one: "sent", other: "drafted", approved: "approved"}  # only the one asked for went out
    assert [m["Subject"] for m in mailbox.received] == ["Checking in (1)"]


def test_without_a_sender_the_message_is_approved_and_waits(engine, database_url):
    with app_with_people(engine, database_url) as (client, _):
        (message,) = add_drafts(engine, account_ids(engine)[:1], 1)
        csrf = web_login(client, "cs-manager")
        done = client.post(f"/outbox/{message}/send", data={"csrf": csrf, "reason": "ready"})
        assert "approved; no email sender is configured" in _status(done.text)
    with engine.connect() as conn:
        assert conn.execute(select(OUTBOX.c.status)).scalar_one() == "approved"


def test_a_held_draft_shows_its_reason_and_can_be_approved_anyway(engine, database_url):
    with app_with_people(engine, database_url) as (client, _):
        (message,) = add_drafts(engine, account_ids(engine)[:1], 1)
        reason = "champion0@customer.test already has an email from the usage_decline play; the quiet period is 5 days"
        hold_draft(engine, message, reason)
        csrf = web_login(client, "cs-manager")
        row = re.search(rf'<tr id="message-{message}"[^>]*>(.*?)</tr>', client.get("/outbox").text, re.S).group(1)
        assert "HELD, not sent:" in row and html.escape(reason) in row and "Approve anyway" in row
        client.post(f"/outbox/{message}/decision", data={"csrf": csrf, "decision": "approve", "reason": "worth it"})
    with engine.connect() as conn:
        assert conn.execute(select(OUTBOX.c.status)).scalar_one() == "approved"


def test_a_quiet_period_that_is_no_number_of_days_names_the_key(engine, database_url, tmp_path, monkeypatch):
    folder = tmp_path / "config"
    folder.mkdir()
    monkeypatch.setenv("WATCHTOWER_CONFIG_DIR", str(folder))
    from core.config_files import shipped_policy

    shipped = shipped_policy("plays.yaml").read_text(encoding="utf-8")
    (folder / "plays.yaml").write_text(shipped.replace("quiet_period_days: 5", "quiet_period_days: -2"))
    shown = CliRunner().invoke(cli, ["--database-url", database_url, "config"])
    assert shown.exit_code == 1 and "settings.quiet_period_days" in shown.output, shown.output


def test_a_subject_with_a_line_break_is_refused_naming_the_subject(engine, database_url, smtp):  # noqa: F811
    """A line break in a subject would be a header of its own in the email: the edit is refused, and the
    message keeps the subject it had, so the send that follows cannot fail on it."""
    mailbox, port = smtp
    book_with_people(engine)
    settings = Settings(
        database_url=database_url,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_from="cs@vendor.test",
        smtp_security="none",
    )
    app = create_app(settings, engine=engine, policy=POLICY, clock=lambda: NOW)
    with TestClient(app, base_url="https://testserver") as client:
        (message,) = add_drafts(engine, account_ids(engine)[:1], 1)
        csrf = web_login(client, "cs-manager")
        for broken in ("Renewal\r\nBcc: someone@elsewhere.test", "Renewal\nnext line"):
            refused = client.post(f"/outbox/{message}/edit", data={"csrf": csrf, "subject": broken, "body": "Hi"})
            assert "subject: one line" in html.unescape(refused.text), _status(refused.text)
        sent = client.post(f"/outbox/{message}/send", data={"csrf": csrf, "reason": "ready"})
        assert _status(sent.text) == f"Message {message}: approved and sent", _status(sent.text)
    assert [m["Subject"] for m in mailbox.received] == ["Checking in (1)"]
