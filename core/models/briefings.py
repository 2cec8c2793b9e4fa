"""Weekly briefings: one per audience and week, kept with the facts they were written from."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models._types import JSONType


class Briefing(SQLModel, table=True):
    """A briefing for one audience (``leadership`` or ``csm:<email>``) as of one date, in every format.

    Producing the same (audience, as_of) again replaces the row, so a re-run of a week never adds a second.
    ``produced_by`` says whether the model's narrative passed the faithfulness check (at once or after one
    retry) or the template's was used; ``findings`` are the checker's problems with the model's attempts.
    """

    __tablename__ = "briefing"
    __table_args__ = (UniqueConstraint("audience", "as_of", name="uq_briefing_audience_as_of"),)

    id: int | None = Field(default=None, primary_key=True)
    audience: str = Field(max_length=255, index=True)
    owner_csm: str | None = Field(default=None, max_length=255, index=True)
    as_of: date = Field(index=True)
    title: str = Field(max_length=255)
    summary: str = Field(sa_type=Text)
    markdown: str = Field(sa_type=Text)
    html: str = Field(sa_type=Text)
    facts: dict = Field(default_factory=dict, sa_type=JSONType)
    produced_by: str = Field(max_length=32)
    findings: list[str] = Field(default_factory=list, sa_type=JSONType)
    created_at: datetime
