"""Reciprocal rank fusion on hand-built rankings, and hybrid search over a stand-in dense ranker.

The stand-in dense ranker is a bag-of-words cosine over a fixed in-memory table of vectors: it ranks by
shared words, as an embedding ranker ranks by shared meaning, which is all fusion needs to be tested.
It says nothing about how well the real embeddings retrieve.
"""

from __future__ import annotations

import pytest

from knowledge_base.chunks import Chunk, Hit
from knowledge_base.hybrid import hybrid_search, reciprocal_rank_fusion
from knowledge_base.lexical import LexicalIndex
from tests.kb_rankers import BagOfWords


def chunk(name: str, account_id: int | None = 1, text: str = "") -> Chunk:
    return Chunk(f"interaction:{name}:0", account_id, "interaction", name, 0, text or name, 0, len(text or name), None)


def ranking(*names: str) -> list[Hit]:
    return [Hit(chunk(n), 1.0 / r, r) for r, n in enumerate(names, start=1)]


def ids(hits: list[Hit]) -> list[str]:
    return [h.chunk.source_id for h in hits]


def test_rrf_scores_are_sums_of_reciprocal_ranks() -> None:
    fused = reciprocal_rank_fusion([ranking("a", "b", "c"), ranking("b", "c", "a")], k=60)
    assert ids(fused) == ["b", "a", "c"]
    assert fused[0].score == pytest.approx(1 / 62 + 1 / 61)
    assert fused[1].score == pytest.approx(1 / 61 + 1 / 63)
    assert [h.rank for h in fused] == [1, 2, 3]


def test_a_hit_in_one_list_only_still_counts() -> None:
    fused = reciprocal_rank_fusion([ranking("a", "b"), ranking("c")], k=60)
    assert ids(fused) == ["a", "c", "b"]
    assert fused[1].score == pytest.approx(1 / 61)


def test_ties_go_to_the_better_single_rank_then_the_id_whatever_the_order_of_lists() -> None:
    one, two = ranking("x", "a", "b"), ranking("a", "y", "b")
    # a: 1/62 + 1/61; x: 1/61; y: 1/62; b twice third: 2/63 ties with nobody
    assert ids(reciprocal_rank_fusion([one, two])) == ids(reciprocal_rank_fusion([two, one]))
    tied = reciprocal_rank_fusion([ranking("p", "q"), ranking("q", "p")])
    assert tied[0].score == tied[1].score
    assert ids(tied) == ["p", "q"]
    exact = reciprocal_rank_fusion([ranking("m"), ranking("z", "n")], k=0)  # m 1/1, z 1/1, n 1/2
    assert ids(exact) == ["m", "z", "n"]
    # a: 1/2 + 1/2 = 1 ties b and x at 1/1; a first place beats two second places.
    assert ids(reciprocal_rank_fusion([ranking("b", "a"), ranking("x", "a")], k=0)) == ["b", "x", "a"]


def test_k_decides_between_one_first_place_and_two_middling_ones() -> None:
    # "solo" is first in one list; "both" is third in each.
    rankings = [ranking("solo", "u", "both"), ranking("v", "w", "both")]
    assert ids(reciprocal_rank_fusion(rankings, k=0))[0] == "solo"  # 1/1 beats 2/3
    assert ids(reciprocal_rank_fusion(rankings, k=60))[0] == "both"  # 2/63 beats 1/61


def test_a_ranker_listing_a_chunk_twice_counts_it_once_and_limit_cuts() -> None:
    fused = reciprocal_rank_fusion([ranking("a", "a", "b")], limit=1)
    assert ids(fused) == ["a"] and fused[0].score == pytest.approx(1 / 61)
    with pytest.raises(ValueError, match="k must be"):
        reciprocal_rank_fusion([], k=-1)


TEXTS = {
    "farewell": "Maria Lopez here: I am leaving the company at the end of the month.",
    "invoice": "Invoice ACC-00042-I007 for $12,500 is 40 days overdue.",
    "goodbye": "We said goodbye to our old vendor and moved on.",
    "review": "Quarterly business review: adoption is steady.",
}


@pytest.fixture
def corpus() -> list[Chunk]:
    own = [chunk(name, 1, text) for name, text in TEXTS.items()]
    other = [chunk(f"other-{name}", 2, text) for name, text in TEXTS.items()]
    return own + other


def test_hybrid_finds_what_either_ranker_finds(corpus: list[Chunk]) -> None:
    lexical = LexicalIndex()
    lexical.upsert(corpus)
    dense = BagOfWords(corpus)
    hits = hybrid_search("ACC-00042-I007 overdue", 1, 2, dense, lexical)
    assert ids(hits)[0] == "invoice"
    hits = hybrid_search("is the champion leaving the company", 1, 3, dense, lexical)
    assert ids(hits)[0] == "farewell"


def test_hybrid_keeps_to_the_account_even_if_a_ranker_does_not(corpus: list[Chunk]) -> None:
    lexical = LexicalIndex()
    lexical.upsert(corpus)

    def careless(query: str, account_id: int | None, k: int) -> list[Hit]:
        return [Hit(c, 1.0, r) for r, c in enumerate(corpus[::-1][:k], start=1)]

    for query in ("leaving the company", "ACC-00042-I007", "other-farewell"):
        for account in (1, 2):
            hits = hybrid_search(query, account, 10, careless, lexical)
            assert hits and all(h.chunk.account_id == account for h in hits)


def test_hybrid_rrf_k_is_configurable(corpus: list[Chunk]) -> None:
    lexical = LexicalIndex()
    lexical.upsert(corpus)
    dense = BagOfWords(corpus)
    hits = hybrid_search("overdue invoice", 1, 1, dense, lexical, rrf_k=10)
    assert hits[0].score == pytest.approx(2 / 11)
