"""The book-level question over a person's reachable accounts: behind renewals and band moves, cited and
verified, and nothing of accounts out of reach."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import insert, select, update

from agents.copilot.graph import UNVERIFIED
from agents.copilot.service import Copilot
from core.models import Account, RenewalForecast, Scorecard
from tests.integration.copilot_support import AS_OF, Book, seeded_book

ACCOUNT = Account.__table__  # type: ignore[attr-defined]
FORECAST = RenewalForecast.__table__  # type: ignore[attr-defined]
SCORECARD = Scorecard.__table__  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Book]:
    made = seeded_book(tmp_path_factory.mktemp("copilot-book"))
    yield made
    made.engine.dispose()


def _owned(book: Book, email: str) -> list[tuple[int, str]]:
    with book.engine.connect() as conn:
        return [
            (r.id, r.external_id)
            for r in conn.execute(
                select(ACCOUNT.c.id, ACCOUNT.c.external_id)
                .join(FORECAST, FORECAST.c.account_id == ACCOUNT.c.id)
                .where(ACCOUNT.c.owner_csm == email, FORECAST.c.renewal_on >= AS_OF)
                .order_by(ACCOUNT.c.id)
            ).all()
        ]


def _behind_and_moved(book: Book, account_id: int) -> None:
    """One renewal behind schedule, and a scorecard a week earlier in another band."""
    with book.engine.begin() as conn:
        conn.execute(update(FORECAST).where(FORECAST.c.account_id == account_id).values(timeline="behind"))
        card = (
            conn.execute(select(SCORECARD).where(SCORECARD.c.account_id == account_id, SCORECARD.c.as_of == AS_OF))
            .mappings()
            .one()
        )
        earlier = {k: v for k, v in card.items() if k != "id"}
        earlier.update(as_of=AS_OF - timedelta(days=7), band="Green" if card["band"] != "Green" else "Red")
        conn.execute(insert(SCORECARD).values(**earlier))


def test_my_renewals_behind_lists_only_mine_with_verified_citations(book: Book) -> None:
    mine, theirs = _owned(book, book.owner.email)[0], _owned(book, book.other_csm.email)[0]
    _behind_and_moved(book, mine[0])
    _behind_and_moved(book, theirs[0])
    with Copilot.open(book.settings) as copilot:
        answer = copilot.ask(
            user=book.owner, account=book.at_risk, question="Which of my renewals are behind?", as_of=AS_OF
        )
        overseen = copilot.ask(
            user=book.manager, account=book.at_risk, question="Which renewals are behind?", as_of=AS_OF
        )
    assert answer.intent == "renewals_behind" and answer.answer != UNVERIFIED, answer
    assert f"({mine[1]}) renews on" in answer.answer  # behind schedule
    assert f"({mine[1]}): " in answer.answer  # moved band
    assert theirs[1] not in answer.answer
    assert {c.account for c in answer.citations} == {mine[1]}
    assert {c.source for c in answer.citations} == {"renewal_forecast", "scorecard"}
    # The manager reaches both, and the answer still verifies.
    assert overseen.answer != UNVERIFIED and mine[1] in overseen.answer and theirs[1] in overseen.answer
