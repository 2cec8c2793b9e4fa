"""The renewal timeline of one contract: its milestones from T-180 to T+30 and whether each is on track.

A milestone is a step of the renewal play that carries a ``milestone`` label;
its work is the task the step created. Status comes from the due date and the
task's completion only:

- on track: done, or not yet due;
- behind: past due and not done;
- stuck: more than ``stuck_after_days`` past due, or the next milestone is due as well.

Skipped milestones (Green accounts skip early planning; a book imported late
skips what was long past) are shown as skipped and do not count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, and_, select

from core.models import PlayRun, PlayStep, Task
from playbooks.play_config import Play

STATUS_ORDER = {"on_track": 0, "behind": 1, "stuck": 2}


def milestone_status(
    due_on: date, completed_on: date | None, as_of: date, *, next_due_on: date | None, stuck_after_days: int
) -> str:
    if completed_on is not None and completed_on <= as_of:
        return "on_track"
    if as_of <= due_on:
        return "on_track"
    if (as_of - due_on).days > stuck_after_days or (next_due_on is not None and as_of > next_due_on):
        return "stuck"
    return "behind"


@dataclass(frozen=True)
class Milestone:
    step: str
    label: str
    due_on: date
    status: str  # on_track | behind | stuck | skipped | cancelled
    done: bool
    completed_on: date | None
    completed_by: str | None
    owner_role: str | None
    assignee: str | None
    task_id: int | None
    note: str | None


def worst(milestones: list[Milestone]) -> str:
    """The timeline's status: its worst milestone that counts."""
    counted = [m.status for m in milestones if m.status in STATUS_ORDER]
    return max(counted, key=STATUS_ORDER.__getitem__) if counted else "on_track"


def milestones_for_runs(
    conn: Connection, play: Play, run_ids: list[int], as_of: date, *, stuck_after_days: int
) -> dict[int, list[Milestone]]:
    """Milestones of several renewal runs at once, in timeline order."""
    if not run_ids:
        return {}
    labels = {s.id: s.milestone for s in play.steps if s.milestone}
    rows = conn.execute(
        select(
            PlayStep,
            Task.id.label("task_id"),
            Task.status.label("task_status"),
            Task.completed_on,
            Task.completed_by,
            Task.assignee,
        )
        .outerjoin(Task, and_(Task.run_id == PlayStep.run_id, Task.track == PlayStep.track, Task.step == PlayStep.step))
        .where(PlayStep.run_id.in_(run_ids), PlayStep.track == "main")
        .order_by(PlayStep.run_id, PlayStep.position)
    ).mappings()
    grouped: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        if r["step"] in labels:
            grouped.setdefault(r["run_id"], []).append(dict(r))
    out: dict[int, list[Milestone]] = {}
    for run_id, steps in grouped.items():
        dues = [s["due_on"] for s in steps if s["status"] not in ("skipped", "cancelled")]
        milestones = []
        for s in steps:
            done = s["task_status"] == "done"
            if s["status"] in ("skipped", "cancelled"):
                status = s["status"]
            else:
                later = [d for d in dues if d > s["due_on"]]
                status = milestone_status(
                    s["due_on"],
                    s["completed_on"] if done else None,
                    as_of,
                    next_due_on=min(later) if later else None,
                    stuck_after_days=stuck_after_days,
                )
            milestones.append(
                Milestone(
                    step=s["step"],
                    label=labels[s["step"]] or s["step"],
                    due_on=s["due_on"],
                    status=status,
                    done=done,
                    completed_on=s["completed_on"] if done else None,
                    completed_by=s["completed_by"] if done else None,
                    owner_role=s["owner_role"],
                    assignee=s["assignee"],
                    task_id=s["task_id"],
                    note=s["note"],
                )
            )
        out[run_id] = milestones
    return out


@dataclass(frozen=True)
class RenewalTimeline:
    """A contract's renewal timeline on a date: its latest run (None before T-120), milestones and status."""

    run: dict[str, Any] | None
    milestones: list[Milestone]

    @property
    def status(self) -> str:
        return worst(self.milestones)


def renewal_timelines(
    conn: Connection, play: Play, contract_ids: list[int], as_of: date, *, stuck_after_days: int
) -> dict[int, RenewalTimeline]:
    """The one place a contract's timeline status is computed, so the list, the detail view and the forecast
    say the same thing for the same contract and date. Each contract's latest run, open or closed."""
    if not contract_ids:
        return {}
    latest: dict[int, dict[str, Any]] = {}
    for r in conn.execute(
        select(PlayRun)
        .where(PlayRun.contract_id.in_(contract_ids), PlayRun.play == play.id)
        .order_by(PlayRun.contract_id, PlayRun.started_on, PlayRun.id)
    ).mappings():
        latest[r["contract_id"]] = dict(r)
    milestones = milestones_for_runs(
        conn, play, [r["id"] for r in latest.values()], as_of, stuck_after_days=stuck_after_days
    )
    return {
        c: RenewalTimeline(latest.get(c), milestones.get(latest[c]["id"], []) if c in latest else [])
        for c in contract_ids
    }


def renewal_run_for(conn: Connection, contract_id: int, play_id: str = "renewal_timeline") -> dict[str, Any] | None:
    """The contract's latest renewal run, open or closed."""
    row = (
        conn.execute(
            select(PlayRun)
            .where(PlayRun.contract_id == contract_id, PlayRun.play == play_id)
            .order_by(PlayRun.started_on.desc(), PlayRun.id.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None
