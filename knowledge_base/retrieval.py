"""The knowledge base as its readers see it: ingest, search within the accounts a caller may read, fetch a
chunk to check a citation.

Both rankers receive the caller's account list and filter inside their own index, so no query text can
reach another account's chunk; the fused list is filtered once more before it is returned. Team documents
(no account) are readable by everyone and are searched when the list includes ``None``. Without a vector
store (none configured, or the embedding model not installed) search is lexical only and says so in
``mode``; with one it is hybrid: both lists fused by reciprocal rank.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from sqlalchemy import Connection

from knowledge_base.book_sources import BOOK_TABLES, book_sources
from knowledge_base.chunks import Chunk, Hit
from knowledge_base.documents import document_files, document_id, read_document
from knowledge_base.embedder import Embedder
from knowledge_base.hybrid import DEPTH, RRF_K, reciprocal_rank_fusion
from knowledge_base.ingest import IngestReport, VectorIndex, VectorProgress, sync_sources, sync_vectors
from knowledge_base.lexical import LexicalIndex, index_path
from knowledge_base.vector_cache import VectorCache, cache_path


@dataclass(frozen=True)
class Dense:
    """The dense half: a vector store and the model that fills it."""

    store: VectorIndex
    embedder: Embedder


class KnowledgeBase:
    def __init__(self, lexical: LexicalIndex, cache: VectorCache, dense: Dense | None = None) -> None:
        self.lexical = lexical
        self.cache = cache
        self.dense = dense

    @classmethod
    def open(cls, data_dir: Path, dense: Callable[[], Dense | None] | Dense | None = None) -> KnowledgeBase:
        """The indexes under ``data_dir/kb``; ``dense`` builds the vector side (or is it, or is absent)."""
        lexical = LexicalIndex(index_path(data_dir))
        cache = VectorCache(cache_path(data_dir))
        built = dense() if callable(dense) else dense
        return cls(lexical, cache, built)

    @property
    def mode(self) -> str:
        return "hybrid" if self.dense is not None else "lexical"

    # --- keeping it current ---------------------------------------------------------------------
    def ingest_book(
        self,
        conn: Connection,
        *,
        tables: Sequence[str] = BOOK_TABLES,
        account_ids: Sequence[int] | None = None,
        progress: VectorProgress | None = None,
    ) -> IngestReport:
        """Index the book's texts (all, or those of some accounts after an event): new and edited rows
        re-chunked, deleted rows dropped, then the vectors reconciled."""
        report = IngestReport()
        started = time.perf_counter()
        for table in tables:
            sync_sources(self.lexical, table, book_sources(conn, table, account_ids), report, account_ids=account_ids)
        self.sync_vectors(report, progress)
        report.seconds = time.perf_counter() - started
        return report

    def add_documents(self, root: Path, *, progress: VectorProgress | None = None) -> IngestReport:
        """Index a folder (or one file) of the team's documents. Re-adding the folder updates edited files
        and drops the ones deleted from it; documents added from other folders are left alone."""
        report = IngestReport()
        started = time.perf_counter()
        root = root.resolve()
        if not root.exists():
            raise FileNotFoundError(f"{root}: no such file or folder")
        sources = [read_document(path, document_id(path)) for path in document_files(root)]
        prefix = str(root) if root.is_file() else str(root) + "/"
        sync_sources(self.lexical, "document", sources, report, id_prefix=prefix)
        self.sync_vectors(report, progress)
        report.seconds = time.perf_counter() - started
        return report

    def sync_vectors(self, report: IngestReport, progress: VectorProgress | None = None) -> None:
        """Bring the vector store in step with the lexical index (nothing when there is no vector side)."""
        if self.dense is not None:
            sync_vectors(self.lexical, self.dense.store, self.dense.embedder, self.cache, report, progress=progress)

    # --- reading --------------------------------------------------------------------------------
    def lexical_search(self, query: str, account_ids: Sequence[int | None], k: int) -> list[Hit]:
        accounts = sorted({a for a in account_ids if a is not None})
        hits = self.lexical.search_accounts(query, accounts, k) if accounts else []
        if None in account_ids:
            hits += self.lexical.search(query, None, k)
            hits.sort(key=lambda h: (-h.score, h.chunk.id))
        return [Hit(h.chunk, h.score, rank) for rank, h in enumerate(hits[:k], start=1)]

    def dense_search(self, query: str, account_ids: Sequence[int | None], k: int) -> list[Hit]:
        if self.dense is None:
            return []
        vector = self.dense.embedder.embed([query])[0]
        return self.dense.store.search(vector, list(account_ids), k)

    def search(self, query: str, account_ids: Sequence[int | None], k: int = 5) -> list[Hit]:
        """The ``k`` best chunks among the accounts given (``None`` in the list: team documents too)."""
        if k <= 0 or not account_ids:
            return []
        allowed = set(account_ids)
        lexical = self.lexical_search(query, account_ids, k * DEPTH)
        if self.dense is None:
            fused = lexical[:k]
        else:
            fused = reciprocal_rank_fusion(
                [self.dense_search(query, account_ids, k * DEPTH), lexical], k=RRF_K, limit=k
            )
        kept = [h for h in fused if h.chunk.account_id in allowed]
        return [Hit(h.chunk, h.score, rank) for rank, h in enumerate(kept, start=1)]

    def chunk(self, chunk_id: str) -> Chunk | None:
        return self.lexical.get(chunk_id)

    def status(self) -> dict[str, object]:
        counts = self.lexical.counts()
        return {
            "mode": self.mode,
            "lexical_index": self.lexical.path,
            "tables": {t: {"sources": s, "chunks": c} for t, (s, c) in sorted(counts.items())},
            "chunks": sum(c for _, c in counts.values()),
            "embedder": self.dense.embedder.name if self.dense else None,
            "vectors": len(self.dense.store.hashes()) if self.dense else None,
            "cached_vectors": len(self.cache),
        }

    def close(self) -> None:
        self.lexical.close()
        self.cache.close()
        close = getattr(self.dense.store, "close", None) if self.dense else None
        if close is not None:
            close()

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
