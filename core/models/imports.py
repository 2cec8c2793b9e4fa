"""A record of every import, so a team can trace each row back to the file that set it."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel


class ImportRun(SQLModel, table=True):
    __tablename__ = "import_run"

    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(max_length=32)
    file_name: str = Field(max_length=1024)
    file_sha256: str = Field(max_length=64)
    rows: int
    inserted: int
    updated: int
    unchanged: int
    started_at: datetime
    finished_at: datetime
