"""Offers: proposals with money or terms. Plays, agents and people create them; only approvals settles them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from core.models._types import JSONType, Money


class Offer(SQLModel, table=True):
    """A typed proposal on an account (and its renewal where one applies).

    ``terms`` holds the offer's fields by kind (``discount_pct``, ``seats``,
    ``term_months``...). A new offer is ``proposed``; nothing here approves it.
    ``dedupe_key`` keeps a play step from proposing the same offer twice.
    """

    __tablename__ = "offer"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    contract_id: int | None = Field(default=None, foreign_key="contract.id", ondelete="SET NULL")
    kind: str = Field(max_length=32)
    terms: dict = Field(default_factory=dict, sa_type=JSONType)
    arr_impact: Decimal | None = Field(default=None, sa_type=Money)
    #: What the offer gives away, priced when it was proposed (or last edited): percent, amount, ARR change,
    #: and the part each term gives. Routing read this; approvers see it.
    concession: dict | None = Field(default=None, sa_type=JSONType)
    requester_kind: str = Field(max_length=16)  # person | agent | play
    requester: str = Field(max_length=255)
    #: Who started the agent run that proposed the offer: a username, or ``job:<name>`` for a scheduled job.
    #: That person may not decide on it, as if they had proposed it themselves.
    launched_by: str | None = Field(default=None, max_length=255)
    run_id: int | None = Field(default=None, foreign_key="play_run.id", ondelete="SET NULL")
    rationale: str = Field(sa_type=Text)
    evidence: list[str] = Field(default_factory=list, sa_type=JSONType)
    status: str = Field(default="proposed", max_length=16, index=True)  # proposed | approved | rejected
    created_on: date
    dedupe_key: str | None = Field(default=None, max_length=160, unique=True)
    #: The LangGraph thread of the agent run waiting on this offer's decision, when an agent proposed it.
    thread_id: str | None = Field(default=None, max_length=128)
    settled_at: datetime | None = None
