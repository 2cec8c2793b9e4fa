"""Engine construction for SQLite (the embedded default) and PostgreSQL.

Engines are built on request, never at import, so a process can hold several
(tests run SQLite and Postgres side by side).
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, overload

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SAWarning
from sqlmodel import create_engine

# Money columns are Numeric(14, 2). SQLite stores them as REAL and SQLAlchemy
# rounds back to two decimals, which is exact for amounts below 10^12; the
# generic warning about that conversion is therefore noise here.
warnings.filterwarnings("ignore", message=r".*does \*not\* support Decimal objects natively.*", category=SAWarning)


@overload
def as_utc(moment: datetime) -> datetime: ...
@overload
def as_utc(moment: None) -> None: ...
def as_utc(moment: datetime | None) -> datetime | None:
    """A stored moment as an aware UTC datetime: SQLite hands back naive datetimes for what was stored in UTC,
    PostgreSQL aware ones; ``None`` stays ``None``."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _prepare_sqlite_path(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def make_engine(database_url: str, *, echo: bool = False) -> Engine:
    """Build an engine with the pragmas each backend needs for correctness."""
    if database_url.startswith("sqlite"):
        _prepare_sqlite_path(database_url)
        engine = create_engine(database_url, echo=echo, connect_args={"check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            # Foreign keys are off by default in SQLite; references must hold on both backends.
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(database_url, echo=echo, pool_pre_ping=True)
