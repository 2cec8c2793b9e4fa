"""A CS manager signs in, sees an offer in the queue with its money and health, and approves it with a reason."""

from __future__ import annotations

from sqlalchemy import select

from api.child_process import running_server
from approvals.queue import APPROVAL
from core.db import make_engine
from core.schema import upgrade
from tests.integration.approval_support import PASSWORD, account_ids, book_with_people, propose


def test_click_through_one_approval(browser_page, tmp_path):
    url = f"sqlite:///{tmp_path / 'web.db'}"
    engine = make_engine(url)
    upgrade(engine)
    people = book_with_people(engine)
    offer = propose(engine, account_ids(engine)[0], {"discount_pct": 7.5}, by=people["ae"])
    page = browser_page
    with running_server(url) as base:
        page.goto(f"{base}/")
        assert "/login" in page.url
        page.get_by_label("Username").fill("cs-manager")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        row = page.locator(f"#approval-{offer.approval_id}")
        row.wait_for()
        assert "7.5%" in row.inner_text() and "discount" in row.inner_text()
        row.get_by_label(f"Reason for approval {offer.approval_id}").fill("Within my 10% guidance")
        row.get_by_role("button", name="Approve").click()
        status = page.get_by_role("status")
        status.wait_for()
        assert f"Approval {offer.approval_id}: offer {offer.offer_id} approved" in status.inner_text()
        assert page.locator(f"#approval-{offer.approval_id}").count() == 0
        page.screenshot(path=str(tmp_path / "queue.png"))
    with engine.connect() as conn:
        settled = conn.execute(select(APPROVAL.c.status, APPROVAL.c.settled_by, APPROVAL.c.reason)).one()
    assert tuple(settled) == ("approved", "cs-manager", "Within my 10% guidance")
    engine.dispose()
