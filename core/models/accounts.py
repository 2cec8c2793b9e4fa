"""Who the customer is: accounts, their contracts and the people in them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Column, ForeignKey, Integer
from sqlmodel import Field, SQLModel

from core.models._types import JSONType, Money


class Account(SQLModel, table=True):
    """A customer company. ``parent_id`` builds hierarchies (subsidiaries, business units)."""

    __tablename__ = "account"

    id: int | None = Field(default=None, primary_key=True)
    external_id: str = Field(max_length=128, unique=True, index=True)
    name: str = Field(max_length=255)
    segment: str | None = Field(default=None, max_length=64, index=True)
    industry: str | None = Field(default=None, max_length=128)
    country: str | None = Field(default=None, max_length=64)
    arr: Decimal | None = Field(default=None, sa_type=Money)
    currency: str = Field(default="USD", max_length=3)
    plan: str | None = Field(default=None, max_length=64)
    plan_limits: dict[str, float] = Field(default_factory=dict, sa_type=JSONType)
    seats_purchased: int | None = None
    owner_csm: str | None = Field(default=None, max_length=255, index=True)
    parent_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("account.id", ondelete="SET NULL"), index=True)
    )
    customer_since: date | None = None
    status: str = Field(default="active", max_length=16)
    churned_on: date | None = None


class Contract(SQLModel, table=True):
    """A subscription term. Its ``end_date`` anchors the renewal timeline."""

    __tablename__ = "contract"

    id: int | None = Field(default=None, primary_key=True)
    external_id: str = Field(max_length=128, unique=True, index=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    start_date: date
    end_date: date | None = Field(default=None, index=True)
    notice_days: int = 30
    auto_renew: bool = False
    arr: Decimal | None = Field(default=None, sa_type=Money)
    currency: str = Field(default="USD", max_length=3)
    plan: str | None = Field(default=None, max_length=64)
    seats: int | None = None
    products: list[str] = Field(default_factory=list, sa_type=JSONType)
    billing_frequency: str | None = Field(default=None, max_length=16)
    status: str = Field(default="active", max_length=16)


class Contact(SQLModel, table=True):
    """A person at the customer. Roles drive the stakeholder map; ``departed`` drives plays."""

    __tablename__ = "contact"

    id: int | None = Field(default=None, primary_key=True)
    external_id: str = Field(max_length=128, unique=True, index=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    name: str | None = Field(default=None, max_length=255)
    email: str | None = Field(default=None, max_length=255, index=True)
    title: str | None = Field(default=None, max_length=255)
    department: str | None = Field(default=None, max_length=128)
    roles: list[str] = Field(default_factory=list, sa_type=JSONType)
    status: str = Field(default="active", max_length=16)
    departed_on: date | None = None
