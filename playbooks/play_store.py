"""Reads and writes of play runs, their steps and their event log, on the caller's connection.

Kept apart from the engine so the state machine reads as decisions, and so
people's controls (pause, close...) and the engine write runs the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update

from core.models import Account, AuditEvent, Offer, PlayEvent, PlayRun, PlayStep, Task
from core.models.plays import OPEN_RUN_STATUSES
from playbooks.play_config import Play, Step

RUN = PlayRun.__table__  # type: ignore[attr-defined]
STEP = PlayStep.__table__  # type: ignore[attr-defined]
EVENT = PlayEvent.__table__  # type: ignore[attr-defined]
TASK = Task.__table__  # type: ignore[attr-defined]
OFFER = Offer.__table__  # type: ignore[attr-defined]
AUDIT = AuditEvent.__table__  # type: ignore[attr-defined]
ENGINE = "play engine"


@dataclass
class RunState:
    """A run and its current track's step rows, loaded once per advance."""

    row: dict[str, Any]
    steps: list[dict[str, Any]] = field(default_factory=list)

    @property
    def id(self) -> int:
        return self.row["id"]


def log_event(
    conn: Connection,
    run_id: int,
    on: date,
    kind: str,
    *,
    by: str = ENGINE,
    step: str | None = None,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    conn.execute(
        insert(EVENT).values(
            run_id=run_id,
            occurred_on=on,
            kind=kind,
            step=step,
            actor=by,
            reason=reason,
            detail=detail or {},
            recorded_at=datetime.now(UTC),
        )
    )


def record_settled_offers(conn: Connection, account_ids: list[int], as_of: date) -> int:
    """Log ``offer_approved`` / ``offer_rejected`` on the run that proposed each offer a person has settled.

    Approvals never write play tables: the decision records itself (the offer's
    status and its ``settle`` audit event), and the engine reads it here on its
    next pass, open run or closed, once per offer.
    """
    offers = conn.execute(
        select(OFFER.c.id, OFFER.c.run_id, OFFER.c.status, OFFER.c.settled_at).where(
            OFFER.c.account_id.in_(account_ids),
            OFFER.c.run_id.is_not(None),
            OFFER.c.status.in_(("approved", "rejected")),
        )
    ).all()
    if not offers:
        return 0
    heard = {
        (row.detail or {}).get("offer_id")
        for row in conn.execute(
            select(EVENT.c.detail).where(
                EVENT.c.run_id.in_({o.run_id for o in offers}),
                EVENT.c.kind.in_(("offer_approved", "offer_rejected")),
            )
        )
    }
    fresh = [o for o in offers if o.id not in heard]
    if not fresh:
        return 0
    settled_by = {
        row.entity_id: row
        for row in conn.execute(
            select(AUDIT.c.entity_id, AUDIT.c.actor, AUDIT.c.reason)
            .where(AUDIT.c.entity == "offer", AUDIT.c.action == "settle", AUDIT.c.entity_id.in_([o.id for o in fresh]))
            .order_by(AUDIT.c.id)
        )
    }
    for offer in fresh:
        audit = settled_by.get(offer.id)
        log_event(
            conn,
            offer.run_id,
            offer.settled_at.date() if offer.settled_at else as_of,
            f"offer_{offer.status}",
            by=audit.actor if audit else "approvals",
            reason=audit.reason if audit else None,
            detail={"offer_id": offer.id},
        )
    return len(fresh)


def open_runs(conn: Connection, account_ids: list[int]) -> dict[tuple[int, str, str], dict[str, Any]]:
    rows = conn.execute(
        select(RUN).where(RUN.c.account_id.in_(account_ids), RUN.c.status.in_(OPEN_RUN_STATUSES))
    ).mappings()
    return {(r["account_id"], r["play"], r["subject"]): dict(r) for r in rows}


def churned_with_open_runs(conn: Connection, as_of: date) -> list[int]:
    """Accounts that left while a play was working on them: their runs still need closing."""
    return list(
        conn.execute(
            select(RUN.c.account_id)
            .join(Account, Account.id == RUN.c.account_id)
            .where(RUN.c.status.in_(OPEN_RUN_STATUSES), Account.churned_on <= as_of)
            .distinct()
        ).scalars()
    )


def last_closed(conn: Connection, account_ids: list[int]) -> dict[tuple[int, str, str], date]:
    """The latest close date per (account, play, subject), for the reopen cool-down."""
    rows = conn.execute(
        select(RUN.c.account_id, RUN.c.play, RUN.c.subject, RUN.c.closed_on).where(
            RUN.c.account_id.in_(account_ids), RUN.c.status == "closed"
        )
    )
    latest: dict[tuple[int, str, str], date] = {}
    for r in rows:
        key = (r.account_id, r.play, r.subject)
        if r.closed_on is not None and (key not in latest or r.closed_on > latest[key]):
            latest[key] = r.closed_on
    return latest


def insert_run(conn: Connection, values: dict[str, Any]) -> dict[str, Any]:
    run_id = conn.execute(insert(RUN).values(**values).returning(RUN.c.id)).scalar_one()
    return dict(conn.execute(select(RUN).where(RUN.c.id == run_id)).mappings().one())


def load_run(conn: Connection, run_id: int) -> RunState:
    state = load_runs(conn, [run_id]).get(run_id)
    if state is None:
        raise LookupError(f"no play run {run_id}")
    return state


def load_runs(conn: Connection, run_ids: list[int]) -> dict[int, RunState]:
    """Runs with their current track's steps, in two queries however many runs there are."""
    if not run_ids:
        return {}
    states = {r["id"]: RunState(dict(r)) for r in conn.execute(select(RUN).where(RUN.c.id.in_(run_ids))).mappings()}
    for step in conn.execute(
        select(STEP).where(STEP.c.run_id.in_(run_ids)).order_by(STEP.c.run_id, STEP.c.position)
    ).mappings():
        state = states[step["run_id"]]
        if step["track"] == state.row["track"]:
            state.steps.append(dict(step))
    return states


def update_run(conn: Connection, state: RunState, **values: Any) -> None:
    conn.execute(update(RUN).where(RUN.c.id == state.id).values(**values))
    state.row.update(values)


def update_step(conn: Connection, step: dict[str, Any], **values: Any) -> None:
    conn.execute(update(STEP).where(STEP.c.id == step["id"]).values(**values))
    step.update(values)


def step_dates(play: Play, step: Step, *, track_start: date, anchor: date | None, run_start: date) -> dict[str, Any]:
    """When a step runs, is due and times out. Account plays count days from the track's start (day 1 is that
    day); renewal plays from the contract's end date, never earlier than the run itself began."""

    def on(day: int) -> date:
        if play.anchor == "renewal" and anchor is not None:
            return max(anchor + timedelta(days=day), run_start)
        return track_start + timedelta(days=day - 1)

    due = on(step.day)
    last = step.timeout_day if step.timeout_day is not None else step.expires_day
    dates: dict[str, Any] = {
        "start_on": max(due - timedelta(days=step.lead_days), run_start),
        "due_on": due,
        "deadline_on": on(last) if last is not None else None,
    }
    if play.anchor == "renewal" and anchor is not None:
        natural = anchor + timedelta(days=step.day)
        if natural < run_start - timedelta(days=play.catch_up_days):
            dates.update(status="skipped", finished_on=run_start, note=f"due {natural}, before this timeline began")
    return dates


def enter_track(conn: Connection, state: RunState, play: Play, track: str, as_of: date, *, anchor: date | None) -> None:
    """Create the track's step rows, all pending, and make it the run's current track."""
    steps = play.all_tracks()[track]
    rows = [
        {
            "run_id": state.id,
            "track": track,
            "step": step.id,
            "position": n,
            "action": step.action,
            "owner_role": step.owner,
            "status": "pending",
            "finished_on": None,
            "note": None,
            "result": {},
            **step_dates(play, step, track_start=as_of, anchor=anchor, run_start=state.row["started_on"]),
        }
        for n, step in enumerate(steps)
    ]
    conn.execute(insert(STEP), rows)
    for row in rows:
        if row["status"] == "skipped":
            log_event(conn, state.id, as_of, "step_skipped", step=row["step"], reason=row["note"])
    update_run(conn, state, track=track, track_started_on=as_of)
    state.steps = [
        dict(r)
        for r in conn.execute(
            select(STEP).where(STEP.c.run_id == state.id, STEP.c.track == track).order_by(STEP.c.position)
        ).mappings()
    ]


def shift_schedule(conn: Connection, state: RunState, days: int) -> None:
    """Push the run's unfinished steps and open tasks back by ``days`` (after a pause or snooze)."""
    if days <= 0:
        return
    for step in conn.execute(
        select(STEP).where(STEP.c.run_id == state.id, STEP.c.status.in_(("pending", "waiting")))
    ).mappings():
        conn.execute(
            update(STEP)
            .where(STEP.c.id == step["id"])
            .values(
                start_on=step["start_on"] + timedelta(days=days),
                due_on=step["due_on"] + timedelta(days=days),
                deadline_on=step["deadline_on"] + timedelta(days=days) if step["deadline_on"] else None,
            )
        )
    for task in conn.execute(select(TASK).where(TASK.c.run_id == state.id, TASK.c.status == "open")).mappings():
        conn.execute(update(TASK).where(TASK.c.id == task["id"]).values(due_on=task["due_on"] + timedelta(days=days)))
    update_run(conn, state, offset_days=state.row["offset_days"] + days)
    state.steps = [
        dict(r)
        for r in conn.execute(
            select(STEP).where(STEP.c.run_id == state.id, STEP.c.track == state.row["track"]).order_by(STEP.c.position)
        ).mappings()
    ]


def open_tasks(conn: Connection, run_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Open tasks by run, in one query."""
    found: dict[int, list[dict[str, Any]]] = {run_id: [] for run_id in run_ids}
    if run_ids:
        for task in conn.execute(
            select(TASK).where(TASK.c.run_id.in_(run_ids), TASK.c.status == "open").order_by(TASK.c.id)
        ).mappings():
            found[task["run_id"]].append(dict(task))
    return found
