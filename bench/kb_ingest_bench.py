"""Knowledge-base ingestion speed: chunks per second into the lexical index, then into the vector store.

    python -m bench.kb_ingest_bench [--accounts 120] [--seed 7]

The seeded book's rows (as ``watchtower seed`` writes them) are chunked and indexed into a fresh folder the
way ``watchtower kb ingest`` does: first the lexical index alone (chunking, FTS5), then the vectors (the
offline embedder through the vector cache, then Chroma), then the same again with the cache warm (a vector
store rebuilt from scratch), and last a second ingest with nothing changed. Run it with one BLAS thread
(``OMP_NUM_THREADS=1``): the embedder's speed is what the figures mostly say.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from core.settings import Settings
from evals.retrieval_corpus import as_source, book_rows
from knowledge_base.ingest import IngestReport, sync_sources
from knowledge_base.open import dense_side
from knowledge_base.retrieval import KnowledgeBase


def _sources(accounts: int, seed: int) -> dict[str, list]:
    tables: dict[str, list] = {}
    for _, rows in book_rows(accounts, seed):
        for row in rows:
            tables.setdefault(row.table, []).append(as_source(row))
    return tables


def _lexical(kb: KnowledgeBase, tables: dict[str, list]) -> IngestReport:
    report = IngestReport()
    for table, sources in tables.items():
        sync_sources(kb.lexical, table, sources, report)
    return report


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--accounts", type=int, default=120)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    tables = _sources(args.accounts, args.seed)
    folder = Path(tempfile.mkdtemp(prefix="watchtower-kb-ingest-bench-"))
    try:
        settings = Settings(data_dir=folder)
        with KnowledgeBase.open(folder, lambda: dense_side(settings)) as kb:
            started = time.perf_counter()
            report = _lexical(kb, tables)
            lexical_s = time.perf_counter() - started
            chunks = sum(t.chunks for t in report.tables.values())
            sources = sum(t.added for t in report.tables.values())
            print(f"{args.accounts} accounts, {sources:,} sources, {chunks:,} chunks")
            print(f"lexical index:          {lexical_s:7.1f} s  {chunks / lexical_s:9,.0f} chunks/s")
            started = time.perf_counter()
            kb.sync_vectors(cold := IngestReport(), progress=None)
            cold_s = time.perf_counter() - started
            print(f"vectors, cache cold:    {cold_s:7.1f} s  {cold.embedded / cold_s:9,.0f} chunks/s "
                  f"({cold.embedded_fresh:,} distinct texts embedded: "
                  f"{cold.embedded_fresh / cold_s:,.0f} texts/s)")  # fmt: skip
            assert kb.dense is not None
            kb.dense.store.delete(list(kb.dense.store.hashes()))
            started = time.perf_counter()
            kb.sync_vectors(warm := IngestReport(), progress=None)
            warm_s = time.perf_counter() - started
            print(f"vectors, cache warm:    {warm_s:7.1f} s  {warm.embedded / warm_s:9,.0f} chunks/s "
                  f"(a store rebuilt; {warm.embedded_fresh:,} embedded)")  # fmt: skip
            started = time.perf_counter()
            again = _lexical(kb, tables)
            kb.sync_vectors(again, progress=None)
            idle_s = time.perf_counter() - started
            print(f"nothing changed:        {idle_s:7.1f} s  ({sum(t.unchanged for t in again.tables.values()):,} "
                  f"sources unchanged, {again.embedded} embedded)")  # fmt: skip
            print(f"first ingest in all:    {lexical_s + cold_s:7.1f} s  "
                  f"{chunks / (lexical_s + cold_s):9,.0f} chunks/s")  # fmt: skip
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
