"""Money owed and paid; the financial watchtower reads these."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from core.models._types import Money


class Invoice(SQLModel, table=True):
    __tablename__ = "invoice"
    __table_args__ = (Index("ix_invoice_account_due", "account_id", "due_on"),)

    id: int | None = Field(default=None, primary_key=True)
    external_id: str = Field(max_length=128, unique=True, index=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    contract_id: int | None = Field(default=None, foreign_key="contract.id", ondelete="SET NULL")
    amount: Decimal = Field(sa_type=Money)
    currency: str = Field(default="USD", max_length=3)
    issued_on: date
    due_on: date
    paid_on: date | None = None
    amount_paid: Decimal | None = Field(default=None, sa_type=Money)
    status: str = Field(default="open", max_length=16)
