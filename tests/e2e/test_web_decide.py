"""In Chromium: finance reads what an offer costs and how the account pays, and approves from the approval page;
a CS manager filters the queue, ticks three approvals and decides them with one reason, one refused."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import insert, select

from api.child_process import running_server
from approvals.queue import APPROVAL
from core.models import Invoice
from tests.integration.approval_support import NOW, PASSWORD, account_ids, propose

INVOICE = Invoice.__table__  # type: ignore[attr-defined]


def _sign_in(page, base: str, username: str, path: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}{path}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_finance_approves_from_the_approval_page(browser_page, people_book, screenshot):
    url, engine, people = people_book
    account = account_ids(engine)[0]
    with engine.begin() as conn:
        conn.execute(
            insert(INVOICE).values(
                external_id="INV-E2E-1",
                account_id=account,
                amount=Decimal("4200"),
                issued_on=date(2026, 9, 1),
                due_on=date(2026, 10, 1),
                paid_on=date(2026, 10, 20),
                status="paid",
            )
        )
    offer = propose(engine, account, {"discount_pct": 14}, by=people["ae"], now=NOW - timedelta(days=3))
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})
    with running_server(url) as base:
        _sign_in(page, base, "finance", f"/approvals/{offer.approval_id}")
        page.get_by_role("heading", name="Payment history").wait_for()
        body = page.locator("main").inner_text()
        assert "given away" in body and "$" in body and "OVERDUE by" in body
        assert "INV-E2E-1" in body and "19 days late" in body
        screenshot(page, "approval-finance")
        page.get_by_label("Reason").fill("Fine against how they pay")
        page.get_by_role("button", name="Approve", exact=True).click()
        page.get_by_role("status").wait_for()
        assert (
            f"Approval {offer.approval_id}: offer {offer.offer_id} approved" in page.get_by_role("status").inner_text()
        )
    with engine.connect() as conn:
        assert conn.execute(select(APPROVAL.c.status, APPROVAL.c.settled_by)).one() == ("approved", "finance")


def test_a_cs_manager_bulk_decides_from_the_queue(browser_page, people_book, screenshot):
    url, engine, people = people_book
    accounts = account_ids(engine)
    ids = [propose(engine, a, {"discount_pct": 4}, by=people["ae"]).approval_id for a in accounts[:3]]
    own = propose(engine, accounts[3], {"discount_pct": 5}, by=people["cs_manager"]).approval_id
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})
    with running_server(url) as base:
        _sign_in(page, base, "cs-manager", "/approvals")
        page.get_by_label("Requester").fill("ae")
        page.get_by_role("button", name="Show").click()
        page.locator(f"#approval-{ids[0]}").wait_for()
        assert page.locator(f"#approval-{own}").count() == 0  # filtered out
        for approval_id in ids:
            page.locator(f"#approval-{approval_id}").get_by_role("checkbox").check()
        screenshot(page, "queue-bulk-ticked")
        page.get_by_label("Reason for the ticked approvals").fill("Quarter-end batch within guidance")
        page.get_by_role("button", name="Approve ticked").click()
        page.get_by_role("heading", name="Bulk decision: 3 of 3 decided").wait_for()
        screenshot(page, "queue-bulk-result")
        page.get_by_role("link", name="Back to the queue").click()
        page.locator("form.filters").wait_for()
        page.goto(f"{base}/approvals")
        own_row = page.locator(f"#approval-{own}")
        assert "you proposed this offer" in own_row.inner_text() and own_row.get_by_role("checkbox").count() == 0
        screenshot(page, "queue-after-bulk")
    with engine.connect() as conn:
        statuses = dict(conn.execute(select(APPROVAL.c.id, APPROVAL.c.status)).all())
    assert [statuses[i] for i in ids] == ["approved"] * 3 and statuses[own] == "pending"


def test_a_csm_edits_a_draft_and_sends_it_and_sees_a_held_one(browser_page, people_book, screenshot):
    from tests.integration.api_support import OUTBOX, add_drafts, hold_draft

    url, engine, people = people_book
    mine = account_ids(engine, owner=people["csm"].email)
    draft, held = add_drafts(engine, mine[:2], 2)
    hold_draft(
        engine,
        held,
        f"champion1@customer.test already has an email from the usage_decline play (message {draft}, "
        "drafted, 2026-11-24); the quiet period is 5 days",
    )
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})
    with running_server(url) as base:
        _sign_in(page, base, "csm", "/outbox")
        row = page.locator(f"#message-{draft}")
        row.get_by_text("Edit this draft").click()
        row.get_by_label("Subject").fill("Before your renewal")
        row.get_by_label("Body").fill("Hi Julia,\n\nCould we talk this week?\n\nBest regards,\nAna Lima")
        screenshot(page, "outbox-editing")
        row.get_by_role("button", name="Save edits").click()
        page.get_by_role("status").wait_for()
        assert f"Message {draft}: edited" in page.get_by_role("status").inner_text()
        assert "HELD, not sent" in page.locator(f"#message-{held}").inner_text()
        screenshot(page, "outbox-held")
        row = page.locator(f"#message-{draft}")
        row.get_by_label(f"Reason for message {draft}").fill("ready")
        row.get_by_role("button", name="Send now").click()
        page.get_by_role("status").wait_for()
        assert "no email sender is configured" in page.get_by_role("status").inner_text()
    with engine.connect() as conn:
        row = conn.execute(select(OUTBOX.c.subject, OUTBOX.c.status).where(OUTBOX.c.id == draft)).one()
    assert tuple(row) == ("Before your renewal", "approved")
