"""The renewal side of plays: forecasts per contract, the CSM's own call beside them, and ritual artifacts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models._types import JSONType, Money


class RenewalForecast(SQLModel, table=True):
    """The system's forecast for one contract's renewal on one date, and the CSM's call beside it.

    Recomputing the same (contract, as_of) replaces the row, like scorecards.
    """

    __tablename__ = "renewal_forecast"
    __table_args__ = (UniqueConstraint("contract_id", "as_of", name="uq_renewal_forecast"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", index=True, ondelete="CASCADE")
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    as_of: date = Field(index=True)
    renewal_on: date
    days_to_renewal: int
    band: str | None = Field(default=None, max_length=32)
    timeline: str = Field(max_length=16)
    engaged: bool
    category: str = Field(max_length=16)
    probability: float
    arr: Decimal = Field(sa_type=Money)
    weighted_arr: Decimal = Field(sa_type=Money)
    rule: str = Field(sa_type=Text)
    facts: dict = Field(default_factory=dict, sa_type=JSONType)
    csm_category: str | None = Field(default=None, max_length=16)
    csm_called_on: date | None = None
    disagreement: bool = False
    flagged: bool = False


class RenewalCall(SQLModel, table=True):
    """A CSM's own forecast call on a renewal; the latest one before a date stands beside the system's."""

    __tablename__ = "renewal_call"
    __table_args__ = (UniqueConstraint("contract_id", "called_on", name="uq_renewal_call"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", index=True, ondelete="CASCADE")
    called_on: date
    category: str = Field(max_length=16)
    note: str | None = Field(default=None, sa_type=Text)
    called_by: str = Field(max_length=255)


class Artifact(SQLModel, table=True):
    """A document a ritual needs (readiness report, value recap, offer sheet, approvals checklist).

    Drafted deterministically from computed facts; a model may rewrite the
    prose when configured, and ``produced_by`` says which.
    """

    __tablename__ = "artifact"
    __table_args__ = (UniqueConstraint("run_id", "kind", name="uq_artifact_run_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    contract_id: int | None = Field(default=None, foreign_key="contract.id", ondelete="SET NULL")
    run_id: int | None = Field(default=None, foreign_key="play_run.id", ondelete="CASCADE")
    kind: str = Field(max_length=32)
    title: str = Field(max_length=255)
    content: str = Field(sa_type=Text)
    facts: dict = Field(default_factory=dict, sa_type=JSONType)
    produced_by: str = Field(max_length=32)
    generated_on: date
