"""The Chroma vector store's speed in its embedded mode: upsert rate and account-filtered top 5.

    python -m bench.vector_bench [--chunks 50000] [--accounts 500] [--queries 400]

Chunks are spread evenly over the accounts (100 each by default), with seeded random 384-dimension unit
vectors (the embedding model's size) computed before the clock starts, so the figures are the store's alone.
Per query, top 5 among one account's chunks, against an exact cosine over that account's vectors in numpy
(the least a filtered index has to beat, and the reference for recall). Random vectors are close to
equidistant, the hardest case for an approximate index, so recall here is a floor rather than an estimate.

Prints upsert chunks/s, folder size, p50 and p95 per query in milliseconds with their ratio to the exact
scan, recall@5 against it, a book-level query over 60 accounts, replace and delete of 1,000, peak memory.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import numpy as np

from core.settings import Settings
from knowledge_base.chunks import Chunk
from knowledge_base.store import VectorStore, open_store

DIMENSIONS = 384
BOOK_ACCOUNTS = 60
TOP = 5
SEED = 7
WORDS = "renewal adoption pricing champion invoice outage onboarding expansion discount roadmap".split()


def chunks_and_vectors(size: int, accounts: int) -> tuple[list[Chunk], np.ndarray]:
    rng = np.random.default_rng(SEED)
    chunks = []
    for n in range(size):
        account = n % accounts + 1
        source = f"ACC-{account:05d}-X{n // accounts + 1:04d}"
        text = " ".join(rng.choice(WORDS, 40))
        chunks.append(
            Chunk(
                id=f"interaction:{source}:0",
                account_id=account,
                source_table="interaction",
                source_id=source,
                ordinal=0,
                text=text,
                start=0,
                end=len(text),
                occurred_on=date(2026, 1, 1 + n % 28),
                contact_ids=(n % 7 + 1,),
                title=f"Call {n}",
                content_hash=f"h{n}",
            )
        )
    vectors = rng.standard_normal((size, DIMENSIONS)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return chunks, vectors


class Exact:
    """Exact cosine over the named accounts' vectors: the scan a filtered index has to beat."""

    def __init__(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        accounts = np.array([c.account_id for c in chunks])
        self.ids = np.array([c.id for c in chunks])
        self.rows = {int(a): np.flatnonzero(accounts == a) for a in np.unique(accounts)}
        self.vectors = vectors

    def __call__(self, vector: np.ndarray, account_ids: Sequence[int]) -> list[str]:
        rows = np.concatenate([self.rows.get(a, np.array([], dtype=int)) for a in account_ids])
        scores = self.vectors[rows] @ vector
        best = rows[np.argsort(-scores)[:TOP]]
        return [str(i) for i in self.ids[best]]


def timed(run: Callable[[int], object], count: int) -> list[float]:
    times = []
    for n in range(count):
        started = time.perf_counter()
        run(n)
        times.append((time.perf_counter() - started) * 1000)
    return times


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[-1]


def recall(store: VectorStore, exact: Exact, queries: np.ndarray, asked: Sequence[Sequence[int]]) -> float:
    found = 0
    for vector, accounts in zip(queries, asked, strict=True):
        truth = set(exact(vector, accounts))
        found += len(truth & {h.chunk.id for h in store.search(vector, accounts, TOP)})
    return found / (TOP * len(asked))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Chroma vector store speed, embedded")
    parser.add_argument("--chunks", type=int, default=50_000)
    parser.add_argument("--accounts", type=int, default=500)
    parser.add_argument("--queries", type=int, default=400)
    args = parser.parse_args(argv)
    chunks, vectors = chunks_and_vectors(args.chunks, args.accounts)
    exact = Exact(chunks, vectors)
    rng = np.random.default_rng(SEED + 1)
    queries = rng.standard_normal((args.queries, DIMENSIONS)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    one = [[int(a)] for a in rng.integers(1, args.accounts + 1, args.queries)]
    book = [[int(a) for a in rng.choice(np.arange(1, args.accounts + 1), BOOK_ACCOUNTS, replace=False)] for _ in one]
    with tempfile.TemporaryDirectory(prefix="watchtower-vector-bench-") as folder:
        settings = Settings(data_dir=Path(folder), chroma_host=None)
        store = open_store(settings, name="bench-random", dimensions=DIMENSIONS)
        started = time.perf_counter()
        store.upsert(chunks, vectors)
        build = time.perf_counter() - started
        size_mb = sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file()) / 1e6
        timed(lambda n: store.search(queries[n], one[n], TOP), min(20, args.queries))  # warm
        results = {
            "exact scan": timed(lambda n: exact(queries[n], one[n]), args.queries),
            "chroma": timed(lambda n: store.search(queries[n], one[n], TOP), args.queries),
        }
        book_results = {
            "exact scan": timed(lambda n: exact(queries[n], book[n]), args.queries),
            "chroma": timed(lambda n: store.search(queries[n], book[n], TOP), args.queries),
        }
        one_recall = recall(store, exact, queries, one)
        book_recall = recall(store, exact, queries, book)
        started = time.perf_counter()
        store.upsert(chunks[:1000], vectors[1000:2000])
        replaced = time.perf_counter() - started
        started = time.perf_counter()
        store.delete(c.id for c in chunks[1000:2000])
        deleted = time.perf_counter() - started
        store.close()
    print(f"{len(chunks)} chunks over {args.accounts} accounts, {DIMENSIONS} dimensions, top {TOP}, embedded Chroma")
    print(f"upsert {build:.1f} s ({len(chunks) / build:,.0f} chunks/s), folder {size_mb:.0f} MB")
    for title, table, found in (
        ("one account", results, one_recall),
        (f"book-level, {BOOK_ACCOUNTS} accounts a query", book_results, book_recall),
    ):
        print(f"{title}: recall@{TOP} against the exact scan {found:.3f}")
        print(f"  {'ranker':12} {'p50 ms':>7} {'p95 ms':>7} {'p95/scan':>9}")
        scan = p95(table["exact scan"])
        for name, times in table.items():
            print(f"  {name:12} {statistics.median(times):>7.2f} {p95(times):>7.2f} {p95(times) / scan:>9.2f}")
    print(f"replace 1,000 chunks {replaced * 1000:.0f} ms, delete 1,000 {deleted * 1000:.0f} ms")
    print(f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
