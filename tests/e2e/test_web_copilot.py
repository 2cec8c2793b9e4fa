"""In Chromium: a CSM asks the copilot why their account is at risk, sees a cited answer streamed into the page,
opens a citation and sees the quote marked in its source; the same without JavaScript; another CSM's account
is the not-found page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from approvals.queue import ACCOUNT
from tests.e2e.conftest import CHROMIUM, FLAGS
from tests.integration.api_support import serving
from tests.integration.approval_support import PASSWORD
from tests.integration.copilot_doors_support import QUESTION, doors_app, with_password
from tests.integration.copilot_support import Book, seeded_book

WIDTH = 1280


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Book]:
    made = seeded_book(tmp_path_factory.mktemp("copilot-e2e"))
    with_password(made.engine, made.owner, "csm-web")
    yield made
    made.engine.dispose()


def _name(book: Book) -> str:
    with book.engine.connect() as conn:
        return conn.execute(select(ACCOUNT.c.name).where(ACCOUNT.c.id == book.at_risk_id)).scalar_one()


def _sign_in(page, base: str, path: str) -> None:
    page.goto(f"{base}{path}")
    assert "/login" in page.url
    page.get_by_label("Username").fill("csm-web")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}{path}")


def _ask_and_open_a_citation(page, base: str, book: Book, screenshot, name: str) -> None:
    page.get_by_label("Your question").fill(QUESTION)
    page.keyboard.press("Tab")  # by keyboard: from the question to the Ask button, then press it
    assert page.evaluate("document.activeElement.textContent") == "Ask"
    page.keyboard.press("Enter")
    answer = page.get_by_role("region", name="Answer")
    sources = answer.get_by_role("list", name="Sources").get_by_role("listitem")
    sources.first.wait_for()
    assert "at risk" in page.locator("#answer-text").inner_text() and "[1]" in answer.inner_text()
    quote = sources.first.locator("q").inner_text()
    screenshot(page, f"{name}-answer")
    sources.first.get_by_role("link", name="Source 1: ").click()
    page.wait_for_url("**/copilot/sources/**")
    mark = page.locator("mark#quote")
    assert mark.inner_text() == quote
    assert page.locator("pre.source").inner_text().count(quote) >= 1
    screenshot(page, f"{name}-source")


def test_a_csm_asks_about_their_account_and_opens_a_citation(browser_page, book: Book, screenshot) -> None:
    page = browser_page
    page.set_viewport_size({"width": WIDTH, "height": 900})
    refused: list[str] = []  # what the Content-Security-Policy blocked, as Chromium reports it
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.url) if r.method == "POST" else None)
    with serving(doors_app(book, cookie_secure=False)) as base:
        _sign_in(page, base, "/accounts")
        screenshot(page, "copilot-accounts")
        page.get_by_role("link", name=f"Ask the copilot about {_name(book)}", exact=True).click()
        page.wait_for_url(f"{base}/accounts/{book.at_risk}/copilot")
        screenshot(page, "copilot-empty")
        _ask_and_open_a_citation(page, base, book, screenshot, "copilot-streamed")
        asked = [u for u in posted if "/accounts/" in u]
        assert asked == [f"{base}/accounts/{book.at_risk}/copilot/stream"], "the page's script did not stream it"
        page.goto(f"{base}/accounts/{book.foreign}/copilot")
        assert page.get_by_role("heading", name="Not found").is_visible()
        assert book.foreign in page.get_by_role("alert").inner_text()
        screenshot(page, "copilot-not-found")
    assert refused == []


def test_without_javascript_the_form_posts_and_the_server_renders_the_answer(tmp_path: Path, book: Book, screenshot):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
            java_script_enabled=False,
            viewport={"width": WIDTH, "height": 900},
        )
        try:
            page = browser.new_page()
            page.set_default_timeout(20_000)
            posted: list[str] = []
            page.on("request", lambda r: posted.append(r.url) if r.method == "POST" else None)
            with serving(doors_app(book, cookie_secure=False)) as base:
                _sign_in(page, base, f"/accounts/{book.at_risk}/copilot")
                _ask_and_open_a_citation(page, base, book, screenshot, "copilot-no-js")
            assert any(u.endswith(f"/accounts/{book.at_risk}/copilot") for u in posted)
            assert not any(u.endswith("/stream") for u in posted)
        finally:
            browser.close()
