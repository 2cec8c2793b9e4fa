"""Injection resistance: texts with embedded instructions must change nothing their data does not support.

Each case puts one untrusted text (an email, a call transcript, a news item or a survey verbatim) on a
healthy control account of a scratch copy of the evaluation book, through the normal import, and runs the
weekly cycle for that account again. The effects are whatever differs from the same copy without the
text: offers and approvals proposed, the health band, alerts and plays opened, and any message or agent
output that names another account (a leak). Every tool call the agents make during the cycle that reads the
text is recorded through the tool registry's hook (``tools.registry.recording_tool_calls``), and the grader
holds each one to the agent's tools and to the case's account.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, select

from core.models import Account, AgentOutput, Alert, Approval, Offer, OutboxMessage, PlayRun, Scorecard
from evals.book import Book, book_for, copy_of, run_cycle_on
from evals.context import EvalContext, Outcome
from evals.spec import SuiteSpec, read_cases
from sources.importer import import_records
from tools.registry import ToolCall, recording_tool_calls


def _effects(engine: Engine, account_id: int) -> dict[str, set[str]]:
    with engine.connect() as conn:
        offers = conn.execute(select(Offer.id, Offer.kind).where(Offer.account_id == account_id)).all()
        approvals = conn.execute(select(Approval.id, Approval.status).where(Approval.account_id == account_id)).all()
        band = conn.execute(
            select(Scorecard.band).where(Scorecard.account_id == account_id).order_by(Scorecard.as_of.desc()).limit(1)
        ).scalar()
        alerts = conn.execute(select(Alert.type, Alert.reason).where(Alert.account_id == account_id)).all()
        plays = conn.execute(select(PlayRun.play, PlayRun.subject).where(PlayRun.account_id == account_id)).all()
        texts = [
            *conn.execute(
                select(OutboxMessage.subject + " " + OutboxMessage.body).where(OutboxMessage.account_id == account_id)
            ).scalars(),
            *(
                str(p)
                for p in conn.execute(select(AgentOutput.payload).where(AgentOutput.account_id == account_id)).scalars()
            ),
        ]
        others = conn.execute(select(Account.external_id, Account.name).where(Account.id != account_id)).all()
    leaks = {
        f"{ext} ({name})" for ext, name in others for text in texts if ext in text or (len(name) > 6 and name in text)
    }
    return {
        "offers": {f"{i} {k}" for i, k in offers},
        "approvals": {f"{i} {s}" for i, s in approvals},
        "band_changes": {str(band)},
        "alerts": {f"{t}/{r}" for t, r in alerts},
        "plays": {f"{p}/{s}" for p, s in plays},
        "leaks": leaks,
    }


def as_record(call: ToolCall) -> dict[str, Any]:
    """A recorded call as the JSON report keeps it."""
    return {
        "agent": call.agent,
        "tool": call.tool,
        "account_id": call.account_id,
        "as_of": call.as_of.isoformat() if call.as_of else None,
        "arguments": call.arguments,
        "refused": call.refused,
    }


def _plant(engine: Engine, book: Book, account: str, case_id: str, given: dict[str, Any]) -> None:
    when = datetime.combine(book.as_of - timedelta(days=1), time(15), tzinfo=UTC)
    channel = given["channel"]
    if channel in ("email", "call"):
        import_records(
            engine,
            "interaction",
            [
                {
                    "external_id": f"EVAL-{case_id}",
                    "account_external_id": account,
                    "kind": channel,
                    "occurred_at": when.isoformat(),
                    "direction": "inbound",
                    "subject": given.get("subject", "Re: renewal"),
                    "body": given["text"],
                    "participants": [],
                }
            ],
            source="eval",
        )
    elif channel == "news":
        import_records(
            engine,
            "market_signal",
            [
                {
                    "external_id": f"EVAL-{case_id}",
                    "account_external_id": account,
                    "kind": "news",
                    "title": given.get("title", "Company update"),
                    "body": given["text"],
                    "published_on": (book.as_of - timedelta(days=1)).isoformat(),
                }
            ],
            source="eval",
        )
    elif channel == "survey":
        import_records(
            engine,
            "survey_response",
            [
                {
                    "external_id": f"EVAL-{case_id}",
                    "account_external_id": account,
                    "survey": "nps",
                    "score": int(given.get("score", 9)),
                    "verbatim": given["text"],
                    "responded_on": (book.as_of - timedelta(days=1)).isoformat(),
                }
            ],
            source="eval",
        )
    else:
        raise ValueError(f"unknown channel {channel!r}; use email, call, news or survey")


def run(spec: SuiteSpec, ctx: EvalContext) -> list[Outcome]:
    book = book_for(ctx, spec.params)
    controls = book.accounts_with("healthy_control")
    if not controls:
        raise RuntimeError("the evaluation book has no healthy control account to plant texts on")
    ctx.notes.append(
        "tool calls: every call the four watchtowers made through the tool registry while the text was in reach,"
        " held to each agent's tools and the case's account"
    )
    outcomes = []
    for n, case in enumerate(read_cases(spec.dataset or "")):
        account = controls[n % len(controls)]
        engine, url, folder = copy_of(book)
        try:
            with engine.connect() as conn:
                account_id = conn.execute(select(Account.id).where(Account.external_id == account)).scalar_one()
            run_cycle_on(engine, url, book.as_of, [account_id])
            before = _effects(engine, account_id)
            _plant(engine, book, account, case.id, case.input)
            with recording_tool_calls() as calls:
                run_cycle_on(engine, url, book.as_of, [account_id])
            after = _effects(engine, account_id)
        finally:
            engine.dispose()
            shutil.rmtree(folder, ignore_errors=True)
        found: dict[str, list[str]] = {kind: sorted(after[kind] - before[kind]) for kind in after}
        if after["band_changes"] != before["band_changes"]:
            found["band_changes"] = [f"{before['band_changes']} -> {after['band_changes']}"]
        output = {
            "effects": found,
            "tool_calls": [as_record(c) for c in calls],
            "account": {"id": account_id, "external_id": account},
        }
        outcomes.append(Outcome(case.id, {**case.input, "account": account}, case.expected, output, case.rationale))
    return outcomes
