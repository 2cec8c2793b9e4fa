"""In Chromium: a CRO signs in, opens the briefings archive and the latest leadership briefing, and sees it as
it was sent (its summary, its tables, its inline charts) with its own styles applied under the page's policy;
axe-core finds no serious or critical violation on either page."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agents.briefing.service import Briefer
from api.app import create_app
from core.settings import Settings
from tests.e2e.test_web_portfolio import assert_accessible
from tests.integration.api_support import serving
from tests.integration.approval_support import PASSWORD, POLICY
from tests.integration.briefing_support import AS_OF, BriefingBook, briefing_book

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> BriefingBook:
    made = briefing_book(tmp_path_factory, "briefings-e2e")
    briefer = Briefer.from_settings(made.engine, made.settings)
    for audience in ("leadership", f"csm:{made.csm}"):
        briefer.produce(audience=audience, as_of=AS_OF, now=NOW, deliver=False)
    return made


def test_a_cro_opens_the_latest_briefing(browser_page, screenshot, book: BriefingBook) -> None:
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})
    settings = Settings(database_url=book.database_url, data_dir=book.data_dir, cookie_secure=False)
    with serving(create_app(settings, engine=book.engine, policy=POLICY, clock=lambda: NOW)) as base:
        page.goto(f"{base}/briefings")
        page.get_by_label("Username").fill("cro")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{base}/briefings")
        links = page.get_by_role("link", name="Leadership: the week to 22 November 2026")
        assert links.count() == 1
        assert_accessible(page)
        screenshot(page, "briefings-archive")
        links.click()
        page.wait_for_url(f"{base}/briefings/*")
        assert page.get_by_role("heading", level=1).inner_text() == "Leadership: the week to 22 November 2026"
        assert page.get_by_role("region", name="Summary").inner_text().strip()
        assert page.locator("svg[role=img]").count() >= 1
        # Its own inline styles apply under the briefing's policy: the summary box has its background.
        background = page.evaluate("getComputedStyle(document.querySelector('.lede')).backgroundColor")
        assert background == "rgb(244, 247, 250)"
        assert_accessible(page)
        screenshot(page, "briefing-leadership")
