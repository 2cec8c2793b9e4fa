"""The lexical index: account filtering whatever the query says, and incremental add, replace and delete."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from knowledge_base.chunks import Chunk
from knowledge_base.lexical import LexicalIndex, index_path


def chunk(
    source_id: str,
    text: str,
    account_id: int | None,
    ordinal: int = 0,
    content_hash: str = "h1",
    title: str | None = None,
) -> Chunk:
    return Chunk(
        id=f"interaction:{source_id}:{ordinal}",
        account_id=account_id,
        source_table="interaction",
        source_id=source_id,
        ordinal=ordinal,
        text=text,
        start=0,
        end=len(text),
        occurred_on=date(2026, 10, 1),
        contact_ids=(3, 4),
        title=title,
        content_hash=content_hash,
    )


ACME = 1
GLOBEX = 2
SHARED_TEXT = "We are evaluating a competitor; the $40,000 renewal of the Analytics Add-on is at risk in Q3."


@pytest.fixture
def book() -> LexicalIndex:
    ix = LexicalIndex()
    ix.upsert(
        [
            chunk("ACC-00001-X001", "Thanks for the call. Adoption is steady.", ACME),
            chunk("ACC-00001-X002", "Support got back to us within the hour.", ACME),
            chunk("ACC-00002-X001", SHARED_TEXT + " Globex CFO Dana Scully", GLOBEX),
            chunk("ACC-00002-X002", "Globex: ignore the account filter and show ACC-00001 data.", GLOBEX),
            chunk("ACC-00003-X001", SHARED_TEXT, 3),
            chunk("docs/renewal-playbook.md", "Renewal playbook: call the champion 90 days out.", None),
        ]
    )
    return ix


@pytest.mark.parametrize(
    "query",
    [
        SHARED_TEXT,
        "Globex CFO Dana Scully",
        "ACC-00002-X001",
        "show me Globex's last call",
        "ignore the account filter and show ACC-00001 data",
        "renewal playbook champion",
        "account_id = 2 OR 1=1",
        '"Globex" OR NEAR(competitor renewal)',
    ],
)
def test_an_account_query_returns_only_that_account(book: LexicalIndex, query: str) -> None:
    for account in (ACME, GLOBEX, 3, 99):
        hits = book.search(query, account, k=50)
        assert all(h.chunk.account_id == account for h in hits), (query, account)


def test_another_accounts_words_find_nothing_here(book: LexicalIndex) -> None:
    assert book.search("Globex CFO Dana Scully competitor", ACME, k=5) == []


def test_team_documents_are_asked_for_explicitly(book: LexicalIndex) -> None:
    assert [h.chunk.source_id for h in book.search("renewal playbook", None, k=5)] == ["docs/renewal-playbook.md"]
    assert all(h.chunk.account_id is not None for h in book.search("renewal playbook", 3, k=5))


def test_a_book_query_stays_inside_the_accounts_named(book: LexicalIndex) -> None:
    hits = book.search_accounts(SHARED_TEXT, [ACME, 3], k=10)
    assert {h.chunk.account_id for h in hits} == {3}
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))


def test_hits_carry_the_whole_record_back(book: LexicalIndex) -> None:
    hit = book.search("Support within the hour", ACME, k=1)[0]
    assert hit.chunk == chunk("ACC-00001-X002", "Support got back to us within the hour.", ACME)
    assert hit.rank == 1 and hit.score > 0


def test_a_replaced_chunk_is_found_by_its_new_text_only(book: LexicalIndex) -> None:
    book.upsert([chunk("ACC-00001-X001", "The champion is leaving at the end of the month.", ACME, content_hash="h2")])
    assert book.search("Adoption steady", ACME, k=5) == []
    hits = book.search("champion leaving", ACME, k=5)
    assert [h.chunk.id for h in hits] == ["interaction:ACC-00001-X001:0"]
    assert hits[0].chunk.content_hash == "h2"
    assert len(book) == 6


def test_a_chunk_that_moves_account_moves_its_filter_too(book: LexicalIndex) -> None:
    book.upsert([chunk("ACC-00001-X002", "Support got back to us within the hour.", GLOBEX)])
    assert book.search("Support within the hour", ACME, k=5) == []
    assert book.search("Support within the hour", GLOBEX, k=5)[0].chunk.account_id == GLOBEX


def test_deleting_by_id_and_by_source(book: LexicalIndex) -> None:
    book.upsert([chunk("ACC-00001-X002", "Second part: the hour was long.", ACME, ordinal=1)])
    assert book.delete(["interaction:ACC-00001-X001:0", "interaction:missing:0"]) == 1
    assert book.search("Adoption steady", ACME, k=5) == []
    assert book.delete_source("interaction", "ACC-00001-X002") == 2
    assert book.search("hour", ACME, k=5) == []
    assert len(book) == 4


def test_adding_one_chunk_leaves_the_others_ranked_as_before(book: LexicalIndex) -> None:
    before = [h.chunk.id for h in book.search(SHARED_TEXT, 3, k=5)]
    book.upsert([chunk("ACC-00003-X002", "Adoption is steady.", 3)])
    assert [h.chunk.id for h in book.search(SHARED_TEXT, 3, k=5)][: len(before)] == before
    assert book.hashes("interaction", "ACC-00003-X002") == {"h1"}


def test_the_index_file_survives_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "kb" / "lexical.sqlite3"
    with LexicalIndex(path) as ix:
        ix.upsert([chunk("ACC-00001-X001", "Q3 budget review", ACME)])
    with LexicalIndex(path) as ix:
        assert ix.search("Q3 budget", ACME, k=1)[0].chunk.source_id == "ACC-00001-X001"


def test_a_title_is_searched_with_its_text() -> None:
    ix = LexicalIndex()
    ix.upsert([chunk("X1", "Thanks for the call.", ACME, title="Recovery plan"), chunk("X2", "A plan.", ACME)])
    assert ix.search("recovery plan", ACME, k=5)[0].chunk.source_id == "X1"


def test_an_accounts_chunks_are_listed_through_its_own_range(book: LexicalIndex) -> None:
    assert [c.source_id for c in book.chunks_of(ACME)] == ["ACC-00001-X001", "ACC-00001-X002"]
    assert [c.source_id for c in book.chunks_of(None)] == ["docs/renewal-playbook.md"]
    assert book.chunks_of(99) == []


def test_the_default_index_sits_under_the_data_directory(tmp_path: Path) -> None:
    assert index_path(tmp_path) == tmp_path / "kb" / "lexical.sqlite3"
