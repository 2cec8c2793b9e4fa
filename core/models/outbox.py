"""Messages plays draft: customer emails and internal notifications, each waiting for a person before it goes out."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

from core.models._types import JSONType


class OutboxMessage(SQLModel, table=True):
    """drafted -> approved -> sent, or discarded; a failed send stays approved with its error and attempts.

    ``dedupe_key`` (play run, track and step) makes drafting idempotent. A
    message is ``auto_send`` only when its play step says so in YAML; every
    other customer-facing message needs ``approved_by``.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_status", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int | None = Field(default=None, foreign_key="account.id", index=True, ondelete="CASCADE")
    run_id: int | None = Field(default=None, foreign_key="play_run.id", ondelete="SET NULL")
    dedupe_key: str | None = Field(default=None, max_length=160, unique=True)
    audience: str = Field(max_length=16)  # customer | internal
    channel: str = Field(max_length=16)  # email | slack
    recipient: str = Field(max_length=255)
    recipient_name: str | None = Field(default=None, max_length=255)
    subject: str = Field(max_length=512)
    body: str = Field(sa_type=Text)
    template: str | None = Field(default=None, max_length=128)
    facts: dict = Field(default_factory=dict, sa_type=JSONType)
    produced_by: str = Field(default="deterministic", max_length=32)
    auto_send: bool = False
    status: str = Field(default="drafted", max_length=16)
    created_on: date
    approved_by: str | None = Field(default=None, max_length=255)
    approved_at: datetime | None = None
    sent_at: datetime | None = None
    discarded_by: str | None = Field(default=None, max_length=255)
    discard_reason: str | None = Field(default=None, sa_type=Text)
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_type=Text)
    last_attempt_at: datetime | None = None
