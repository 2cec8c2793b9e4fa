"""What customers tell us through support and surveys."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel


class SupportTicket(SQLModel, table=True):
    __tablename__ = "support_ticket"
    # Signals read one chunk of accounts over a date window: (account, date) serves both predicates.
    __table_args__ = (Index("ix_support_ticket_account_opened", "account_id", "opened_at"),)

    id: int | None = Field(default=None, primary_key=True)
    external_id: str = Field(max_length=128, unique=True, index=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    contact_id: int | None = Field(default=None, foreign_key="contact.id", ondelete="SET NULL")
    subject: str | None = Field(default=None, max_length=512)
    category: str | None = Field(default=None, max_length=64)
    priority: str = Field(default="medium", max_length=16)
    status: str = Field(default="open", max_length=16)
    opened_at: datetime
    first_response_minutes: int | None = None
    closed_at: datetime | None = None
    satisfaction: int | None = None
    escalated: bool = False


class SurveyResponse(SQLModel, table=True):
    """NPS (0-10), CSAT (1-5) or CES (1-7) answers with the customer's own words."""

    __tablename__ = "survey_response"
    __table_args__ = (Index("ix_survey_response_account_responded", "account_id", "responded_on"),)

    id: int | None = Field(default=None, primary_key=True)
    external_id: str = Field(max_length=128, unique=True, index=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    contact_id: int | None = Field(default=None, foreign_key="contact.id", ondelete="SET NULL")
    survey: str = Field(default="nps", max_length=8)
    score: int
    verbatim: str | None = Field(default=None, sa_type=Text)
    responded_on: date
