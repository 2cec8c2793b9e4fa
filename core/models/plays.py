"""Play runs as durable state machines: the run, its steps, its event log, the tasks it creates and risk cases.

These tables sit downstream of alerts and scorecards; the play engine writes
them and nothing upstream reads them.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from core.models._types import JSONType

#: Run statuses that count as open: the same play never has two of these for one account and subject.
OPEN_RUN_STATUSES = ("active", "paused", "snoozed")


class PlayRun(SQLModel, table=True):
    """One play acting on one account (and, for the renewal timeline, one contract).

    ``subject`` is ``account`` or ``contract:<id>``; with a partial unique index
    on (account, play, subject) while open, the same trigger can never open a
    second run. ``offset_days`` is how far pauses and snoozes have pushed the
    schedule back. Holdout runs (``arm = 'holdout'``) have no steps.
    """

    __tablename__ = "play_run"
    __table_args__ = (
        Index(
            "uq_play_run_open",
            "account_id",
            "play",
            "subject",
            unique=True,
            sqlite_where=text("status IN ('active', 'paused', 'snoozed')"),
            postgresql_where=text("status IN ('active', 'paused', 'snoozed')"),
        ),
        Index("ix_play_run_status_play", "status", "play"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    contract_id: int | None = Field(default=None, foreign_key="contract.id", ondelete="SET NULL")
    play: str = Field(max_length=64)
    play_version: str = Field(max_length=64)
    subject: str = Field(default="account", max_length=64)
    arm: str = Field(default="treatment", max_length=16)  # treatment | holdout
    status: str = Field(default="active", max_length=16)  # active | paused | snoozed | closed
    track: str = Field(default="main", max_length=64)
    track_started_on: date
    started_on: date
    offset_days: int = 0
    paused_on: date | None = None
    snoozed_until: date | None = None
    owner: str | None = Field(default=None, max_length=255)
    trigger: dict = Field(default_factory=dict, sa_type=JSONType)
    risk_case_id: int | None = Field(default=None, foreign_key="risk_case.id", ondelete="SET NULL")
    last_advanced_on: date | None = None
    closed_on: date | None = None
    outcome: str | None = Field(default=None, max_length=32)
    close_reason: str | None = Field(default=None, sa_type=Text)


class PlayStep(SQLModel, table=True):
    """One step of a run's track, with its own status; created when the track is entered."""

    __tablename__ = "play_step"
    __table_args__ = (UniqueConstraint("run_id", "track", "step", name="uq_play_step"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="play_run.id", index=True, ondelete="CASCADE")
    track: str = Field(max_length=64)
    step: str = Field(max_length=64)
    position: int
    action: str = Field(max_length=32)
    owner_role: str | None = Field(default=None, max_length=32)
    #: The step runs on ``start_on``; its work is due on ``due_on`` (later when the step has lead time).
    start_on: date
    due_on: date
    #: A wait's timeout, or the last day a conditional (``when``) step may still run.
    deadline_on: date | None = None
    status: str = Field(default="pending", max_length=16)  # pending | waiting | done | skipped | cancelled
    started_on: date | None = None
    finished_on: date | None = None
    note: str | None = Field(default=None, sa_type=Text)
    result: dict = Field(default_factory=dict, sa_type=JSONType)


class PlayEvent(SQLModel, table=True):
    """The run's log: opened, each step, branches, people's pauses, snoozes, reassignments and closes, with reasons."""

    __tablename__ = "play_event"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="play_run.id", index=True, ondelete="CASCADE")
    occurred_on: date
    kind: str = Field(max_length=32)
    step: str | None = Field(default=None, max_length=64)
    actor: str = Field(max_length=255)
    reason: str | None = Field(default=None, sa_type=Text)
    detail: dict = Field(default_factory=dict, sa_type=JSONType)
    recorded_at: datetime


class Task(SQLModel, table=True):
    """Work for a person: created by a play step (or a ritual), with an owner role, due date and escalation."""

    __tablename__ = "task"
    __table_args__ = (
        UniqueConstraint("run_id", "track", "step", name="uq_task_step"),
        Index("ix_task_status_due", "status", "due_on"),
        Index("ix_task_run_status", "run_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    run_id: int | None = Field(default=None, foreign_key="play_run.id", ondelete="CASCADE")
    track: str | None = Field(default=None, max_length=64)
    step: str | None = Field(default=None, max_length=64)
    title: str = Field(max_length=512)
    detail: dict = Field(default_factory=dict, sa_type=JSONType)
    owner_role: str = Field(max_length=32)
    assignee: str | None = Field(default=None, max_length=255, index=True)
    due_on: date
    due_at: datetime | None = None
    status: str = Field(default="open", max_length=16)  # open | done | cancelled
    created_on: date
    completed_on: date | None = None
    completed_by: str | None = Field(default=None, max_length=255)
    escalated_on: date | None = None
    escalated_to: str | None = Field(default=None, max_length=32)


class RiskCase(SQLModel, table=True):
    """An account at risk, worked by churn-prevention plays: at_risk -> plan_in_place -> saving -> recovered | lost.

    One open case per account; several plays can act on it. Stage history
    (``risk_case_stage``) gives time in stage and time to resolve.
    """

    __tablename__ = "risk_case"
    __table_args__ = (
        Index(
            "uq_risk_case_open",
            "account_id",
            unique=True,
            sqlite_where=text("closed_on IS NULL"),
            postgresql_where=text("closed_on IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    stage: str = Field(max_length=16)
    stage_since: date
    opened_on: date
    closed_on: date | None = None
    outcome: str | None = Field(default=None, max_length=16)  # recovered | lost
    reasons: list[dict] = Field(default_factory=list, sa_type=JSONType)


class RiskCaseStage(SQLModel, table=True):
    __tablename__ = "risk_case_stage"
    __table_args__ = (UniqueConstraint("case_id", "stage", name="uq_risk_case_stage"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="risk_case.id", index=True, ondelete="CASCADE")
    stage: str = Field(max_length=16)
    entered_on: date
    left_on: date | None = None
    actor: str = Field(max_length=255)
