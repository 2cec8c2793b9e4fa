"""Knowledge-base retrieval speed over 50,000 chunks: the lexical index, hybrid fusion, and a plain scan.

    python -m bench.kb_bench [--chunks 50000] [--queries 400] [--chroma]

Chunks are the seeded book's rows (one chunk each), enough accounts for ``--chunks``. Queries are the
working book's labelled questions plus id, money and product-term lookups, each asked on one account.
Per query, top 5:

- lexical: ``LexicalIndex.search`` (FTS5, BM25, the account as a rowid range);
- scan: the same account's chunks read from the same file and scored by counting query terms in Python,
  the least an index has to beat;
- book-level: one query over the 60 accounts of a CSM's book, ``search_accounts`` against scanning each;
- hybrid: ``hybrid_search`` over the lexical index and a dense stand-in, exact cosine in numpy over a fixed
  table of random 384-dimension vectors (the embedding model's size), the query's vector given. It shows
  what fusion and a second ranker cost; the real dense figure is the vector store's and the model's.
- with ``--chroma``: the same vectors in the embedded Chroma store (``knowledge_base.store``), queried with
  the account filter inside Chroma, alone and fused with the lexical index. Off by default: loading 50,000
  vectors into Chroma takes minutes on two cores, four times the rest of the run; ``make bench`` turns it on.

Prints build seconds, index size, p50 and p95 per ranker in milliseconds with their ratio to the scan,
incremental replace and delete, and peak memory.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from core.settings import Settings
from evals.retrieval_corpus import book_rows, row_chunks
from evals.suites.retrieval_kb import read_questions
from knowledge_base.chunks import Chunk, Hit
from knowledge_base.hybrid import hybrid_search
from knowledge_base.lexical import LexicalIndex
from knowledge_base.minilm import MiniLM
from knowledge_base.retrieval import Dense, KnowledgeBase
from knowledge_base.store import VectorStore, dense_ranker, open_store
from knowledge_base.tokens import query_terms, tokens
from knowledge_base.vector_cache import VectorCache

DIMENSIONS = 384
BOOK_ACCOUNTS = 60
SEED = 7


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def corpus(size: int) -> list[Chunk]:
    chunks: list[Chunk] = []
    accounts = max(1, size // 17)
    while len(chunks) < size:
        chunks = [c for _, rows in book_rows(accounts, SEED) for r in rows for c in row_chunks(r)]
        accounts = int(accounts * 1.2) + 1
    return chunks[:size]


def queries(chunks: Sequence[Chunk], count: int) -> list[tuple[str, int]]:
    rng = random.Random(SEED)
    accounts = sorted({c.account_id for c in chunks if c.account_id is not None})
    asked = [q["question"] for q in read_questions("retrieval_kb_seed7.jsonl")]
    lookups = ["ACC-00042-X007", "the $12,500 invoice", "Q3 renewal", "Analytics Add-on", "Priya Raman pricing"]
    texts = rng.sample(asked, min(count, len(asked))) + lookups
    return [(t, rng.choice(accounts)) for t in texts[:count]]


class Scan:
    """No index: the account's chunks read from the same file, scored by the count of query terms they hold."""

    def __init__(self, index: LexicalIndex) -> None:
        self.index = index

    def __call__(self, query: str, account_id: int | None, k: int) -> list[str]:
        terms = set(query_terms(query))
        scored = []
        for chunk in self.index.chunks_of(account_id):
            words = list(tokens(f"{chunk.title or ''} {chunk.text}"))
            score = sum(words.count(t) for t in terms)
            if score:
                scored.append((-score, chunk.id))
        return [chunk_id for _, chunk_id in sorted(scored)[:k]]


class RandomDense:
    """Exact cosine over a fixed table of random unit vectors, per account: the cost of a second ranker."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        rng = np.random.default_rng(SEED)
        by_account: dict[int | None, list[Chunk]] = defaultdict(list)
        for c in chunks:
            by_account[c.account_id].append(c)
        self.tables = {}
        for account, own in by_account.items():
            vectors = rng.standard_normal((len(own), DIMENSIONS)).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            self.tables[account] = (own, vectors)
        self.query = rng.standard_normal(DIMENSIONS).astype(np.float32)

    def __call__(self, query: str, account_id: int | None, k: int) -> list[Hit]:
        own, vectors = self.tables.get(account_id, ([], np.zeros((0, DIMENSIONS), np.float32)))
        scores = vectors @ self.query
        best = np.argsort(-scores)[:k]
        return [Hit(own[i], float(scores[i]), rank) for rank, i in enumerate(best, start=1)]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Every text gets the fixed query vector, as the stand-in's own ranking assumes."""
        return np.tile(self.query, (len(texts), 1))

    def load(self, store: VectorStore) -> float:
        """The same vectors into a Chroma store; returns the seconds it took."""
        chunks = [c for own, _ in self.tables.values() for c in own]
        vectors = np.concatenate([v for _, v in self.tables.values()])
        started = time.perf_counter()
        store.upsert(chunks, vectors)
        return time.perf_counter() - started


