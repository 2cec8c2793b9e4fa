"""What people do to play runs and their tasks: pause, resume, snooze, reassign, close, record a reply, finish a task.

Each control needs who did it and why, and goes into the run's event log.
A pause or a snooze pushes the rest of the schedule back by the time it lasted,
so a resumed run does not fire a week of steps at once.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, select, update

from playbooks.play_engine import close_run
from playbooks.play_store import TASK, RunState, load_run, log_event, shift_schedule, update_run


class ControlError(ValueError):
    """A control that does not apply to the run as it stands (closing a closed run, resuming an active one)."""


def _require_reason(reason: str | None, by: str | None) -> tuple[str, str]:
    if not by or not by.strip():
        raise ControlError("say who is doing this (--by)")
    if not reason or not reason.strip():
        raise ControlError("give a reason (--reason); it goes into the run's log")
    return reason.strip(), by.strip()


def _open_run(conn: Connection, run_id: int) -> RunState:
    state = load_run(conn, run_id)
    if state.row["status"] == "closed":
        raise ControlError(f"run {run_id} is closed ({state.row['outcome']}) since {state.row['closed_on']}")
    return state


def pause(conn: Connection, run_id: int, on: date, *, by: str, reason: str) -> None:
    reason, by = _require_reason(reason, by)
    state = _open_run(conn, run_id)
    if state.row["status"] != "active":
        raise ControlError(f"run {run_id} is {state.row['status']}, not active")
    update_run(conn, state, status="paused", paused_on=on)
    log_event(conn, run_id, on, "paused", by=by, reason=reason)


def snooze(conn: Connection, run_id: int, on: date, until: date, *, by: str, reason: str) -> None:
    reason, by = _require_reason(reason, by)
    if until <= on:
        raise ControlError(f"snooze until a later day than {on}")
    state = _open_run(conn, run_id)
    if state.row["status"] != "active":
        raise ControlError(f"run {run_id} is {state.row['status']}, not active")
    update_run(conn, state, status="snoozed", paused_on=on, snoozed_until=until)
    log_event(conn, run_id, on, "snoozed", by=by, reason=reason, detail={"until": until.isoformat()})


def resume(conn: Connection, run_id: int, on: date, *, by: str, reason: str) -> int:
    """Resume a paused or snoozed run; returns how many days the schedule moved."""
    reason, by = _require_reason(reason, by)
    state = _open_run(conn, run_id)
    if state.row["status"] not in ("paused", "snoozed"):
        raise ControlError(f"run {run_id} is {state.row['status']}; only a paused or snoozed run resumes")
    days = max(0, (on - state.row["paused_on"]).days)
    shift_schedule(conn, state, days)
    update_run(conn, state, status="active", paused_on=None, snoozed_until=None)
    log_event(conn, run_id, on, "resumed", by=by, reason=reason, detail={"shifted_days": days})
    return days


def reassign(conn: Connection, run_id: int, on: date, owner: str, *, by: str, reason: str) -> None:
    """Give the run (and its open CSM tasks) to another person."""
    reason, by = _require_reason(reason, by)
    state = _open_run(conn, run_id)
    before = state.row["owner"]
    update_run(conn, state, owner=owner)
    conn.execute(
        update(TASK)
        .where(TASK.c.run_id == run_id, TASK.c.status == "open", TASK.c.owner_role == "csm")
        .values(assignee=owner)
    )
    log_event(conn, run_id, on, "reassigned", by=by, reason=reason, detail={"from": before, "to": owner})


def close(conn: Connection, run_id: int, on: date, *, by: str, reason: str, outcome: str = "withdrawn") -> None:
    reason, by = _require_reason(reason, by)
    if outcome not in ("withdrawn", "recovered", "lost", "completed"):
        raise ControlError("a person closes a run as withdrawn, recovered, lost or completed")
    close_run(conn, _open_run(conn, run_id), outcome, on, by=by, reason=reason)


def record_response(conn: Connection, run_id: int, on: date, *, by: str, reason: str) -> None:
    """The customer replied in a way the data does not show (a phone call, a hallway chat)."""
    reason, by = _require_reason(reason, by)
    _open_run(conn, run_id)
    log_event(conn, run_id, on, "response", by=by, reason=reason)


def complete_task(conn: Connection, task_id: int, on: date, *, by: str, note: str | None = None) -> None:
    task = conn.execute(select(TASK).where(TASK.c.id == task_id)).mappings().first()
    if task is None:
        raise ControlError(f"no task {task_id}")
    if task["status"] != "open":
        raise ControlError(f"task {task_id} is already {task['status']}")
    if not by or not by.strip():
        raise ControlError("say who did it (--by)")
    conn.execute(update(TASK).where(TASK.c.id == task_id).values(status="done", completed_on=on, completed_by=by))
    if task["run_id"] is not None:
        log_event(conn, task["run_id"], on, "task_done", by=by, step=task["step"], reason=note)
