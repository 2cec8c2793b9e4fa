"""Database fixtures shared by every suite.

Each test that needs a database gets its own: a fresh SQLite file, or a fresh
schema on the PostgreSQL server named by WATCHTOWER_TEST_POSTGRES_URL. With
CI=true an unreachable Postgres fails the run; elsewhere those tests skip and
say how to enable them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import Engine, make_url

from core.db import make_engine
from core.schema import upgrade

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(autouse=True)
def _team_config_dir(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every test starts with a team that has no copies of its own, so the policies are the shipped defaults.

    Without this a developer's ``var/config`` (from ``watchtower model apply`` or ``config init`` in the
    checkout) or a WATCHTOWER_CONFIG_DIR in their shell would change what the tests read.
    """
    folder = tmp_path_factory.mktemp("team-config") / "config"
    monkeypatch.setenv("WATCHTOWER_CONFIG_DIR", str(folder))
    # The data directory too (the knowledge base's indexes, eval results): never the checkout's var/.
    monkeypatch.setenv("WATCHTOWER_DATA_DIR", str(folder.parent / "data"))
    # Lexical knowledge base unless a test asks for vectors: embedding every seeded book's texts would cost
    # seconds per weekly run in tests about other things. tests/integration/test_kb_dense.py turns it on.
    monkeypatch.setenv("WATCHTOWER_KB_VECTORS", "false")
    return folder


def postgres_url() -> str:
    return os.environ.get("WATCHTOWER_TEST_POSTGRES_URL", DEFAULT_PG_URL)


def _libpq_dsn(url: str) -> str:
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


_pg_state: dict[str, str | None] = {}


def postgres_unavailable() -> str | None:
    """None when the server answers, else the reason; checked once per session."""
    if "reason" not in _pg_state:
        try:
            with psycopg.connect(_libpq_dsn(postgres_url()), connect_timeout=3):
                _pg_state["reason"] = None
        except psycopg.OperationalError as exc:
            _pg_state["reason"] = str(exc).strip().splitlines()[0]
    return _pg_state["reason"]


def require_postgres() -> None:
    reason = postgres_unavailable()
    if reason is None:
        return
    message = f"PostgreSQL at {postgres_url()} is unreachable: {reason}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " (CI=true: Postgres tests are required)", pytrace=False)
    pytest.skip(message + "; start it or set WATCHTOWER_TEST_POSTGRES_URL to run these tests")


@pytest.fixture
def postgres_schema_url() -> Iterator[str]:
    """A URL whose search_path is a brand-new schema, dropped after the test."""
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    dsn = _libpq_dsn(postgres_url())
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = make_url(postgres_url()).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Runs the test once on SQLite and once on Postgres."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'watchtower.db'}"
    return request.getfixturevalue("postgres_schema_url")


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated, empty database."""
    eng = make_engine(database_url)
    upgrade(eng)
    yield eng
    eng.dispose()
