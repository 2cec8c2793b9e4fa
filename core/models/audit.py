"""The audit trail: one append-only row per thing that happened to an offer, an approval or a message.

Rows carry no foreign keys so that deleting an account (``seed --replace``)
never takes its history with it. Nothing in the code updates or deletes them,
and the migration adds triggers that refuse UPDATE and DELETE on both SQLite
and Postgres.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

from core.models._types import JSONType


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime
    actor: str = Field(max_length=255)
    actor_kind: str = Field(max_length=16)  # person | agent | play | system
    action: str = Field(max_length=32)
    entity: str = Field(max_length=32)  # offer | approval | outbox_message | user | token
    entity_id: int
    account_id: int | None = Field(default=None, index=True)
    before: dict | None = Field(default=None, sa_type=JSONType)
    after: dict | None = Field(default=None, sa_type=JSONType)
    reason: str | None = Field(default=None, sa_type=Text)
