"""Browser tests drive Debian's Chromium with Playwright; `make test` installs the browser when it is missing.

Playwright's own browser download is never used (the machines have no route to
it): the tests launch the system Chromium by path, with the flags that keep it
off the network. With CI=true a missing Chromium fails the run. Screenshots of
the pages the tests reach go to var/screenshots/ (ignored by git), for review.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from core.db import make_engine
from core.identity import User
from core.schema import upgrade
from tests.integration.approval_support import book_with_people

CHROMIUM = os.environ.get("WATCHTOWER_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser_page(tmp_path: Path) -> Iterator[object]:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        message = f"Chromium not found at {CHROMIUM}; `make test` installs Debian's chromium package"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (CI=true: browser tests are required)", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=FLAGS
        )
        try:
            page = browser.new_page()
            page.set_default_timeout(20_000)
            yield page
        finally:
            browser.close()


@pytest.fixture
def screenshot() -> Callable[[Any, str], Path]:
    """``screenshot(page, "name")`` saves the whole page as var/screenshots/name.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def people_book(tmp_path: Path) -> Iterator[tuple[str, Engine, dict[str, User]]]:
    """A SQLite file with the approvals' small book and one user per role: its URL (for a served app), an engine
    on it and the users by role."""
    url = f"sqlite:///{tmp_path / 'web.db'}"
    engine = make_engine(url)
    upgrade(engine)
    people = book_with_people(engine)
    yield url, engine, people
    engine.dispose()
