"""The chunk record every part of the knowledge base shares: chunking writes it, the stores index it,
retrieval returns it inside a ``Hit``, citations point back through its source table, id and span."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Chunk:
    id: str  # stable: f"{source_table}:{source_id}:{ordinal}"
    account_id: int | None  # None only for a team document not tied to an account
    source_table: str  # interaction | survey_response | support_ticket | csm_note | document
    source_id: str  # the row's external id (or the document's path relative to the kb folder)
    ordinal: int  # position of the chunk within its source
    text: str
    start: int  # character span of `text` in the source text: source_text[start:end] == text
    end: int
    occurred_on: date | None
    contact_ids: tuple[int, ...] = ()
    title: str | None = None
    content_hash: str = ""  # hash of the source text the chunk came from


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float
    rank: int
