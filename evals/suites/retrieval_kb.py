"""Knowledge-base retrieval on the seeded book: dense, lexical and hybrid side by side.

Each row is a book (size and seed) and names its labelled question set, built by ``evals.retrieval_set``.
The book's rows become chunks, the chunks go into each ranker, and every question is asked on its own
account. Figures per ranker: hit@1, hit@5 and MRR (to depth 10), a hit being any chunk of a labelled row.

The dense ranker is the product's: the offline embedder (all-MiniLM-L6-v2) fills a Chroma collection in a
temporary folder, and each question is embedded and searched in its account, as the copilot's search does.
``DENSE`` is pluggable (None reports dense and hybrid as not measured; a unit test plugs in a stand-in).
"""

from __future__ import annotations

import json
import math
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from core.settings import Settings
from evals.context import EvalContext, Outcome
from evals.retrieval_corpus import SourceRow, book_rows, source_chunks
from evals.retrieval_scoring import MRR_DEPTH, RankingScore, first_answer
from evals.spec import DATASETS, SuiteSpec, read_cases
from knowledge_base.chunks import Chunk, Hit
from knowledge_base.hybrid import RRF_K, Ranker, hybrid_search
from knowledge_base.ingest import EMBED_BATCH, embedding_text
from knowledge_base.lexical import LexicalIndex
from knowledge_base.minilm import MiniLM
from knowledge_base.store import open_store
from knowledge_base.vector_cache import VectorCache

DenseFactory = Callable[[Sequence[Chunk]], Ranker]


class ChromaDense:
    """The knowledge base's dense side over a book's chunks: embedded (through a vector cache, as ingestion
    embeds) into a Chroma collection of its own, searched per account."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="watchtower-retrieval-eval-")
        self.embedder = MiniLM()
        self.store = open_store(
            Settings(data_dir=Path(self._folder.name)), name=self.embedder.name, dimensions=self.embedder.dimensions
        )
        cache = VectorCache()
        for low in range(0, len(chunks), EMBED_BATCH * 8):
            part = chunks[low : low + EMBED_BATCH * 8]
            texts = [embedding_text(c) for c in part]
            self.store.upsert(
                part, cache.embed(self.embedder.name, self.embedder.dimensions, texts, self.embedder.embed)
            )
        cache.close()

    def __call__(self, query: str, account_id: int | None, k: int) -> list[Hit]:
        return self.store.search(self.embedder.embed([query])[0], [account_id], k)

    def close(self) -> None:
        self.store.close()
        self._folder.cleanup()


#: The dense ranker under test, built over the book's chunks.
DENSE: DenseFactory | None = ChromaDense
#: How a book's rows become chunks: the knowledge base's own chunker (``row_chunks`` is the whole-row baseline).
CHUNKER: Callable[[SourceRow], list[Chunk]] = source_chunks


def read_questions(name: str) -> list[dict[str, Any]]:
    lines = (DATASETS / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _figures(name: str, score: RankingScore | None) -> dict[str, float | None]:
    if score is None:
        return {f"{name}_hit_at_1": None, f"{name}_hit_at_5": None, f"{name}_mrr": None}
    return {f"{name}_hit_at_1": score.hit_at_1, f"{name}_hit_at_5": score.hit_at_5, f"{name}_mrr": score.mrr}


def chance_hit_at_5(chunks_in_account: int, labelled: int) -> float:
    """A random order's hit@5 on one question: the floor any ranker's figure should be read against,
    since one account holds a few dozen chunks, not the whole book."""
    if chunks_in_account <= 5:
        return 1.0
    return 1 - math.comb(chunks_in_account - labelled, 5) / math.comb(chunks_in_account, 5)


def measure_book(
    rows: Sequence[SourceRow], questions: Sequence[dict[str, Any]], *, dense: DenseFactory | None, rrf_k: int
) -> dict[str, Any]:
    chunks = [c for row in rows for c in CHUNKER(row)]
    account_ids = {row.account: row.account_id for row in rows}
    lexical = LexicalIndex()
    lexical.upsert(chunks)
    rankers: dict[str, Ranker] = {"lexical": lexical}
    if dense is not None:
        dense_ranker = dense(chunks)
        rankers["dense"] = dense_ranker
        rankers["hybrid"] = lambda q, a, k: hybrid_search(q, a, k, dense_ranker, lexical, rrf_k=rrf_k)
    per_account = Counter(c.account_id for c in chunks)
    chance = [chance_hit_at_5(per_account[account_ids[q["account"]]], len(q["labels"])) for q in questions]
    positions: dict[str, list[int | None]] = defaultdict(list)
    by_fact: dict[str, list[int | None]] = defaultdict(list)
    for question in questions:
        labels = {(label["table"], label["id"]) for label in question["labels"]}
        account = account_ids[question["account"]]
        for name, ranker in rankers.items():
            found = first_answer(ranker(question["question"], account, MRR_DEPTH), labels)
            positions[name].append(found)
            if name == "lexical":
                by_fact[question["fact"]].append(found)
    lexical.close()
    if dense is not None:
        getattr(dense_ranker, "close", lambda: None)()
    scores = {name: RankingScore.of(found) for name, found in positions.items()}
    return {
        "questions": len(questions),
        "chunks": len(chunks),
        "chance_hit_at_5": round(sum(chance) / len(chance), 4) if chance else None,
        **_figures("dense", scores.get("dense")),
        **_figures("lexical", scores["lexical"]),
        **_figures("hybrid", scores.get("hybrid")),
        "lexical_hit_at_5_by_fact": {f: RankingScore.of(p).hit_at_5 for f, p in sorted(by_fact.items())},
        "dense_measured": dense is not None,
    }


def run(spec: SuiteSpec, ctx: EvalContext) -> list[Outcome]:
    rrf_k = int(spec.params.get("rrf_k", RRF_K))
    outcomes = []
    for case in read_cases(spec.dataset or ""):
        params = {**spec.params, **case.input}
        rows = [r for _, account_rows in book_rows(params["accounts"], params["seed"]) for r in account_rows]
        measured = measure_book(rows, read_questions(params["questions"]), dense=DENSE, rrf_k=rrf_k)
        if DENSE is None:
            ctx.notes.append(f"{spec.id} {case.id}: dense and hybrid not measured (no dense ranker plugged in)")
        outcomes.append(Outcome(case.id, case.input, case.expected, measured, case.rationale))
    return outcomes
