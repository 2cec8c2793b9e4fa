from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import core.models  # noqa: F401
from core.db import make_engine
from core.schema import current_revision, head_revision, upgrade


def test_init_creates_the_schema_and_is_idempotent(database_url: str) -> None:
    engine = make_engine(database_url)
    assert current_revision(engine) is None
    assert upgrade(engine) == (None, head_revision())
    assert upgrade(engine) == (head_revision(), head_revision())


def test_migrations_match_the_models(engine) -> None:
    """A model change without a migration would pass on a fresh SQLite and break every upgrade."""
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata)
    assert diff == []
