"""Conversations with the customer: calls, emails, meetings and QBRs.

Bodies are untrusted text. They are stored verbatim and only ever handed to
models inside a delimited data section.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models._types import JSONType


class Interaction(SQLModel, table=True):
    __tablename__ = "interaction"
    # Signals read one chunk of accounts over a date window: (account, date) serves both predicates.
    __table_args__ = (Index("ix_interaction_account_occurred", "account_id", "occurred_at"),)

    id: int | None = Field(default=None, primary_key=True)
    external_id: str = Field(max_length=128, unique=True, index=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=16)
    occurred_at: datetime
    direction: str | None = Field(default=None, max_length=16)
    subject: str | None = Field(default=None, max_length=512)
    body: str | None = Field(default=None, sa_type=Text)
    internal_participants: list[str] = Field(default_factory=list, sa_type=JSONType)


class InteractionParticipant(SQLModel, table=True):
    """A customer contact who took part in an interaction (attended the meeting, was on the thread)."""

    __tablename__ = "interaction_participant"
    __table_args__ = (UniqueConstraint("interaction_id", "contact_id", name="uq_interaction_participant"),)

    id: int | None = Field(default=None, primary_key=True)
    interaction_id: int = Field(foreign_key="interaction.id", index=True, ondelete="CASCADE")
    contact_id: int = Field(foreign_key="contact.id", index=True, ondelete="CASCADE")
