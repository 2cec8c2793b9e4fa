"""Scorecards (one per account per as-of date) and the CSM's own assessment beside them."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models._types import JSONType


class CsmAssessment(SQLModel, table=True):
    """A CSM's own call on an account's health. It expires, so a stale opinion never stands in for a fresh one."""

    __tablename__ = "csm_assessment"
    __table_args__ = (UniqueConstraint("account_id", "assessed_on", name="uq_csm_assessment"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    assessed_on: date
    band: str = Field(max_length=32)
    note: str | None = Field(default=None, sa_type=Text)
    assessed_by: str | None = Field(default=None, max_length=255)


class Scorecard(SQLModel, table=True):
    """The health of one account as of one date, with everything needed to explain it.

    Recomputing the same (account, as_of) replaces the row. ``contributions``
    lists every signal of the model with its value, 0-100 score, weight and
    points; ``reasons`` the top changes since the previous scorecard.
    """

    __tablename__ = "scorecard"
    __table_args__ = (UniqueConstraint("account_id", "as_of", name="uq_scorecard_account_as_of"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    as_of: date = Field(index=True)
    segment: str | None = Field(default=None, max_length=64)
    model_version: str = Field(max_length=128)
    score: float | None = None
    band: str | None = Field(default=None, max_length=32, index=True)
    completeness: float
    trend: float | None = None
    previous_score: float | None = None
    group_scores: dict[str, float | None] = Field(default_factory=dict, sa_type=JSONType)
    contributions: list[dict] = Field(default_factory=list, sa_type=JSONType)
    reasons: list[dict] = Field(default_factory=list, sa_type=JSONType)
    csm_band: str | None = Field(default=None, max_length=32)
    csm_assessed_on: date | None = None
    disagreement: bool = False
