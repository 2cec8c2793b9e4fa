"""A seeded, scored book with people, built once per module through the command line, for the copilot suites."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli.main import app
from core.db import make_engine
from core.identity import User, add_user
from core.models import Account, Scorecard
from core.settings import Settings
from knowledge_base.retrieval import KnowledgeBase
from tests.integration.approval_support import NOW

AS_OF = date(2026, 11, 22)
ACCOUNT = Account.__table__  # type: ignore[attr-defined]
SCORECARD = Scorecard.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Book:
    database_url: str
    engine: Engine
    data_dir: Path
    #: The owner of ``at_risk`` (a CSM), another CSM, and a CS manager.
    owner: User
    other_csm: User
    manager: User
    #: An Orange or Red account, its external id, and an account of another CSM.
    at_risk: str
    at_risk_id: int
    foreign: str
    foreign_id: int

    @property
    def settings(self) -> Settings:
        return Settings(database_url=self.database_url, data_dir=self.data_dir)


def seeded_book(folder: Path, *, accounts: int = 30, database_url: str | None = None) -> Book:
    """The book in ``database_url`` (default a SQLite file in ``folder``); ``folder`` is the data directory."""
    url = database_url or f"sqlite:///{folder / 'watchtower.db'}"
    runner = CliRunner()
    for args in (
        ["init"],
        ["seed", "--accounts", str(accounts), "--seed", "3", "--as-of", AS_OF.isoformat(), "--labels-dir", str(folder)],
        ["run", "--as-of", AS_OF.isoformat()],
    ):
        done = runner.invoke(app, ["--database-url", url, *args])
        assert done.exit_code == 0, done.output
    engine = make_engine(url)
    with KnowledgeBase.open(folder) as kb, engine.connect() as conn:
        kb.ingest_book(conn)
    with engine.begin() as conn:
        risky = conn.execute(
            select(ACCOUNT.c.id, ACCOUNT.c.external_id, ACCOUNT.c.owner_csm)
            .join(SCORECARD, SCORECARD.c.account_id == ACCOUNT.c.id)
            .where(SCORECARD.c.band.in_(("Orange", "Red")), SCORECARD.c.as_of == AS_OF)
            .order_by(SCORECARD.c.score, ACCOUNT.c.id)
            .limit(1)
        ).one()
        foreign = conn.execute(
            select(ACCOUNT.c.id, ACCOUNT.c.external_id, ACCOUNT.c.owner_csm)
            .where(ACCOUNT.c.owner_csm != risky.owner_csm)
            .order_by(ACCOUNT.c.id)
            .limit(1)
        ).one()
        owner = add_user(conn, username="owner-csm", role="csm", email=risky.owner_csm, now=NOW)
        other = add_user(conn, username="other-csm", role="csm", email=foreign.owner_csm, now=NOW)
        manager = add_user(conn, username="manager", role="cs_manager", email="m@example.test", now=NOW)
    return Book(
        url, engine, folder, owner, other, manager, risky.external_id, risky.id, foreign.external_id, foreign.id
    )
