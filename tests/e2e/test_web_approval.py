"""In Chromium: a CS manager approves from the queue, pages through it, is told which number on the edit form is
wrong, and approves a customer email on the second page of the outbox."""

from __future__ import annotations

from sqlalchemy import select

from api.child_process import running_server
from approvals.queue import APPROVAL
from tests.integration.api_support import OUTBOX, add_drafts
from tests.integration.approval_support import PASSWORD, account_ids, propose


def _sign_in(page, base: str, path: str = "/approvals") -> None:
    page.goto(f"{base}{path}")
    assert "/login" in page.url
    page.get_by_label("Username").fill("cs-manager")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_click_through_one_approval(browser_page, people_book, screenshot):
    url, engine, people = people_book
    offer = propose(engine, account_ids(engine)[0], {"discount_pct": 7.5}, by=people["ae"])
    page = browser_page
    refused: list[str] = []  # what the Content-Security-Policy blocked, as Chromium reports it
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    with running_server(url) as base:
        _sign_in(page, base)
        row = page.locator(f"#approval-{offer.approval_id}")
        row.wait_for()
        assert "7.5%" in row.inner_text() and "discount" in row.inner_text()
        assert "Approvals 1–1 of 1" in page.get_by_role("navigation", name="Approvals pages").first.inner_text()
        row.get_by_label(f"Reason for approval {offer.approval_id}").fill("Within my 10% guidance")
        row.get_by_role("button", name="Approve").click()
        status = page.get_by_role("status")
        status.wait_for()
        assert f"Approval {offer.approval_id}: offer {offer.offer_id} approved" in status.inner_text()
        assert page.locator(f"#approval-{offer.approval_id}").count() == 0
        screenshot(page, "queue-after-approval")
        header = page.locator("header").evaluate("e => getComputedStyle(e).backgroundColor")
        assert header == "rgb(29, 39, 51)" and refused == []  # the stylesheet applies under the policy
    with engine.connect() as conn:
        settled = conn.execute(select(APPROVAL.c.status, APPROVAL.c.settled_by, APPROVAL.c.reason)).one()
    assert tuple(settled) == ("approved", "cs-manager", "Within my 10% guidance")


def test_queue_pages_and_the_edit_form_names_a_wrong_number(browser_page, people_book, screenshot):
    url, engine, people = people_book
    ids = [propose(engine, a, {"discount_pct": 4}, by=people["ae"]).approval_id for a in account_ids(engine)[:7]]
    page = browser_page
    with running_server(url) as base:
        _sign_in(page, base, "/approvals?limit=3")
        page.locator(f"#approval-{ids[0]}").wait_for()
        page.get_by_role("link", name="Next →").first.click()
        page.locator(f"#approval-{ids[3]}").wait_for()
        assert "offset=3" in page.url and page.locator(f"#approval-{ids[0]}").count() == 0
        assert "Approvals 4–6 of 7" in page.get_by_role("navigation", name="Approvals pages").first.inner_text()
        screenshot(page, "queue-page-2")

        page.locator(f"#approval-{ids[4]}").get_by_role("link", name="Edit…").click()
        page.get_by_label("Reason").fill("Less off, please")
        page.get_by_label("Discount %").fill("-5")
        with page.expect_response(lambda r: r.url.endswith(f"/approvals/{ids[4]}/decision")) as answer:
            page.get_by_role("button", name="Approve with edits").click()
        assert answer.value.status == 422
        alert = page.get_by_role("alert")
        alert.wait_for()
        assert "discount_pct" in alert.inner_text() and "greater than 0" in alert.inner_text()
        assert page.get_by_label("Discount %").input_value() == "-5"
        screenshot(page, "approval-edit-refused")
    with engine.connect() as conn:
        assert conn.execute(select(APPROVAL.c.status).where(APPROVAL.c.id == ids[4])).scalar_one() == "pending"


def test_a_draft_on_the_second_outbox_page_is_approved(browser_page, people_book, screenshot):
    url, engine, _ = people_book
    drafts = add_drafts(engine, account_ids(engine), 60)
    page = browser_page
    with running_server(url) as base:
        _sign_in(page, base, "/outbox")
        page.locator(f"#message-{drafts[0]}").wait_for()
        assert "Drafts 1–50 of 60" in page.get_by_role("navigation", name="Drafts pages").first.inner_text()
        page.get_by_role("link", name="Next →").first.click()
        row = page.locator(f"#message-{drafts[55]}")
        row.wait_for()
        row.get_by_label(f"Reason for message {drafts[55]}").fill("Tone is right")
        row.get_by_role("button", name="Approve").click()
        status = page.get_by_role("status")
        status.wait_for()
        assert f"Message {drafts[55]}: approved" in status.inner_text()
        assert "offset=50" in page.url
        assert "Drafts 51–59 of 59" in page.get_by_role("navigation", name="Drafts pages").first.inner_text()
        screenshot(page, "outbox-page-2")
    with engine.connect() as conn:
        assert conn.execute(select(OUTBOX.c.status).where(OUTBOX.c.id == drafts[55])).scalar_one() == "approved"
