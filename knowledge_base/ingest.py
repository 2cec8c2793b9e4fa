"""Keeping the knowledge base in step with its sources: incremental, idempotent, and safe to interrupt.

The lexical index is the ledger. For each source it holds the content hash the source was chunked from, so
a run compares the rows as they are now with what is indexed: a new or edited source is re-chunked (its old
chunks replaced in the same transaction), a source that is gone loses its chunks, and an unchanged one costs
a hash. The vector store is then reconciled against the lexical index chunk by chunk (a missing or stale
vector is embedded, an orphan deleted), so a run killed between the two stores is repaired by the next run
rather than leaving them apart. Running twice in a row changes nothing the second time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from knowledge_base.chunking import Source, chunk_source
from knowledge_base.chunks import Chunk, Hit
from knowledge_base.embedder import Embedder
from knowledge_base.lexical import LexicalIndex
from knowledge_base.vector_cache import VectorCache

#: Sources per lexical transaction, chunks per embedding call.
SOURCE_BATCH = 500
EMBED_BATCH = 256


#: Told how embedding goes: chunks done, chunks to do, chunks per second.
VectorProgress = Callable[[int, int, float], None]


class VectorIndex(Protocol):
    """The dense side as ingestion and retrieval use it (the Chroma store satisfies it)."""

    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None: ...
    def delete(self, chunk_ids: Iterable[str]) -> None: ...
    def hashes(self, source_table: str | None = None) -> dict[str, str]: ...
    def search(self, vector: np.ndarray, account_ids: Sequence[int | None], k: int) -> list[Hit]: ...


@dataclass
class TableReport:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    chunks: int = 0


@dataclass
class IngestReport:
    tables: dict[str, TableReport] = field(default_factory=dict)
    embedded: int = 0  # chunks whose vectors were written to the vector store
    embedded_fresh: int = 0  # texts the model embedded (the rest came from the vector cache)
    vectors_removed: int = 0
    seconds: float = 0.0
    dense: bool = False

    def table(self, name: str) -> TableReport:
        return self.tables.setdefault(name, TableReport())

    @property
    def changed(self) -> bool:
        return self.embedded > 0 or any(t.added or t.updated or t.removed for t in self.tables.values())


def embedding_text(chunk: Chunk) -> str:
    """What the dense side reads: the chunk under its title (an email subject, a section's headings), since
    a turn like "Yes, that one." means little without what the conversation was about."""
    return f"{chunk.title}\n{chunk.text}" if chunk.title else chunk.text


def sync_sources(
    lexical: LexicalIndex,
    table: str,
    sources: Iterable[Source],
    report: IngestReport,
    *,
    account_ids: Sequence[int] | None = None,
    id_prefix: str | None = None,
    remove_missing: bool = True,
) -> None:
    """Bring one table's chunks (of the given accounts, or under an id prefix, or all) in line with
    ``sources``. Sources outside that scope are neither read nor removed."""
    known = lexical.source_hashes(table, account_ids=account_ids, id_prefix=id_prefix)
    counts = report.table(table)
    seen: set[str] = set()
    batch: list[tuple[str, str, Sequence[Chunk]]] = []

    def flush() -> None:
        if batch:
            counts.chunks += lexical.replace_sources(batch)
            batch.clear()

    for source in sources:
        if source.table != table:
            raise ValueError(f"source {source.source_id} is of table {source.table}, not {table}")
        if source.source_id in seen:
            continue
        seen.add(source.source_id)
        was = known.get(source.source_id)
        if was == source.content_hash:
            counts.unchanged += 1
            continue
        chunks = chunk_source(source)
        if was is None:
            counts.added += 1
        else:
            counts.updated += 1
        batch.append((table, source.source_id, chunks))
        if len(batch) >= SOURCE_BATCH:
            flush()
    if remove_missing:
        for gone in sorted(set(known) - seen):
            batch.append((table, gone, ()))
            counts.removed += 1
            if len(batch) >= SOURCE_BATCH:
                flush()
    flush()


def sync_vectors(
    lexical: LexicalIndex,
    store: VectorIndex,
    embedder: Embedder,
    cache: VectorCache,
    report: IngestReport,
    *,
    progress: VectorProgress | None = None,
) -> None:
    """Make the vector store hold exactly the lexical index's chunks, each at its current hash; ``progress``
    hears (done, to do, chunks per second) every ten batches and at the end."""
    report.dense = True
    wanted = lexical.chunk_hashes()
    held = store.hashes()
    orphans = [cid for cid in held if cid not in wanted]
    if orphans:
        store.delete(orphans)
        report.vectors_removed += len(orphans)
    stale = sorted(cid for cid, digest in wanted.items() if held.get(cid) != digest)
    started = time.perf_counter()
    for start in range(0, len(stale), EMBED_BATCH):
        chunks = lexical.get_many(stale[start : start + EMBED_BATCH])
        before = cache.misses
        vectors = cache.embed(embedder.name, embedder.dimensions, [embedding_text(c) for c in chunks], embedder.embed)
        store.upsert(chunks, vectors)
        report.embedded += len(chunks)
        report.embedded_fresh += cache.misses - before
        done = start + len(chunks)
        if progress is not None and (done == len(stale) or (start // EMBED_BATCH) % 10 == 0):
            progress(done, len(stale), done / max(time.perf_counter() - started, 1e-9))
