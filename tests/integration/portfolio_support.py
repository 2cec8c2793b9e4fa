"""A seeded book scored every week for six weeks, with a web login per role, for the dashboard and account pages.

Built through the product's own paths: the command line seeds and runs the weekly cycle (``copilot_support``),
then ``score_book`` scores the earlier weeks, so the trend and the movers have a history to read.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from core.identity import User, add_user
from scorecards.weekly import ScoringConfig, score_book
from tests.integration.approval_support import NOW, PASSWORD
from tests.integration.copilot_support import AS_OF, Book, seeded_book

WEEKS_BACK = 6
#: One web login per role, beside the book's CSMs (``owner-web`` owns the at-risk account).
ROLES = ("cs_manager", "cro", "admin", "finance", "legal", "ae")


def portfolio_book(folder: Path) -> tuple[Book, dict[str, User]]:
    book = seeded_book(folder, accounts=30)
    config = ScoringConfig.load()
    for weeks in range(1, WEEKS_BACK + 1):
        score_book(book.engine, config, AS_OF - timedelta(weeks=weeks))
    people: dict[str, User] = {}
    with book.engine.begin() as conn:
        people["csm"] = add_user(
            conn, username="owner-web", role="csm", email=book.owner.email, password=PASSWORD, now=NOW
        )
        people["other_csm"] = add_user(
            conn, username="other-web", role="csm", email=book.other_csm.email, password=PASSWORD, now=NOW
        )
        for role in ROLES:
            people[role] = add_user(
                conn,
                username=f"{role.replace('_', '-')}-web",
                role=role,
                email=f"{role}@example.test",
                password=PASSWORD,
                now=NOW,
            )
    return book, people
