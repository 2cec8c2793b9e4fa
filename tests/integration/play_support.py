"""A seeded book with its watchtowers run, and a clock to walk play runs day by day."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.engine import Engine

from actions.play_steps import make_play_engine
from core.models import Account, PlayEvent, PlayRun
from evals.alert_labels import read_labels
from playbooks.forecast import ForecastConfig
from playbooks.play_config import PlayBook
from playbooks.play_engine import load_play_configs
from sources.importer import import_records
from tests.integration.helpers import AS_OF, seed_small_book
from tests.integration.watchtower_support import run

#: Every table plays write, without surrogate ids or wall-clock stamps: equal means the same state.
PLAY_TABLES = {
    "play_run": "account_id, play, subject, arm, status, track, track_started_on, started_on, offset_days, "
    "owner, outcome, closed_on, last_advanced_on",
    "play_step": "track, step, position, status, start_on, due_on, deadline_on, started_on, finished_on, note",
    "play_event": "occurred_on, kind, step, actor, reason",
    "task": "account_id, track, step, title, owner_role, assignee, due_on, status, escalated_on, completed_on",
    "outbox_message": "account_id, dedupe_key, audience, recipient, subject, body, status",
    "offer": "account_id, kind, terms, arr_impact, status, dedupe_key",
    "risk_case": "account_id, stage, stage_since, opened_on, closed_on, outcome",
    "risk_case_stage": "stage, entered_on, left_on",
    "renewal_forecast": "contract_id, as_of, category, probability, weighted_arr, timeline, flagged",
    "artifact": "account_id, kind, content",
}


def play_rows(engine: Engine) -> dict[str, list[tuple[str, ...]]]:
    with engine.connect() as conn:
        return {
            table: sorted(tuple(str(v) for v in row) for row in conn.execute(text(f"SELECT {cols} FROM {table}")))
            for table, cols in PLAY_TABLES.items()
        }


@dataclass
class Book:
    engine: Engine
    database_url: str
    labels: dict[str, set[str]]

    def planted(self, scenario: str) -> list[str]:
        return sorted(a for a, s in self.labels.items() if scenario in s)

    def account_id(self, external_id: str) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(Account.id).where(Account.external_id == external_id)).scalar_one()


def seeded_book(engine: Engine, database_url: str, tmp_path: Path, accounts: int = 60) -> Book:
    """A small seeded book (two accounts per planted scenario) after one weekly cycle without plays."""
    seed_small_book(engine, accounts=accounts, seed=11, labels_dir=tmp_path)
    run(engine, database_url, AS_OF, plays=False)
    return Book(engine, database_url, read_labels(tmp_path / "labels.jsonl"))


def configs() -> tuple[PlayBook, ForecastConfig]:
    return load_play_configs()


def advance(
    engine: Engine,
    day: date,
    account_ids: list[int] | None = None,
    *,
    playbook: PlayBook | None = None,
    forecast: ForecastConfig | None = None,
) -> dict[str, int]:
    book = playbook or configs()[0]
    plays = make_play_engine(book, forecast, now=datetime.combine(day, time(9), tzinfo=UTC))
    return dict(plays.run(engine, day, account_ids))


def walk(
    engine: Engine, account_ids: list[int], days: int, *, start: date = AS_OF, playbook: PlayBook | None = None
) -> None:
    for n in range(days):
        advance(engine, start + timedelta(days=n), account_ids, playbook=playbook)


def run_of(engine: Engine, account_id: int, play: str) -> dict[str, Any]:
    with engine.connect() as conn:
        return dict(
            conn.execute(
                select(PlayRun).where(PlayRun.account_id == account_id, PlayRun.play == play).order_by(PlayRun.id)
            )
            .mappings()
            .all()[-1]
        )


def diary(engine: Engine, run_id: int, start: date = AS_OF) -> dict[int, list[str]]:
    """What the run's log says happened, by day of the run (1 = the day it opened)."""
    days: dict[int, list[str]] = defaultdict(list)
    with engine.connect() as conn:
        for e in conn.execute(select(PlayEvent).where(PlayEvent.run_id == run_id).order_by(PlayEvent.id)).mappings():
            label = e["kind"].removeprefix("step_") + (f" {e['step']}" if e["step"] else "")
            if e["kind"] == "closed":
                label += f" {e['detail']['outcome']}"
            days[(e["occurred_on"] - start).days + 1].append(label)
    return dict(days)


def customer_replies(engine: Engine, account_external_id: str, on: date, *, kind: str = "email") -> None:
    """The customer answers: an inbound email (or a call) on ``on``, imported like any interaction."""
    import_records(
        engine,
        "interaction",
        [
            {
                "external_id": f"{account_external_id}-REPLY-{on.isoformat()}-{kind}",
                "account_external_id": account_external_id,
                "kind": kind,
                "occurred_at": datetime.combine(on, time(15), tzinfo=UTC).isoformat(),
                "direction": "inbound",
                "subject": "Re: checking in",
                "body": "Thanks for reaching out, happy to talk next week.",
            }
        ],
        source="test",
    )
