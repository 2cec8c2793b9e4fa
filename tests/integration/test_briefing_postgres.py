"""The briefing on PostgreSQL: its readers, its store (replace per audience and week) and the archive's access
rule run there as on SQLite, on a small book reviewed a week apart through the command line."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from agents.briefing.archive import briefing_html, list_briefings
from agents.briefing.service import Briefer
from cli.main import app
from core.db import make_engine
from core.identity import User
from core.models import Account, Briefing
from core.settings import Settings
from tests.integration.briefing_support import AS_OF, WEEK_BEFORE

BRIEFING = Briefing.__table__  # type: ignore[attr-defined]
ACCOUNT = Account.__table__  # type: ignore[attr-defined]
NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


@pytest.mark.postgres
def test_briefings_on_postgres(postgres_schema_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    for args in (
        ["init"],
        ["seed", "--accounts", "12", "--seed", "5", "--as-of", AS_OF.isoformat(), "--labels-dir", str(tmp_path)],
        ["run", "--as-of", WEEK_BEFORE.isoformat()],
        ["run", "--as-of", AS_OF.isoformat()],
    ):
        done = runner.invoke(
            app, ["--database-url", postgres_schema_url, *args], env={"WATCHTOWER_DATA_DIR": str(tmp_path)}
        )
        assert done.exit_code == 0, done.output
    engine = make_engine(postgres_schema_url)
    with engine.connect() as conn:
        owner = conn.execute(select(ACCOUNT.c.owner_csm).order_by(ACCOUNT.c.id).limit(1)).scalar_one()
    briefer = Briefer.from_settings(engine, Settings(database_url=postgres_schema_url, data_dir=tmp_path))
    for _ in range(2):
        made = briefer.produce_missing(as_of=AS_OF, now=NOW)
    out = briefer.produce(audience="leadership", as_of=AS_OF, now=NOW)  # produced again: replaced
    with engine.connect() as conn:
        counts = dict(conn.execute(select(BRIEFING.c.audience, func.count()).group_by(BRIEFING.c.audience)).all())
        due = conn.execute(
            text(
                """SELECT COUNT(*) FROM renewal_forecast f JOIN account a ON a.id = f.account_id
                WHERE f.as_of = (SELECT MAX(g.as_of) FROM renewal_forecast g
                                 WHERE g.contract_id = f.contract_id AND g.as_of <= :d)
                  AND f.renewal_on > :d AND f.renewal_on <= :d + 90
                  AND (a.churned_on IS NULL OR a.churned_on > :d)"""
            ),
            {"d": AS_OF},
        ).scalar_one()
        csm = User(1, "csm", "csm", owner, "csm")
        mine = list_briefings(conn, csm)
        leadership = conn.execute(select(BRIEFING.c.id).where(BRIEFING.c.audience == "leadership")).scalar_one()
        refused = briefing_html(conn, csm, leadership)
    engine.dispose()
    assert made == []  # the second pass found the week written
    assert set(counts.values()) == {1} and "leadership" in counts and f"csm:{owner}" in counts
    assert out["facts"]["renewals"][0]["renewals"] == due
    assert [b.audience for b in mine] == [f"csm:{owner}"]
    assert refused is None
