"""Checks that turn a missing or stale schema into an instruction instead of a SQL error."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from cli.context import CliError


def require_schema(engine: Engine) -> None:
    """Checked by every command that reads the book; alembic is imported here, not for `--help`."""
    from core.schema import current_revision, head_revision

    current = current_revision(engine)
    if current is None:
        raise CliError("the database has no Watchtower schema yet", "run 'watchtower init' first")
    if current != head_revision():
        raise CliError(
            f"the database schema is at {current}, this version needs {head_revision()}",
            "run 'watchtower init' to upgrade",
        )
