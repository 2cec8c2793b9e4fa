"""The retrieval suite's measurement on a small seeded book: figures per ranker, dense pluggable, and
account isolation over every question of the set."""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest

from evals.retrieval_corpus import SourceRow, book_rows, row_chunks
from evals.retrieval_set import account_questions
from evals.suites.retrieval_kb import measure_book
from knowledge_base.chunks import Chunk, Hit
from knowledge_base.hybrid import hybrid_search
from knowledge_base.lexical import LexicalIndex
from tests.kb_rankers import BagOfWords

ACCOUNTS, SEED = 40, 7


@pytest.fixture(scope="module")
def small_book() -> tuple[list[SourceRow], list[dict]]:
    rows: list[SourceRow] = []
    questions: list[dict] = []
    for ext, account_rows in book_rows(ACCOUNTS, SEED):
        rows += account_rows
        questions += [q.as_row(n, SEED) for n, q in enumerate(account_questions(ext, account_rows, SEED))]
    return rows, questions


def test_without_a_dense_ranker_only_lexical_is_measured(small_book) -> None:
    rows, questions = small_book
    figures = measure_book(rows, questions, dense=None, rrf_k=60)
    assert figures["questions"] == len(questions) > 50
    assert figures["dense_hit_at_5"] is None and figures["hybrid_hit_at_5"] is None
    assert figures["chance_hit_at_5"] < figures["lexical_hit_at_5"] <= 1.0
    assert figures["lexical_hit_at_1"] <= figures["lexical_mrr"] <= figures["lexical_hit_at_5"]


def test_a_dense_ranker_plugged_in_is_measured_with_the_hybrid(small_book) -> None:
    rows, questions = small_book
    figures = measure_book(rows, questions, dense=BagOfWords, rrf_k=60)
    for name in ("dense", "hybrid"):
        assert 0.0 < figures[f"{name}_hit_at_5"] <= 1.0
    assert figures["lexical_hit_at_5"] == measure_book(rows, questions, dense=None, rrf_k=60)["lexical_hit_at_5"]


def test_a_ranker_that_ranks_nothing_scores_nothing(small_book) -> None:
    rows, questions = small_book

    def nothing(chunks: Sequence[Chunk]):
        return lambda query, account_id, k: []

    figures = measure_book(rows, questions, dense=nothing, rrf_k=60)
    assert figures["dense_hit_at_5"] == 0.0 and figures["dense_mrr"] == 0.0
    assert figures["hybrid_hit_at_5"] == figures["lexical_hit_at_5"]


def test_no_question_of_the_set_reaches_another_account(small_book) -> None:
    rows, questions = small_book
    chunks = [c for r in rows for c in row_chunks(r)]
    lexical = LexicalIndex()
    lexical.upsert(chunks)
    dense = BagOfWords(chunks)
    rng = random.Random(3)
    accounts = sorted({r.account_id for r in rows})
    for q in questions:
        account = rng.choice(accounts)
        # the question, and the question with another account's words and ids pasted into it
        stranger = next(r for r in rows if r.account_id != account)
        for text in (q["question"], f"{q['question']} {stranger.external_id} {stranger.text}"):
            hits: list[Hit] = lexical.search(text, account, 10) + hybrid_search(text, account, 10, dense, lexical)
            assert all(h.chunk.account_id == account for h in hits), (q["id"], account)
