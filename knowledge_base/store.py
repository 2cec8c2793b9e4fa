"""The dense half of retrieval: chunk vectors in Chroma, embedded in a folder or on a Chroma server.

The store takes vectors and returns hits; it never embeds. Collections are created with no embedding
function and every call passes its vectors, so Chroma never reaches for its default ONNX model (a download
this project cannot make). One collection per embedder and size (``chunks__all-minilm-l6-v2__384``): vectors
of two models never share an index, and switching models starts an empty collection to re-ingest into.

Account isolation rides inside Chroma's query: ``where={"account_id": {"$in": [...]}}`` restricts the
candidates before the nearest neighbours are taken, so a vector that equals another account's chunk still
returns only the accounts named. Every hit's account is checked again on the way out, so isolation does not
rest on the filter alone. Team documents carry account 0 (real account ids start at 1).

On a server (``CHROMA_HOST``) every call goes through the project's jittered retry on connection errors
and a server that stays down ends in ``VectorStoreUnavailable`` naming the host, not an httpx traceback.
The embedded store needs no retry: its calls never leave the process.

Measured on this machine (2 cores shared with other work, load about 3.5), embedded, seeded random
384-dimension unit vectors precomputed, 50,000 chunks over 500 accounts (100 each)::

    python -m bench.vector_bench --chunks 50000 --accounts 500

- upsert: 178 s, 281 chunks/s (a 6,000-chunk store loads at about 800/s: the rate falls as it grows);
  replacing 1,000 chunks 3.9 s, deleting 1,000 0.36 s; folder 251 MB; peak memory 528 MB;
- top 5 of one account: p50 107 ms, p95 163 ms, recall@5 1.00 against an exact numpy scan of the same
  account's vectors (p95 0.09 ms);
- top 5 over a book of 60 accounts: p50 67 ms, p95 118 ms, recall@5 0.67 (random vectors are the worst
  case for an approximate index), against 24 ms for the exact scan.

The filtered query costs what the whole collection costs, not what the account holds: Chroma filters
inside its index walk, and the figure grows with the store (10 ms p50 at 6,000 chunks), whether an account
holds 100 chunks or 17. ``python -m bench.kb_bench --chunks 50000 --chroma`` puts it beside the lexical
index over the same 50,000 chunks (2,852 accounts): top 5 p95 Chroma 167 ms, lexical 8.4 ms, plain scan
10.2 ms (ratios to the scan 16.5 and 0.82); fused with the lexical index 139 ms; loading 346 chunks/s.
A lower ``ef_search`` (10 against 100) cuts a filtered query by about a third, not by the factor it needs.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, TypeVar

import chromadb
import httpx
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaSettings
from tenacity import RetryError

from core.retrying import backoff
from core.settings import Settings
from knowledge_base.chunks import Chunk, Hit
from knowledge_base.hybrid import Ranker

log = logging.getLogger(__name__)

#: Account id stored for a team document (no account); real account ids start at 1.
TEAM_ACCOUNT = 0
#: Chunks read per call when listing hashes, so a large collection is never one response.
PAGE = 5_000
#: Up to this many accounts a search scores every vector of theirs exactly (see ``VectorStore.search``).
EXACT_ACCOUNTS = 100
_T = TypeVar("_T")
_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


class VectorStoreUnavailable(RuntimeError):
    """The Chroma server did not answer within the retry budget."""


class QueryEmbedder(Protocol):
    """What the dense ranker needs of an embedder: texts in, L2-normalised float32 rows out."""

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def store_path(data_dir: Path) -> Path:
    """Where the embedded store lives by default: beside the lexical index, under the data directory."""
    return data_dir / "kb" / "chroma"


def collection_name(embedder_name: str, dimensions: int) -> str:
    """One collection per embedder and size; characters Chroma refuses in a name become dashes."""
    slug = _NAME_UNSAFE.sub("-", embedder_name).strip("-_")
    if not slug:
        raise ValueError(f"embedder name {embedder_name!r} has no letters or digits to name a collection by")
    if dimensions < 1:
        raise ValueError(f"an embedder of {dimensions} dimensions cannot be stored")
    return f"chunks__{slug}__{dimensions}"


def _account_key(account_id: int | None) -> int:
    if account_id is None:
        return TEAM_ACCOUNT
    if account_id < 1:
        raise ValueError(f"account id {account_id} is not an account; account ids start at 1 (0 is team documents)")
    return account_id


def _metadata(chunk: Chunk) -> dict[str, str | int]:
    meta: dict[str, str | int] = {
        "account_id": _account_key(chunk.account_id),
        "source_table": chunk.source_table,
        "source_id": chunk.source_id,
        "ordinal": chunk.ordinal,
        "start": chunk.start,
        "end": chunk.end,
        "content_hash": chunk.content_hash,
        "contact_ids": ",".join(str(c) for c in chunk.contact_ids),
    }
    if chunk.occurred_on is not None:
        meta["occurred_on"] = chunk.occurred_on.isoformat()
    if chunk.title is not None:
        meta["title"] = chunk.title
    return meta


def _chunk(chunk_id: str, text: str, meta: dict[str, Any]) -> Chunk:
    account = int(meta["account_id"])
    contacts = str(meta.get("contact_ids") or "")
    occurred = meta.get("occurred_on")
    title = meta.get("title")
    return Chunk(
        id=chunk_id,
        account_id=None if account == TEAM_ACCOUNT else account,
        source_table=str(meta["source_table"]),
        source_id=str(meta["source_id"]),
        ordinal=int(meta["ordinal"]),
        text=text,
        start=int(meta["start"]),
        end=int(meta["end"]),
        occurred_on=date.fromisoformat(str(occurred)) if occurred else None,
        contact_ids=tuple(int(c) for c in contacts.split(",") if c),
        title=None if title is None else str(title),
        content_hash=str(meta.get("content_hash", "")),
    )


def _connection_failed(error: BaseException) -> bool:
    """A transport failure, raised as is or wrapped (the client's start-up raises ValueError over it)."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, httpx.TransportError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


@dataclass(frozen=True)
class _Server:
    host: str
    port: int
    attempts: int
    backoff_max_seconds: float

    def call(self, what: str, work: Callable[[], _T]) -> _T:
        try:
            for attempt in backoff(
                _connection_failed, attempts=self.attempts, max_wait_seconds=self.backoff_max_seconds, log=log
            ):
                with attempt:
                    return work()
        except RetryError as exc:
            cause = exc.last_attempt.exception()
            raise VectorStoreUnavailable(
                f"the Chroma server at CHROMA_HOST={self.host} CHROMA_PORT={self.port} did not answer {what} "
                f"after {self.attempts} attempts ({type(cause).__name__}: {cause}); start it, or unset "
                "CHROMA_HOST to use the embedded store under the data directory"
            ) from cause
        raise AssertionError("unreachable: tenacity either returns, raises RetryError or re-raises")


def _local(what: str, work: Callable[[], _T]) -> _T:
    return work()


def _chroma_settings() -> ChromaSettings:
    return ChromaSettings(anonymized_telemetry=False)


class VectorStore:
    """Chunk vectors of one embedder in one Chroma collection; open it with ``open_store``."""

    def __init__(
        self,
        client: ClientAPI,
        *,
        name: str,
        dimensions: int,
        call: Callable[[str, Callable[[], Any]], Any] = _local,
    ) -> None:
        self.dimensions = dimensions
        self.name = collection_name(name, dimensions)
        self._client = client
        self._call = call
        self._collection: Collection = call(
            f"opening collection {self.name}",
            lambda: client.get_or_create_collection(
                self.name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
            ),
        )
        self.batch_size: int = call("reading the batch limit", client.get_max_batch_size)

    # --- writing ---------------------------------------------------------------------------------
    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """Add chunks with their vectors, replacing any with the same id, in batches Chroma accepts."""
        matrix = np.asarray(vectors, dtype=np.float32)
        if matrix.shape != (len(chunks), self.dimensions):
            raise ValueError(
                f"{len(chunks)} chunks need vectors of shape ({len(chunks)}, {self.dimensions}), "
                f"got {matrix.shape} for collection {self.name}"
            )
        for low in range(0, len(chunks), self.batch_size):
            part = chunks[low : low + self.batch_size]
            rows = matrix[low : low + self.batch_size]
            self._call(f"upserting {len(part)} chunks", lambda part=part, rows=rows: self._replace(part, rows))

    def _replace(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """Delete the ids already present, then add: Chroma 1.5 updates a vector in place about six times
        slower (1,000 of 6,000 chunks: upsert 7.0-9.8 s, delete and add 1.7 s). Between the two a reader
        misses those chunks, and a crash there leaves them out of ``hashes()``, so the next ingest adds
        them back. Safe to repeat as a whole, which is what a retry does."""
        ids = [c.id for c in chunks]
        present = self._collection.get(ids=ids, include=[])["ids"]
        if present:
            self._collection.delete(ids=present)
        self._collection.add(
            ids=ids, embeddings=vectors, documents=[c.text for c in chunks], metadatas=[_metadata(c) for c in chunks]
        )

    def delete(self, chunk_ids: Iterable[str]) -> None:
        """Remove chunks by id; ids not in the store are ignored."""
        ids = list(dict.fromkeys(chunk_ids))
        for low in range(0, len(ids), self.batch_size):
            part = ids[low : low + self.batch_size]
            self._call(f"deleting {len(part)} chunks", lambda part=part: self._collection.delete(ids=part))

    # --- reading ---------------------------------------------------------------------------------
    def hashes(self, source_table: str | None = None) -> dict[str, str]:
        """Chunk id -> content hash, of one source table or all, so ingestion embeds only what changed."""
        where = None if source_table is None else {"source_table": source_table}
        found: dict[str, str] = {}
        for ids, metas in self._pages(where):
            found.update((i, str(m.get("content_hash", ""))) for i, m in zip(ids, metas, strict=True))
        return found

    def _pages(self, where: dict[str, Any] | None) -> Iterator[tuple[list[str], list[dict[str, Any]]]]:
        offset = 0
        while True:
            page = self._call(
                f"listing chunks from {offset}",
                lambda offset=offset: self._collection.get(
                    where=where, include=["metadatas"], limit=PAGE, offset=offset
                ),
            )
            ids = list(page["ids"])
            if not ids:
                return
            yield ids, [dict(m or {}) for m in page["metadatas"] or []]
            if len(ids) < PAGE:
                return
            offset += PAGE

    def search(self, vector: np.ndarray, account_ids: Sequence[int | None], k: int) -> list[Hit]:
        """The ``k`` chunks nearest ``vector`` among the accounts named (``None``: team documents), best
        first, scored by cosine similarity. No account named: no hits.

        A few accounts (a copilot question, a CSM's book) are scored exactly: their vectors are read by the
        account filter and ranked in numpy, which costs what those accounts hold rather than what the whole
        collection holds, and misses nothing an approximate walk could. Beyond ``EXACT_ACCOUNTS`` the
        filtered nearest-neighbour query answers instead."""
        keys = sorted({_account_key(a) for a in account_ids})
        if not keys or k <= 0:
            return []
        query = np.asarray(vector, dtype=np.float32)
        if query.shape != (self.dimensions,):
            raise ValueError(f"a query vector for {self.name} has shape ({self.dimensions},), got {query.shape}")
        where = {"account_id": {"$in": keys}} if len(keys) > 1 else {"account_id": keys[0]}
        if len(keys) <= EXACT_ACCOUNTS:
            rows = self._call(
                "reading the accounts' vectors",
                lambda: self._collection.get(where=where, include=["embeddings", "documents", "metadatas"]),
            )
            ids = list(rows["ids"])
            if not ids:
                return []
            matrix = np.asarray(rows["embeddings"], dtype=np.float32)
            scores = matrix @ query
            best = sorted(range(len(ids)), key=lambda i: (-float(scores[i]), ids[i]))[:k]
            documents, metas = rows["documents"] or [], rows["metadatas"] or []
            candidates = [(ids[i], documents[i], metas[i], float(scores[i])) for i in best]
        else:
            result = self._call(
                "a query",
                lambda: self._collection.query(
                    query_embeddings=query[np.newaxis, :],
                    n_results=k,
                    where=where,
                    include=["documents", "metadatas", "distances"],
                ),
            )
            candidates = [
                (chunk_id, text, meta, 1.0 - float(distance))
                for chunk_id, text, meta, distance in zip(
                    result["ids"][0],
                    (result["documents"] or [[]])[0],
                    (result["metadatas"] or [[]])[0],
                    (result["distances"] or [[]])[0],
                    strict=True,
                )
            ]
        allowed = set(keys)
        found = []
        for chunk_id, text, meta, score in candidates:
            if meta is None or meta.get("account_id") not in allowed:
                log.error("Chroma returned chunk %s outside accounts %s; dropped", chunk_id, keys)
                continue
            found.append((_chunk(chunk_id, text or "", dict(meta)), score))
        return [Hit(chunk, score, rank) for rank, (chunk, score) in enumerate(found, start=1)]

    def count(self) -> int:
        return int(self._call("counting chunks", self._collection.count))

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> VectorStore:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def open_store(settings: Settings, *, name: str, dimensions: int, path: Path | None = None) -> VectorStore:
    """The store the settings name: a Chroma server when ``chroma_host`` is set, else the embedded one at
    ``path`` (default ``<data_dir>/kb/chroma``). ``name`` and ``dimensions`` are the embedder's."""
    if settings.chroma_host is None:
        folder = path or store_path(settings.data_dir)
        folder.mkdir(parents=True, exist_ok=True)
        client = chromadb.PersistentClient(path=str(folder), settings=_chroma_settings())
        return VectorStore(client, name=name, dimensions=dimensions)
    server = _Server(
        host=settings.chroma_host,
        port=settings.chroma_port,
        attempts=settings.chroma_max_attempts,
        backoff_max_seconds=settings.chroma_backoff_max_seconds,
    )
    client = server.call(
        "a connection",
        lambda: chromadb.HttpClient(host=server.host, port=server.port, settings=_chroma_settings()),
    )
    return VectorStore(client, name=name, dimensions=dimensions, call=server.call)


def dense_ranker(store: VectorStore, embedder: QueryEmbedder) -> Ranker:
    """The store as a ``Ranker`` for ``hybrid_search``: the query embedded, then searched in one account."""

    def rank(query: str, account_id: int | None, k: int) -> list[Hit]:
        return store.search(embedder.embed([query])[0], [account_id], k)

    return rank
