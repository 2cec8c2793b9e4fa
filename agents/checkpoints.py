"""The durable checkpointer paused agent runs live in: SQLite beside the database, or the Postgres database itself.

A run paused at an approval must survive the process that paused it, so the
checkpointer is never in memory. On SQLite it is a separate file next to the
database file (``watchtower.db`` -> ``watchtower.checkpoints.db``), on Postgres
the saver's own tables in the same database and schema.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.sqlite import SqliteSaver
from psycopg.rows import dict_row
from sqlalchemy.engine import make_url


class CheckpointError(RuntimeError):
    pass


def checkpoint_location(database_url: str) -> str:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise CheckpointError("paused agent runs need a database file, not an in-memory SQLite database")
        path = Path(url.database)
        return str(path.with_name(path.stem + ".checkpoints" + (path.suffix or ".db")))
    if url.get_backend_name() == "postgresql":
        return url.set(drivername="postgresql").render_as_string(hide_password=False)
    raise CheckpointError(f"no checkpointer for {url.get_backend_name()} databases")


@contextmanager
def open_checkpointer(database_url: str) -> Iterator[BaseCheckpointSaver]:
    """A ready saver (its tables created) for the duration of the block."""
    location = checkpoint_location(database_url)
    if make_url(database_url).get_backend_name() == "sqlite":
        Path(location).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(location, check_same_thread=False, timeout=30)
        try:
            saver = SqliteSaver(conn)
            saver.setup()
            yield saver
        finally:
            conn.close()
        return
    with psycopg.Connection.connect(location, autocommit=True, prepare_threshold=0, row_factory=dict_row) as conn:
        saver = PostgresSaver(conn)  # type: ignore[arg-type]
        saver.setup()
        yield saver
