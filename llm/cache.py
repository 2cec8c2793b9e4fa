"""The LLM answer cache: the same prompt, model and input never cost a second call."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Insert, select
from sqlalchemy.dialects import postgresql, sqlite

from core.models import LlmCacheEntry

_CACHE = LlmCacheEntry.__table__  # type: ignore[attr-defined]


class DatabaseLlmCache:
    """The LLM answer cache in the ``llm_cache`` table.

    Lookups go through ``conn``, which may hold no transaction at all: the
    weekly cycle reads through an autocommit connection while a model is being
    called. New answers wait in memory until ``flush`` writes them inside the
    caller's short write transaction, so asking a model (seconds to minutes)
    never happens with a write lock held. An answer not yet flushed is already
    served from memory, so the same text twice in one chunk costs one call.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.pending: dict[str, dict[str, Any]] = {}

    def get(self, key: str) -> dict[str, Any] | None:
        if key in self.pending:
            return self.pending[key]["output"]
        row = self.conn.execute(select(_CACHE.c.output).where(_CACHE.c.key == key)).first()
        return row.output if row is not None else None

    def put(self, key: str, *, step: str, model: str, output: dict[str, Any], tokens: int) -> None:
        self.pending.setdefault(key, {"key": key, "step": step, "model": model, "output": output, "tokens": tokens})

    def flush(self, conn: Connection) -> int:
        """Write the pending answers in ``conn``'s transaction (returns how many were pending); a key another run
        stored meanwhile is kept as it is."""
        if not self.pending:
            return 0
        conn.execute(_insert_new(conn), list(self.pending.values()))
        written = len(self.pending)
        self.pending.clear()
        return written


def _insert_new(conn: Connection) -> Insert:
    """INSERT that skips keys already stored (two cycles may read the same text at once)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(_CACHE).on_conflict_do_nothing(index_elements=[_CACHE.c.key])
    if conn.dialect.name == "sqlite":
        return sqlite.insert(_CACHE).on_conflict_do_nothing(index_elements=[_CACHE.c.key])
    raise NotImplementedError(f"the LLM cache supports SQLite and PostgreSQL, not {conn.dialect.name}")