def book_queries(chunks: Sequence[Chunk], asked: Sequence[tuple[str, int]]) -> list[list[int]]:
    """For each query, the accounts of one CSM's book: the synthetic book gives each CSM about 60."""
    rng = random.Random(SEED + 1)
    accounts = sorted({c.account_id for c in chunks if c.account_id is not None})
    return [rng.sample(accounts, BOOK_ACCOUNTS) for _ in asked]


def scan_book(scan: Scan, query: str, accounts: Sequence[int], k: int) -> list[str]:
    """The cost of scanning every account of the book (the merge is not a ranking; only the time counts)."""
    return [chunk_id for account in accounts for chunk_id in scan(query, account, k)][:k]


def timed(run: Callable[[str, int], object], asked: Sequence[tuple[str, int]]) -> list[float]:
    times = []
    for text, account in asked:
        started = time.perf_counter()
        run(text, account)
        times.append((time.perf_counter() - started) * 1000)
    return times


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[-1]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Knowledge-base retrieval speed")
    parser.add_argument("--chunks", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--chroma", action="store_true", help="add the embedded Chroma store (minutes to load)")
    args = parser.parse_args(argv)
    chunks = corpus(args.chunks)
    asked = queries(chunks, args.queries)
    with tempfile.TemporaryDirectory(prefix="watchtower-kb-bench-") as folder:
        path = Path(folder) / "lexical.sqlite3"
        index = LexicalIndex(path)
        started = time.perf_counter()
        index.upsert(chunks)
        build = time.perf_counter() - started
        size_mb = sum(p.stat().st_size for p in Path(folder).iterdir()) / 1e6
        dense = RandomDense(chunks)
        scan = Scan(index)
        timed(lambda q, a: index.search(q, a, 5), asked[:20])  # warm the page cache
        results = {
            "scan": timed(lambda q, a: scan(q, a, 5), asked),
            "lexical": timed(lambda q, a: index.search(q, a, 5), asked),
            "dense stand-in": timed(lambda q, a: dense(q, a, 20), asked),
            "hybrid": timed(lambda q, a: hybrid_search(q, a, 5, dense, index), asked),
        }
        books = book_queries(chunks, asked)
        book_results = {
            "scan": timed(lambda q, b: scan_book(scan, q, books[b], 5), [(q, n) for n, (q, _) in enumerate(asked)]),
            "lexical": timed(
                lambda q, b: index.search_accounts(q, books[b], 5), [(q, n) for n, (q, _) in enumerate(asked)]
            ),
        }
        if args.chroma:
            settings = Settings(data_dir=Path(folder), chroma_host=None)
            store = open_store(settings, name="bench-random", dimensions=DIMENSIONS)
            chroma_load = dense.load(store)
            chroma = dense_ranker(store, dense)
            timed(lambda q, a: chroma(q, a, 5), asked[:20])
            results["chroma"] = timed(lambda q, a: chroma(q, a, 5), asked)
            results["hybrid chroma"] = timed(lambda q, a: hybrid_search(q, a, 5, chroma, index), asked)
            book_results["chroma"] = timed(
                lambda q, b: store.search(dense.query, books[b], 5), [(q, n) for n, (q, _) in enumerate(asked)]
            )
            # The copilot's own call: the question embedded by the offline model, both rankers, fused.
            kb = KnowledgeBase(index, VectorCache(), Dense(store=store, embedder=MiniLM()))
            timed(lambda q, a: kb.search(q, [a], 5), asked[:20])
            results["search (embed+hybrid)"] = timed(lambda q, a: kb.search(q, [a], 5), asked)
            store.close()
        replace = [Chunk(**{**c.__dict__, "text": c.text + " Updated."}) for c in chunks[:1000]]
        started = time.perf_counter()
        index.upsert(replace)
        replaced = time.perf_counter() - started
        started = time.perf_counter()
        index.delete([c.id for c in chunks[1000:2000]])
        deleted = time.perf_counter() - started
        index.close()
    accounts = len({c.account_id for c in chunks})
    print(f"{len(chunks)} chunks over {accounts} accounts, {len(asked)} account-scoped queries, top 5")
    print(f"build {build:.1f} s ({len(chunks) / build:,.0f} chunks/s), index file {size_mb:.0f} MB")
    if args.chroma:
        print(f"chroma load {chroma_load:.1f} s ({len(chunks) / chroma_load:,.0f} chunks/s, vectors precomputed)")
    scan_p95 = p95(results["scan"])
    print(f"{'ranker':22} {'p50 ms':>7} {'p95 ms':>7} {'p95/scan':>9}")
    for name, times in results.items():
        print(f"{name:22} {statistics.median(times):>7.2f} {p95(times):>7.2f} {p95(times) / scan_p95:>9.2f}")
    print(f"book-level, {BOOK_ACCOUNTS} accounts a query:")
    book_scan_p95 = p95(book_results["scan"])
    for name, times in book_results.items():
        print(f"{name:15} {statistics.median(times):>7.2f} {p95(times):>7.2f} {p95(times) / book_scan_p95:>9.2f}")
    print(f"replace 1,000 chunks {replaced * 1000:.0f} ms, delete 1,000 {deleted * 1000:.0f} ms")
    print(f"peak memory {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
