"""Facts from outside the relationship: news, job changes, funding, layoffs."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Text
from sqlmodel import Field, SQLModel


class MarketSignal(SQLModel, table=True):
    """``account_id`` may be empty until the market-intel watchtower matches the company."""

    __tablename__ = "market_signal"

    id: int | None = Field(default=None, primary_key=True)
    external_id: str = Field(max_length=128, unique=True, index=True)
    account_id: int | None = Field(default=None, foreign_key="account.id", index=True, ondelete="CASCADE")
    contact_id: int | None = Field(default=None, foreign_key="contact.id", ondelete="SET NULL")
    kind: str = Field(max_length=32)
    title: str = Field(max_length=512)
    body: str | None = Field(default=None, sa_type=Text)
    source_url: str | None = Field(default=None, max_length=2048)
    published_on: date = Field(index=True)
    company_name: str | None = Field(default=None, max_length=255)
    person_name: str | None = Field(default=None, max_length=255)
