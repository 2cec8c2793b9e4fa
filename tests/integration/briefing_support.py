"""A seeded book reviewed on two dates a week apart, built once per test session through the command line,
with the people who read briefings: two CSMs, a CS manager, a CRO and finance, each with a web password."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli.main import app
from core.db import make_engine
from core.identity import add_user
from core.models import Account
from core.settings import Settings
from tests.integration.approval_support import NOW, PASSWORD

AS_OF = date(2026, 11, 22)
WEEK_BEFORE = AS_OF - timedelta(days=7)
ACCOUNT = Account.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class BriefingBook:
    database_url: str
    data_dir: Path
    #: The owner of the first account and the owner of another: each CSM's email is their book's key.
    csm: str
    other_csm: str

    @property
    def engine(self) -> Engine:
        return make_engine(self.database_url)

    @property
    def settings(self) -> Settings:
        return Settings(database_url=self.database_url, data_dir=self.data_dir)


def _build(folder: Path) -> None:
    url = f"sqlite:///{folder / 'watchtower.db'}"
    runner = CliRunner()
    for args in (
        ["init"],
        ["seed", "--accounts", "30", "--seed", "3", "--as-of", AS_OF.isoformat(), "--labels-dir", str(folder)],
        ["run", "--as-of", WEEK_BEFORE.isoformat()],
        ["run", "--as-of", AS_OF.isoformat()],
    ):
        done = runner.invoke(app, ["--database-url", url, *args], env={"WATCHTOWER_DATA_DIR": str(folder)})
        assert done.exit_code == 0, done.output
    engine = make_engine(url)
    with engine.begin() as conn:
        owners = list(conn.execute(select(ACCOUNT.c.owner_csm).distinct().order_by(ACCOUNT.c.owner_csm)).scalars())
        for n, owner in enumerate(owners[:2], start=1):
            add_user(conn, username=f"csm-{n}", role="csm", email=owner, password=PASSWORD, now=NOW)
        for role in ("cs_manager", "cro", "finance"):
            name = role.replace("_", "-")
            add_user(conn, username=name, role=role, email=f"{name}@example.test", password=PASSWORD, now=NOW)
    engine.dispose()


def briefing_book(tmp_path_factory: pytest.TempPathFactory, name: str) -> BriefingBook:
    """A private copy of the session's book in a folder of its own (built the first time it is asked for)."""
    master = tmp_path_factory.getbasetemp() / "briefing-book-master"
    if not (master / "watchtower.db").exists():
        master.mkdir(exist_ok=True)
        _build(master)
    folder = tmp_path_factory.mktemp(name)
    shutil.copy(master / "watchtower.db", folder / "watchtower.db")
    url = f"sqlite:///{folder / 'watchtower.db'}"
    engine = make_engine(url)
    with engine.connect() as conn:
        owners = list(conn.execute(select(ACCOUNT.c.owner_csm).distinct().order_by(ACCOUNT.c.owner_csm)).scalars())
    engine.dispose()
    return BriefingBook(url, folder, owners[0], owners[1])
