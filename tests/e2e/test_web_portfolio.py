"""In Chromium: a CSM signs in and lands on their book, opens an at-risk account, sees its score trend and
stakeholder map, asks the copilot from the account page and follows a citation; a CS manager lands on the
dashboard. axe-core checks every page reached and fails on any serious or critical violation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from approvals.queue import ACCOUNT, APPROVAL, Actor
from core.models import AppUser
from tests.integration.api_support import serving
from tests.integration.approval_support import PASSWORD, propose
from tests.integration.copilot_doors_support import QUESTION, doors_app
from tests.integration.copilot_support import Book
from tests.integration.portfolio_support import portfolio_book

WIDTH = 1280
BLOCKING = ("serious", "critical")
USER = AppUser.__table__  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Book]:
    made, _ = portfolio_book(tmp_path_factory.mktemp("portfolio-e2e"))
    yield made
    made.engine.dispose()


def assert_accessible(page: Any) -> None:
    """axe-core on the page as it stands; every serious or critical violation is listed in the failure."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    found = [v for v in results.response["violations"] if v.get("impact") in BLOCKING]
    listed = [
        f"{v['impact']} {v['id']}: {v['help']} at {', '.join(str(n['target']) for n in v['nodes'][:3])}" for v in found
    ]
    assert not listed, f"{page.url}:\n" + "\n".join(listed)


def _sign_in(page: Any, base: str, username: str, landing: str) -> None:
    page.goto(f"{base}/")
    assert "/login" in page.url
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}{landing}")


def test_a_csm_lands_on_their_book_opens_an_at_risk_account_and_asks_the_copilot(
    browser_page, book: Book, screenshot
) -> None:
    page = browser_page
    page.set_viewport_size({"width": WIDTH, "height": 900})
    with book.engine.connect() as conn:
        name = conn.execute(select(ACCOUNT.c.name).where(ACCOUNT.c.id == book.at_risk_id)).scalar_one()
    with serving(doors_app(book, cookie_secure=False)) as base:
        _sign_in(page, base, "owner-web", "/book")
        assert page.get_by_role("heading", level=1).inner_text().startswith("My book")
        assert page.get_by_role("link", name=name, exact=True).is_visible()
        assert book.foreign not in page.content()
        assert_accessible(page)
        screenshot(page, "book")

        page.get_by_role("link", name=name, exact=True).click()
        page.wait_for_url(f"{base}/accounts/{book.at_risk}")
        trend = page.get_by_role("img", name=f"Health score of {name}, weekly")
        people = page.get_by_role("img", name=f"Stakeholder map of {name}")
        assert trend.is_visible() and people.is_visible()
        assert trend.bounding_box()["width"] > 300
        assert_accessible(page)
        screenshot(page, "account")

        page.get_by_label("Your question").fill(QUESTION)
        page.get_by_role("button", name="Ask").click()
        page.wait_for_url(f"{base}/accounts/{book.at_risk}/copilot")
        answer = page.get_by_role("region", name="Answer")
        sources = answer.get_by_role("list", name="Sources").get_by_role("listitem")
        sources.first.wait_for()
        quote = sources.first.locator("q").inner_text()
        assert_accessible(page)
        sources.first.get_by_role("link", name="Source 1: ").click()
        page.wait_for_url("**/copilot/sources/**")
        assert page.locator("mark#quote").inner_text() == quote
        assert_accessible(page)

        page.goto(f"{base}/accounts/{book.foreign}")
        assert page.get_by_role("heading", name="Not found").is_visible()
        assert_accessible(page)


def test_a_cs_manager_lands_on_the_dashboard(browser_page, book: Book, screenshot) -> None:
    page = browser_page
    page.set_viewport_size({"width": WIDTH, "height": 900})
    with serving(doors_app(book, cookie_secure=False)) as base:
        _sign_in(page, base, "cs-manager-web", "/dashboard")
        assert page.get_by_role("heading", level=1).inner_text().startswith("Portfolio")
        assert page.get_by_role("img", name="Accounts per health band, last 12 weeks").is_visible()
        assert page.get_by_role("link", name="pending").is_visible()
        assert_accessible(page)
        screenshot(page, "dashboard")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Skip to content"
        page.get_by_role("link", name="Approvals", exact=True).click()
        page.wait_for_url(f"{base}/approvals")
        assert_accessible(page)
        screenshot(page, "approvals")


def test_finance_approves_an_offer_from_the_account_page(browser_page, book: Book, screenshot) -> None:
    """Finance starts on their queue, opens the account the offer is about, and decides from there."""
    page = browser_page
    page.set_viewport_size({"width": WIDTH, "height": 900})
    with book.engine.connect() as conn:
        ae = conn.execute(select(USER.c.id).where(USER.c.username == "ae-web")).scalar_one()
    offer = propose(book.engine, book.at_risk_id, {"discount_pct": 15}, by=Actor("ae-web", "person", "ae", ae))
    with serving(doors_app(book, cookie_secure=False)) as base:
        _sign_in(page, base, "finance-web", "/approvals")
        assert_accessible(page)
        page.goto(f"{base}/accounts/{book.at_risk}")
        offers = page.get_by_role("region", name="Offers")
        link = offers.get_by_role("link", name=f"Approval {offer.approval_id}: pending")
        assert link.is_visible()
        assert_accessible(page)
        link.click()
        page.wait_for_url(f"{base}/approvals/{offer.approval_id}")
        assert_accessible(page)
        screenshot(page, "approval-from-account")
        page.get_by_label("Reason").fill("Within what the account is worth to us")
        page.get_by_role("button", name="Approve", exact=True).click()
        page.get_by_role("status").wait_for()
        assert "approved" in page.get_by_role("status").inner_text()
        # Finance reaches an account only while an offer on it waits for finance: decided, it is out of reach.
        page.goto(f"{base}/accounts/{book.at_risk}")
        assert page.get_by_role("heading", name="Not found").is_visible()
    with book.engine.connect() as conn:
        assert conn.execute(
            select(APPROVAL.c.status, APPROVAL.c.settled_by).where(APPROVAL.c.id == offer.approval_id)
        ).one() == ("approved", "finance-web")


def test_the_outbox_and_the_briefings_archive_pass_the_accessibility_check(browser_page, book: Book) -> None:
    page = browser_page
    page.set_viewport_size({"width": WIDTH, "height": 900})
    with serving(doors_app(book, cookie_secure=False)) as base:
        _sign_in(page, base, "cs-manager-web", "/dashboard")
        for path in ("/outbox", "/briefings", "/book", "/accounts"):
            page.goto(f"{base}{path}")
            assert_accessible(page)
