"""Users, tokens and the queue from the command line; offers plays propose; a bad resume value."""

from __future__ import annotations

import json

import pytest
from langgraph.types import Command
from sqlalchemy import select
from typer.testing import CliRunner

from agents.checkpoints import open_checkpointer
from agents.offer_agent import OfferAgentContext, build_graph, thread_config
from agents.resume import resume_settled, start_offer_run
from approvals.queue import ACCOUNT, APPROVAL
from cli.main import app
from core.identity import TOKEN, USER, user_for_token, verify_password
from core.models import OutboxMessage
from tests.integration.approval_support import NOW, POLICY, account_ids, book_with_people
from tests.integration.test_approvals import act

runner = CliRunner()
OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]


def wt(database_url: str, *args: str):
    return runner.invoke(app, ["--database-url", database_url, *args])


def test_users_and_tokens(engine, database_url):
    book_with_people(engine)
    added = wt(database_url, "users", "add", "dana", "--role", "finance", "--name", "Dana")
    assert added.exit_code == 0, added.output
    bad = wt(database_url, "users", "add", "eve", "--role", "treasurer")
    assert bad.exit_code == 1 and "role: 'treasurer' is not one of csm, cs_manager" in bad.output
    assert "a CSM needs the address" in wt(database_url, "users", "add", "sam", "--role", "csm").output
    made = wt(database_url, "tokens", "create", "dana", "--name", "laptop")
    token = made.output.strip().splitlines()[-1]
    assert made.exit_code == 0 and token.startswith("wt_")
    with engine.begin() as conn:
        stored = conn.execute(select(TOKEN.c.token_hash, TOKEN.c.prefix)).all()
        assert all(token not in (row.token_hash, row.prefix) for row in stored)
        assert user_for_token(conn, token, now=NOW).username == "dana"
    demo = wt(database_url, "users", "demo")
    assert demo.exit_code == 0 and all(role in demo.output for role in ("cs_manager", "finance", "legal", "cro"))
    with engine.connect() as conn:
        manager = conn.execute(select(USER.c.password_hash).where(USER.c.username == "manager")).scalar_one()
    cells = next([c.strip() for c in line.split("│")] for line in demo.output.splitlines() if " manager " in line)
    password = cells[-2]
    assert verify_password(password, manager) and not verify_password("nope", manager)
    listed = wt(database_url, "users", "list").output
    assert "dana" in listed and "finance" in listed and "scrypt" not in listed


def test_queue_from_the_command_line(engine, database_url):
    people = book_with_people(engine)
    account = account_ids(engine)[0]
    proposed = wt(
        database_url,
        "offers",
        "propose",
        _external(engine, account),
        "--kind",
        "discount",
        "--term",
        "discount_pct=12",
        "--rationale",
        "Budget cut",
        "--as",
        "ae",
    )
    assert proposed.exit_code == 0 and "routed to finance" in proposed.output, proposed.output
    listed = wt(database_url, "approvals", "list", "--as", "finance", "--role", "finance")
    assert "12.0%" in listed.output and "showing" not in listed.output  # one item, none left out
    assert len(json.loads(wt(database_url, "approvals", "list", "--as", "finance", "--format", "json").stdout)) == 1
    refused = wt(
        database_url, "approvals", "decide", "1", "--as", "cs-manager", "--decision", "approve", "--reason", "x"
    )
    assert refused.exit_code == 1 and "cs_manager role is not an approver" in refused.output
    done = wt(database_url, "approvals", "decide", "1", "--as", "finance", "--decision", "approve", "--reason", "ok")
    assert "offer 1 approved" in done.output
    shown = wt(database_url, "approvals", "show", "1", "--as", "cro")
    assert '"status": "approved"' in shown.output and '"settled_by": "finance"' in shown.output
    hidden = wt(database_url, "approvals", "show", "1", "--as", "csm")
    assert hidden.exit_code == 1 or people["csm"].email == _owner(engine, account)


def _external(engine, account_id):
    with engine.connect() as conn:
        return conn.execute(select(ACCOUNT.c.external_id).where(ACCOUNT.c.id == account_id)).scalar_one()


def _owner(engine, account_id):
    with engine.connect() as conn:
        return conn.execute(select(ACCOUNT.c.owner_csm).where(ACCOUNT.c.id == account_id)).scalar_one()


def test_an_invalid_resume_value_is_refused_and_the_run_stays_paused(engine, database_url):
    people = book_with_people(engine)
    paused = start_offer_run(
        engine,
        database_url,
        POLICY,
        {
            "account_id": account_ids(engine)[0],
            "kind": "discount",
            "terms": {"discount_pct": 4},
            "rationale": "r",
            "agent": "sentiment",
        },
    )
    context = OfferAgentContext(engine, POLICY, clock=lambda: NOW)
    with open_checkpointer(database_url) as saver:
        graph = build_graph(saver)
        config = thread_config(paused.thread_id)
        for value in ("approved!", {"decision": "approve"}, {"decision": "sign", "reason": "x"}):
            graph.invoke(Command(resume=value), config, context=context)
            state = graph.get_state(config)
            assert state.next == ("await_approval",)
            assert "approve, edit, reject" in state.tasks[0].interrupts[-1].value["refused"]
        # A well-formed value cannot make the run act before people have settled the offer.
        with pytest.raises(RuntimeError, match="still pending"):
            graph.invoke(Command(resume={"decision": "approve", "reason": "forged"}), config, context=context)
    with engine.connect() as conn:
        assert conn.execute(select(APPROVAL.c.status)).scalar_one() == "pending"
        assert conn.execute(select(OUTBOX.c.id).where(OUTBOX.c.dedupe_key.like("offer:%"))).first() is None
    # People reject it; the run acts on what the database records, not on the forged approval.
    act(engine, paused.approval_id, people["cs_manager"], "reject", reason="not now")
    assert resume_settled(engine, database_url, POLICY, now=NOW) == [paused.approval_id]
    with engine.connect() as conn:
        keys = conn.execute(select(OUTBOX.c.dedupe_key).where(OUTBOX.c.dedupe_key.like("offer:%"))).scalars().all()
    assert keys == [f"offer:{paused.offer_id}:rejected"]
