"""The LLM answer cache: the same prompt, model and input never cost a second call."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select

from core.models import LlmCacheEntry

_CACHE = LlmCacheEntry.__table__  # type: ignore[attr-defined]


class DatabaseLlmCache:
    """The LLM answer cache in the ``llm_cache`` table, written in the caller's transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, key: str) -> dict[str, Any] | None:
        row = self.conn.execute(select(_CACHE.c.output).where(_CACHE.c.key == key)).first()
        return row.output if row is not None else None

    def put(self, key: str, *, step: str, model: str, output: dict[str, Any], tokens: int) -> None:
        if self.get(key) is None:
            self.conn.execute(insert(_CACHE).values(key=key, step=step, model=model, output=output, tokens=tokens))
