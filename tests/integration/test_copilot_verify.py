"""The verifier rejects what a copilot answer must never carry: a quote that is not in its source, a source
of another account, a number no tool returned, a marker with no citation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from agents.copilot.schema import Citation, CopilotAnswer
from agents.copilot.service import Copilot
from agents.copilot.verify import book_directory, verify
from core.glossary import load_glossary
from core.models import Account, Scorecard
from knowledge_base.retrieval import KnowledgeBase
from tests.integration.copilot_support import AS_OF, Book, seeded_book
from tools.access import AccountRef
from tools.copilot_tools import CopilotTools

SCORECARD = Scorecard.__table__  # type: ignore[attr-defined]
ACCOUNT = Account.__table__  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Book]:
    made = seeded_book(tmp_path_factory.mktemp("copilot-verify"))
    yield made
    made.engine.dispose()


@pytest.fixture(scope="module")
def answered(book: Book) -> Iterator[tuple[CopilotAnswer, KnowledgeBase]]:
    """A real answer to "why is it at risk" for the at-risk account, and the open knowledge base."""
    with KnowledgeBase.open(book.data_dir) as kb, Copilot.open(book.settings, kb=kb) as copilot:
        answer = copilot.ask(user=book.owner, account=book.at_risk, question="Why is it at risk?", as_of=AS_OF)
        yield answer, kb


def _check(book: Book, answer: CopilotAnswer, kb: KnowledgeBase) -> tuple[str, ...]:
    """The verifier as the graph runs it: this turn's tool results, the glossary's wording quoted."""
    glossary = load_glossary()
    with book.engine.connect() as conn:
        name = conn.execute(select(ACCOUNT.c.name).where(ACCOUNT.c.id == book.at_risk_id)).scalar_one()
        ref = AccountRef(book.at_risk_id, book.at_risk, name)
        tools = CopilotTools(conn, book.owner, ref, AS_OF, kb)
        return verify(
            conn,
            answer,
            account=ref,
            results=[tools.scorecard(), tools.open_alerts()],
            kb=kb,
            directory=book_directory(conn),
            quoted=[glossary.wording(k) for k in glossary.terms],
        ).problems


def test_the_deterministic_answer_verifies(book: Book, answered) -> None:
    answer, kb = answered
    assert answer.intent == "why_at_risk" and answer.citations
    assert _check(book, answer, kb) == ()


def test_a_planted_quote_is_rejected(book: Book, answered) -> None:
    answer, kb = answered
    first = answer.citations[0]
    planted = first.model_copy(update={"quote": first.quote + " and the customer asked for a 40% discount"})
    bad = answer.model_copy(update={"citations": [planted, *answer.citations[1:]]})
    assert any("not a verbatim span" in p for p in _check(book, bad, kb))


def test_a_citation_of_another_accounts_row_is_rejected(book: Book, answered) -> None:
    answer, kb = answered
    with book.engine.connect() as conn:
        other = conn.execute(select(SCORECARD.c.id).where(SCORECARD.c.account_id == book.foreign_id)).scalar_one()
    # Same account label, another account's row: the row's owner is read from the database, not the label.
    stolen = Citation(source="scorecard", id=str(other), account=book.at_risk, quote="band")
    bad = answer.model_copy(update={"citations": [*answer.citations, stolen]})
    assert any("belongs to another account" in p for p in _check(book, bad, kb))
    labelled = stolen.model_copy(update={"account": book.foreign})
    bad = answer.model_copy(update={"citations": [*answer.citations, labelled]})
    assert any(f"names account {book.foreign}" in p for p in _check(book, bad, kb))


def test_a_knowledge_base_chunk_of_another_account_is_rejected(book: Book, answered) -> None:
    answer, kb = answered
    hit = kb.search("call", [book.foreign_id], k=1)[0]
    quote = hit.chunk.text[:20]
    stolen = Citation(source="kb", id=hit.chunk.id, account=book.at_risk, quote=quote)
    bad = answer.model_copy(update={"citations": [*answer.citations, stolen]})
    assert any("belongs to another account" in p for p in _check(book, bad, kb))


def test_an_invented_number_is_rejected(book: Book, answered) -> None:
    answer, kb = answered
    bad = answer.model_copy(update={"answer": answer.answer + "\nThey have 987654 open tickets."})
    assert "number 987654 is not in the facts" in _check(book, bad, kb)


def test_an_invented_date_and_a_marker_without_citation_are_rejected(book: Book, answered) -> None:
    answer, kb = answered
    n = len(answer.citations) + 1
    bad = answer.model_copy(update={"answer": answer.answer + f"\nThe CFO signed on 2031-02-03 [{n}]."})
    problems = _check(book, bad, kb)
    assert "date 2031-02-03 is not in the facts" in problems
    assert f"marker [{n}] has no citation" in problems


def test_a_name_of_another_account_is_a_leak(book: Book, answered) -> None:
    answer, kb = answered
    with book.engine.connect() as conn:
        foreign = CopilotTools(conn, book.manager, AccountRef(book.foreign_id, book.foreign, ""), AS_OF).scorecard()
    bad = answer.model_copy(update={"answer": answer.answer + f"\nCompare {foreign.account.name.lower()}."})
    assert any("belongs to another account" in p for p in _check(book, bad, kb))


def test_a_quote_of_only_whitespace_is_rejected(book: Book, answered) -> None:
    # A space is a verbatim span of every source: it cites nothing.
    answer, kb = answered
    first = answer.citations[0]
    for blank in (" ", "\n", " \t "):
        bad = answer.model_copy(
            update={"citations": [first.model_copy(update={"quote": blank}), *answer.citations[1:]]}
        )
        assert any("quotes nothing" in p for p in _check(book, bad, kb)), blank


@pytest.mark.parametrize("row_id", ["\u00b2", "\u0661", "9" * 30, str(2**63)])
def test_a_row_id_no_row_can_have_is_no_such_source(book: Book, answered, row_id: str) -> None:
    answer, kb = answered
    odd = answer.citations[0].model_copy(update={"id": row_id})
    bad = answer.model_copy(update={"citations": [odd, *answer.citations[1:]]})
    assert any("no such source" in p for p in _check(book, bad, kb))
