"""Product usage over time and any other numeric signal a team tracks."""

from __future__ import annotations

from datetime import date

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models._types import JSONType


class UsageSnapshot(SQLModel, table=True):
    """Usage of one account over one period (a day or a week starting on ``period_start``).

    Named metrics beyond the fixed columns go into ``metrics`` so a team's own
    telemetry needs no schema change.
    """

    __tablename__ = "usage_snapshot"
    __table_args__ = (UniqueConstraint("account_id", "period_start", "period", name="uq_usage_account_period"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    period_start: date = Field(index=True)
    period: str = Field(default="week", max_length=8)
    logins: int | None = None
    active_users: int | None = None
    seats_used: int | None = None
    features_used: int | None = None
    features: list[str] = Field(default_factory=list, sa_type=JSONType)
    api_calls: int | None = None
    storage_gb: float | None = None
    metrics: dict[str, float] = Field(default_factory=dict, sa_type=JSONType)


class AccountMetric(SQLModel, table=True):
    """Any dated numeric fact about an account; the health model can reference it by ``name``."""

    __tablename__ = "account_metric"
    __table_args__ = (UniqueConstraint("account_id", "date", "name", name="uq_account_metric"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    date: date
    name: str = Field(max_length=128, index=True)
    value: float
