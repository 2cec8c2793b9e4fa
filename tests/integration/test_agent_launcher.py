"""An agent-launched offer records who launched the run, and that person cannot decide on it."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from agents.resume import start_offer_run
from approvals.decisions import Refused
from approvals.queue import ACCOUNT, OFFER
from cli.main import app
from tests.integration.approval_support import POLICY, account_ids, book_with_people
from tests.integration.test_approvals import act

runner = CliRunner()


def test_the_person_who_launched_an_agent_run_cannot_decide_its_offer(engine, database_url):
    people = book_with_people(engine)
    paused = start_offer_run(
        engine,
        database_url,
        POLICY,
        {
            "account_id": account_ids(engine)[0],
            "kind": "discount",
            "terms": {"discount_pct": 5},
            "rationale": "Budget cut at renewal",
            "agent": "financial",
            "launched_by": people["cs_manager"].username,
        },
    )
    with pytest.raises(Refused, match="launched the agent run"):
        act(engine, paused.approval_id, people["cs_manager"], "approve")
    with pytest.raises(Refused, match="launched the agent run"):
        act(engine, paused.approval_id, people["cs_manager"], "edit", terms={"discount_pct": 4})
    with engine.connect() as conn:
        offer = conn.execute(select(OFFER).where(OFFER.c.id == paused.offer_id)).mappings().one()
    assert (offer["requester"], offer["requester_kind"]) == ("agent:financial", "agent")
    assert offer["launched_by"] == "cs-manager"


def test_offers_propose_with_an_agent_records_the_launcher(engine, database_url):
    book_with_people(engine)
    with engine.connect() as conn:
        account = conn.execute(select(ACCOUNT.c.external_id).order_by(ACCOUNT.c.id).limit(1)).scalar_one()
    base = ["--database-url", database_url, "offers", "propose", account, "--kind", "discount"]
    proposed = runner.invoke(
        app, [*base, "--term", "discount_pct=5", "--rationale", "x", "--agent", "financial", "--as", "cs-manager"]
    )
    assert proposed.exit_code == 0, proposed.output
    decide = ["approvals", "decide", "1", "--as", "cs-manager", "--decision", "approve", "--reason", "fine"]
    decided = runner.invoke(app, ["--database-url", database_url, *decide])
    assert decided.exit_code == 1 and "launched the agent run" in decided.output, decided.output
    shown = runner.invoke(app, ["--database-url", database_url, "approvals", "show", "1", "--as", "cro"])
    assert '"launched_by": "cs-manager"' in shown.output
    # A job launches with its own name, recorded as such.
    job = runner.invoke(app, [*base, "--term", "discount_pct=6", "--rationale", "x", "--agent", "financial"])
    assert job.exit_code == 0, job.output
    with engine.connect() as conn:
        launchers = conn.execute(select(OFFER.c.launched_by).order_by(OFFER.c.id)).scalars().all()
    assert launchers == ["cs-manager", "job:cli"]
