"""Plays, tasks, the outbox, renewals, risks and experiments from the command line, as a person uses them."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from cli.main import app
from core.db import make_engine
from core.models import Contract, OutboxMessage, PlayRun, Task

runner = CliRunner()


def wt(database_url: str, *args: str):
    return runner.invoke(app, ["--database-url", database_url, *args])


def test_plays_from_seed_to_outbox(database_url: str, tmp_path: Path) -> None:
    assert wt(database_url, "init").exit_code == 0
    seeded = wt(database_url, "seed", "--accounts", "60", "--seed", "11", "--as-of", "2026-11-22")
    assert seeded.exit_code == 0, seeded.output
    cycle = wt(database_url, "run", "--as-of", "2026-11-22")
    assert cycle.exit_code == 0, cycle.output
    opened = re.search(r"plays as of 2026-11-22: opened (\d+) run", cycle.output)
    assert opened and int(opened.group(1)) > 10
    assert "forecast:" in cycle.output

    listed = wt(database_url, "plays", "list")
    assert listed.exit_code == 0 and "usage_decline" in listed.output
    engine = make_engine(database_url)
    with engine.connect() as conn:
        run_id = conn.execute(select(PlayRun.id).where(PlayRun.play == "usage_decline")).scalars().first()
        task_id = conn.execute(select(Task.id).where(Task.run_id == run_id)).scalars().first()
        contract = (
            conn.execute(select(Contract.external_id).join(PlayRun, PlayRun.contract_id == Contract.id))
            .scalars()
            .first()
        )
    shown = wt(database_url, "plays", "show", str(run_id))
    assert shown.exit_code == 0 and "usage_decline" in shown.output and "flag" in shown.output

    paused = wt(database_url, "plays", "pause", str(run_id), "--by", "dana@cs", "--reason", "holiday")
    assert paused.exit_code == 0, paused.output
    twice = wt(database_url, "plays", "pause", str(run_id), "--by", "dana@cs", "--reason", "again")
    assert twice.exit_code == 1 and f"run {run_id} is paused, not active" in twice.output
    no_reason = wt(database_url, "plays", "resume", str(run_id), "--by", "dana@cs")
    assert no_reason.exit_code == 2  # --reason is required
    unknown = wt(database_url, "plays", "show", "999999")
    assert unknown.exit_code == 1 and "no play run 999999" in unknown.output

    tasks = wt(database_url, "tasks", "--limit", "5")
    assert tasks.exit_code == 0 and "task" in tasks.output
    done = wt(database_url, "tasks", "done", str(task_id), "--by", "dana@cs", "--as-of", "2026-11-22")
    assert done.exit_code == 0, done.output
    again = wt(database_url, "tasks", "done", str(task_id), "--by", "dana@cs")
    assert again.exit_code == 1 and "already done" in again.output

    drafts = wt(database_url, "outbox")
    assert drafts.exit_code == 0
    with engine.connect() as conn:
        message_id = (
            conn.execute(select(OutboxMessage.id).where(OutboxMessage.status == "drafted").order_by(OutboxMessage.id))
            .scalars()
            .first()
        )
    assert wt(database_url, "outbox", "show", str(message_id)).exit_code == 0
    approved = wt(database_url, "outbox", "approve", str(message_id), "--by", "dana@cs", "--subject", "Hello")
    assert approved.exit_code == 0, approved.output
    sent = wt(database_url, "outbox", "send")
    assert sent.exit_code == 0 and "wait for a sender: set WATCHTOWER_SMTP_HOST" in sent.output
    with engine.connect() as conn:
        status = conn.execute(select(OutboxMessage.status).where(OutboxMessage.id == message_id)).scalar_one()
    assert status == "approved"

    renewals = wt(database_url, "renewals", "--as-of", "2026-11-22")
    assert renewals.exit_code == 0 and "weighted ARR in all" in renewals.output
    call = wt(database_url, "renewals", "call", contract, "churn", "--by", "dana@cs", "--as-of", "2026-11-22")
    assert call.exit_code == 0, call.output
    bad_call = wt(database_url, "renewals", "call", contract, "maybe", "--by", "dana@cs")
    assert bad_call.exit_code == 1 and "category must be one of commit, upside, at_risk, churn" in bad_call.output
    show = wt(database_url, "renewals", "show", contract, "--as-of", "2026-11-22")
    assert show.exit_code == 0 and "milestone" in show.output
    document = wt(database_url, "renewals", "document", contract, "readiness_report", "--as-of", "2026-11-22")
    assert document.exit_code == 0 and "Renewal readiness" in document.output

    risks = wt(database_url, "risks", "--as-of", "2026-11-22")
    assert risks.exit_code == 0 and "risk cases as of 2026-11-22" in risks.output
    report = wt(database_url, "experiments", "report")
    assert report.exit_code == 0 and "no play declares a holdout" in report.output
    engine.dispose()


def test_plays_check_names_the_bad_key(tmp_path: Path) -> None:
    good = runner.invoke(app, ["plays", "check"])
    assert good.exit_code == 0 and "valid" in good.output
    bad = tmp_path / "plays.yaml"
    bad.write_text(
        "version: x\nplays:\n  - id: p\n    name: P\n    kind: risk\n    trigger: 'bnd == 1'\n"
        "    steps: [{id: s, day: 1, action: task, owner: csm, title: t}]\n"
    )
    result = runner.invoke(app, ["plays", "check", str(bad)])
    assert result.exit_code == 1
    assert "plays[p].trigger: unknown fact(s) bnd" in result.output
    facts = runner.invoke(app, ["plays", "facts"])
    assert facts.exit_code == 0 and "days_to_renewal" in facts.output


def test_plays_list_fits_a_100_column_terminal_with_a_summary_of_long_triggers(database_url: str) -> None:
    assert wt(database_url, "init").exit_code == 0
    listed = runner.invoke(app, ["--database-url", database_url, "plays", "list"], env={"COLUMNS": "100"})
    assert listed.exit_code == 0, listed.output
    rows = [line for line in listed.output.splitlines() if line.startswith("│")]
    assert rows and all(line.split("│")[1].strip() != "" for line in rows), "a trigger wrapped onto a second line"
    renewal = next(line for line in rows if "renewal_timeline" in line)
    assert "any of: days_to_renewal, band" in renewal
    assert "alert.champion_departure" in next(line for line in rows if "champion_departure" in line)
