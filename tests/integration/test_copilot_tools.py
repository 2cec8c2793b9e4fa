"""The copilot's read tools on a seeded book: bound to one account, every fact with its stored source."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from core.identity import add_user
from core.models import Account, Task
from tests.integration.approval_support import NOW
from tests.integration.copilot_support import AS_OF, Book, seeded_book
from tools.access import AccountRef, reachable_accounts
from tools.copilot_sources import stored_text
from tools.copilot_tools import TOOLS, CopilotTools

TASK = Task.__table__  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Book]:
    made = seeded_book(tmp_path_factory.mktemp("copilot-tools"))
    yield made
    made.engine.dispose()


def _sources(value: object) -> list[dict]:
    """Every ``source`` mapping anywhere in a dumped result."""
    found: list[dict] = []
    if isinstance(value, dict):
        if {"table", "id", "text"} <= value.keys():
            found.append(value)
        for v in value.values():
            found += _sources(v)
    elif isinstance(value, list):
        for v in value:
            found += _sources(v)
    return found


def test_a_tool_argument_naming_another_account_is_ignored(book: Book) -> None:
    with book.engine.connect() as conn:
        tools = CopilotTools(conn, book.owner, AccountRef(book.at_risk_id, book.at_risk, ""), AS_OF)
        for name in ("scorecard", "open_alerts", "stakeholders", "renewals", "offers", "open_plays", "usage_trend"):
            result = tools.call(name, account_id=book.foreign_id, account=book.foreign)
            assert result.account.external_id == book.at_risk
            for source in _sources(result.model_dump(mode="json")):
                stored = stored_text(conn, source["table"], source["id"])
                assert stored is not None and stored.account_id == book.at_risk_id
                assert stored.text == source["text"]
        assert tools.calls[0].arguments == {"account_id": book.foreign_id, "account": book.foreign}


def test_every_tool_has_a_schema_without_an_account(book: Book) -> None:
    for spec in TOOLS.values():
        assert not {"account", "account_id", "user"} & set(spec.arguments.model_fields)


def test_the_at_risk_account_has_a_scorecard_with_reasons(book: Book) -> None:
    with book.engine.connect() as conn:
        card = CopilotTools(conn, book.owner, AccountRef(book.at_risk_id, book.at_risk, ""), AS_OF).scorecard()
    assert card.band in ("Orange", "Red") and card.reasons and card.source is not None
    assert card.reasons[0].text in card.source.text


def test_the_book_tool_reads_only_reachable_accounts(book: Book) -> None:
    with book.engine.connect() as conn:
        mine = CopilotTools(conn, book.owner, AccountRef(book.at_risk_id, book.at_risk, ""), AS_OF).book()
        everyone = CopilotTools(conn, book.manager, AccountRef(book.at_risk_id, book.at_risk, ""), AS_OF).book()
    assert mine.accounts_in_reach < everyone.accounts_in_reach
    owner_csm = book.owner.email
    assert all(r.account.owner_csm == owner_csm for r in mine.behind)
    assert all(m.account.owner_csm == owner_csm for m in mine.moved)


def test_an_ae_reaches_the_accounts_of_open_ae_tasks(book: Book) -> None:
    with book.engine.begin() as conn:
        ae = add_user(conn, username="ae-one", role="ae", email="ae-one@example.test", now=NOW)
        handed = set(
            conn.execute(select(TASK.c.account_id).where(TASK.c.owner_role == "ae", TASK.c.status == "open")).scalars()
        )
        reach = reachable_accounts(conn, ae)
        assert handed and set(reach) == handed
        total = conn.execute(select(func.count()).select_from(Account)).scalar_one()
        assert len(reach) < total


def test_the_tools_a_model_would_call_stay_on_the_bound_account(book: Book) -> None:
    with book.engine.connect() as conn:
        tools = CopilotTools(conn, book.owner, AccountRef(book.at_risk_id, book.at_risk, ""), AS_OF)
        by_name = {t.name: t for t in tools.as_langchain_tools()}
        assert set(by_name) == set(TOOLS)
        result = by_name["scorecard"].invoke({"account_id": book.foreign_id})
        assert result["account"]["external_id"] == book.at_risk
        assert tools.calls[-1].tool == "scorecard"
