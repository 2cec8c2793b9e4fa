"""What the watchtower agents write: alerts, per-agent outputs, the stakeholder movement log, runs and LLM cache.

These tables sit downstream of the sources; agents never write source tables.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from core.models._types import JSONType


class Alert(SQLModel, table=True):
    """A risk or opportunity raised by a watchtower.

    While open, an alert is unique per (account, type, reason): a later cycle
    that sees the same condition updates it rather than adding a second one.
    When the condition clears, the cycle resolves it; a new occurrence after
    that opens a fresh alert. ``facts`` holds the raw values its title was computed from.
    """

    __tablename__ = "alert"
    __table_args__ = (
        Index(
            "uq_alert_open",
            "account_id",
            "type",
            "reason",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    agent: str = Field(max_length=32)
    kind: str = Field(max_length=16)  # risk | opportunity
    type: str = Field(max_length=64)
    reason: str = Field(max_length=64)
    severity: str = Field(max_length=16)
    status: str = Field(default="open", max_length=16, index=True)
    title: str = Field(max_length=512)
    detail: dict = Field(default_factory=dict, sa_type=JSONType)
    facts: dict = Field(default_factory=dict, sa_type=JSONType)
    evidence: list[str] = Field(default_factory=list, sa_type=JSONType)
    opened_on: date
    last_seen_on: date
    resolved_on: date | None = None


class AgentOutput(SQLModel, table=True):
    """One agent's typed output for one account and as-of date (e.g. the stakeholder map).

    ``produced_by`` says whether a model or the deterministic path read the
    text behind it; re-running the same (account, as_of, agent) replaces the row.
    """

    __tablename__ = "agent_output"
    __table_args__ = (UniqueConstraint("account_id", "as_of", "agent", name="uq_agent_output"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    as_of: date = Field(index=True)
    agent: str = Field(max_length=32)
    produced_by: str = Field(max_length=32)
    payload: dict = Field(default_factory=dict, sa_type=JSONType)


class StakeholderMovement(SQLModel, table=True):
    """A person joining or leaving a customer, with the fact it rests on (a CRM change, news, an email)."""

    __tablename__ = "stakeholder_movement"
    __table_args__ = (UniqueConstraint("account_id", "person", "movement", "source", name="uq_stakeholder_movement"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    contact_id: int | None = Field(default=None, foreign_key="contact.id", ondelete="SET NULL")
    person: str = Field(max_length=255)
    roles: list[str] = Field(default_factory=list, sa_type=JSONType)
    movement: str = Field(max_length=16)  # departed | joined
    occurred_on: date
    new_company: str | None = Field(default=None, max_length=255)
    source: str = Field(max_length=160)  # contact:<ext> | market_signal:<ext> | interaction:<ext>
    quote: str | None = Field(default=None, sa_type=Text)
    recorded_on: date


class AgentRun(SQLModel, table=True):
    """One run of the weekly cycle (or a subset of its agents), for the run log and the scheduler."""

    __tablename__ = "agent_run"

    id: int | None = Field(default=None, primary_key=True)
    as_of: date = Field(index=True)
    trigger: str = Field(max_length=16)  # cli | schedule
    agents: list[str] = Field(default_factory=list, sa_type=JSONType)
    scope: dict = Field(default_factory=dict, sa_type=JSONType)
    status: str = Field(max_length=16)  # running | succeeded | degraded | partial | failed | abandoned | retried
    accounts: int = 0
    counts: dict = Field(default_factory=dict, sa_type=JSONType)
    llm_calls: int = 0
    llm_tokens: int = 0
    llm_cache_hits: int = 0
    llm_fallbacks: int = 0
    notes: list[str] = Field(default_factory=list, sa_type=JSONType)
    started_at: datetime
    finished_at: datetime | None = None
    duration_ms: int | None = None
    #: Where the run's process lives, and when it last said it was alive: a ``running`` row whose process is
    #: gone (same host, no such pid) or silent past the lease is marked ``abandoned`` by the next run or tick.
    host: str | None = Field(default=None, max_length=255)
    pid: int | None = None
    last_seen_at: datetime | None = None


class LlmCacheEntry(SQLModel, table=True):
    """A validated LLM answer keyed by the hash of everything that went into it, so unchanged inputs cost nothing."""

    __tablename__ = "llm_cache"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True, index=True)
    step: str = Field(max_length=64)
    model: str = Field(max_length=255)
    output: dict = Field(default_factory=dict, sa_type=JSONType)
    tokens: int = 0


class SchedulerTick(SQLModel, table=True):
    """One tick of ``watchtower serve``: what it started and, when it failed, why and when it tries again.

    A failed tick is kept with its errors so the run log shows an outage even when nothing else ran; the
    count of failures in a row is what the retry backoff grows with.
    """

    __tablename__ = "scheduler_tick"

    id: int | None = Field(default=None, primary_key=True)
    as_of: date = Field(index=True)
    status: str = Field(max_length=16)  # succeeded | failed
    started_at: datetime
    finished_at: datetime
    #: agent_run ids of the cycles this tick started
    runs: list[int] = Field(default_factory=list, sa_type=JSONType)
    #: "<stage>: <error type>: <message>" for each stage that failed
    errors: list[str] = Field(default_factory=list, sa_type=JSONType)
    failures_in_row: int = 0
    next_tick_at: datetime
