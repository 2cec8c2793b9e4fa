"""The quotable text of each stored row the copilot cites, rendered one way for the tools and the verifier.

A citation names a table and a row id and quotes a span of that row's text. Most rows are structured (a
scorecard, a task), so "the row's text" is a rendering of its columns; it lives here, once, so the text a
tool hands out and the text the verifier re-reads from the database are the same string. A renderer sees
only its row; the verifier fetches the row itself, so a quote can never be checked against what a tool
(or a model) claimed the row said.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection, select

from core.models import (
    AgentOutput,
    Alert,
    Approval,
    Contact,
    Offer,
    PlayRun,
    RenewalForecast,
    Scorecard,
    Task,
    UsageSnapshot,
)

Row = Mapping[str, Any]
#: The largest id a row can have (a signed 64-bit integer); a larger one names no row.
MAX_ROW_ID = 2**63 - 1


class Source(BaseModel):
    """Where one fact came from: the table, the row id and the row's quotable text."""

    model_config = ConfigDict(frozen=True)

    table: str
    id: str
    text: str


def points_lost(contribution: dict[str, Any]) -> float | None:
    """Points a signal holds the score below full: its weight in points less what it earned (a tool's
    result carries it already)."""
    if contribution.get("points_lost") is not None:
        return float(contribution["points_lost"])
    weight, points = contribution.get("weight"), contribution.get("points")
    if contribution.get("score") is None or weight is None or points is None:
        return None
    return round(float(weight) * 100 - float(points), 1)


def signal_label(signal: str) -> str:
    return signal.replace("_", " ")


def drag_line(contribution: dict[str, Any]) -> str:
    """One signal holding the score down, as the scorecard's text says it and a citation quotes it."""
    return (
        f"{signal_label(str(contribution['signal']))}: signal score {float(contribution['score']):.1f}, "
        f"{points_lost(contribution):.1f} points below full"
    )


def drags(contributions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The signals that cost the score most, most first (at least half a point each)."""
    lost = [c for c in contributions if (points_lost(c) or 0) >= 0.5]
    return sorted(lost, key=lambda c: (-(points_lost(c) or 0), str(c["signal"])))


def _scorecard(r: Row) -> str:
    score = "no score" if r["score"] is None else f"score {r['score']:.1f}"
    trend = "" if r["trend"] is None else f", trend {r['trend']:+.1f}"
    lines = [f"{r['band'] or 'Unscored'} band, {score}{trend}"]
    lines += [str(reason.get("text", "")) for reason in r["reasons"] or []]
    lines += [drag_line(c) for c in drags(list(r["contributions"] or []))]
    return "\n".join(lines)


def _usage(r: Row) -> str:
    return (
        f"{r['period']} of {r['period_start']}: {r['logins'] if r['logins'] is not None else 'no'} logins, "
        f"{r['active_users'] if r['active_users'] is not None else 'no'} active users, "
        f"{r['seats_used'] if r['seats_used'] is not None else 'no'} seats used"
    )


def _contact(r: Row) -> str:
    roles = ", ".join(r["roles"] or []) or "no role"
    left = f", left on {r['departed_on']}" if r["status"] == "departed" and r["departed_on"] else ""
    return f"{r['name'] or r['external_id']}, {r['title'] or 'no title'}; roles: {roles}; {r['status']}{left}"


def _agent_output(r: Row) -> str:
    payload = r["payload"] or {}
    lines = []
    for s in payload.get("stakeholders", []):
        lines.append(
            f"{s.get('name') or s.get('contact')}: {s.get('stance') or 'no stance'}, "
            f"last engaged {s.get('last_engagement') or 'never'}, engagement {s.get('engagement_trend') or 'unknown'}"
        )
    return "\n".join(lines) or f"{r['agent']} output of {r['as_of']}"


def _alert(r: Row) -> str:
    return f"{r['title']} ({r['severity']} {r['kind']}, {r['status']} since {r['opened_on']})"


def _play_run(r: Row) -> str:
    return f"play {r['play']} ({r['status']}) since {r['started_on']}"


def _task(r: Row) -> str:
    return f"{r['title']}; due {r['due_on']}; {r['status']}"


def _forecast(r: Row) -> str:
    return f"renewal on {r['renewal_on']}, {r['days_to_renewal']} days away: {r['category']}, timeline {r['timeline']}"


def _offer(r: Row) -> str:
    terms = ", ".join(f"{k} {v}" for k, v in sorted((r["terms"] or {}).items())) or "no terms"
    return f"{r['kind']} offer ({terms}): {r['status']}; {r['rationale']}"


def _approval(r: Row) -> str:
    return f"approval {r['status']} under policy {r['policy_version']}"


@dataclass(frozen=True)
class SourceTable:
    model: type
    render: Callable[[Row], str]


#: Every table a copilot answer may cite, with how its row reads.
TABLES: dict[str, SourceTable] = {
    "scorecard": SourceTable(Scorecard, _scorecard),
    "usage_snapshot": SourceTable(UsageSnapshot, _usage),
    "contact": SourceTable(Contact, _contact),
    "agent_output": SourceTable(AgentOutput, _agent_output),
    "alert": SourceTable(Alert, _alert),
    "play_run": SourceTable(PlayRun, _play_run),
    "task": SourceTable(Task, _task),
    "renewal_forecast": SourceTable(RenewalForecast, _forecast),
    "offer": SourceTable(Offer, _offer),
    "approval": SourceTable(Approval, _approval),
}


def source_of(table: str, row: Row) -> Source:
    return Source(table=table, id=str(row["id"]), text=TABLES[table].render(row))


@dataclass(frozen=True)
class StoredText:
    account_id: int
    text: str


def stored_text(conn: Connection, table: str, row_id: str) -> StoredText | None:
    """The row's account and text as the database holds them now; ``None`` for an unknown table or row."""
    spec = TABLES.get(table)
    # ASCII digits only ("²" is a digit int() refuses), and no id past what a BIGINT column holds.
    if spec is None or not (row_id.isascii() and row_id.isdigit()) or int(row_id) > MAX_ROW_ID:
        return None
    t = spec.model.__table__  # type: ignore[attr-defined]
    row = conn.execute(select(t).where(t.c.id == int(row_id))).mappings().first()
    if row is None:
        return None
    return StoredText(row["account_id"], spec.render(row))
