"""Names, ids, money and product terms stay findable: the tokens, and what the index returns for them."""

from __future__ import annotations

import pytest

from knowledge_base.chunks import Chunk
from knowledge_base.lexical import LexicalIndex
from knowledge_base.tokens import query_terms, tokens


def chunk(source_id: str, text: str, account_id: int | None = 1) -> Chunk:
    return Chunk(f"interaction:{source_id}:0", account_id, "interaction", source_id, 0, text, 0, len(text), None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ACC-00042-X007", {"acc00042", "acc00042x007", "00042", "42", "x007"}),
        ("Q3", {"q3"}),
        ("$12,500", {"12500"}),
        ("12,500", {"12500"}),
        ("$12,500.00", {"12500"}),
        ("$12.5k", {"12500"}),
        ("$1,234.50", {"1234", "1234p5"}),
        ("Analytics Add-on", {"analytics", "addon", "add", "on"}),
        ("the CFO's budget", {"cfo", "budget"}),
        ("Jane O'Neil", {"jane", "oneil"}),
    ],
)
def test_tokens_keep_compounds_whole(text: str, expected: set[str]) -> None:
    assert expected <= set(tokens(text))


def test_money_does_not_split_into_its_groups() -> None:
    assert "500" not in set(tokens("$12,500")) and "12" not in set(tokens("$12,500"))


def test_questions_lose_their_filler_words() -> None:
    assert query_terms("What did their CFO say about pricing on the last call?") == ["cfo", "say", "pricing", "call"]


@pytest.fixture
def index() -> LexicalIndex:
    ix = LexicalIndex()
    ix.upsert(
        [
            chunk("A", "Renewal of ACC-00042 is due; the Q3 invoice of $12,500 is open."),
            chunk("B", "ACC-00043 asked about 42 seats and 500 more API calls in Q4, about $12,000."),
            chunk("C", "They want the Analytics Add-on before the Automation Suite."),
            chunk("D", "We will add a dashboard on the analytics page later."),
            chunk("E", "Priya Raman from finance joined the call with Tom Weber."),
            chunk("F", "Tom Harris and Priya Weber could not make it."),
        ]
    )
    return ix


@pytest.mark.parametrize(
    ("query", "best"),
    [
        ("ACC-00042", "A"),
        ("what's open on acc-00042", "A"),
        ("the $12,500 invoice", "A"),
        ("12500", "A"),
        ("anything about Q3?", "A"),
        ("Analytics Add-on", "C"),
        ("Priya Raman", "E"),
        ("Tom Weber", "E"),
    ],
)
def test_each_term_ranks_its_own_chunk_first(index: LexicalIndex, query: str, best: str) -> None:
    assert index.search(query, 1, k=5)[0].chunk.source_id == best


@pytest.mark.parametrize("text", ["$" + "9" * 5000, "1" + ",000" * 1500, "$" + "9" * 4299 + "k"])
def test_an_amount_longer_than_python_prints_is_still_a_token(text: str) -> None:
    # A pasted run of digits in a transcript, a heading or a question: Python refuses str() of an int of more
    # than 4,300 digits, and indexing or searching such a text must not fail on it.
    found = list(tokens(text))
    assert found and all(t.isdigit() for t in found)
    index = LexicalIndex()
    index.upsert([chunk("D", "pricing " + text)])
    assert [h.chunk.source_id for h in index.search(text + " pricing", 1)] == ["D"]
