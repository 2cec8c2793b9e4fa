"""Which health model was applied, when and by whom: scorecards name the version they were scored with."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text
from sqlmodel import Field, SQLModel


class HealthModelVersion(SQLModel, table=True):
    __tablename__ = "health_model_version"

    id: int | None = Field(default=None, primary_key=True)
    version: str = Field(max_length=128, index=True)
    sha256: str = Field(max_length=64)
    content: str = Field(sa_type=Text)
    source_file: str = Field(max_length=1024)
    applied_to: str = Field(max_length=1024)
    applied_by: str | None = Field(default=None, max_length=255)
    applied_at: datetime
