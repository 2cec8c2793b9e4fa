"""Drafts a customer receives from two plays in one week: signed by their CSM's name, worded for the account's
situation, and never two emails to one contact inside the quiet period.

The usage-decline play and the renewal timeline's value recap both write to
the champion of an account whose use fell by more than half; walked day by day
through the play engine as the scheduler runs it.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from core.audit import AUDIT
from core.identity import add_user
from core.models import Account, OutboxMessage
from tests.integration.approval_support import NOW
from tests.integration.helpers import AS_OF
from tests.integration.play_support import Book, configs, seeded_book, walk
from tests.integration.test_renewal_timeline import _renew_on

OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]


@pytest.fixture
def book(engine: Engine, database_url: str, tmp_path: Path) -> Book:
    return seeded_book(engine, database_url, tmp_path)


def _declining_account(book: Book) -> int:
    """A planted usage decline whose renewal's value recap falls in the same week as the play's first email."""
    account = book.planted("usage_decline")[0]
    _renew_on(book, account, AS_OF + timedelta(days=112))
    return book.account_id(account)


def _sign_owner(book: Book, account_id: int, name: str) -> None:
    with book.engine.begin() as conn:
        owner = conn.execute(select(Account.owner_csm).where(Account.id == account_id)).scalar_one()
        add_user(conn, username="owner", role="csm", email=owner, display_name=name, now=NOW)


def _customer_emails(book: Book, account_id: int) -> list[dict]:
    with book.engine.connect() as conn:
        rows = conn.execute(
            select(OUTBOX)
            .where(OUTBOX.c.account_id == account_id, OUTBOX.c.audience == "customer")
            .order_by(OUTBOX.c.id)
        ).mappings()
        return [dict(r) for r in rows]


def test_two_plays_one_contact_one_email_the_second_held_with_its_reason(book: Book) -> None:
    account_id = _declining_account(book)
    _sign_owner(book, account_id, "Ana Lima")
    walk(book.engine, [account_id], 4)
    emails = _customer_emails(book, account_id)
    by_template = {m["template"]: m for m in emails}
    assert set(by_template) == {"usage_decline_champion", "renewal_value_recap_declining"}, by_template.keys()
    first, second = emails
    assert first["recipient"] == second["recipient"]
    assert (first["status"], second["status"]) == ("drafted", "held")
    with book.engine.connect() as conn:
        hold = conn.execute(
            select(AUDIT.c.reason).where(AUDIT.c.action == "hold", AUDIT.c.entity_id == second["id"])
        ).scalar_one()
    assert f"(message {first['id']}, drafted" in hold and "quiet period is 5 days" in hold, hold
    recap = by_template["renewal_value_recap_declining"]
    assert "achieved" not in recap["body"] and "has fallen by" in recap["body"]
    for message in emails:
        assert message["body"].rstrip().endswith("Best regards,\nAna Lima"), message["body"]


def test_with_the_quiet_period_off_both_plays_write(book: Book) -> None:
    account_id = _declining_account(book)
    playbook = configs()[0]
    off = playbook.model_copy(update={"settings": playbook.settings.model_copy(update={"quiet_period_days": 0})})
    walk(book.engine, [account_id], 4, playbook=off)
    emails = _customer_emails(book, account_id)
    assert [m["status"] for m in emails] == ["drafted", "drafted"]
    assert all("Best regards,\nCsm" in m["body"] for m in emails)  # no user record: the name from the address
