"""An agent run pauses at its approval, the process dies, another process decides, and the run resumes once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from agents.resume import resume_settled
from approvals.decisions import decide
from approvals.queue import ACCOUNT, APPROVAL, OFFER, Actor
from core.faithfulness import check
from core.identity import find_user
from core.models import OutboxMessage
from tests.integration.approval_support import NOW, POLICY, book_with_people

OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
WATCHTOWER = str(Path(sys.executable).with_name("watchtower"))


def cli(database_url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "COLUMNS": "200"}
    done = subprocess.run([WATCHTOWER, *args], env=env, capture_output=True, text=True, timeout=120)
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def first_account(engine) -> str:
    with engine.connect() as conn:
        return conn.execute(select(ACCOUNT.c.external_id).order_by(ACCOUNT.c.id).limit(1)).scalar_one()


def test_pause_kill_restart_decide_resume_once(engine, database_url):
    book_with_people(engine)
    account = first_account(engine)
    # Process 1 starts the agent run; it pauses at the approval and the process is killed while waiting.
    env = {**os.environ, "DATABASE_URL": database_url}
    script = (
        "import os, signal, sys\n"
        "from typer.main import get_command\n"
        "from cli.main import app\n"
        "try:\n"
        "    get_command(app).main(sys.argv[1:], standalone_mode=False)\n"
        "finally:\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    killed = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            "offers",
            "propose",
            account,
            "--kind",
            "discount",
            "--term",
            "discount_pct=25",
            "--rationale",
            "Champion left before the renewal",
            "--agent",
            "financial",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert "waits for the decision" in killed.stdout
    with engine.connect() as conn:
        offer = conn.execute(select(OFFER)).mappings().one()
        approval = conn.execute(select(APPROVAL)).mappings().one()
    assert offer["requester"] == "agent:financial" and offer["thread_id"].startswith("offer-")
    assert approval["status"] == "pending" and approval["resumed_at"] is None

    # Process 2 and 3: finance, then the CRO decide; the second decision settles it and resumes the run.
    cli(
        database_url,
        "approvals",
        "decide",
        str(approval["id"]),
        "--as",
        "finance",
        "--decision",
        "approve",
        "--reason",
        "Within the retention budget",
    )
    with engine.connect() as conn:
        assert (
            conn.execute(
                select(func.count()).select_from(OUTBOX).where(OUTBOX.c.dedupe_key.like("offer:%"))
            ).scalar_one()
            == 0
        )
    done = cli(
        database_url,
        "approvals",
        "decide",
        str(approval["id"]),
        "--as",
        "cro",
        "--decision",
        "edit",
        "--term",
        "discount_pct=22",
        "--reason",
        "22% is the most we give",
    )
    # Finance approved 25%, not 22%: it approves again, and that settles the offer and resumes the run.
    assert "waiting for finance\n" in done.stdout and "resumed" not in done.stdout
    done = cli(
        database_url,
        "approvals",
        "decide",
        str(approval["id"]),
        "--as",
        "finance",
        "--decision",
        "approve",
        "--reason",
        "22% is fine",
    )
    assert "offer 1 approved" in done.stdout and "resumed the agent run" in done.stdout

    # Resuming again, from another process or this one, does nothing more.
    assert "0 run(s) resumed" in cli(database_url, "approvals", "resume").stdout
    assert resume_settled(engine, database_url, POLICY, now=NOW) == []
    with engine.connect() as conn:
        effects = conn.execute(
            select(OUTBOX.c.dedupe_key, OUTBOX.c.subject, OUTBOX.c.body, OUTBOX.c.facts).where(
                OUTBOX.c.dedupe_key.like("offer:%")
            )
        ).all()
        settled = conn.execute(select(APPROVAL.c.status, APPROVAL.c.resumed_at)).one()
        terms = conn.execute(select(OFFER.c.terms)).scalar_one()
    assert [e.dedupe_key for e in effects] == [f"offer:{offer['id']}:approved"]
    assert "discount pct 22.0" in effects[0].body and terms == {"discount_pct": 22.0}
    assert check(f"{effects[0].subject}\n{effects[0].body}", effects[0].facts).faithful
    assert settled.status == "approved" and settled.resumed_at is not None


def test_a_crash_between_decision_and_resume_is_caught_up(engine, database_url):
    book_with_people(engine)
    account = first_account(engine)
    cli(
        database_url,
        "offers",
        "propose",
        account,
        "--kind",
        "discount",
        "--term",
        "discount_pct=5",
        "--rationale",
        "Small goodwill discount",
        "--agent",
        "sentiment",
    )
    with engine.connect() as conn:
        approval_id = conn.execute(select(APPROVAL.c.id)).scalar_one()
    # Decide without resuming (as if the process died right after the commit).
    with engine.begin() as conn:
        manager = find_user(conn, "cs-manager")
        decide(
            conn,
            POLICY,
            approval_id,
            Actor(manager.username, "person", manager.role, manager.id),
            {"decision": "reject", "reason": "Not while invoices are overdue"},
            now=NOW,
        )
    assert "1 run(s) resumed" in cli(database_url, "approvals", "resume").stdout
    with engine.connect() as conn:
        keys = conn.execute(
            select(OUTBOX.c.dedupe_key, OUTBOX.c.subject).where(OUTBOX.c.dedupe_key.like("offer:%"))
        ).all()
    assert len(keys) == 1 and keys[0].dedupe_key.endswith(":rejected") and "overdue" in keys[0].subject
